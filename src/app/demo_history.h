// Months of history for the demo city (`baotong demo --history-days N`), so that the statistics,
// the correlations and the big screen show real shapes: checkpoint passages (entries, exits and
// turn-backs with a weekday/weekend and hourly rhythm and a rising trend), trip passes with
// cargo for some of the entries, alarms raised during the stays and handled to closure, and
// monthly economic indicators that follow the freight.
//
// Everything is written through the stores' own functions (trip passes) or into their tables
// (passages, alarms and their steps), timestamped in the past: every stay opens and closes,
// and every alarm is closed, before the moment the demo is loaded, so the vehicles in the city
// and the open alarms are the live fleet's alone, while today's hourly figures already have the
// morning's traffic. It writes only into a demo without passages or alarms yet, and says so
// otherwise.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

#include "common/error.h"
#include "pass/pass_store.h"
#include "sim/demo_city.h"

namespace baotong::app {

struct DemoHistoryOptions {
  int days = 180;  // before today; 0: none
  uint64_t seed = 1;
  std::string today;   // YYYY-MM-DD in China
  int64_t now_ms = 0;  // the history ends here; 0: at today 00:00
};

struct DemoHistorySummary {
  bool written = false;
  std::string skipped_because;  // when not written
  int64_t entries = 0, exits = 0, turned_back = 0;
  int64_t trip_passes = 0;
  int64_t alarms = 0;
  int64_t indicator_rows = 0;
};

// `terminals`: the vehicles with a terminal (city.vehicles[i], i < terminals): only they raise
// alarms.
Result<DemoHistorySummary> GenerateDemoHistory(const std::filesystem::path& data_dir,
                                               const sim::DemoCity& city, size_t terminals,
                                               pass::PassStore& passes,
                                               const DemoHistoryOptions& options);

}  // namespace baotong::app
