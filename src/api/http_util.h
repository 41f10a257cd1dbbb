// Small pieces every route needs: JSON responses, the API's error shape, query parameters
// (percent-decoded, since plates and search terms are Chinese).
#pragma once

#include <charconv>
#include <nlohmann/json.hpp>
#include <optional>
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

template <typename T>
std::optional<T> ParseNumber(std::string_view text) {
  T value{};
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size())
    return std::nullopt;
  return value;
}

}  // namespace baotong::api
