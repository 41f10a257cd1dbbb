// Reassembly of subpackaged (分包) messages, bounded in memory and time, with the list of
// packages to ask again for (0x8003).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/bytes.h"
#include "common/error.h"
#include "protocol/jt808/header.h"
#include "protocol/jt808/messages.h"

namespace baotong::jt808 {

struct ReassemblyLimits {
  size_t max_groups = 64;              // messages being reassembled at once
  size_t max_bytes = 8 * 1024 * 1024;  // body bytes held across all groups
  int64_t resend_after_ms = 30'000;    // silence before asking for missing packages
  int max_resend_requests = 5;         // then the group is dropped (as yezhihao does)
  int64_t expire_after_ms = 300'000;   // a group older than this is dropped regardless
};

// A whole message put together from its packages.
struct ReassembledMessage {
  Header header;  // the first package's header, without the subpackage fields
  std::vector<uint8_t> body;
};

// A 0x8003 the caller should send to `phone`.
struct ResendRequest {
  Phone phone;
  Version version = Version::k2013;
  ResendSubpackages message;
};

// Not thread-safe; a gateway keeps one per connection or per partition.
//
// Groups are keyed on phone, message id and package total, never on serial: part serials
// need not be consecutive (reference §3).
class Reassembler {
 public:
  explicit Reassembler(ReassemblyLimits limits = {}) : limits_(limits) {}

  // Adds one package. Returns the complete message when this package was the last one missing,
  // nullopt while parts are still missing. A repeated package is ignored. When a new group
  // would exceed the limits, the oldest groups are dropped to make room.
  Result<std::optional<ReassembledMessage>> Add(const Header& header, ByteSpan body,
                                                int64_t now_ms);

  // Asks for missing packages of groups quiet for resend_after_ms and drops groups that have
  // been asked too often or are older than expire_after_ms. Call it periodically.
  std::vector<ResendRequest> Poll(int64_t now_ms);

  size_t group_count() const { return groups_.size(); }
  size_t buffered_bytes() const { return buffered_bytes_; }
  uint64_t dropped_groups() const { return dropped_groups_; }

 private:
  struct Key {
    std::string phone;
    uint16_t msg_id;
    uint16_t total;
    auto operator<=>(const Key&) const = default;
  };
  struct Group {
    Header first_header;  // header of any package; replaced by package 1's when it arrives
    bool have_first = false;
    std::vector<std::optional<std::vector<uint8_t>>> parts;
    size_t received = 0;
    size_t bytes = 0;
    int64_t started_ms = 0;
    int64_t last_activity_ms = 0;
    int resend_requests = 0;
  };

  void Drop(std::map<Key, Group>::iterator it);
  void DropOldest();

  ReassemblyLimits limits_;
  std::map<Key, Group> groups_;
  size_t buffered_bytes_ = 0;
  uint64_t dropped_groups_ = 0;
};

}  // namespace baotong::jt808
