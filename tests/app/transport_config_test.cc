// The [http] TLS and connection keys and the [metrics] listener of `baotong serve`'s
// configuration (issue 13 items 14, 15).
#include <gtest/gtest.h>

#include <fstream>

#include "app/config.h"

namespace baotong::app {
namespace {

std::filesystem::path WriteTransportConfig(const std::string& text) {
  auto path = std::filesystem::temp_directory_path() /
              ("baotong-transport-config-" + std::to_string(::getpid()) + ".toml");
  std::ofstream(path) << text;
  return path;
}

TEST(TransportConfig, DefaultsKeepMetricsOnLoopbackAndCapConnections) {
  std::string message;
  auto config = LoadServeConfig(std::nullopt, message);
  ASSERT_TRUE(config);
  EXPECT_EQ(config->metrics_listen, "127.0.0.1:9108");
  EXPECT_FALSE(config->http.tls());
  EXPECT_EQ(config->http.max_connections_per_address, 64u);
  EXPECT_EQ(config->http.auth_body_bytes, size_t{8} << 10);
  EXPECT_EQ(config->http.api_body_bytes, size_t{1} << 20);
}

TEST(TransportConfig, ReadsCertificatesCapsAndTheMetricsAddress) {
  std::string message;
  auto config = LoadServeConfig(
      WriteTransportConfig("[http]\ncertificate = \"/etc/tls/cert.pem\"\nprivate_key = "
                           "\"/etc/tls/key.pem\"\nmax_connections_per_address = 8\n"
                           "max_connections = 100\n[metrics]\nlisten = \"[::1]:9200\"\n"),
      message);
  ASSERT_TRUE(config) << message;
  EXPECT_TRUE(config->http.tls());
  EXPECT_EQ(config->http.certificate_file, "/etc/tls/cert.pem");
  EXPECT_EQ(config->http.max_connections_per_address, 8u);
  EXPECT_EQ(config->http.max_connections, 100u);
  std::string address;
  uint16_t port = 0;
  ASSERT_TRUE(SplitListenAddress(config->metrics_listen, address, port));
  EXPECT_EQ(address, "::1");
  EXPECT_EQ(port, 9200);

  auto off = LoadServeConfig(WriteTransportConfig("[metrics]\nlisten = \"\"\n"), message);
  ASSERT_TRUE(off) << message;
  EXPECT_TRUE(off->metrics_listen.empty());
}

TEST(TransportConfig, HalfACertificateOrABadAddressIsAnError) {
  std::string message;
  EXPECT_FALSE(LoadServeConfig(WriteTransportConfig("[http]\ncertificate = \"c.pem\"\n"), message));
  EXPECT_NE(message.find("private_key"), std::string::npos) << message;
  EXPECT_FALSE(
      LoadServeConfig(WriteTransportConfig("[metrics]\nlisten = \"localhost\"\n"), message));
  EXPECT_NE(message.find("metrics.listen"), std::string::npos) << message;
  EXPECT_FALSE(
      LoadServeConfig(WriteTransportConfig("[metrics]\nlisten = \"127.0.0.1:99999\"\n"), message));
  EXPECT_FALSE(LoadServeConfig(WriteTransportConfig("[metrics]\nport = 9108\n"), message));
}

}  // namespace
}  // namespace baotong::app
