#include "api/http_util.h"

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
