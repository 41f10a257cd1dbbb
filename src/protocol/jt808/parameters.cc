#include "protocol/jt808/parameters.h"

#include <algorithm>
#include <array>
#include <utility>

namespace baotong::jt808 {
namespace {

using Entry = std::pair<uint32_t, ParameterType>;
constexpr ParameterType B = ParameterType::kByte;
constexpr ParameterType W = ParameterType::kWord;
constexpr ParameterType D = ParameterType::kDword;
constexpr ParameterType S = ParameterType::kString;
constexpr ParameterType X = ParameterType::kBytes;

// Sorted by id for binary search.
constexpr std::array kParameterTypes = {
    Entry{0x0001, D},  // heartbeat interval, s
    Entry{0x0002, D},  // TCP reply timeout, s
    Entry{0x0003, D},  // TCP retransmissions
    Entry{0x0004, D},  // UDP reply timeout, s
    Entry{0x0005, D},  // UDP retransmissions
    Entry{0x0006, D},  // SMS reply timeout, s
    Entry{0x0007, D},  // SMS retransmissions
    Entry{0x0010, S},  // main server APN
    Entry{0x0011, S},  // main server dial-up user
    Entry{0x0012, S},  // main server dial-up password
    Entry{0x0013, S},  // main server address
    Entry{0x0014, S},  // backup server APN
    Entry{0x0015, S},  // backup server dial-up user
    Entry{0x0016, S},  // backup server dial-up password
    Entry{0x0017, S},  // backup server address
    Entry{0x0018, D},  // server TCP port (2013)
    Entry{0x0019, D},  // server UDP port (2013)
    Entry{0x001A, S},  // IC-card auth server address
    Entry{0x001B, D},  // IC-card auth server TCP port
    Entry{0x001C, D},  // IC-card auth server UDP port
    Entry{0x001D, S},  // IC-card auth backup server address
    Entry{0x0020, D},  // location report strategy
    Entry{0x0021, D},  // location report scheme
    Entry{0x0022, D},  // report interval, driver not logged in, s
    Entry{0x0023, S},  // 2019: slave server APN
    Entry{0x0024, S},  // 2019: slave server dial-up user
    Entry{0x0025, S},  // 2019: slave server dial-up password
    Entry{0x0026, S},  // 2019: slave server backup address
    Entry{0x0027, D},  // report interval asleep, s
    Entry{0x0028, D},  // report interval in emergency, s
    Entry{0x0029, D},  // default report interval, s
    Entry{0x002C, D},  // default report distance, m
    Entry{0x002D, D},  // report distance, driver not logged in, m
    Entry{0x002E, D},  // report distance asleep, m
    Entry{0x002F, D},  // report distance in emergency, m
    Entry{0x0030, D},  // corner retransmission angle, degrees
    Entry{0x0031, W},  // electronic fence radius, m
    Entry{0x0032, X},  // 2019: illegal driving period, BYTE[4]
    Entry{0x0040, S},  // monitoring platform phone
    Entry{0x0041, S},  // reset phone
    Entry{0x0042, S},  // factory reset phone
    Entry{0x0043, S},  // platform SMS phone
    Entry{0x0044, S},  // SMS text alarm phone
    Entry{0x0045, D},  // answering strategy
    Entry{0x0046, D},  // longest call per call, s
    Entry{0x0047, D},  // longest call per month, s
    Entry{0x0048, S},  // monitoring phone
    Entry{0x0049, S},  // supervision platform privileged SMS phone
    Entry{0x0050, D},  // alarm mask
    Entry{0x0051, D},  // alarm SMS switch
    Entry{0x0052, D},  // alarm photo switch
    Entry{0x0053, D},  // alarm photo storage flags
    Entry{0x0054, D},  // key alarm flags
    Entry{0x0055, D},  // maximum speed, km/h
    Entry{0x0056, D},  // overspeed duration, s
    Entry{0x0057, D},  // continuous driving time limit, s
    Entry{0x0058, D},  // daily cumulative driving time limit, s
    Entry{0x0059, D},  // minimum rest time, s
    Entry{0x005A, D},  // maximum parking time, s
    Entry{0x005B, W},  // overspeed pre-warning difference, 0.1 km/h
    Entry{0x005C, W},  // fatigue pre-warning difference, s
    Entry{0x005D, W},  // collision alarm settings
    Entry{0x005E, W},  // rollover alarm angle, degrees
    Entry{0x0064, D},  // timed photo control
    Entry{0x0065, D},  // distance photo control
    Entry{0x0070, D},  // image quality 1-10
    Entry{0x0071, D},  // brightness 0-255
    Entry{0x0072, D},  // contrast 0-127
    Entry{0x0073, D},  // saturation 0-127
    Entry{0x0074, D},  // chroma 0-255
    Entry{0x0080, D},  // odometer, 0.1 km
    Entry{0x0081, W},  // province id
    Entry{0x0082, W},  // city id
    Entry{0x0083, S},  // plate
    Entry{0x0084, B},  // plate colour
    Entry{0x0090, B},  // GNSS positioning mode
    Entry{0x0091, B},  // GNSS baud rate
    Entry{0x0092, B},  // GNSS detailed output frequency
    Entry{0x0093, D},  // GNSS detailed collection frequency, s
    Entry{0x0094, B},  // GNSS detailed upload mode
    Entry{0x0095, D},  // GNSS detailed upload setting
    Entry{0x0100, D},  // CAN channel 1 collection interval, ms
    Entry{0x0101, W},  // CAN channel 1 upload interval, s
    Entry{0x0102, D},  // CAN channel 2 collection interval, ms
    Entry{0x0103, W},  // CAN channel 2 upload interval, s
    Entry{0x0110, X},  // CAN bus id individual collection, BYTE[8]
};

constexpr bool SortedById() {
  for (size_t i = 1; i < kParameterTypes.size(); ++i) {
    if (kParameterTypes[i - 1].first >= kParameterTypes[i].first)
      return false;
  }
  return true;
}
static_assert(SortedById(), "kParameterTypes must be sorted by id");

}  // namespace

std::optional<ParameterType> ParameterTypeOf(uint32_t id) {
  auto it = std::lower_bound(kParameterTypes.begin(), kParameterTypes.end(), id,
                             [](const Entry& entry, uint32_t key) { return entry.first < key; });
  if (it == kParameterTypes.end() || it->first != id)
    return std::nullopt;
  return it->second;
}

Result<std::vector<Parameter>> ReadParameters(ByteReader& reader, size_t count) {
  // Each entry takes at least 5 bytes; refuse counts the body cannot hold before reserving.
  if (count * 5 > reader.remaining()) {
    return Fail(ErrorCode::kLengthMismatch, "parameter count exceeds the body");
  }
  std::vector<Parameter> parameters(count);
  for (Parameter& parameter : parameters) {
    parameter.id = reader.U32();
    uint8_t length = reader.U8();
    ByteSpan value = reader.Bytes(length);
    if (!reader.ok())
      return Fail(ErrorCode::kTruncated, "parameter runs past the body");
    parameter.value.assign(value.begin(), value.end());
  }
  return parameters;
}

Result<void> WriteParameters(const std::vector<Parameter>& parameters, std::vector<uint8_t>& out) {
  if (parameters.size() > 0xff)
    return Fail(ErrorCode::kTooLong, "at most 255 parameters");
  ByteWriter writer(out);
  writer.U8(static_cast<uint8_t>(parameters.size()));
  for (const Parameter& parameter : parameters) {
    if (parameter.value.size() > 0xff) {
      return Fail(ErrorCode::kTooLong, "parameter value over 255 bytes");
    }
    writer.U32(parameter.id);
    writer.U8(static_cast<uint8_t>(parameter.value.size()));
    writer.Bytes(parameter.value);
  }
  return {};
}

std::optional<uint32_t> ParameterInteger(const Parameter& parameter) {
  const auto& v = parameter.value;
  switch (v.size()) {
    case 1:
      return v[0];
    case 2:
      return static_cast<uint32_t>((v[0] << 8) | v[1]);
    case 4:
      return (uint32_t{v[0]} << 24) | (uint32_t{v[1]} << 16) | (uint32_t{v[2]} << 8) |
             uint32_t{v[3]};
    default:
      return std::nullopt;
  }
}

Parameter DwordParameter(uint32_t id, uint32_t value) {
  Parameter parameter{id, {}};
  ByteWriter(parameter.value).U32(value);
  return parameter;
}

}  // namespace baotong::jt808
