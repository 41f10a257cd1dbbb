// Pass applications, their review, the published routes, and the fast lookups checkpoints
// need, over the platform's record database (data_dir/registry.db, component "pass").
//
// The store opens its OWN connection on that file (a transaction on a shared connection
// would swallow other writers' statements) and reads the registry through it. Thread-safe:
// statements on the connection run under one mutex (writes are short transactions); the
// in-memory index of approved and revoked passes is read under a shared lock and changed in
// the same critical section as the commit that changes the database, so a lookup never sees
// a pass the database does not hold. The index is rebuilt from the database at Open.
// Application bodies (drivers' ID numbers, names, findings) are sealed at rest with the
// registry's field keys (common/field_cipher.h).
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <shared_mutex>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/error.h"
#include "pass/checks.h"
#include "pass/model.h"
#include "pass/rules.h"
#include "pass/signing.h"
#include "registry/registry_store.h"
#include "store/sqlite/database.h"

namespace baotong::pass {

struct PassListQuery {
  // "", a PassStatus id, or "expired". "approved" lists approved passes not yet expired.
  std::string status;
  std::string plate;  // a prefix of the normalised plate ("辽C" or "辽C12345"); empty: all
  std::optional<std::string> carrier_credit_code;  // scope: a carrier account sees its own
  std::optional<std::string> applicant;
  std::optional<PassKind> kind;
  int64_t offset = 0;
  int64_t limit = 50;  // capped at kMaxPassListLimit
  int64_t now_ms = 0;  // for "expired"
};
inline constexpr int64_t kMaxPassListLimit = 500;

struct PassPage {
  int64_t total = 0;
  std::vector<PassApplication> items;  // newest first
};

// What the gate learns about a plate at a time.
enum class PassState : uint8_t {
  kNone,         // no pass known for the plate
  kInForce,      // approved, valid_from <= t <= valid_until
  kRevoked,      // a revoked pass would have covered t
  kExpired,      // an approved pass ended before t (the newest such)
  kNotYetValid,  // an approved pass starts after t (the soonest such)
};
std::string_view PassStateId(PassState state);  // "none", "in_force", "revoked", ...

struct PassLookup {
  PassState state = PassState::kNone;
  std::shared_ptr<const PassApplication> pass;  // the pass the state is about
  // The pass is for the same plate under another colour (only ever with kInForce when no pass
  // of the asked colour is in force; for the other states a pass of any colour counts).
  bool color_mismatch = false;
};

// How far an expected arrival is along.
enum class ArrivalPhase : uint8_t {
  kUpcoming,     // before its entry window
  kEntryOpen,    // within the entry window
  kEntryClosed,  // entry window over, planned exit not yet passed
};
std::string_view ArrivalPhaseId(ArrivalPhase phase);  // "upcoming", "entry_open", "entry_closed"

struct Arrival {
  std::shared_ptr<const PassApplication> pass;
  ArrivalPhase phase = ArrivalPhase::kUpcoming;
};
// {pass_id, plate, plate_color, carrier_credit_code, driver_names, cargo, origin,
//  entry_from_ms, entry_until_ms, planned_exit_ms, phase}
nlohmann::ordered_json ArrivalJson(const Arrival& arrival);

struct CreateOptions {
  // The applicant is the carrier itself (issue 13): the vehicle and every driver must be
  // registered to application.carrier_credit_code. Otherwise nothing is checked or stored and
  // Create fails with kNotFound, the same whether a record does not exist or belongs to another
  // company, so that the applicant learns nothing about other companies' vehicles and drivers.
  bool own_fleet_only = false;
};

class PassStore {
 public:
  // Opens `database_file` (data_dir/registry.db) on a connection of its own, migrates the
  // registry's tables (idempotent) and its own ("pass"), and loads the index of approved and
  // revoked passes whose validity ended less than kIndexRetentionMs before `now_ms`.
  static Result<std::unique_ptr<PassStore>> Open(const std::filesystem::path& database_file,
                                                 PassRules rules, SigningKey signing_key,
                                                 int64_t now_ms);

  // Seals every stored application again under `cipher`'s current key, in the caller's
  // transaction (key rotation). Returns the number of bodies sealed.
  static Result<int64_t> Reseal(store::Database& database, const crypto::FieldCipher& cipher);
  // Brings the registry's and the passes' tables of `database` to this build's form (what Open
  // does first), the sealing of older plain bodies included.
  static Result<void> Migrate(store::Database& database);

