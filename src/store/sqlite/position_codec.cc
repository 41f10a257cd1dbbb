#include "store/sqlite/position_codec.h"

#include <limits>

namespace baotong::store {
namespace {

constexpr uint8_t kFormatVersion = 1;

void PutVarint(uint64_t value, std::string& out) {
  while (value >= 0x80) {
    out.push_back(static_cast<char>((value & 0x7f) | 0x80));
    value >>= 7;
  }
  out.push_back(static_cast<char>(value));
}

// Zigzag of a two's complement difference computed with wrap-around, so that no input can
// overflow a signed type.
uint64_t ZigzagDelta(int64_t value, int64_t previous) {
  const uint64_t delta = static_cast<uint64_t>(value) - static_cast<uint64_t>(previous);
  return (delta << 1) ^ (0 - (delta >> 63));
}

int64_t UnZigzagAdd(uint64_t zigzag, int64_t previous) {
  const uint64_t delta = (zigzag >> 1) ^ (0 - (zigzag & 1));
  return static_cast<int64_t>(static_cast<uint64_t>(previous) + delta);
}

class Reader {
 public:
  explicit Reader(std::span<const uint8_t> data) : data_(data) {}

  Result<uint64_t> Varint() {
    uint64_t value = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (pos_ >= data_.size()) {
        return Fail(ErrorCode::kTruncated, "position chunk ends inside a varint");
      }
      const uint8_t byte = data_[pos_++];
      value |= static_cast<uint64_t>(byte & 0x7f) << shift;
      if ((byte & 0x80) == 0) {
        return value;
      }
    }
    return Fail(ErrorCode::kBadValue, "position chunk varint longer than 10 bytes");
  }

  // The next value as previous + zigzag delta, required to lie in [lo, hi].
  Result<int64_t> Delta(int64_t previous, int64_t lo, int64_t hi) {
    auto zigzag = Varint();
    if (!zigzag) {
      return tl::unexpected(zigzag.error());
    }
    const int64_t value = UnZigzagAdd(*zigzag, previous);
    if (value < lo || value > hi) {
      return Fail(ErrorCode::kBadValue, "position chunk field out of range");
    }
    return value;
  }

  Result<std::span<const uint8_t>> Bytes(uint64_t size) {
    if (size > data_.size() - pos_) {
      return Fail(ErrorCode::kTruncated, "position chunk ends inside extras");
    }
    auto bytes = data_.subspan(pos_, static_cast<size_t>(size));
    pos_ += static_cast<size_t>(size);
    return bytes;
  }

  bool AtEnd() const { return pos_ == data_.size(); }
  size_t Remaining() const { return data_.size() - pos_; }

 private:
  std::span<const uint8_t> data_;
  size_t pos_ = 0;
};

// The fields the next position is encoded relative to (everything but terminal and extras).
void CopyScalars(const model::Position& from, model::Position& to) {
  to.device_time_ms = from.device_time_ms;
  to.serial = from.serial;
  to.alarm = from.alarm;
  to.status = from.status;
  to.lat_e6 = from.lat_e6;
  to.lon_e6 = from.lon_e6;
  to.altitude_m = from.altitude_m;
  to.speed_dkmh = from.speed_dkmh;
  to.direction = from.direction;
}

constexpr int64_t kI64Min = std::numeric_limits<int64_t>::min();
constexpr int64_t kI64Max = std::numeric_limits<int64_t>::max();
constexpr int64_t kI32Min = std::numeric_limits<int32_t>::min();
constexpr int64_t kI32Max = std::numeric_limits<int32_t>::max();
constexpr int64_t kU16Max = std::numeric_limits<uint16_t>::max();
constexpr uint64_t kU32Max = std::numeric_limits<uint32_t>::max();

}  // namespace

void EncodePositions(std::span<const model::Position* const> positions, std::string& out) {
  out.push_back(static_cast<char>(kFormatVersion));
  PutVarint(positions.size(), out);
  model::Position previous;
  for (const model::Position* position : positions) {
    const model::Position& p = *position;
    PutVarint(ZigzagDelta(p.device_time_ms, previous.device_time_ms), out);
    const auto serial_delta =
        static_cast<int16_t>(static_cast<uint16_t>(p.serial - previous.serial));
    PutVarint(ZigzagDelta(serial_delta, 0), out);
    PutVarint(ZigzagDelta(p.receive_time_ms, p.device_time_ms), out);
    PutVarint(p.alarm ^ previous.alarm, out);
    PutVarint(p.status ^ previous.status, out);
    PutVarint(ZigzagDelta(p.lat_e6, previous.lat_e6), out);
    PutVarint(ZigzagDelta(p.lon_e6, previous.lon_e6), out);
    PutVarint(ZigzagDelta(p.altitude_m, previous.altitude_m), out);
    PutVarint(ZigzagDelta(p.speed_dkmh, previous.speed_dkmh), out);
    PutVarint(ZigzagDelta(p.direction, previous.direction), out);
    PutVarint(p.extras.size(), out);
    out.append(reinterpret_cast<const char*>(p.extras.data()), p.extras.size());
    CopyScalars(p, previous);
  }
}

