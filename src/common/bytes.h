// Big-endian byte reading and writing for wire protocols.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace baotong {

using ByteSpan = std::span<const uint8_t>;

// Unchecked big-endian loads, for callers that have checked the length once for a whole
// fixed-size structure.
inline uint16_t LoadU16(const uint8_t* p) {
  return static_cast<uint16_t>((p[0] << 8) | p[1]);
}
inline uint32_t LoadU32(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | uint32_t{p[3]};
}

// Reads big-endian fields from a span. A read past the end returns zero (or an empty span)
// and leaves the reader failed; callers read a whole structure, then check ok() once.
class ByteReader {
 public:
  explicit ByteReader(ByteSpan data) : data_(data) {}

  bool ok() const { return ok_; }
  size_t remaining() const { return data_.size() - pos_; }
  size_t position() const { return pos_; }
  bool empty() const { return pos_ == data_.size(); }

  uint8_t U8() {
    if (!Need(1))
      return 0;
    return data_[pos_++];
  }
  uint16_t U16() {
    if (!Need(2))
      return 0;
    uint16_t value = LoadU16(data_.data() + pos_);
    pos_ += 2;
    return value;
  }
  uint32_t U32() {
    if (!Need(4))
      return 0;
    uint32_t value = LoadU32(data_.data() + pos_);
    pos_ += 4;
    return value;
  }
  ByteSpan Bytes(size_t count) {
    if (!Need(count))
      return {};
    ByteSpan out = data_.subspan(pos_, count);
    pos_ += count;
    return out;
  }
  ByteSpan Rest() { return Bytes(remaining()); }

 private:
  bool Need(size_t count) {
    if (!ok_ || count > data_.size() - pos_) {
      ok_ = false;
      return false;
    }
    return true;
  }

  ByteSpan data_;
  size_t pos_ = 0;
  bool ok_ = true;
};

// Appends big-endian fields to a vector the caller owns (and may reuse, to avoid allocation).
class ByteWriter {
 public:
  explicit ByteWriter(std::vector<uint8_t>& out) : out_(out) {}

  void U8(uint8_t value) { out_.push_back(value); }
  void U16(uint16_t value) {
    out_.push_back(static_cast<uint8_t>(value >> 8));
    out_.push_back(static_cast<uint8_t>(value));
  }
  void U32(uint32_t value) {
    U16(static_cast<uint16_t>(value >> 16));
    U16(static_cast<uint16_t>(value));
  }
  void Bytes(ByteSpan bytes) { out_.insert(out_.end(), bytes.begin(), bytes.end()); }
  void Zeros(size_t count) { out_.insert(out_.end(), count, uint8_t{0}); }
  size_t size() const { return out_.size(); }
  // Overwrites a WORD written earlier, e.g. a length known only after the body.
  void PatchU16(size_t offset, uint16_t value) {
    out_[offset] = static_cast<uint8_t>(value >> 8);
    out_[offset + 1] = static_cast<uint8_t>(value);
  }

 private:
  std::vector<uint8_t>& out_;
};

}  // namespace baotong
