// Fuzzes what a terminal's TCP stream reaches: the frame splitter, the frame parser and the
// message decoder, in the chunking a network might produce. A message that decodes and encodes
// again must decode to the same message; anything else (a crash, UB, a leak, a mismatch) is a
// finding.
#include <cstdio>
#include <cstdlib>

#include "protocol/jt808/codec.h"
#include "protocol/jt808/reassembler.h"

using namespace baotong;
using namespace baotong::jt808;

namespace {

void CheckRoundTrip(const DecodedMessage& decoded) {
  MessageEncoder encoder;
  std::vector<uint8_t> frame;
  // Some decoded values cannot be written back (GB18030-only characters, bodies a re-encoding
  // makes longer); those are not findings.
  if (!encoder.Encode(decoded.header, decoded.message, frame))
    return;
  std::vector<uint8_t> scratch(frame.size());
  auto view = ParseEscapedFrame(frame, scratch);
  if (!view) {
    std::fprintf(stderr, "re-encoded frame does not parse: %s\n", view.error().Message().c_str());
    std::abort();
  }
  auto again = DecodeMessage(*view);
  if (!again || !(again->message == decoded.message)) {
    std::fprintf(stderr, "round trip changed message 0x%04x\n", decoded.header.msg_id);
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1)
    return 0;
  // The first byte picks the TCP chunk size, so splits land everywhere, escapes included.
  const size_t chunk = 1 + data[0] % 64;
  ByteSpan stream(data + 1, size - 1);

  FrameSplitter splitter(/*max_frame_size=*/2048);
  Reassembler reassembler(ReassemblyLimits{.max_groups = 4, .max_bytes = 16 * 1024});
  int64_t now_ms = 0;
  for (size_t pos = 0; pos < stream.size(); pos += chunk) {
    ByteSpan piece = stream.subspan(pos, std::min(chunk, stream.size() - pos));
    splitter.Feed(piece, [&](Result<ByteSpan> frame) {
      if (!frame)
        return;
      for (bool verify : {true, false}) {
        auto view = ParseFrame(*frame, FrameOptions{.verify_checksum = verify});
        if (!view)
          continue;
        auto decoded = DecodeMessage(*view);
        if (decoded)
          CheckRoundTrip(*decoded);
        if (verify && view->header.subpackage) {
          auto whole = reassembler.Add(view->header, view->body, now_ms);
          if (whole && *whole) {
            auto message = DecodeMessage(FrameView{(*whole)->header, (*whole)->body});
            if (message)
              CheckRoundTrip(*message);
          }
        }
      }
    });
    now_ms += 10'000;
    reassembler.Poll(now_ms);
  }
  return 0;
}
