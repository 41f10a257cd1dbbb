// `baotong serve`: the platform in one process.
#pragma once

#include <filesystem>
#include <optional>

#include "app/config.h"

namespace baotong::app {

struct ServeOverrides {
  std::optional<std::filesystem::path> config_file;
  std::optional<std::filesystem::path> data_dir;
  std::optional<uint16_t> jt808_port;
  std::optional<uint16_t> http_port;
  std::optional<std::filesystem::path> web_root;
  bool auto_register = false;
};

// Runs until SIGINT or SIGTERM; returns the process exit code.
int RunServe(const ServeOverrides& overrides);

// `baotong store-check`: how many of the acknowledged positions listed in `acked_file` (lines
// "terminal,serial,device_time_ms", as `baotong sim --acked-out` writes them) are stored.
// Prints {"acked":N,"stored_of_acked":M,"lost":N-M}; exit code 0 only when nothing is lost.
int RunStoreCheck(const std::filesystem::path& data_dir, const std::filesystem::path& acked_file);

}  // namespace baotong::app