  static constexpr int64_t kIndexRetentionMs = int64_t{30} * 24 * 3600 * 1000;

  PassStore(const PassStore&) = delete;
  PassStore& operator=(const PassStore&) = delete;

  const PassRules& rules() const { return rules_; }
  const SigningKey& signing_key() const { return signing_key_; }

  // Runs the checks against the registry and stores the application with its findings and
  // status (approved ones signed at once). `application` comes from ParseApplicationRequest
  // with applicant and applicant_role set by the caller; id, status, checks, review, token and
  // validity are the store's. Returns the stored application.
  Result<PassApplication> Create(PassApplication application, int64_t now_ms,
                                 CreateOptions options = {});

  Result<std::optional<PassApplication>> Get(int64_t id);
  Result<PassPage> List(const PassListQuery& query);

  // A reviewer's decision on a pending application (kConflict otherwise; kNotFound).
  Result<PassApplication> Approve(int64_t id, std::string by, std::string comment, int64_t now_ms);
  Result<PassApplication> Reject(int64_t id, std::string by, std::string comment, int64_t now_ms);
  // Withdraws an approved pass (kConflict otherwise; kNotFound).
  Result<PassApplication> Revoke(int64_t id, std::string by, std::string reason, int64_t now_ms);

  // From memory, no database access: the pass for (plate, colour) at `t_ms`. A trip pass wins
  // over a standing one, then the one valid longest.
  PassLookup Lookup(std::string_view plate, PlateColor color, int64_t t_ms) const;
  // An approved or revoked pass by id, from memory (QR scans: is the token's pass revoked?).
  std::shared_ptr<const PassApplication> FindIndexed(int64_t id) const;
  // Every approved or revoked pass in the index (the rule engine draws their routes).
  std::vector<std::shared_ptr<const PassApplication>> IndexedPasses() const;

  // Approved trip passes to `site_code` whose planned exit is at or after
  // now_ms - include_ended_ms, by entry_from_ms; at most 1000.
  Result<std::vector<Arrival>> Arrivals(std::string_view site_code, int64_t now_ms,
                                        int64_t include_ended_ms = 0);

  // Published routes by id. Returns how many were inserted or changed.
  Result<int64_t> UpsertRoutes(std::span<const PublishedRoute> routes, int64_t now_ms);
  Result<std::vector<PublishedRoute>> Routes();
  Result<std::optional<PublishedRoute>> FindRoute(std::string_view id);

  // What the checks would see for `application` now (exposed for the API's "preview" and tests).
  Result<CheckFacts> GatherFacts(const PassApplication& application, int64_t now_ms);

 private:
  PassStore(std::unique_ptr<store::Database> database, PassRules rules, SigningKey signing_key);
  // Seals the application bodies: the registry's cipher (Open checked that it opened).
  const crypto::FieldCipher& cipher() const { return **registry_.cipher(); }

  Result<CheckFacts> GatherFactsLocked(const PassApplication& application, int64_t now_ms);
  Result<std::optional<PassApplication>> GetLocked(int64_t id);
  Result<std::optional<PublishedRoute>> FindRouteLocked(std::string_view id);
  Result<std::optional<registry::HealthRecord>> NewestHealthLocked(std::string_view id_number,
                                                                   int64_t until_ms);
  // Writes the row of an existing application (status, validity, body).
  Result<void> UpdateLocked(const PassApplication& pass, int64_t now_ms);
  Result<PassApplication> Decide(int64_t id, PassStatus from, PassStatus to, std::string by,
                                 std::string text, int64_t now_ms);
  // Adds or replaces a pass in the index (approved or revoked), or drops it (other states).
  void IndexLocked(const PassApplication& pass);
  Result<void> LoadIndex(int64_t now_ms);

  std::unique_ptr<store::Database> database_;
  registry::RegistryStore registry_;
  const PassRules rules_;
  const SigningKey signing_key_;

  std::mutex database_mutex_;  // every statement on database_

  mutable std::shared_mutex index_mutex_;
  std::map<std::string, std::vector<std::shared_ptr<const PassApplication>>, std::less<>> by_plate_;
  std::unordered_map<int64_t, std::shared_ptr<const PassApplication>> by_id_;
};

}  // namespace baotong::pass
