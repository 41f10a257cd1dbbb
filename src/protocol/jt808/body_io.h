// Field helpers shared by the body codecs (internal to protocol/jt808).
#pragma once

#include <optional>
#include <string>

#include "common/bytes.h"
#include "common/error.h"
#include "common/gbk.h"

namespace baotong::jt808::detail {

// Reads `size` bytes of GBK text, dropping 0x00 padding. The standard pads on the right; some
// devices pad on the left, so both ends are trimmed.
inline Result<std::string> ReadFixedString(ByteReader& reader, size_t size) {
  ByteSpan bytes = reader.Bytes(size);
  if (!reader.ok())
    return Fail(ErrorCode::kTruncated, "body ends inside a string field");
  while (!bytes.empty() && bytes.back() == 0)
    bytes = bytes.first(bytes.size() - 1);
  while (!bytes.empty() && bytes.front() == 0)
    bytes = bytes.subspan(1);
  return GbkToUtf8(bytes);
}

// Reads the rest of the body as GBK text (trailing 0x00 dropped).
inline Result<std::string> ReadRestString(ByteReader& reader) {
  return ReadFixedString(reader, reader.remaining());
}

// Writes `utf8` as GBK into exactly `size` bytes, padded with 0x00 on the right.
inline Result<void> WriteFixedString(std::vector<uint8_t>& out, std::string_view utf8,
                                     size_t size) {
  size_t start = out.size();
  if (auto done = AppendUtf8AsGbk(utf8, out); !done)
    return done;
  if (out.size() - start > size) {
    out.resize(start);
    return Fail(ErrorCode::kTooLong, "text longer than its fixed-width field");
  }
  out.resize(start + size, 0);
  return {};
}

// Writes GBK text preceded by its length as a BYTE (`width` 1) or WORD (`width` 2).
inline Result<void> WriteLengthPrefixedString(std::vector<uint8_t>& out, std::string_view utf8,
                                              size_t width) {
  size_t length_at = out.size();
  out.resize(out.size() + width, 0);
  if (auto done = AppendUtf8AsGbk(utf8, out); !done)
    return done;
  size_t length = out.size() - length_at - width;
  size_t limit = width == 1 ? 0xff : 0xffff;
  if (length > limit)
    return Fail(ErrorCode::kTooLong, "text longer than its length field");
  if (width == 1) {
    out[length_at] = static_cast<uint8_t>(length);
  } else {
    ByteWriter(out).PatchU16(length_at, static_cast<uint16_t>(length));
  }
  return {};
}

inline Result<std::string> ReadLengthPrefixedString(ByteReader& reader, size_t width) {
  size_t length = width == 1 ? reader.U8() : reader.U16();
  if (!reader.ok())
    return Fail(ErrorCode::kTruncated, "body ends before a string length");
  return ReadFixedString(reader, length);
}

}  // namespace baotong::jt808::detail
