// Calendar arithmetic in China local time (UTC+8, no DST) for the statistics, and the small
// numeric helpers they share (percentiles, Pearson's r). Days are counted from 1970-01-01
// (China calendar), so that a China day is (utc_ms + 8 h) / 24 h, floored.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace baotong::stats {

inline constexpr int64_t kDayMs = 24 * 3600 * 1000;

// The China calendar day of a UTC instant.
int64_t ChinaDay(int64_t utc_ms);
// UTC epoch ms of 00:00 China time on `day`.
int64_t DayStartMs(int64_t day);
// "2026-11-26" -> its day number; nullopt unless a real date in the form YYYY-MM-DD.
std::optional<int64_t> ParseDay(std::string_view text);
std::string DayLabel(int64_t day);  // "2026-11-26"
// The Monday on or before `day` (weeks start on Monday and are labelled by it).
int64_t WeekStart(int64_t day);

// Months counted as year * 12 + (month - 1).
int64_t MonthOfDay(int64_t day);
int64_t FirstDayOfMonth(int64_t month);
// "2026-11" -> its month number; nullopt unless YYYY-MM with a month 01-12.
std::optional<int64_t> ParseMonth(std::string_view text);
std::string MonthLabel(int64_t month);  // "2026-11"

// The p-th percentile (0-100) of `values` by linear interpolation between closest ranks (as
// spreadsheets' PERCENTILE.INC); nullopt when empty. `values` is sorted in place.
std::optional<double> Percentile(std::vector<double>& values, double p);

// Pearson's correlation coefficient of paired samples; nullopt with fewer than 2 pairs or
// when either side does not vary.
std::optional<double> PearsonR(std::span<const double> x, std::span<const double> y);

}  // namespace baotong::stats
