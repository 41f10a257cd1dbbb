// Encoding and decoding of message bodies and whole messages.
#pragma once

#include <cstdint>
#include <vector>

#include "common/bytes.h"
#include "common/error.h"
#include "protocol/jt808/frame.h"
#include "protocol/jt808/header.h"
#include "protocol/jt808/messages.h"

namespace baotong::jt808 {

// Decodes the body of a complete message (a reassembled one if it came in subpackages).
// Unknown message ids come back as RawMessage. For 0x0100, k2011 reads the 2011 layout; k2013
// reads 2013 unless the body is too short for it, and then sets `version` to k2011.
Result<Message> DecodeBody(uint16_t msg_id, Version& version, ByteSpan body);

// The gateway's hot path: decodes a 0x0200 body into `out`, reusing its storage.
Result<void> DecodeLocationReport(ByteSpan body, LocationReport& out);

// Appends the body of `message` as `version` lays it out.
Result<void> EncodeBody(const Message& message, Version version, std::vector<uint8_t>& out);

struct DecodedMessage {
  Header header;
  Message message;
};

// Decodes the body of a parsed frame. A subpackage other than a complete message is returned
// as RawMessage holding that package's bytes; feed it to a Reassembler instead.
Result<DecodedMessage> DecodeMessage(const FrameView& frame);

// Encodes `message` as one frame, flags included, appended to `out`. The header's msg_id is
// taken from the message. Bodies over 1023 bytes fail: use EncodeSubpackaged.
class MessageEncoder {
 public:
  Result<void> Encode(Header header, const Message& message, std::vector<uint8_t>& out);

  // Splits the body into packages of at most `max_package_body` bytes, each its own frame with
  // consecutive serials starting at header.serial. Returns the frames.
  Result<std::vector<std::vector<uint8_t>>> EncodeSubpackaged(
      Header header, const Message& message, size_t max_package_body = kMaxBodyLength);

 private:
  std::vector<uint8_t> body_;
  std::vector<uint8_t> frame_scratch_;
};

}  // namespace baotong::jt808
