// Times for people: UTC epoch milliseconds shown in China Standard Time (UTC+8), the zone of
// every user of the platform and of JT/T 808's BCD times.
#pragma once

#include <cstdint>
#include <string>

namespace baotong {

inline constexpr int64_t kChinaUtcOffsetMs = 8 * 3600 * 1000;

// ISO 8601 with offset, whole seconds: "2022-04-20T08:50:00+08:00".
std::string FormatChinaTime(int64_t utc_ms);

}  // namespace baotong
