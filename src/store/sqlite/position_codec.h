// Compact binary encoding of one terminal's positions, used for the chunk rows of the SQLite
// store (and the latest_positions rows). The terminal is not encoded: the row says whose
// positions they are.
//
// Layout (format version 1): u8 version, varint count, then per position, each field relative
// to the previous position of the chunk (the first relative to all-zero):
//   zigzag varint  device_time_ms delta
//   zigzag varint  serial delta (mod 2^16, as int16)
//   zigzag varint  receive_time_ms - device_time_ms
//   varint         alarm XOR previous alarm
//   varint         status XOR previous status
//   zigzag varint  lat_e6, lon_e6, altitude_m, speed_dkmh, direction deltas
//   varint         extras length, then the extras bytes
// A typical report of a moving truck takes about 14 bytes plus its extras.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"
#include "model/position.h"

namespace baotong::store {

// Appends the encoding of `positions` (in the order given) to `out`.
void EncodePositions(std::span<const model::Position* const> positions, std::string& out);

// Decodes a blob written by EncodePositions, appending to `out` with `terminal` set on each
// position. Fails with kTruncated or kBadValue on a damaged blob (and leaves `out` with
// whatever was decoded before the damage).
Result<void> DecodePositions(std::span<const uint8_t> blob, std::string_view terminal,
                             std::vector<model::Position>& out);

}  // namespace baotong::store
