// The statistics as the HTTP API shows them (docs/stats.md): snake_case, Chinese names and
// units, numbers rounded for display (tonnes to 0.001, hours to 0.01, minutes to 0.1, r to
// 0.001), null where there is nothing to measure.
#pragma once

#include <nlohmann/json.hpp>

#include "stats/stats_service.h"

namespace baotong::stats {

nlohmann::ordered_json FreightJson(const FreightReport& report);
nlohmann::ordered_json OverviewJson(const Overview& overview);
nlohmann::ordered_json ImportJson(const IndicatorImport& result);
nlohmann::ordered_json IndicatorsJson(const std::vector<Indicator>& indicators);
nlohmann::ordered_json CorrelationJson(const Correlation& correlation);

// One row per (period, figure) of a report, for a long-format sheet: {"period", "figure",
// "value"}; figures are the series, each checkpoint's entries and exits, and each cargo
// category's tonnage.
std::vector<nlohmann::ordered_json> FreightRows(const FreightReport& report);

}  // namespace baotong::stats
