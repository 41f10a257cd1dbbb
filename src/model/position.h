// One position of one terminal, as the platform keeps it: the domain's vocabulary, with no
// wire types and no I/O.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace baotong::model {

struct Position {
  std::string terminal;         // the terminal's phone number, every BCD digit (canonical key)
  uint16_t serial = 0;          // message serial it arrived under; with device_time_ms, the
                                // deduplication key for resends
  int64_t device_time_ms = 0;   // UTC epoch ms from the terminal; 0 when it sent no time
  int64_t receive_time_ms = 0;  // UTC epoch ms when the gateway decoded it
  uint32_t alarm = 0;           // JT/T 808 alarm flags
  uint32_t status = 0;          // JT/T 808 status flags
  int32_t lat_e6 = 0;           // WGS-84, 1e-6 degrees, negative south
  int32_t lon_e6 = 0;           // WGS-84, 1e-6 degrees, negative west
  uint16_t altitude_m = 0;
  uint16_t speed_dkmh = 0;      // 0.1 km/h
  uint16_t direction = 0;       // degrees from north
  std::vector<uint8_t> extras;  // the additional items exactly as received (id, length, value)*

  bool operator==(const Position&) const = default;
};

// The identity of a stored position; a terminal's resend of the same report has the same key.
struct PositionKey {
  std::string terminal;
  uint16_t serial = 0;
  int64_t device_time_ms = 0;
  bool operator==(const PositionKey&) const = default;
};

inline PositionKey KeyOf(const Position& position) {
  return {position.terminal, position.serial, position.device_time_ms};
}

}  // namespace baotong::model
