#include "api/http_util.h"

#include <set>

#include "common/hex.h"

namespace baotong::api {

Response JsonResponse(http::status status, const Json& body) {
  Response response{status, 11};
  response.set(http::field::content_type, "application/json; charset=utf-8");
  response.set(http::field::cache_control, "no-store");
  // Invalid UTF-8 from a stored value must not abort the response.
  response.body() = body.dump(-1, ' ', false, Json::error_handler_t::replace);
  return response;
}

Response ApiError(http::status status, std::string_view code, std::string_view message) {
  return JsonResponse(status, Json{{"error", Json{{"code", code}, {"message", message}}}});
}

std::optional<std::string> PercentDecode(std::string_view text, bool plus_is_space) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '%') {
      if (i + 2 >= text.size())
        return std::nullopt;
      int high = HexDigitValue(text[i + 1]);
      int low = HexDigitValue(text[i + 2]);
      if (high < 0 || low < 0)
        return std::nullopt;
      out.push_back(static_cast<char>(high * 16 + low));
      i += 2;
    } else if (c == '+' && plus_is_space) {
      out.push_back(' ');
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::string_view TargetOf(const Request& request) {
  auto target = request.target();
  return {target.data(), target.size()};
}

std::string_view PathOf(std::string_view target) {
  return target.substr(0, target.find('?'));
}

std::optional<std::string> QueryParam(std::string_view target, std::string_view name) {
  size_t query = target.find('?');
  if (query == std::string_view::npos)
    return std::nullopt;
  std::string_view rest = target.substr(query + 1);
  while (!rest.empty()) {
    size_t amp = rest.find('&');
    std::string_view pair = rest.substr(0, amp);
    size_t eq = pair.find('=');
    if (PercentDecode(pair.substr(0, eq), true) == std::string(name)) {
      return eq == std::string_view::npos ? std::string()
                                          : PercentDecode(pair.substr(eq + 1), true);
    }
    if (amp == std::string_view::npos)
      break;
    rest = rest.substr(amp + 1);
  }
  return std::nullopt;
}

}  // namespace baotong::api

namespace baotong::api {

bool JsonDepthWithin(std::string_view body, size_t max_depth) {
  // nlohmann::json skips a UTF-8 byte order mark, so the check must look past it too.
  if (body.starts_with("\xEF\xBB\xBF"))
    body.remove_prefix(3);
  size_t start = body.find_first_not_of(" \t\r\n");
  if (start == std::string_view::npos || (body[start] != '{' && body[start] != '['))
    return true;
  size_t depth = 0;
  bool in_string = false;
  for (size_t i = start; i < body.size(); ++i) {
    const char c = body[i];
    if (in_string) {
      if (c == '\\')
        ++i;  // the escaped character cannot end the string
      else if (c == '"')
        in_string = false;
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      if (++depth > max_depth)
        return false;
    } else if ((c == '}' || c == ']') && depth > 0) {
      --depth;
    }
  }
  return true;
}

namespace {

// "https://{s}.tiles.example:8443/{z}/{x}/{y}.png" -> "https://*.tiles.example:8443"; empty
// when the URL is not http(s) or its host has characters a CSP source cannot carry.
std::string TileSource(std::string_view tile_url) {
  size_t scheme_end = tile_url.find("://");
  if (scheme_end == std::string_view::npos)
    return "";
  std::string_view scheme = tile_url.substr(0, scheme_end);
  if (scheme != "https" && scheme != "http")
    return "";
  std::string_view rest = tile_url.substr(scheme_end + 3);
  std::string_view host = rest.substr(0, rest.find('/'));
  std::string source(scheme);
  source += "://";
  // Leaflet's {s} subdomain placeholder in the host's first label ("{s}.tiles", "t{s}.tianditu")
  // makes that label a wildcard.
  if (const size_t dot = host.find('.');
      dot != std::string_view::npos && host.substr(0, dot).find("{s}") != std::string_view::npos) {
    source += "*.";
    host.remove_prefix(dot + 1);
  }
  if (host.empty())
    return "";
  for (char c : host) {
    const bool allowed = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                         (c >= '0' && c <= '9') || c == '.' || c == '-' || c == ':' || c == '[' ||
                         c == ']';
    if (!allowed)
      return "";
  }
  source += host;
  return source;
}

}  // namespace

std::string ContentSecurityPolicy(std::string_view tile_url) {
  const std::string urls[] = {std::string(tile_url)};
  return ContentSecurityPolicy(urls);
}

std::string ContentSecurityPolicy(std::span<const std::string> tile_urls) {
  std::string img_src = "img-src 'self' data: blob:";
  std::set<std::string> sources;
  for (const auto& url : tile_urls) {
    if (std::string tiles = TileSource(url); !tiles.empty() && sources.insert(tiles).second)
      img_src += " " + tiles;
  }
  // No 'unsafe-inline' even for styles: the dashboard sets styles through the CSSOM (which CSP
  // allows) and draws chart tooltips on the canvas; browser scenario i runs every page so.
  return "default-src 'self'; script-src 'self'; object-src 'none'; base-uri 'self'; "
         "frame-ancestors 'none'; form-action 'self'; style-src 'self'; " +
         img_src + "; connect-src 'self'; font-src 'self' data:";
}

}  // namespace baotong::api
