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
}

}  // namespace
}  // namespace baotong::app
