// Economic indicators: CSV import, listing, and the monthly comparison with freight.
#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <map>
#include <set>

#include "registry/csv.h"
#include "stats/periods.h"
#include "stats/stats_service.h"

namespace baotong::stats {
namespace {

constexpr size_t kMaxIndicatorBytes = 100;
constexpr size_t kMaxUnitBytes = 30;

std::string Trim(std::string_view text) {
  const auto space = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  while (!text.empty() && space(text.front()))
    text.remove_prefix(1);
  while (!text.empty() && space(text.back()))
    text.remove_suffix(1);
  return std::string(text);
}

std::string Lower(std::string text) {
  for (char& c : text)
    if (c >= 'A' && c <= 'Z')
      c = static_cast<char>(c - 'A' + 'a');
  return text;
}

enum Column : size_t { kIndicator, kPeriod, kValue, kUnit, kColumnCount };

// Which column of the header names each field; -1 when absent.
std::array<int, kColumnCount> HeaderColumns(const std::vector<std::string>& header) {
  std::array<int, kColumnCount> columns;
  columns.fill(-1);
  for (size_t i = 0; i < header.size(); ++i) {
    const std::string name = Lower(Trim(header[i]));
    std::optional<Column> field;
    if (name == "indicator" || name == "指标" || name == "指标名称")
      field = kIndicator;
    else if (name == "period" || name == "期间")
      field = kPeriod;
    else if (name == "value" || name == "数值" || name == "值")
      field = kValue;
    else if (name == "unit" || name == "单位")
      field = kUnit;
    if (field && columns[*field] < 0)
      columns[*field] = static_cast<int>(i);
  }
  return columns;
}

// "2026-11" or "2026-11-05", as stored; nullopt for anything else.
std::optional<std::string> NormalisePeriod(const std::string& text) {
  if (ParseMonth(text))
    return text;
  if (ParseDay(text))
    return text;
  return std::nullopt;
}

std::optional<double> ParseValue(std::string text) {
  std::erase(text, ',');  // thousands separators as spreadsheets write them
  if (!text.empty() && text.front() == '+')
    text.erase(0, 1);
  double value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() ||
      !std::isfinite(value))
    return std::nullopt;
  return value;
}

std::string FormatValue(double value) {
  char buffer[64];
  auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, value);
  return ec == std::errc() ? std::string(buffer, end) : "0";
}

std::string Reading(const std::optional<LagCorrelation>& best,
                    const std::vector<LagCorrelation>& lags) {
  std::vector<int> skipped;
  for (const LagCorrelation& lag : lags)
    if (lag.n < kMinCorrelationPairs)
      skipped.push_back(lag.lag);
  std::string reading;
  if (!best) {
    reading = "数据不足：各滞后期配对月份少于 4 个或数值无变化，无法计算相关系数";
  } else {
    char r[32];
    std::snprintf(r, sizeof r, "%.2f", *best->r);
    const std::string months = std::to_string(std::abs(best->lag));
    if (best->lag > 0)
      reading = "货运领先该指标 " + months + " 个月（r=" + r + "）";
    else if (best->lag < 0)
      reading = "该指标领先货运 " + months + " 个月（r=" + r + "）";
    else
      reading = std::string("货运与该指标同期相关最强（r=") + r + "）";
  }
  if (best && !skipped.empty()) {
    reading += "；滞后";
    for (size_t i = 0; i < skipped.size(); ++i)
      reading += (i ? "、" : " ") + std::to_string(skipped[i]);
    reading += " 个月的配对月份少于 4 个，未计算";
  }
  return reading;
}

// At most 40 bytes of a cell for a message, cut at a character boundary (a cut inside a UTF-8
// sequence would make the whole answer invalid JSON).
std::string Excerpt(const std::string& text) {
  size_t end = std::min<size_t>(text.size(), 40);
  while (end > 0 && end < text.size() && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80)
    --end;
  return text.substr(0, end);
}

}  // namespace

