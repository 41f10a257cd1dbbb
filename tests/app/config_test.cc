#include "app/config.h"

#include <gtest/gtest.h>

#include <fstream>

namespace baotong::app {
namespace {

std::filesystem::path WriteConfig(const std::string& text) {
  auto path = std::filesystem::temp_directory_path() /
              ("baotong-config-" + std::to_string(::getpid()) + ".toml");
  std::ofstream(path) << text;
  return path;
}

TEST(ServeConfig, KeysLeftOutKeepTheDefaults) {
  std::string message;
  auto config = LoadServeConfig(WriteConfig("[gateway]\nport = 9000\n"), message);
  ASSERT_TRUE(config) << message;
  EXPECT_EQ(config->gateway.port, 9000);
  gateway::GatewayOptions defaults;
  EXPECT_EQ(config->gateway.idle_timeout, defaults.idle_timeout);
  EXPECT_EQ(config->gateway.auth_timeout, defaults.auth_timeout);
  EXPECT_EQ(config->gateway.command_timeout, defaults.command_timeout);
}

TEST(ServeConfig, TheDocumentedFileLoads) {
  std::string message;
  auto config =
      LoadServeConfig(std::filesystem::path(BAOTONG_SOURCE_DIR) / "config/baotong.toml", message);
  ASSERT_TRUE(config) << message;
  EXPECT_EQ(config->gateway.port, 7808);
  EXPECT_EQ(config->http.port, 8080);
}

TEST(ServeConfig, TyposAndWrongTypesAreNamed) {
  std::string message;
  EXPECT_FALSE(LoadServeConfig(WriteConfig("[gateway]\nprot = 1\n"), message));
  EXPECT_EQ(message, "unknown key gateway.prot");
  EXPECT_FALSE(LoadServeConfig(WriteConfig("[http]\nport = \"x\"\n"), message));
  EXPECT_EQ(message, "http.port must be a whole number");
  EXPECT_FALSE(LoadServeConfig(WriteConfig("[gateway]\nport = 70000\n"), message));
  EXPECT_EQ(message, "gateway.port is out of range");
  EXPECT_FALSE(LoadServeConfig(WriteConfig("[gateway]\nauto_register = 1\n"), message));
  EXPECT_EQ(message, "gateway.auto_register must be true or false");
  EXPECT_FALSE(LoadServeConfig(WriteConfig("[http]\nweb_root = 5\n"), message));
  EXPECT_EQ(message, "http.web_root must be a string");
}

TEST(ServeConfig, MapWebAndSessionSettings) {
  std::string message;
  auto config = LoadServeConfig(
      WriteConfig("[http]\nweb_root = \"/srv/web\"\nmax_body_mib = 8\n"
                  "[map]\ntile_url = \"https://t/{z}/{x}/{y}.png\"\ncenter_lat = 40.5\n"
                  "center_lon = 123\nzoom = 12\n"
                  "[auth]\nsession_idle_minutes = 30\nsession_absolute_hours = 12\n"),
      message);
  ASSERT_TRUE(config) << message;
  EXPECT_EQ(config->web_root, "/srv/web");
  EXPECT_EQ(config->http.max_body_bytes, size_t{8} << 20);
  EXPECT_EQ(config->ui.tile_url, "https://t/{z}/{x}/{y}.png");
  EXPECT_DOUBLE_EQ(config->ui.center_lat, 40.5);
  EXPECT_DOUBLE_EQ(config->ui.center_lon, 123.0);  // a whole number is a number too
  EXPECT_EQ(config->ui.zoom, 12u);
  EXPECT_EQ(config->users.session_idle_ms, 30 * 60'000);
  EXPECT_EQ(config->users.session_absolute_ms, 12 * 3'600'000);
  EXPECT_FALSE(LoadServeConfig(WriteConfig("[map]\ncenter_lat = 91\n"), message));
  EXPECT_FALSE(LoadServeConfig(WriteConfig("[http]\nmax_body_mib = 0\n"), message));
  EXPECT_FALSE(LoadServeConfig(WriteConfig("[auth]\nsession_idle_minutes = 0\n"), message));
}

// Base maps with their datum, and the offline tile file (issue 14).
TEST(ServeConfig, BaseMapsAndOfflineTiles) {
  std::string message;
  auto config = LoadServeConfig(
      WriteConfig("[map]\nmbtiles = \"/srv/anshan.mbtiles\"\n"
                  "[[map.basemaps]]\nid = \"tianditu\"\nname = \"天地图\"\n"
                  "url = \"https://t{s}.tianditu.gov.cn/vec_w/wmts?TILEMATRIX={z}&TILEROW={y}&"
                  "TILECOL={x}&tk={key}\"\nsubdomains = \"01234567\"\nkey = \"abc\"\n"
                  "[[map.basemaps]]\nid = \"amap\"\nname = \"高德地图\"\n"
                  "url = \"https://webrd0{s}.is.autonavi.com/appmaptile?x={x}&y={y}&z={z}\"\n"
                  "subdomains = \"1234\"\ndatum = \"gcj02\"\n"),
      message);
  ASSERT_TRUE(config) << message;
  ASSERT_EQ(config->ui.basemaps.size(), 2u);
  EXPECT_EQ(config->ui.basemaps[0].datum, "wgs84");
  EXPECT_EQ(config->ui.basemaps[1].datum, "gcj02");
  EXPECT_EQ(config->ui.mbtiles, "/srv/anshan.mbtiles");
  auto offered = api::OfferedBaseMaps(config->ui);
  ASSERT_EQ(offered.size(), 3u);
  EXPECT_NE(offered[0].url.find("tk=abc"), std::string::npos);  // the key in its place
  EXPECT_EQ(offered[2].id, "offline");
  EXPECT_EQ(offered[2].url, "/api/map/tiles/{z}/{x}/{y}");
  EXPECT_FALSE(LoadServeConfig(
      WriteConfig("[[map.basemaps]]\nid = \"x\"\nname = \"x\"\nurl = \"https://a/{z}\"\n"
                  "datum = \"bd09\"\n"),
      message));
  EXPECT_FALSE(LoadServeConfig(
      WriteConfig("[[map.basemaps]]\nid = \"x\"\nname = \"x\"\nurl = \"javascript:1\"\n"),
      message));
}

// The [http] TLS and connection keys and the [metrics] listener (issue 13 items 14, 15).
TEST(TransportConfig, DefaultsKeepMetricsOnLoopbackAndCapConnections) {
  std::string message;
  auto config = LoadServeConfig(std::nullopt, message);
  ASSERT_TRUE(config);
  EXPECT_EQ(config->metrics_listen, "127.0.0.1:9108");
  EXPECT_FALSE(config->http.tls());
  EXPECT_EQ(config->http.max_connections_per_address, 64u);
  EXPECT_EQ(config->http.max_connections, 4096u);
  EXPECT_EQ(config->http.auth_body_bytes, size_t{8} << 10);
  EXPECT_EQ(config->http.api_body_bytes, size_t{1} << 20);
  // The documented file says the same (issue 13 items 14, 15: docs/SECURITY.md quotes them).
  auto documented =
      LoadServeConfig(std::filesystem::path(BAOTONG_SOURCE_DIR) / "config/baotong.toml", message);
  ASSERT_TRUE(documented) << message;
  EXPECT_EQ(documented->metrics_listen, config->metrics_listen);
  EXPECT_EQ(documented->http.max_connections_per_address, config->http.max_connections_per_address);
  EXPECT_EQ(documented->http.max_connections, config->http.max_connections);
  EXPECT_FALSE(documented->http.tls());
}

TEST(TransportConfig, ReadsCertificatesCapsAndTheMetricsAddress) {
  std::string message;
  auto config =
      LoadServeConfig(WriteConfig("[http]\ncertificate = \"/etc/tls/cert.pem\"\nprivate_key = "
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

  auto off = LoadServeConfig(WriteConfig("[metrics]\nlisten = \"\"\n"), message);
  ASSERT_TRUE(off) << message;
  EXPECT_TRUE(off->metrics_listen.empty());
}

TEST(TransportConfig, HalfACertificateOrABadAddressIsAnError) {
  std::string message;
  EXPECT_FALSE(LoadServeConfig(WriteConfig("[http]\ncertificate = \"c.pem\"\n"), message));
  EXPECT_NE(message.find("private_key"), std::string::npos) << message;
  EXPECT_FALSE(LoadServeConfig(WriteConfig("[metrics]\nlisten = \"localhost\"\n"), message));
  EXPECT_NE(message.find("metrics.listen"), std::string::npos) << message;
  EXPECT_FALSE(LoadServeConfig(WriteConfig("[metrics]\nlisten = \"127.0.0.1:99999\"\n"), message));
  EXPECT_FALSE(LoadServeConfig(WriteConfig("[metrics]\nport = 9108\n"), message));
}

}  // namespace
}  // namespace baotong::app
