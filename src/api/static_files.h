// Serves the dashboard's built files (web/dist) from a web root: GET only, no path
// outside the root, index.html for "/", long caching for Vite's hashed assets only.
#pragma once

#include <filesystem>
#include <optional>

#include "api/http_server.h"

namespace baotong::api {

class StaticFiles {
 public:
  explicit StaticFiles(std::filesystem::path root);
  // A response when `request` names a file under the root; nullopt otherwise (the caller
  // answers 404 its own way).
  std::optional<Response> Serve(const Request& request) const;
  bool enabled() const { return !root_.empty(); }

 private:
  std::filesystem::path root_;  // canonical, or empty when there is none
};

}  // namespace baotong::api
