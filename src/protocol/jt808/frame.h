// JT/T 808 framing: 0x7e flags, 0x7d escaping, the XOR check code, and a splitter that turns
// arbitrary TCP chunks into frames.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "common/bytes.h"
#include "common/error.h"
#include "protocol/jt808/constants.h"
#include "protocol/jt808/header.h"

namespace baotong::jt808 {

inline constexpr uint8_t kFlag = 0x7e;
inline constexpr uint8_t kEscape = 0x7d;

// XOR of every byte.
uint8_t Checksum(ByteSpan bytes);

// Undoes 0x7d escaping of `escaped` (the bytes between the flags) into `out`, which must be at
// least as large. Returns the unescaped size. An unescaped 0x7d as the very last byte is kept
// as a literal 0x7d: some devices send their check code that way (reference §1).
Result<size_t> Unescape(ByteSpan escaped, std::span<uint8_t> out);

// Appends `raw` to `out` with 0x7e and 0x7d escaped; no flags.
void AppendEscaped(ByteSpan raw, std::vector<uint8_t>& out);

// A frame after unescaping and check-code verification: its header, and its body as a view
// into the caller's buffer.
struct FrameView {
  Header header;
  ByteSpan body;
};

struct FrameOptions {
  // Anonymised captures often carry stale check codes; tools may choose to read them anyway.
  bool verify_checksum = true;
};

// Parses an unescaped frame: header, body, check code (no flags).
Result<FrameView> ParseFrame(ByteSpan unescaped, const FrameOptions& options = {});

// Strips the flags if present, unescapes into `scratch`, and parses. `scratch` must hold at
// least the escaped size; the returned body points into it.
Result<FrameView> ParseEscapedFrame(ByteSpan escaped, std::span<uint8_t> scratch,
                                    const FrameOptions& options = {});

// Appends a whole frame, flags included, for `header` and an already encoded `body`. Fails as
// EncodeHeader does. `scratch` is reused between calls so that steady-state encoding does not
// allocate.
Result<void> AppendFrame(const Header& header, ByteSpan body, std::vector<uint8_t>& scratch,
                         std::vector<uint8_t>& out);

// Splits a TCP byte stream into unescaped frames. Feed it chunks as they arrive: a frame may
// be split across chunks, several may share one, and bytes outside frames are discarded and
// counted. The span handed to `on_frame` is valid only during the call.
//
// One flag can both end a frame and start the next, so garbage after a frame's end is handed
// on as a candidate frame; ParseFrame then rejects it. Frames over `max_frame_size` unescaped
// bytes and bad escapes are reported once each, and the splitter resynchronises on the next
// flag.
class FrameSplitter {
 public:
  explicit FrameSplitter(size_t max_frame_size = kMaxUnescapedFrame);

  // Calls on_frame(Result<ByteSpan>) for each frame or framing error completed by `chunk`.
  template <typename OnFrame>
  void Feed(ByteSpan chunk, OnFrame&& on_frame);

  // Bytes thrown away outside any frame (before the first flag, or after an error).
  uint64_t discarded_bytes() const { return discarded_bytes_; }
  // Bytes of the frame in progress; a caller may time out a peer that never finishes one.
  size_t pending_bytes() const { return buffer_.size(); }

 private:
  enum class State : uint8_t { kSeekingFlag, kInFrame, kAfterEscape };

  size_t max_frame_size_;
  State state_ = State::kSeekingFlag;
  std::vector<uint8_t> buffer_;
  uint64_t discarded_bytes_ = 0;
};

template <typename OnFrame>
void FrameSplitter::Feed(ByteSpan chunk, OnFrame&& on_frame) {
  for (uint8_t byte : chunk) {
    switch (state_) {
      case State::kSeekingFlag:
        if (byte == kFlag) {
          state_ = State::kInFrame;
        } else {
          ++discarded_bytes_;
        }
        break;
      case State::kAfterEscape:
        if (byte == 0x01 || byte == 0x02) {
          buffer_.push_back(byte == 0x01 ? kEscape : kFlag);
          state_ = State::kInFrame;
          break;
        }
        if (byte == kFlag) {
          // Unescaped 0x7d check code right before the end flag: keep it literally.
          buffer_.push_back(kEscape);
          on_frame(Result<ByteSpan>(ByteSpan(buffer_)));
          buffer_.clear();
          state_ = State::kInFrame;
          break;
        }
        discarded_bytes_ += buffer_.size() + 2;
        buffer_.clear();
        state_ = State::kSeekingFlag;
        on_frame(Result<ByteSpan>(Fail(ErrorCode::kBadEscape, "0x7d not followed by 0x01/0x02")));
        break;
      case State::kInFrame:
        if (byte == kFlag) {
          // An empty frame means two flags in a row: the second starts the next frame.
          if (!buffer_.empty()) {
            on_frame(Result<ByteSpan>(ByteSpan(buffer_)));
            buffer_.clear();
          }
          break;
        }
        if (buffer_.size() >= max_frame_size_) {
          discarded_bytes_ += buffer_.size() + 1;
          buffer_.clear();
          state_ = State::kSeekingFlag;
          on_frame(Result<ByteSpan>(Fail(ErrorCode::kFrameTooLong, "no end flag within limit")));
          break;
        }
        if (byte == kEscape) {
          state_ = State::kAfterEscape;
        } else {
          buffer_.push_back(byte);
        }
        break;
    }
  }
}

}  // namespace baotong::jt808
