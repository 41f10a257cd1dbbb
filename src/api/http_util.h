// Small pieces every route needs: JSON responses, the API's error shape, query parameters
// (percent-decoded, since plates and search terms are Chinese).
#pragma once

#include <charconv>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "api/http_server.h"

namespace baotong::api {

using Json = nlohmann::ordered_json;
namespace http = boost::beast::http;

Response JsonResponse(http::status status, const Json& body);

// Every API error: {"error": {"code": "stable_snake_case", "message": "中文说明"}}.
Response ApiError(http::status status, std::string_view code, std::string_view message);

// "%E8%BE%BDC12345" -> "辽C12345"; '+' is a space in a query. nullopt for a broken escape.
std::optional<std::string> PercentDecode(std::string_view text, bool plus_is_space);

std::string_view TargetOf(const Request& request);
std::string_view PathOf(std::string_view target);

// The decoded value of query parameter `name`; nullopt when absent or badly escaped.
std::optional<std::string> QueryParam(std::string_view target, std::string_view name);

// Nesting deeper than this in a request body is refused before any parser sees it: the
// parser's memory grows with depth (a 30 MB "[[[[...]]]]" took 1.7 GB).
inline constexpr size_t kMaxJsonDepth = 64;

// Whether `body`, if it is JSON (its first non-blank character is '{' or '['), nests arrays and
// objects at most `max_depth` deep. Brackets inside strings do not count. Bodies that are not
// JSON (CSV imports) pass: a top-level scalar cannot nest.
bool JsonDepthWithin(std::string_view body, size_t max_depth = kMaxJsonDepth);

// The Content-Security-Policy of every response: scripts, styles and connections from the
// server itself only; images also from the map's tile server (the origin of `tile_url`, e.g.
// "https://{s}.tiles.example/{z}/{x}/{y}.png" -> "https://*.tiles.example").
std::string ContentSecurityPolicy(std::string_view tile_url);
// The same with every base map's tile server (api::BaseMap urls).
std::string ContentSecurityPolicy(std::span<const std::string> tile_urls);

template <typename T>
std::optional<T> ParseNumber(std::string_view text) {
  T value{};
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size())
    return std::nullopt;
  return value;
}

}  // namespace baotong::api
