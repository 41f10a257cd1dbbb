// The shared department registry over the platform's record database (data_dir/registry.db).
// Upserts by natural key that tell inserted from updated from unchanged, scoped listings with
// credential-status filters computed in SQL, lookups by key, and the views the gateway and the
// map need.
//
// Personal fields are sealed at rest (issue 13; common/field_cipher.h): drivers' id_number,
// phone and qualification_cert_no, health records' id_number and result. The key file is
// registry-fields.key beside the database file, created on first use. Drivers are keyed and
// found by the lookup hash of their ID number; ID numbers and phones match `q` only whole.
// Thread-safe as far as the shared Database is (SQLITE_OPEN_FULLMUTEX); each call's statements run
// in order on that connection.
#pragma once

#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"
#include "common/field_cipher.h"
#include "registry/credentials.h"
#include "registry/records.h"
#include "store/sqlite/database.h"

namespace baotong::registry {

enum class UpsertOutcome : uint8_t { kInserted, kUpdated, kUnchanged };

struct UpsertCounts {
  int64_t inserted = 0;
  int64_t updated = 0;
  int64_t unchanged = 0;
  void Add(UpsertOutcome outcome);
  void Add(std::span<const UpsertOutcome> outcomes);
};

// Who is asking: a district government sees only its district's records, a carrier account
// only its own company's. Both empty: everything.
struct Scope {
  std::optional<std::string> district;
  std::optional<std::string> carrier_credit_code;
};

struct ListQuery {
  // Searches names and codes by substring; ID numbers and phones only by the whole value.
  std::string q;
  int64_t offset = 0;
  int64_t limit = 50;                         // capped at kMaxListLimit
  std::optional<CredentialStatus> status;     // vehicles and drivers only
  std::optional<VehicleClass> vehicle_class;  // vehicles only
  std::optional<std::string> district;        // a filter the user chose
  Scope scope;                                // what the user may see
  std::string today;                          // "YYYY-MM-DD"; empty: today in China
  int expiring_within_days = 30;
};

struct Page {
  int64_t total = 0;
  std::vector<nlohmann::ordered_json> items;
  // The personal fields ("id_number", "phone") that `q` equals, whole, in at least one record
  // of the listing (any page): the API audits such a lookup by a role that sees them masked.
  std::vector<std::string> q_matched_personal;
};

inline constexpr int64_t kMaxListLimit = 1000;

class RegistryStore {
 public:
  // Creates or upgrades the registry's tables (component "registry"), including the import
  // log's (importer.h).
  // Also seals the personal fields of a database written before issue 13 (in one transaction;
  // component "registry_sealed").
  static Result<void> Migrate(store::Database& database);

  // The field keys of `database`: registry-fields.key in its file's directory (created on first
  // use), or keys of this process only for a database without a file.
  static Result<std::shared_ptr<const crypto::FieldCipher>> FieldCipherOf(
      store::Database& database);
  // Seals every personal field again under `cipher`'s current key, in the caller's transaction
  // (key rotation). Returns the number of values sealed.
  static Result<int64_t> Reseal(store::Database& database, const crypto::FieldCipher& cipher);

  explicit RegistryStore(store::Database& database)
      : database_(database), cipher_(FieldCipherOf(database)) {}

  store::Database& database() { return database_; }
  // The cipher of the personal fields, or why the key file did not open.
  const Result<std::shared_ptr<const crypto::FieldCipher>>& cipher() const { return cipher_; }

  // Each writes its rows by natural key in the caller's transaction when one is open on the
  // database, otherwise in one of its own. A row equal to the stored one is not touched
  // (kUnchanged). Values must already be validated and normalised (the importer does that).
  // The outcomes are in the order of the input. `now_ms` stamps updated_at_ms.
  Result<std::vector<UpsertOutcome>> Upsert(std::span<const Carrier> rows, int64_t now_ms);
  Result<std::vector<UpsertOutcome>> Upsert(std::span<const Vehicle> rows, int64_t now_ms);
  Result<std::vector<UpsertOutcome>> Upsert(std::span<const Driver> rows, int64_t now_ms);
  Result<std::vector<UpsertOutcome>> Upsert(std::span<const Terminal> rows, int64_t now_ms);
  // Also sets each record's `id` (hence not const).
  Result<std::vector<UpsertOutcome>> Upsert(std::span<HealthRecord> rows, int64_t now_ms);
  Result<std::vector<UpsertOutcome>> Upsert(std::span<const Site> rows, int64_t now_ms);

  // One page of records in key order, as api.md describes them.
  Result<Page> List(Kind kind, const ListQuery& query);

  // One record by its key (api.md): vehicles "辽C12345-2", health_records the integer id.
  // Vehicles and drivers carry "credential". nullopt when there is no such record or the
  // scope hides it.
  Result<std::optional<nlohmann::ordered_json>> Get(Kind kind, std::string_view key,
                                                    const Scope& scope = {},
                                                    std::string_view today = {},
                                                    int expiring_within_days = 30);

  // Typed lookups for other modules (checkpoints, rules).
  Result<std::optional<Carrier>> FindCarrier(std::string_view credit_code);
  Result<std::optional<Vehicle>> FindVehicle(std::string_view plate, PlateColor color);
  Result<std::optional<Driver>> FindDriver(std::string_view id_number);
  // The newest record of one of `kinds` for a person tested at or before `until_ms`.
  Result<std::optional<HealthRecord>> NewestHealthRecord(std::string_view id_number,
                                                         int64_t until_ms,
                                                         std::span<const std::string> kinds);
  Result<std::optional<Terminal>> FindTerminal(std::string_view phone);

  // Whether keys exist (the importer checks references with these).
  Result<bool> CarrierExists(std::string_view credit_code);
  Result<bool> VehicleExists(std::string_view plate, PlateColor color);

  // Every terminal, for the gateway's pre-provisioning.
  Result<std::vector<Terminal>> Terminals();

  // The designated sites as GeoJSON features: properties layer="site", code, name, kind,
  // kind_name, district. Returns the array of features.
  Result<nlohmann::ordered_json> SiteFeatures(const Scope& scope = {});

  // Number of records of a kind (all of them, unscoped).
  Result<int64_t> Count(Kind kind);

 private:
  Result<std::vector<std::string>> PersonalMatches(Kind kind, const ListQuery& query,
                                                   const crypto::FieldCipher& cipher,
                                                   const std::string& today);

  store::Database& database_;
  Result<std::shared_ptr<const crypto::FieldCipher>> cipher_;
};

}  // namespace baotong::registry
