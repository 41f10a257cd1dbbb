#include "api/static_files.h"

#include <algorithm>
#include <fstream>
#include <sstream>
#include <string_view>

#include "api/http_util.h"

namespace baotong::api {
namespace {

std::string_view ContentType(const std::filesystem::path& file) {
  const std::string extension = file.extension().string();
  if (extension == ".html")
    return "text/html; charset=utf-8";
  if (extension == ".js" || extension == ".mjs")
    return "text/javascript; charset=utf-8";
  if (extension == ".css")
    return "text/css; charset=utf-8";
  if (extension == ".json" || extension == ".map")
    return "application/json; charset=utf-8";
  if (extension == ".svg")
    return "image/svg+xml";
  if (extension == ".png")
    return "image/png";
  if (extension == ".ico")
    return "image/x-icon";
  if (extension == ".woff2")
    return "font/woff2";
  return "application/octet-stream";
}

}  // namespace

StaticFiles::StaticFiles(std::filesystem::path root) {
  std::error_code ec;
  if (!root.empty())
    root_ = std::filesystem::canonical(root, ec);
  if (ec)
    root_.clear();
}

std::optional<Response> StaticFiles::Serve(const Request& request) const {
  if (root_.empty())
    return std::nullopt;
  if (request.method() != http::verb::get)
    return std::nullopt;
  auto decoded = PercentDecode(PathOf(TargetOf(request)), false);
  if (!decoded || decoded->empty() || decoded->front() != '/')
    return std::nullopt;
  std::string relative = decoded->substr(1);
  if (relative.empty())
    relative = "index.html";
  std::error_code ec;
  // canonical() resolves "..", and symlinks: whatever it names must still be under the root.
  const std::filesystem::path file = std::filesystem::canonical(root_ / relative, ec);
  if (ec || !std::filesystem::is_regular_file(file, ec))
    return std::nullopt;
  auto [root_end, file_it] = std::mismatch(root_.begin(), root_.end(), file.begin(), file.end());
  if (root_end != root_.end())
    return std::nullopt;
  std::ifstream input(file, std::ios::binary);
  if (!input)
    return std::nullopt;
  std::ostringstream content;
  content << input.rdbuf();
  Response response{http::status::ok, 11};
  response.set(http::field::content_type, std::string(ContentType(file)));
  // Vite names built assets by their content hash, so they never change under one name.
  const bool hashed_asset = relative.starts_with("assets/");
  response.set(http::field::cache_control,
               hashed_asset ? "public, max-age=31536000, immutable" : "no-cache");
  response.body() = std::move(content).str();
  return response;
}

}  // namespace baotong::api
