#include "protocol/jt808/frame.h"

#include <cstring>

namespace baotong::jt808 {

uint8_t Checksum(ByteSpan bytes) {
  // Eight bytes at a time, then fold: XOR does not care how the bytes are grouped.
  uint64_t wide = 0;
  size_t pos = 0;
  for (; pos + 8 <= bytes.size(); pos += 8) {
    uint64_t word;
    std::memcpy(&word, bytes.data() + pos, 8);
    wide ^= word;
  }
  wide ^= wide >> 32;
  wide ^= wide >> 16;
  wide ^= wide >> 8;
  auto sum = static_cast<uint8_t>(wide);
  for (; pos < bytes.size(); ++pos)
    sum ^= bytes[pos];
  return sum;
}

Result<size_t> Unescape(ByteSpan escaped, std::span<uint8_t> out) {
  if (out.size() < escaped.size())
    return Fail(ErrorCode::kTooLong, "unescape buffer too small");
  const uint8_t* in = escaped.data();
  const size_t size = escaped.size();
  if (size == 0)
    return size_t{0};
  // Most frames hold neither flag nor escape: one branch-free scan (the compiler vectorises
  // it) and one memcpy. Otherwise copy up to the first special byte and go byte by byte, which
  // beats a memchr per escape when escapes are dense.
  uint8_t special = 0;
  for (size_t i = 0; i < size; ++i)
    special |= (in[i] == kFlag) | (in[i] == kEscape);
  size_t pos = size;
  if (special) {
    if (std::memchr(in, kFlag, size) != nullptr) {
      return Fail(ErrorCode::kBadEscape, "unescaped 0x7e inside a frame");
    }
    pos = static_cast<size_t>(static_cast<const uint8_t*>(std::memchr(in, kEscape, size)) - in);
  }
  std::memcpy(out.data(), in, pos);
  uint8_t* dest = out.data() + pos;
  while (pos < size) {
    uint8_t byte = in[pos++];
    if (byte != kEscape) {
      *dest++ = byte;
      continue;
    }
    if (pos == size) {
      *dest++ = kEscape;  // tolerated bare 0x7d check code at the very end
      break;
    }
    uint8_t next = in[pos++];
    if (next == 0x01) {
      *dest++ = kEscape;
    } else if (next == 0x02) {
      *dest++ = kFlag;
    } else {
      return Fail(ErrorCode::kBadEscape, "0x7d not followed by 0x01/0x02");
    }
  }
  return static_cast<size_t>(dest - out.data());
}

void AppendEscaped(ByteSpan raw, std::vector<uint8_t>& out) {
  for (uint8_t byte : raw) {
    if (byte == kFlag) {
      out.push_back(kEscape);
      out.push_back(0x02);
    } else if (byte == kEscape) {
      out.push_back(kEscape);
      out.push_back(0x01);
    } else {
      out.push_back(byte);
    }
  }
}

Result<FrameView> ParseFrame(ByteSpan unescaped, const FrameOptions& options) {
  Result<FrameView> frame{FrameView{}};  // built in place and returned without copies
  size_t header_size = 0;
  if (auto parsed = ParseHeader(unescaped, frame->header, header_size); !parsed)
    return tl::unexpected(parsed.error());
  ByteSpan checked = unescaped.first(unescaped.size() - 1);
  if (options.verify_checksum && Checksum(checked) != unescaped.back()) {
    return Fail(ErrorCode::kBadChecksum, "XOR of header and body differs from the check code");
  }
  frame->body = checked.subspan(header_size);
  return frame;
}

Result<FrameView> ParseEscapedFrame(ByteSpan escaped, std::span<uint8_t> scratch,
                                    const FrameOptions& options) {
  if (!escaped.empty() && escaped.front() == kFlag)
    escaped = escaped.subspan(1);
  if (!escaped.empty() && escaped.back() == kFlag)
    escaped = escaped.first(escaped.size() - 1);
  auto size = Unescape(escaped, scratch);
  if (!size)
    return tl::unexpected(size.error());
  return ParseFrame(ByteSpan(scratch.data(), *size), options);
}

Result<void> AppendFrame(const Header& header, ByteSpan body, std::vector<uint8_t>& scratch,
                         std::vector<uint8_t>& out) {
  scratch.clear();
  ByteWriter writer(scratch);
  if (auto written = EncodeHeader(header, body.size(), writer); !written)
    return written;
  writer.Bytes(body);
  writer.U8(Checksum(scratch));
  out.push_back(kFlag);
  AppendEscaped(scratch, out);
  out.push_back(kFlag);
  return {};
}

// No reservation up front: a gateway holds one splitter per connection, and most connections
// are idle between frames.
FrameSplitter::FrameSplitter(size_t max_frame_size) : max_frame_size_(max_frame_size) {}

}  // namespace baotong::jt808
