// Wall-clock time as the platform stores it: UTC epoch milliseconds.
#pragma once

#include <chrono>
#include <cstdint>

namespace baotong {

inline int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace baotong
