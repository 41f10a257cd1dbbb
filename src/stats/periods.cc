#include "stats/periods.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>

#include "common/china_time.h"

namespace baotong::stats {
namespace {

int64_t FloorDiv(int64_t a, int64_t b) {
  return a / b - ((a % b != 0) && ((a < 0) != (b < 0)) ? 1 : 0);
}

// Howard Hinnant's days_from_civil / civil_from_days (proleptic Gregorian).
int64_t DaysFromCivil(int64_t y, int64_t m, int64_t d) {
  y -= m <= 2 ? 1 : 0;
  const int64_t era = FloorDiv(y, 400);
  const int64_t yoe = y - era * 400;
  const int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

struct Civil {
  int64_t year, month, day;
};

Civil CivilFromDays(int64_t z) {
  z += 719468;
  const int64_t era = FloorDiv(z, 146097);
  const int64_t doe = z - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  const int64_t d = doy - (153 * mp + 2) / 5 + 1;
  const int64_t m = mp + (mp < 10 ? 3 : -9);
  return {yoe + era * 400 + (m <= 2 ? 1 : 0), m, d};
}

std::optional<int> Digits(std::string_view text) {
  int value = 0;
  for (char c : text) {
    if (c < '0' || c > '9')
      return std::nullopt;
    value = value * 10 + (c - '0');
  }
  return value;
}

}  // namespace

int64_t ChinaDay(int64_t utc_ms) {
  return FloorDiv(utc_ms + kChinaUtcOffsetMs, kDayMs);
}

int64_t DayStartMs(int64_t day) {
  return day * kDayMs - kChinaUtcOffsetMs;
}

std::optional<int64_t> ParseDay(std::string_view text) {
  if (text.size() != 10 || text[4] != '-' || text[7] != '-')
    return std::nullopt;
  auto year = Digits(text.substr(0, 4));
  auto month = Digits(text.substr(5, 2));
  auto day = Digits(text.substr(8, 2));
  if (!year || !month || !day || *year < 1970 || *month < 1 || *month > 12 || *day < 1)
    return std::nullopt;
  const int64_t number = DaysFromCivil(*year, *month, *day);
  if (CivilFromDays(number).month != *month)  // 2026-02-30 rolls over
    return std::nullopt;
  return number;
}

std::string DayLabel(int64_t day) {
  const Civil civil = CivilFromDays(day);
  char text[16];
  std::snprintf(text, sizeof text, "%04d-%02d-%02d", static_cast<int>(civil.year),
                static_cast<int>(civil.month), static_cast<int>(civil.day));
  return text;
}

int64_t WeekStart(int64_t day) {
  // 1970-01-01 was a Thursday: (day + 3) mod 7 counts days since Monday.
  return day - ((day + 3) % 7 + 7) % 7;
}

int64_t MonthOfDay(int64_t day) {
  const Civil civil = CivilFromDays(day);
  return civil.year * 12 + civil.month - 1;
}

int64_t FirstDayOfMonth(int64_t month) {
  return DaysFromCivil(FloorDiv(month, 12), month - FloorDiv(month, 12) * 12 + 1, 1);
}

std::optional<int64_t> ParseMonth(std::string_view text) {
  if (text.size() != 7 || text[4] != '-')
    return std::nullopt;
  auto year = Digits(text.substr(0, 4));
  auto month = Digits(text.substr(5, 2));
  if (!year || !month || *year < 1970 || *month < 1 || *month > 12)
    return std::nullopt;
  return int64_t{*year} * 12 + *month - 1;
}

std::string MonthLabel(int64_t month) {
  char text[16];
  std::snprintf(text, sizeof text, "%04d-%02d", static_cast<int>(FloorDiv(month, 12)),
                static_cast<int>(month - FloorDiv(month, 12) * 12 + 1));
  return text;
}

std::optional<double> Percentile(std::vector<double>& values, double p) {
  if (values.empty())
    return std::nullopt;
  std::sort(values.begin(), values.end());
  const double rank = p / 100.0 * static_cast<double>(values.size() - 1);
  const auto lower = static_cast<size_t>(std::floor(rank));
  const size_t upper = std::min(lower + 1, values.size() - 1);
  const double fraction = rank - static_cast<double>(lower);
  return values[lower] + (values[upper] - values[lower]) * fraction;
}

std::optional<double> PearsonR(std::span<const double> x, std::span<const double> y) {
  const size_t n = std::min(x.size(), y.size());
  if (n < 2)
    return std::nullopt;
  double mean_x = 0, mean_y = 0;
  for (size_t i = 0; i < n; ++i) {
    mean_x += x[i];
    mean_y += y[i];
  }
  mean_x /= static_cast<double>(n);
  mean_y /= static_cast<double>(n);
  double sxy = 0, sxx = 0, syy = 0;
  for (size_t i = 0; i < n; ++i) {
    sxy += (x[i] - mean_x) * (y[i] - mean_y);
    sxx += (x[i] - mean_x) * (x[i] - mean_x);
    syy += (y[i] - mean_y) * (y[i] - mean_y);
  }
  if (sxx <= 0 || syy <= 0)
    return std::nullopt;
  return sxy / std::sqrt(sxx * syy);
}

}  // namespace baotong::stats
