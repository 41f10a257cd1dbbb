#include "common/china_time.h"

#include <chrono>
#include <cstdio>

namespace baotong {

std::string FormatChinaTime(int64_t utc_ms) {
  using namespace std::chrono;
  const sys_time<milliseconds> local{milliseconds{utc_ms + kChinaUtcOffsetMs}};
  const auto day_point = floor<days>(local);
  const year_month_day date{day_point};
  const hh_mm_ss time{floor<seconds>(local - day_point)};
  char text[40];
  std::snprintf(text, sizeof text, "%04d-%02u-%02uT%02ld:%02ld:%02ld+08:00",
                static_cast<int>(date.year()), static_cast<unsigned>(date.month()),
                static_cast<unsigned>(date.day()), static_cast<long>(time.hours().count()),
                static_cast<long>(time.minutes().count()),
                static_cast<long>(time.seconds().count()));
  return text;
}

}  // namespace baotong
