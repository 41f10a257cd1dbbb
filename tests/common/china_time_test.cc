#include "common/china_time.h"

#include <gtest/gtest.h>

namespace baotong {
namespace {

TEST(ChinaTime, FormatsInUtcPlusEight) {
  EXPECT_EQ(FormatChinaTime(1'650'415'800'000), "2022-04-20T08:50:00+08:00");
  // 2024-02-29 16:00 UTC is midnight in Anshan: the date moves on, past a leap day.
  EXPECT_EQ(FormatChinaTime(1'709'222'400'000), "2024-03-01T00:00:00+08:00");
  // Milliseconds are dropped, not rounded.
  EXPECT_EQ(FormatChinaTime(1'650'415'800'999), "2022-04-20T08:50:00+08:00");
}

}  // namespace
}  // namespace baotong
