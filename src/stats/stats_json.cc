#include "stats/stats_json.h"

#include <cmath>

#include "stats/periods.h"

namespace baotong::stats {
namespace {

using Json = nlohmann::ordered_json;

double Round(double value, double step) {
  return std::round(value / step) * step;
}

Json Rounded(const std::optional<double>& value, double step) {
  return value ? Json(Round(*value, step)) : Json(nullptr);
}

// Counts stay integers in JSON; measured quantities are rounded.
Json SeriesValue(const Series& series, const std::optional<double>& value) {
  if (!value)
    return nullptr;
  if (series.id == "tonnage")
    return Round(*value, 0.001);
  if (series.id == "dwell_median_h")
    return Round(*value, 0.01);
  return static_cast<int64_t>(std::llround(*value));
}

}  // namespace

Json FreightJson(const FreightReport& report) {
  Json series = Json::array();
  for (const Series& item : report.series) {
    Json values = Json::array();
    for (const auto& value : item.values)
      values.push_back(SeriesValue(item, value));
    series.push_back(
        {{"id", item.id}, {"name", item.name}, {"unit", item.unit}, {"values", std::move(values)}});
  }
  Json by_checkpoint = Json::array();
  for (const CheckpointCounts& counts : report.by_checkpoint)
    by_checkpoint.push_back({{"checkpoint_id", counts.checkpoint_id},
                             {"name", counts.name},
                             {"entries", counts.entries},
                             {"exits", counts.exits}});
  Json by_cargo = Json::array();
  for (const CargoTonnage& cargo : report.tonnage_by_cargo) {
    Json values = Json::array();
    for (double value : cargo.values)
      values.push_back(Round(value, 0.001));
    by_cargo.push_back({{"category", cargo.category}, {"values", std::move(values)}});
  }
  Json flows = Json::array();
  for (const OdFlow& flow : report.od_flows)
    flows.push_back({{"origin", flow.origin},
                     {"destination", flow.destination},
                     {"destination_name", flow.destination_name},
                     {"trips", flow.trips},
                     {"tonnage_t", Round(flow.tonnage_t, 0.001)}});
  Json histogram = Json::array();
  for (const HistogramBin& bin : report.dwell.histogram)
    histogram.push_back({{"label", bin.label}, {"count", bin.count}});
  Json alarms = Json::array();
  for (const AlarmKindSummary& kind : report.alarms_by_kind)
    alarms.push_back({{"kind", kind.kind},
                      {"name", kind.name},
                      {"count", kind.count},
                      {"closed", kind.closed},
                      {"median_close_min", Rounded(kind.median_close_min, 0.1)},
                      {"p90_close_min", Rounded(kind.p90_close_min, 0.1)}});
  Json classes = Json::array();
  for (registry::VehicleClass vehicle_class : registry::kAllVehicleClasses)
    classes.push_back({{"id", registry::VehicleClassId(vehicle_class)},
                       {"name", registry::VehicleClassName(vehicle_class)}});
  return Json{{"from", DayLabel(report.query.from_day)},
              {"to", DayLabel(report.query.to_day)},
              {"by", GranularityId(report.query.by)},
              {"periods", report.periods},
              {"series", std::move(series)},
              {"by_checkpoint", std::move(by_checkpoint)},
              {"tonnage_by_cargo", std::move(by_cargo)},
              {"od_flows", std::move(flows)},
              {"dwell",
               {{"count", report.dwell.count},
                {"median_h", Rounded(report.dwell.median_h, 0.01)},
                {"p90_h", Rounded(report.dwell.p90_h, 0.01)},
                {"histogram", std::move(histogram)}}},
              {"alarms_by_kind", std::move(alarms)},
              {"filters",
               {{"classes", std::move(classes)}, {"cargo_categories", report.cargo_categories}}}};
}

Json OverviewJson(const Overview& overview) {
  Json open = Json::object();
  for (size_t severity = 0; severity < overview.open_alarms.size(); ++severity)
    open[std::to_string(severity + 1)] = overview.open_alarms[severity];
  Json hours = Json::array();
  for (size_t hour = 0; hour < overview.hourly_entries.size(); ++hour)
    hours.push_back(hour);
  return Json{{"now_ms", overview.now_ms},
              {"in_city_now", overview.in_city_now},
              {"entered_today", overview.entered_today},
              {"exited_today", overview.exited_today},
              {"open_alarms", std::move(open)},
              {"hourly",
               {{"hours", std::move(hours)},
                {"entries", overview.hourly_entries},
                {"exits", overview.hourly_exits},
                {"alarms", overview.hourly_alarms}}}};
}

Json ImportJson(const IndicatorImport& result) {
  Json rejected = Json::array();
  for (const RejectedRow& row : result.rejected)
    rejected.push_back({{"row", row.row}, {"reason", row.reason}});
  return Json{{"imported", result.imported},
              {"replaced", result.replaced},
              {"rejected", std::move(rejected)}};
}

Json IndicatorsJson(const std::vector<Indicator>& indicators) {
  Json list = Json::array();
  for (const Indicator& indicator : indicators)
    list.push_back({{"name", indicator.name},
                    {"unit", indicator.unit},
                    {"periods", indicator.periods},
                    {"values", indicator.values}});
  return Json{{"indicators", std::move(list)}};
}

Json CorrelationJson(const Correlation& correlation) {
  const auto values = [](const std::vector<std::optional<double>>& list) {
    Json json = Json::array();
    for (const auto& value : list)
      json.push_back(value ? Json(*value) : Json(nullptr));
    return json;
  };
  const auto lag_json = [](const LagCorrelation& lag) {
    return Json{{"lag", lag.lag}, {"r", Rounded(lag.r, 0.001)}, {"n", lag.n}};
  };
  Json lags = Json::array();
  for (const LagCorrelation& lag : correlation.lags)
    lags.push_back(lag_json(lag));
  return Json{{"indicator", correlation.indicator},
              {"series", FreightSeriesId(correlation.series)},
              {"periods", correlation.periods},
              {"indicator_values", values(correlation.indicator_values)},
              {"freight_values", values(correlation.freight_values)},
              {"lags", std::move(lags)},
              {"best", correlation.best ? lag_json(*correlation.best) : Json(nullptr)},
              {"reading", correlation.reading}};
}

std::vector<Json> FreightRows(const FreightReport& report) {
  std::vector<Json> rows;
  for (size_t period = 0; period < report.periods.size(); ++period) {
    const std::string& label = report.periods[period];
    for (const Series& series : report.series)
      rows.push_back({{"period", label},
                      {"figure", series.name + "（" + series.unit + "）"},
                      {"value", SeriesValue(series, series.values[period])}});
    for (const CheckpointCounts& counts : report.by_checkpoint) {
      rows.push_back({{"period", label},
                      {"figure", counts.name + " 入城车次"},
                      {"value", counts.entries[period]}});
      rows.push_back({{"period", label},
                      {"figure", counts.name + " 出城车次"},
                      {"value", counts.exits[period]}});
    }
    for (const CargoTonnage& cargo : report.tonnage_by_cargo)
      rows.push_back({{"period", label},
                      {"figure", cargo.category + " 货运量（吨）"},
                      {"value", Round(cargo.values[period], 0.001)}});
  }
  return rows;
}

}  // namespace baotong::stats
