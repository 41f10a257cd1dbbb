// The checkpoint's view of the passes (checkpoint::PassDirectory) over the pass store: the
// lookups are the store's in-memory index, the token check its public key.
#pragma once

#include "checkpoint/directory.h"
#include "pass/pass_store.h"

namespace baotong::app {

class PassStoreDirectory final : public checkpoint::PassDirectory {
 public:
  explicit PassStoreDirectory(const pass::PassStore& passes) : passes_(passes) {}

  checkpoint::PassLookup Find(std::string_view plate, std::optional<int> plate_color,
                              int64_t at_ms) const override;
  tl::expected<checkpoint::TokenClaims, std::string> VerifyToken(std::string_view token,
                                                                 int64_t at_ms) const override;

 private:
  const pass::PassStore& passes_;
};

}  // namespace baotong::app
