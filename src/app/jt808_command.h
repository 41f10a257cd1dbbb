// `baotong jt808 decode`: paste captured frames, read them as JSON.
#pragma once

#include <ostream>
#include <string>
#include <vector>

namespace baotong::app {

struct Jt808DecodeOptions {
  bool verify_checksum = true;
};

// Decodes each hex argument (one or more frames, flags optional) and prints one JSON object per
// frame on `out`, plus one per message reassembled from subpackages. A frame that does not
// decode prints {"error": "..."}. Returns 0 when every frame decoded, 1 otherwise.
int RunJt808Decode(const std::vector<std::string>& hex_frames, const Jt808DecodeOptions& options,
                   std::ostream& out);

}  // namespace baotong::app
