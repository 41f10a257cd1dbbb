#include "protocol/jt808/reassembler.h"

#include <algorithm>

namespace baotong::jt808 {

void Reassembler::Drop(std::map<Key, Group>::iterator it) {
  buffered_bytes_ -= it->second.bytes;
  groups_.erase(it);
  ++dropped_groups_;
}

void Reassembler::DropOldest() {
  auto oldest = std::min_element(groups_.begin(), groups_.end(), [](const auto& a, const auto& b) {
    return a.second.started_ms < b.second.started_ms;
  });
  if (oldest != groups_.end())
    Drop(oldest);
}

Result<std::optional<ReassembledMessage>> Reassembler::Add(const Header& header, ByteSpan body,
                                                           int64_t now_ms) {
  if (!header.subpackage)
    return Fail(ErrorCode::kBadValue, "frame is not a subpackage");
  const Subpackage package = *header.subpackage;
  if (package.total == 0 || package.index == 0 || package.index > package.total) {
    return Fail(ErrorCode::kBadValue, "subpackage index outside 1..total");
  }
  if (body.size() > limits_.max_bytes) {
    return Fail(ErrorCode::kResourceLimit, "package larger than the reassembly budget");
  }

  Key key{std::string(header.phone.digits()), header.msg_id, package.total};
  auto it = groups_.find(key);
  if (it == groups_.end()) {
    while (!groups_.empty() && groups_.size() >= limits_.max_groups)
      DropOldest();
    Group group;
    group.first_header = header;
    group.parts.resize(package.total);
    group.started_ms = now_ms;
    it = groups_.emplace(std::move(key), std::move(group)).first;
  }
  Group& group = it->second;
  auto& slot = group.parts[package.index - 1];
  if (slot)
    return std::optional<ReassembledMessage>{};  // a resend of a package we hold

  while (buffered_bytes_ + body.size() > limits_.max_bytes) {
    // Make room by dropping other groups; if this group alone is too large, drop it.
    auto victim =
        std::min_element(groups_.begin(), groups_.end(), [&](const auto& a, const auto& b) {
          bool a_is_current = &a.second == &group;
          bool b_is_current = &b.second == &group;
          if (a_is_current != b_is_current)
            return b_is_current;  // prefer other groups
          return a.second.started_ms < b.second.started_ms;
        });
    if (&victim->second == &group) {
      Drop(victim);
      return Fail(ErrorCode::kResourceLimit, "message larger than the reassembly budget");
    }
    Drop(victim);
  }

  slot.emplace(body.begin(), body.end());
  group.bytes += body.size();
  buffered_bytes_ += body.size();
  ++group.received;
  group.last_activity_ms = now_ms;
  if (package.index == 1) {
    group.first_header = header;
    group.have_first = true;
  }
  if (group.received < group.parts.size())
    return std::optional<ReassembledMessage>{};

  ReassembledMessage message;
  message.header = group.first_header;
  message.header.subpackage.reset();
  message.body.reserve(group.bytes);
  for (const auto& part : group.parts)
    message.body.insert(message.body.end(), part->begin(), part->end());
  message.header.body_length = static_cast<uint16_t>(std::min<size_t>(message.body.size(), 0xffff));
  buffered_bytes_ -= group.bytes;
  groups_.erase(it);
  return std::optional<ReassembledMessage>{std::move(message)};
}

std::vector<ResendRequest> Reassembler::Poll(int64_t now_ms) {
  std::vector<ResendRequest> requests;
  for (auto it = groups_.begin(); it != groups_.end();) {
    Group& group = it->second;
    auto current = it++;
    if (now_ms - group.started_ms >= limits_.expire_after_ms ||
        (now_ms - group.last_activity_ms >= limits_.resend_after_ms &&
         group.resend_requests >= limits_.max_resend_requests)) {
      Drop(current);
      continue;
    }
    if (now_ms - group.last_activity_ms < limits_.resend_after_ms)
      continue;

    ResendRequest request;
    request.phone = group.first_header.phone;
    request.version = group.first_header.version;
    // The original serial is package 1's; without it, count back from the package we have,
    // assuming consecutive serials, which is what terminals do when they number packages.
    const Header& known = group.first_header;
    request.message.original_serial =
        group.have_first ? known.serial
                         : static_cast<uint16_t>(known.serial - (known.subpackage->index - 1));
    for (size_t i = 0; i < group.parts.size(); ++i) {
      if (!group.parts[i])
        request.message.package_indexes.push_back(static_cast<uint16_t>(i + 1));
    }
    // A 2013 0x8003 holds at most 255 indexes; the rest are asked for on the next round.
    size_t limit = Is2019(request.version) ? 0xffff : 0xff;
    if (request.message.package_indexes.size() > limit) {
      request.message.package_indexes.resize(limit);
    }
    ++group.resend_requests;
    group.last_activity_ms = now_ms;
    requests.push_back(std::move(request));
  }
  return requests;
}

}  // namespace baotong::jt808
