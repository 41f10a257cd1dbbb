// libFuzzer target for the JSON nesting check every request body passes before any route's
// parser sees it (api::JsonDepthWithin, issue 13 item 8). Oracle: whatever nlohmann::json
// accepts as a document — the parser every route uses, BOM and all — is no deeper than the check
// said it may be; a body the check lets through never reaches a parser at a greater depth.
#include <cstdint>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string_view>

#include "api/http_util.h"

namespace {

constexpr size_t kLimit = 8;  // small, so that the fuzzer reaches it often

size_t DepthOf(const nlohmann::json& value) {
  size_t deepest = 0;
  if (value.is_structured()) {
    for (const auto& item : value)
      deepest = std::max(deepest, DepthOf(item));
    return deepest + 1;
  }
  return 0;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  if (!baotong::api::JsonDepthWithin(body, kLimit))
    return 0;
  const auto parsed = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (!parsed.is_discarded() && DepthOf(parsed) > kLimit)
    std::abort();
  return 0;
}
