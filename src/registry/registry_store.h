// The shared department registry over the platform's record database (data_dir/registry.db).
// Upserts by natural key that tell inserted from updated from unchanged, scoped listings with
// credential-status filters computed in SQL, lookups by key, and the views the gateway and the
// map need. Thread-safe as far as the shared Database is (SQLITE_OPEN_FULLMUTEX); each call's
// statements run in order on that connection.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"
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
  std::string q;  // searches the key and name fields (substring)
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
};

inline constexpr int64_t kMaxListLimit = 1000;

class RegistryStore {
 public:
  // Creates or upgrades the registry's tables (component "registry"), including the import
  // log's (importer.h).
  static Result<void> Migrate(store::Database& database);

  explicit RegistryStore(store::Database& database) : database_(database) {}

  store::Database& database() { return database_; }

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
  store::Database& database_;
};

}  // namespace baotong::registry