Result<ParsedIndicators> ParseIndicatorCsv(std::string_view csv_bytes) {
  auto text = registry::DecodeUploadedText(csv_bytes);
  if (!text)
    return tl::unexpected(text.error());
  ParsedIndicators result;
  registry::CsvReader reader(*text);
  std::vector<std::string> cells;
  int64_t row = 0;
  std::optional<std::array<int, kColumnCount>> columns;
  while (reader.Next(cells, row)) {
    if (registry::IsBlankRecord(cells))
      continue;
    if (!columns) {
      columns = HeaderColumns(cells);
      std::string missing;
      const char* names[] = {"指标 (indicator)", "期间 (period)", "数值 (value)"};
      for (size_t field = kIndicator; field <= kValue; ++field)
        if ((*columns)[field] < 0)
          missing += std::string(missing.empty() ? "" : "、") + names[field];
      if (!missing.empty()) {
        result.rejected.push_back({row, "缺少必需的列：" + missing});
        return result;
      }
      continue;
    }
    const auto cell = [&](Column field) {
      const int at = (*columns)[field];
      return at >= 0 && static_cast<size_t>(at) < cells.size() ? Trim(cells[at]) : std::string();
    };
    IndicatorRow item{cell(kIndicator), cell(kPeriod), cell(kValue), cell(kUnit)};
    if (item.indicator.empty()) {
      result.rejected.push_back({row, "指标名称为空"});
      continue;
    }
    if (item.indicator.size() > kMaxIndicatorBytes) {
      result.rejected.push_back({row, "指标名称过长（最多 100 字节）"});
      continue;
    }
    auto period = NormalisePeriod(item.period);
    if (!period) {
      result.rejected.push_back(
          {row, "期间应为 YYYY-MM 或 YYYY-MM-DD：“" + Excerpt(item.period) + "”"});
      continue;
    }
    if (item.value.empty()) {
      result.rejected.push_back({row, "数值为空"});
      continue;
    }
    auto value = ParseValue(item.value);
    if (!value) {
      result.rejected.push_back({row, "数值不是数字：“" + Excerpt(item.value) + "”"});
      continue;
    }
    if (item.unit.size() > kMaxUnitBytes) {
      result.rejected.push_back({row, "单位过长（最多 30 字节）"});
      continue;
    }
    item.period = *period;
    item.value = FormatValue(*value);
    result.rows.push_back(std::move(item));
  }
  if (reader.unterminated_quote())
    result.rejected.push_back({row, "引号未闭合，其后内容未导入"});
  if (!columns) {
    result.rejected.push_back({1, "文件为空"});
    return result;
  }

  return result;
}

Result<IndicatorImport> StatsService::ImportIndicators(std::string_view csv_bytes,
                                                       std::string_view by, int64_t now_ms) {
  auto parsed = ParseIndicatorCsv(csv_bytes);
  if (!parsed)
    return tl::unexpected(parsed.error());
  IndicatorImport result;
  result.rejected = std::move(parsed->rejected);
  if (parsed->rows.empty())
    return result;
  std::lock_guard lock(mutex_);
  store::Database& db = *database_;
  auto transaction = store::Transaction::Begin(db);
  if (!transaction)
    return tl::unexpected(transaction.error());
  auto exists =
      db.Prepare("SELECT 1 FROM economic_indicators WHERE indicator = ?1 AND period = ?2");
  auto upsert = db.Prepare(
      "INSERT INTO economic_indicators(indicator, period, value, unit, imported_at_ms, "
      "imported_by) VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT(indicator, period) DO UPDATE "
      "SET value = excluded.value, unit = excluded.unit, imported_at_ms = "
      "excluded.imported_at_ms, imported_by = excluded.imported_by");
  if (!exists)
    return tl::unexpected(exists.error());
  if (!upsert)
    return tl::unexpected(upsert.error());
  for (const IndicatorRow& item : parsed->rows) {
    exists->Reset();
    exists->Bind(1, item.indicator).Bind(2, item.period);
    auto found = exists->Step();
    if (!found)
      return tl::unexpected(found.error());
    upsert->Reset();
    upsert->Bind(1, item.indicator)
        .Bind(2, item.period)
        .Bind(3, item.value)
        .Bind(4, item.unit)
        .Bind(5, now_ms)
        .Bind(6, by);
    if (auto stored = upsert->Run(); !stored)
      return tl::unexpected(stored.error());
    ++result.imported;
    result.replaced += *found ? 1 : 0;
  }
  exists->Reset();
  if (auto committed = transaction->Commit(); !committed)
    return tl::unexpected(committed.error());
  return result;
}

Result<std::vector<Indicator>> StatsService::Indicators() {
  std::lock_guard lock(mutex_);
  auto query = database_->Prepare(
      "SELECT indicator, period, value, unit FROM economic_indicators "
      "ORDER BY indicator, period");
  if (!query)
    return tl::unexpected(query.error());
  std::vector<Indicator> indicators;
  auto read = query->ForEachRow([&](const store::Statement& row) {
    std::string name = row.Text(0);
    if (indicators.empty() || indicators.back().name != name)
      indicators.push_back({std::move(name), "", {}, {}});
    Indicator& indicator = indicators.back();
    indicator.periods.push_back(row.Text(1));
    indicator.values.push_back(ParseValue(row.Text(2)).value_or(0));
    if (std::string unit = row.Text(3); !unit.empty())
      indicator.unit = std::move(unit);  // the latest period's unit
  });
  if (!read)
    return tl::unexpected(read.error());
  return indicators;
}

