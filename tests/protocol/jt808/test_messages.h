// Messages and frames shared by the JT/T 808 tests.
#pragma once

#include <vector>

#include "protocol/jt808/codec.h"

namespace baotong::jt808::testing {

inline Header TestHeader(uint16_t serial = 1, Version version = Version::k2013) {
  Header header;
  header.version = version;
  header.phone = *Phone::FromDigits(Is2019(version) ? "00000000013912345678" : "013912345678");
  header.serial = serial;
  return header;
}

// A typical report from a truck in Anshan: ACC on, positioned, three additional items.
inline LocationReport TypicalReport() {
  LocationReport report;
  report.alarm = 0;
  report.status = status_bit::kAccOn | status_bit::kPositioned | status_bit::kUsingBeidou;
  report.lat_e6 = 41'108'500;
  report.lon_e6 = 122'994'300;
  report.altitude_m = 25;
  report.speed_dkmh = 623;
  report.direction = 87;
  report.time_ms = 1'650'415'800'000;  // 2022-04-20 08:50:00 +08:00
  report.odometer_hm = 123'456;
  report.signal_strength = 27;
  report.satellites = 14;
  return report;
}

inline std::vector<uint8_t> EncodeFrame(const Header& header, const Message& message) {
  MessageEncoder encoder;
  std::vector<uint8_t> out;
  auto done = encoder.Encode(header, message, out);
  if (!done)
    throw std::runtime_error(done.error().Message());
  return out;
}

}  // namespace baotong::jt808::testing
