#include "app/jt808_command.h"

#include "app/jt808_json.h"
#include "common/hex.h"
#include "protocol/jt808/frame.h"
#include "protocol/jt808/reassembler.h"

namespace baotong::app {
namespace {

void PrintError(const Error& error, std::ostream& out) {
  out << Json{{"error", error.Message()}}.dump() << '\n';
}

}  // namespace

int RunJt808Decode(const std::vector<std::string>& hex_frames, const Jt808DecodeOptions& options,
                   std::ostream& out) {
  jt808::FrameOptions frame_options;
  frame_options.verify_checksum = options.verify_checksum;
  jt808::Reassembler reassembler;
  bool all_ok = true;
  auto fail = [&](const Error& error) {
    PrintError(error, out);
    all_ok = false;
  };

  for (const std::string& text : hex_frames) {
    auto bytes = ParseHex(text);
    if (!bytes) {
      fail(bytes.error());
      continue;
    }
    // Operators often paste a frame without its flags.
    if (bytes->empty() || bytes->front() != jt808::kFlag)
      bytes->insert(bytes->begin(), jt808::kFlag);
    if (bytes->back() != jt808::kFlag || bytes->size() == 1)
      bytes->push_back(jt808::kFlag);

    jt808::FrameSplitter splitter;
    size_t frames_seen = 0;
    splitter.Feed(*bytes, [&](Result<ByteSpan> frame) {
      ++frames_seen;
      if (!frame)
        return fail(frame.error());
      auto parsed = jt808::ParseFrame(*frame, frame_options);
      if (!parsed)
        return fail(parsed.error());
      auto decoded = jt808::DecodeMessage(*parsed);
      if (!decoded)
        return fail(decoded.error());
      out << MessageToJson(*decoded).dump() << '\n';
      if (!parsed->header.subpackage)
        return;

      // Time does not matter to a one-shot tool; all packages arrive "at once".
      auto whole = reassembler.Add(parsed->header, parsed->body, /*now_ms=*/0);
      if (!whole)
        return fail(whole.error());
      if (!*whole)
        return;
      jt808::FrameView view{(*whole)->header, (*whole)->body};
      auto message = jt808::DecodeMessage(view);
      if (!message)
        return fail(message.error());
      Json json = MessageToJson(*message);
      json["reassembled_from_packages"] = parsed->header.subpackage->total;
      out << json.dump() << '\n';
    });
    if (frames_seen == 0)
      fail(Error{ErrorCode::kTruncated, "no frame in the input"});
  }
  return all_ok ? 0 : 1;
}

}  // namespace baotong::app