Result<std::optional<Correlation>> StatsService::Correlate(const CorrelationQuery& query,
                                                           int64_t now_ms) {
  auto all = Indicators();
  if (!all)
    return tl::unexpected(all.error());
  auto indicator = std::find_if(all->begin(), all->end(), [&](const Indicator& item) {
    return item.name == query.indicator;
  });
  if (indicator == all->end())
    return std::optional<Correlation>();

  // The indicator by month: a monthly value as given, else the mean of the month's days.
  std::map<int64_t, double> monthly;
  std::map<int64_t, std::pair<double, int>> daily;
  for (size_t i = 0; i < indicator->periods.size(); ++i) {
    const std::string& period = indicator->periods[i];
    if (auto month = ParseMonth(period)) {
      monthly[*month] = indicator->values[i];
    } else if (auto day = ParseDay(period)) {
      auto& [sum, days] = daily[MonthOfDay(*day)];
      sum += indicator->values[i];
      ++days;
    }
  }
  for (const auto& [month, tally] : daily)
    monthly.try_emplace(month, tally.first / tally.second);

  const int max_lag = std::clamp(query.max_lag, 0, kMaxLagMonths);
  // Freight by month over the months the lags reach, where the platform has data: from the
  // month of the first recorded passage up to the current month.
  std::map<int64_t, double> freight;
  if (!monthly.empty()) {
    std::optional<int64_t> first_passage_ms;
    {
      std::lock_guard lock(mutex_);
      auto has = database_->Prepare(
          "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'passages'");
      if (!has)
        return tl::unexpected(has.error());
      auto found = has->Step();
      if (!found)
        return tl::unexpected(found.error());
      if (*found) {
        auto first = database_->Prepare("SELECT MIN(time_ms) FROM passages");
        if (!first)
          return tl::unexpected(first.error());
        auto stepped = first->Step();
        if (!stepped)
          return tl::unexpected(stepped.error());
        if (*stepped)
          first_passage_ms = first->OptionalInt(0);
      }
    }
    if (first_passage_ms) {
      const int64_t lo =
          std::max(monthly.begin()->first - max_lag, MonthOfDay(ChinaDay(*first_passage_ms)));
      const int64_t hi = std::min(monthly.rbegin()->first + max_lag, MonthOfDay(ChinaDay(now_ms)));
      // One freight report per year-long slice (a report covers at most 366 days).
      for (int64_t month = lo; month <= hi; month += 12) {
        FreightQuery slice;
        slice.from_day = FirstDayOfMonth(month);
        slice.to_day = FirstDayOfMonth(std::min(month + 12, hi + 1)) - 1;
        slice.vehicle_class = query.vehicle_class;
        slice.cargo_category = query.cargo_category;
        auto report = Freight(slice);
        if (!report)
          return tl::unexpected(report.error());
        const size_t series = query.series == FreightSeries::kEntries ? 0
                              : query.series == FreightSeries::kExits ? 1
                                                                      : 3;
        for (int64_t m = month; m <= std::min(month + 11, hi); ++m)
          freight[m] = 0;
        for (size_t day = 0; day < report->periods.size(); ++day) {
          const int64_t m = MonthOfDay(slice.from_day + static_cast<int64_t>(day));
          freight[m] += report->series[series].values[day].value_or(0);
        }
      }
    }
  }

  Correlation result;
  result.indicator = indicator->name;
  result.series = query.series;
  for (const auto& [month, value] : monthly) {
    result.periods.push_back(MonthLabel(month));
    result.indicator_values.emplace_back(value);
    auto found = freight.find(month);
    result.freight_values.push_back(found == freight.end() ? std::nullopt
                                                           : std::optional<double>(found->second));
  }
  for (int lag = -max_lag; lag <= max_lag; ++lag) {
    std::vector<double> x, y;
    for (const auto& [month, value] : monthly) {
      auto found = freight.find(month - lag);
      if (found == freight.end())
        continue;
      x.push_back(found->second);
      y.push_back(value);
    }
    LagCorrelation item{lag, std::nullopt, static_cast<int64_t>(x.size())};
    if (item.n >= kMinCorrelationPairs)
      item.r = PearsonR(x, y);
    result.lags.push_back(item);
    if (item.r && (!result.best || std::abs(*item.r) > std::abs(*result.best->r) + 1e-12 ||
                   (std::abs(std::abs(*item.r) - std::abs(*result.best->r)) <= 1e-12 &&
                    std::abs(lag) < std::abs(result.best->lag))))
      result.best = item;
  }
  result.reading = Reading(result.best, result.lags);
  return std::optional<Correlation>(std::move(result));
}

}  // namespace baotong::stats
