#include "protocol/jt808/frame.h"

namespace baotong::jt808 {

uint8_t Checksum(ByteSpan bytes) {
  uint8_t sum = 0;
  for (uint8_t byte : bytes) sum ^= byte;
  return sum;
}

Result<size_t> Unescape(ByteSpan escaped, std::span<uint8_t> out) {
  if (out.size() < escaped.size()) return Fail(ErrorCode::kTooLong, "unescape buffer too small");
  size_t written = 0;
  const size_t size = escaped.size();
  for (size_t i = 0; i < size; ++i) {
    uint8_t byte = escaped[i];
    if (byte == kEscape) {
      if (i + 1 == size) {
        out[written++] = byte;  // tolerated literal 0x7d check code
        break;
      }
      uint8_t next = escaped[++i];
      if (next == 0x01) {
        out[written++] = kEscape;
      } else if (next == 0x02) {
        out[written++] = kFlag;
      } else {
        return Fail(ErrorCode::kBadEscape, "0x7d not followed by 0x01/0x02");
      }
    } else if (byte == kFlag) {
      return Fail(ErrorCode::kBadEscape, "unescaped 0x7e inside a frame");
    } else {
      out[written++] = byte;
    }
  }
  return written;
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
  size_t header_size = 0;
  auto header = DecodeHeader(unescaped, header_size);
  if (!header) return tl::unexpected(header.error());
  ByteSpan checked = unescaped.first(unescaped.size() - 1);
  if (options.verify_checksum && Checksum(checked) != unescaped.back()) {
    return Fail(ErrorCode::kBadChecksum, "XOR of header and body differs from the check code");
  }
  return FrameView{*header, checked.subspan(header_size)};
}

Result<FrameView> ParseEscapedFrame(ByteSpan escaped, std::span<uint8_t> scratch,
                                    const FrameOptions& options) {
  if (!escaped.empty() && escaped.front() == kFlag) escaped = escaped.subspan(1);
  if (!escaped.empty() && escaped.back() == kFlag) escaped = escaped.first(escaped.size() - 1);
  auto size = Unescape(escaped, scratch);
  if (!size) return tl::unexpected(size.error());
  return ParseFrame(ByteSpan(scratch.data(), *size), options);
}

Result<void> AppendFrame(const Header& header, ByteSpan body, std::vector<uint8_t>& scratch,
                         std::vector<uint8_t>& out) {
  scratch.clear();
  ByteWriter writer(scratch);
  if (auto written = EncodeHeader(header, body.size(), writer); !written) return written;
  writer.Bytes(body);
  writer.U8(Checksum(scratch));
  out.push_back(kFlag);
  AppendEscaped(scratch, out);
  out.push_back(kFlag);
  return {};
}

FrameSplitter::FrameSplitter(size_t max_frame_size) : max_frame_size_(max_frame_size) {
  buffer_.reserve(max_frame_size_);
}

}  // namespace baotong::jt808
