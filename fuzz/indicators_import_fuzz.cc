// libFuzzer target for the economic indicator files the statistics bureau's data arrive in:
// text decoding, the CSV reader, header mapping, period and value parsing. Oracles: every
// accepted row has a normalised period (YYYY-MM or YYYY-MM-DD) and a finite value, rejected rows
// carry a row number, and everything shown back to the user is valid UTF-8 (nlohmann::json
// throws on anything else, which would turn an upload into a server error).
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "stats/stats_service.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace baotong;
  auto parsed =
      stats::ParseIndicatorCsv(std::string_view(reinterpret_cast<const char*>(data), size));
  if (!parsed)
    return 0;
  nlohmann::json shown = nlohmann::json::array();
  for (const auto& row : parsed->rows) {
    const std::string& period = row.period;
    if ((period.size() != 7 && period.size() != 10) || period[4] != '-')
      std::abort();
    const double value = std::strtod(row.value.c_str(), nullptr);
    if (!std::isfinite(value))
      std::abort();
    shown.push_back({row.indicator, row.period, row.value, row.unit});
  }
  for (const auto& rejected : parsed->rejected) {
    if (rejected.row < 1)
      std::abort();
    shown.push_back({rejected.row, rejected.reason});
  }
  (void)shown.dump();  // throws (and so aborts) on invalid UTF-8
  return 0;
}