Result<void> DecodePositions(std::span<const uint8_t> blob, std::string_view terminal,
                             std::vector<model::Position>& out) {
  Reader reader(blob);
  if (blob.empty()) {
    return Fail(ErrorCode::kTruncated, "empty position chunk");
  }
  auto version = reader.Bytes(1);
  if ((*version)[0] != kFormatVersion) {
    return Fail(ErrorCode::kUnknownVersion, "position chunk format version unknown");
  }
  auto count = reader.Varint();
  if (!count) {
    return tl::unexpected(count.error());
  }
  // Every position takes at least 11 bytes; a larger count is damage, not a reason to reserve.
  if (*count > reader.Remaining() / 11) {
    return Fail(ErrorCode::kBadValue, "position chunk count exceeds its size");
  }
  out.reserve(out.size() + static_cast<size_t>(*count));
  model::Position previous;
#define BAOTONG_TRY_ASSIGN(target, expr)        \
  do {                                          \
    auto try_value = (expr);                    \
    if (!try_value) {                           \
      return tl::unexpected(try_value.error()); \
    }                                           \
    target = *try_value;                        \
  } while (false)
  for (uint64_t i = 0; i < *count; ++i) {
    model::Position p;
    p.terminal = terminal;
    int64_t value = 0;
    BAOTONG_TRY_ASSIGN(p.device_time_ms, reader.Delta(previous.device_time_ms, kI64Min, kI64Max));
    BAOTONG_TRY_ASSIGN(value, reader.Delta(0, std::numeric_limits<int16_t>::min(),
                                           std::numeric_limits<int16_t>::max()));
    p.serial = static_cast<uint16_t>(previous.serial + static_cast<uint16_t>(value));
    BAOTONG_TRY_ASSIGN(p.receive_time_ms, reader.Delta(p.device_time_ms, kI64Min, kI64Max));
    uint64_t bits = 0;
    BAOTONG_TRY_ASSIGN(bits, reader.Varint());
    if (bits > kU32Max) {
      return Fail(ErrorCode::kBadValue, "position chunk alarm out of range");
    }
    p.alarm = previous.alarm ^ static_cast<uint32_t>(bits);
    BAOTONG_TRY_ASSIGN(bits, reader.Varint());
    if (bits > kU32Max) {
      return Fail(ErrorCode::kBadValue, "position chunk status out of range");
    }
    p.status = previous.status ^ static_cast<uint32_t>(bits);
    BAOTONG_TRY_ASSIGN(value, reader.Delta(previous.lat_e6, kI32Min, kI32Max));
    p.lat_e6 = static_cast<int32_t>(value);
    BAOTONG_TRY_ASSIGN(value, reader.Delta(previous.lon_e6, kI32Min, kI32Max));
    p.lon_e6 = static_cast<int32_t>(value);
    BAOTONG_TRY_ASSIGN(value, reader.Delta(previous.altitude_m, 0, kU16Max));
    p.altitude_m = static_cast<uint16_t>(value);
    BAOTONG_TRY_ASSIGN(value, reader.Delta(previous.speed_dkmh, 0, kU16Max));
    p.speed_dkmh = static_cast<uint16_t>(value);
    BAOTONG_TRY_ASSIGN(value, reader.Delta(previous.direction, 0, kU16Max));
    p.direction = static_cast<uint16_t>(value);
    BAOTONG_TRY_ASSIGN(bits, reader.Varint());
    std::span<const uint8_t> extras;
    BAOTONG_TRY_ASSIGN(extras, reader.Bytes(bits));
    p.extras.assign(extras.begin(), extras.end());
    CopyScalars(p, previous);
    out.push_back(std::move(p));
  }
#undef BAOTONG_TRY_ASSIGN
  if (!reader.AtEnd()) {
    return Fail(ErrorCode::kBadValue, "position chunk has bytes after its last position");
  }
  return {};
}

}  // namespace baotong::store
