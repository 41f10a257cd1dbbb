// TEST DOUBLES for the checkpoint tests and benchmark: in-memory stand-ins for the pass module
// (PassDirectory) and the vehicle registry (VehicleDirectory). The application adapts the
// real PassStore and RegistryStore; these only let the checkpoint be tested on its own.
#pragma once

#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "checkpoint/directory.h"

namespace baotong::checkpoint::testing {

enum class FakePassState { kApproved, kRevoked };

struct FakePass {
  PassInForce pass;
  FakePassState state = FakePassState::kApproved;
};

class FakePassDirectory final : public PassDirectory {
 public:
  void Add(FakePass pass) {
    std::lock_guard lock(mutex_);
    by_plate_[pass.pass.plate].push_back(pass);
  }
  void Revoke(int64_t pass_id) {
    std::lock_guard lock(mutex_);
    for (auto& [plate, passes] : by_plate_)
      for (FakePass& pass : passes)
        if (pass.pass.pass_id == pass_id)
          pass.state = FakePassState::kRevoked;
  }

  PassLookup Find(std::string_view plate, std::optional<int> plate_color,
                  int64_t at_ms) const override {
    std::shared_lock lock(mutex_);
    PassLookup lookup;
    auto found = by_plate_.find(std::string(plate));
    if (found == by_plate_.end())
      return lookup;
    for (const FakePass& candidate : found->second) {
      const PassInForce& pass = candidate.pass;
      const bool in_window = pass.valid_from_ms <= at_ms && at_ms <= pass.valid_until_ms;
      if (candidate.state == FakePassState::kRevoked) {
        if (at_ms <= pass.valid_until_ms)
          lookup.has_revoked = true;
        continue;
      }
      if (at_ms > pass.valid_until_ms) {
        lookup.has_expired = true;
      } else if (at_ms < pass.valid_from_ms) {
        lookup.has_upcoming = true;
      } else if (in_window) {
        if (plate_color && *plate_color != pass.plate_color)
          lookup.other_color = pass.plate_color;
        else
          lookup.in_force = pass;
      }
    }
    if (lookup.in_force)
      lookup.other_color.reset();
    return lookup;
  }

  // Tokens are "TOKEN:<pass id>" for a known pass; "TAMPERED..." fails the signature check;
  // anything else is malformed. Validity comes from the pass.
  tl::expected<TokenClaims, std::string> VerifyToken(std::string_view token,
                                                     int64_t at_ms) const override {
    if (token.starts_with("TAMPERED"))
      return tl::unexpected(std::string("bad_signature"));
    if (!token.starts_with("TOKEN:"))
      return tl::unexpected(std::string("bad_format"));
    const int64_t id = std::stoll(std::string(token.substr(6)));
    std::shared_lock lock(mutex_);
    for (const auto& [plate, passes] : by_plate_) {
      for (const FakePass& candidate : passes) {
        const PassInForce& pass = candidate.pass;
        if (pass.pass_id != id)
          continue;
        if (at_ms > pass.valid_until_ms)
          return tl::unexpected(std::string("expired"));
        if (at_ms < pass.valid_from_ms)
          return tl::unexpected(std::string("not_yet_valid"));
        return TokenClaims{pass.pass_id, pass.plate,         pass.plate_color,
                           pass.kind,    pass.valid_from_ms, pass.valid_until_ms};
      }
    }
    return tl::unexpected(std::string("bad_signature"));
  }

 private:
  mutable std::shared_mutex mutex_;
  std::unordered_map<std::string, std::vector<FakePass>> by_plate_;
};

class FakeVehicleDirectory final : public VehicleDirectory {
 public:
  void Add(std::string plate) {
    std::lock_guard lock(mutex_);
    plates_.insert(std::move(plate));
  }
  Result<bool> IsRegistered(std::string_view plate) const override {
    std::lock_guard lock(mutex_);
    return plates_.contains(std::string(plate));
  }

 private:
  mutable std::mutex mutex_;
  std::set<std::string> plates_;
};

}  // namespace baotong::checkpoint::testing
