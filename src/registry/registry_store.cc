#include "registry/registry_store.h"

#include <sqlite3.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <filesystem>
#include <variant>

#include "common/field_cipher.h"
#include "registry/record_json.h"

namespace baotong::registry {
namespace {

using nlohmann::ordered_json;

// Version 1 of the registry's tables. Vehicles and drivers copy their carrier's district (and
// vehicles its permit date) so that scope and status filters need no join; carrier upserts
// keep the copies in step. `min_expiry` (the earliest validity date, '9999-12-31' standing in
// for a missing one) and `has_missing` (whether any date is missing) let SQL judge credential
// status exactly as credentials.h does, from an index. They are plain columns written by the
// upserts: SQLite 3.40 does not treat an index on a generated column as covering.
constexpr const char* kSchemaV1 = R"sql(
CREATE TABLE carriers(
  credit_code TEXT PRIMARY KEY NOT NULL,
  name TEXT NOT NULL,
  district TEXT NOT NULL,
  address TEXT,
  business_permit_no TEXT,
  business_permit_valid_until TEXT,
  contact_phone TEXT,
  version INTEGER NOT NULL DEFAULT 1,
  updated_at_ms INTEGER NOT NULL);
CREATE INDEX carriers_district ON carriers(district, credit_code);

CREATE TABLE vehicles(
  plate TEXT NOT NULL,
  plate_color INTEGER NOT NULL,
  vehicle_class TEXT NOT NULL,
  carrier_credit_code TEXT NOT NULL,
  vin TEXT,
  transport_cert_no TEXT,
  transport_cert_valid_until TEXT,
  insurance_valid_until TEXT,
  district TEXT,
  carrier_permit_valid_until TEXT,
  has_missing INTEGER NOT NULL,
  min_expiry TEXT NOT NULL,
  version INTEGER NOT NULL DEFAULT 1,
  updated_at_ms INTEGER NOT NULL,
  PRIMARY KEY(plate, plate_color)) WITHOUT ROWID;
CREATE INDEX vehicles_carrier ON vehicles(carrier_credit_code);
CREATE INDEX vehicles_status ON vehicles(has_missing, min_expiry, district, vehicle_class);

CREATE TABLE drivers(
  id_number TEXT PRIMARY KEY NOT NULL,
  name TEXT NOT NULL,
  phone TEXT,
  licence_class TEXT NOT NULL,
  licence_valid_until TEXT,
  qualification_cert_no TEXT,
  qualification_category TEXT,
  qualification_valid_until TEXT,
  carrier_credit_code TEXT,
  district TEXT,
  has_missing INTEGER NOT NULL,
  min_expiry TEXT NOT NULL,
  version INTEGER NOT NULL DEFAULT 1,
  updated_at_ms INTEGER NOT NULL) WITHOUT ROWID;
CREATE INDEX drivers_carrier ON drivers(carrier_credit_code);
CREATE INDEX drivers_status ON drivers(has_missing, min_expiry, district);

CREATE TABLE terminals(
  phone TEXT PRIMARY KEY NOT NULL,
  terminal_id TEXT,
  maker TEXT,
  model TEXT,
  plate TEXT,
  plate_color INTEGER,
  version INTEGER NOT NULL DEFAULT 1,
  updated_at_ms INTEGER NOT NULL) WITHOUT ROWID;
CREATE INDEX terminals_vehicle ON terminals(plate, plate_color);

CREATE TABLE health_records(
  id INTEGER PRIMARY KEY,
  id_number TEXT NOT NULL,
  kind TEXT NOT NULL,
  tested_at INTEGER NOT NULL,
  name TEXT NOT NULL,
  result TEXT NOT NULL,
  valid_until TEXT,
  version INTEGER NOT NULL DEFAULT 1,
  updated_at_ms INTEGER NOT NULL,
  UNIQUE(id_number, kind, tested_at));
CREATE INDEX health_records_tested_at ON health_records(tested_at, id);

CREATE TABLE sites(
  code TEXT PRIMARY KEY NOT NULL,
  name TEXT NOT NULL,
  kind TEXT NOT NULL,
  district TEXT NOT NULL,
  geometry TEXT NOT NULL,
  version INTEGER NOT NULL DEFAULT 1,
  updated_at_ms INTEGER NOT NULL) WITHOUT ROWID;
CREATE INDEX sites_district ON sites(district, code);

CREATE TABLE imports(
  id INTEGER PRIMARY KEY,
  kind TEXT NOT NULL,
  file_name TEXT NOT NULL,
  user TEXT NOT NULL,
  department TEXT NOT NULL,
  started_at_ms INTEGER NOT NULL,
  finished_at_ms INTEGER,
  status TEXT NOT NULL,
  rows_total INTEGER NOT NULL DEFAULT 0,
  accepted INTEGER NOT NULL DEFAULT 0,
  inserted INTEGER NOT NULL DEFAULT 0,
  updated INTEGER NOT NULL DEFAULT 0,
  unchanged INTEGER NOT NULL DEFAULT 0,
  rejected INTEGER NOT NULL DEFAULT 0,
  warnings TEXT,
  error TEXT);

CREATE TABLE import_rejections(
  import_id INTEGER NOT NULL REFERENCES imports(id) ON DELETE CASCADE,
  seq INTEGER NOT NULL,
  row INTEGER NOT NULL,
  column_name TEXT NOT NULL,
  reason TEXT NOT NULL,
  PRIMARY KEY(import_id, seq)) WITHOUT ROWID;
)sql";

constexpr std::array<const char*, 1> kMigrations = {kSchemaV1};

// Personal fields sealed (issue 13, component "registry_sealed" version 1; see SealTables).
// drivers: id_number, phone and qualification_cert_no (often the ID number again) are sealed
// (common/field_cipher.h); id_hash, the lookup hash of the ID number, is the key, phone_hash
// finds a driver by phone. health_records: id_number and result are sealed; the row's key is
// (id_hash, kind, tested_at). `sealed_digest`, a keyed digest of a row's sealed values and its
// key, lets an upsert tell a changed row from an unchanged one without opening anything.
constexpr const char* kSealedTables = R"sql(
CREATE TABLE drivers_sealed(
  id_hash TEXT PRIMARY KEY NOT NULL,
  id_number TEXT NOT NULL,
  name TEXT NOT NULL,
  phone TEXT,
  phone_hash TEXT,
  licence_class TEXT NOT NULL,
  licence_valid_until TEXT,
  qualification_cert_no TEXT,
  qualification_category TEXT,
  qualification_valid_until TEXT,
  carrier_credit_code TEXT,
  district TEXT,
  has_missing INTEGER NOT NULL,
  min_expiry TEXT NOT NULL,
  sealed_digest TEXT NOT NULL,
  version INTEGER NOT NULL DEFAULT 1,
  updated_at_ms INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE health_records_sealed(
  id INTEGER PRIMARY KEY,
  id_hash TEXT NOT NULL,
  id_number TEXT NOT NULL,
  kind TEXT NOT NULL,
  tested_at INTEGER NOT NULL,
  name TEXT NOT NULL,
  result TEXT NOT NULL,
  valid_until TEXT,
  sealed_digest TEXT NOT NULL,
  version INTEGER NOT NULL DEFAULT 1,
  updated_at_ms INTEGER NOT NULL,
  UNIQUE(id_hash, kind, tested_at));
)sql";

constexpr const char* kSealedSwap = R"sql(
DROP TABLE drivers;
ALTER TABLE drivers_sealed RENAME TO drivers;
CREATE INDEX drivers_carrier ON drivers(carrier_credit_code);
CREATE INDEX drivers_status ON drivers(has_missing, min_expiry, district);
CREATE INDEX drivers_phone ON drivers(phone_hash) WHERE phone_hash IS NOT NULL;
DROP TABLE health_records;
ALTER TABLE health_records_sealed RENAME TO health_records;
CREATE INDEX health_records_tested_at ON health_records(tested_at, id);
)sql";

constexpr std::string_view kSealedComponent = "registry_sealed";

// Lookup-hash domains: the same ID number hashes alike in drivers and health_records.
constexpr std::string_view kIdDomain = "id_number";
constexpr std::string_view kPhoneDomain = "phone";

// Associated data of each sealed value: table.column|record key.
std::string DriverContext(std::string_view column, std::string_view id_hash) {
  return "drivers." + std::string(column) + "|" + std::string(id_hash);
}
std::string HealthContext(std::string_view column, std::string_view id_hash, std::string_view kind,
                          int64_t tested_at) {
  return "health_records." + std::string(column) + "|" + std::string(id_hash) + "|" +
         std::string(kind) + "|" + std::to_string(tested_at);
}
// A digest part that tells an absent value from an empty one.
std::string Part(const std::optional<std::string>& value) {
  return value ? "=" + *value : std::string();
}
std::string DriverDigest(const crypto::FieldCipher& cipher, std::string_view id_hash,
                         const Driver& driver) {
  return cipher.Digest({"drivers", id_hash, driver.id_number, Part(driver.phone),
                        Part(driver.qualification_cert_no)});
}
std::string HealthDigest(const crypto::FieldCipher& cipher, std::string_view id_hash,
                         const HealthRecord& record) {
  return cipher.Digest({"health_records", id_hash, record.kind, std::to_string(record.tested_at),
                        record.id_number, record.result});
}

// The sealed columns of a driver row, plain or sealed under the row's id_hash.
struct DriverSecrets {
  std::string id_number;
  std::optional<std::string> phone;
  std::optional<std::string> qualification_cert_no;
};
DriverSecrets SealDriverSecrets(const crypto::FieldCipher& cipher, std::string_view id_hash,
                                const DriverSecrets& plain) {
  return {cipher.Seal(plain.id_number, DriverContext("id_number", id_hash)),
          cipher.SealOptional(plain.phone, DriverContext("phone", id_hash)),
          cipher.SealOptional(plain.qualification_cert_no,
                              DriverContext("qualification_cert_no", id_hash))};
}
Result<DriverSecrets> OpenDriverSecrets(const crypto::FieldCipher& cipher, std::string_view id_hash,
                                        const DriverSecrets& sealed) {
  auto id_number = cipher.Open(sealed.id_number, DriverContext("id_number", id_hash));
  auto phone = cipher.OpenOptional(sealed.phone, DriverContext("phone", id_hash));
  auto certificate = cipher.OpenOptional(sealed.qualification_cert_no,
                                         DriverContext("qualification_cert_no", id_hash));
  if (!id_number || !phone || !certificate)
    return Fail(ErrorCode::kStorage,
                "registry: a driver's sealed fields do not open (altered, or another key file)");
  return DriverSecrets{std::move(*id_number), std::move(*phone), std::move(*certificate)};
}

// The sealed columns of a health record row, plain or sealed under the row's key.
struct HealthSecrets {
  std::string id_number;
  std::string result;
};
HealthSecrets SealHealthSecrets(const crypto::FieldCipher& cipher, std::string_view id_hash,
                                std::string_view kind, int64_t tested_at,
                                const HealthSecrets& plain) {
  return {cipher.Seal(plain.id_number, HealthContext("id_number", id_hash, kind, tested_at)),
          cipher.Seal(plain.result, HealthContext("result", id_hash, kind, tested_at))};
}
Result<HealthSecrets> OpenHealthSecrets(const crypto::FieldCipher& cipher, std::string_view id_hash,
                                        std::string_view kind, int64_t tested_at,
                                        const HealthSecrets& sealed) {
  auto id_number =
      cipher.Open(sealed.id_number, HealthContext("id_number", id_hash, kind, tested_at));
  auto result = cipher.Open(sealed.result, HealthContext("result", id_hash, kind, tested_at));
  if (!id_number || !result)
    return Fail(ErrorCode::kStorage,
                "registry: a health record's sealed fields do not open (altered, or another key "
                "file)");
  return HealthSecrets{std::move(*id_number), std::move(*result)};
}

using Param = std::variant<int64_t, std::string>;

// Above this many matches a filtered page is read in key order rather than sorted.
constexpr int64_t kSortAtMost = 5000;

// A WHERE clause built from the filters that apply, with its parameters in order.
struct Where {
  std::string sql;
  std::vector<Param> params;

  void And(std::string clause, std::vector<Param> values = {}) {
    sql += sql.empty() ? " WHERE " : " AND ";
    sql += "(" + clause + ")";
    for (auto& value : values)
      params.push_back(std::move(value));
  }
  void BindTo(store::Statement& statement, int first = 1) const {
    int index = first;
    for (const auto& param : params) {
      if (const auto* number = std::get_if<int64_t>(&param))
        statement.Bind(index++, *number);
      else
        statement.Bind(index++, std::string_view(std::get<std::string>(param)));
    }
  }
};

// How each kind is read: the SELECT list (in the order the readers below expect), the FROM
// clause with any join the page needs, the FROM clause enough for counting, the key order.
struct KindSql {
  const char* columns;
  const char* from;
  const char* count_from;
  const char* order;
};

KindSql SqlOf(Kind kind) {
  switch (kind) {
    case Kind::kCarriers:
      return {
          "c.credit_code, c.name, c.district, c.address, c.business_permit_no, "
          "c.business_permit_valid_until, c.contact_phone, "
          "(SELECT COUNT(*) FROM vehicles WHERE carrier_credit_code = c.credit_code)",
          "carriers c", "carriers c", "c.credit_code"};
    case Kind::kVehicles:
      return {
          "v.plate, v.plate_color, v.vehicle_class, v.carrier_credit_code, v.vin, "
          "v.transport_cert_no, v.transport_cert_valid_until, v.insurance_valid_until, "
          "c.name, v.district, v.carrier_permit_valid_until",
          "vehicles v LEFT JOIN carriers c ON c.credit_code = v.carrier_credit_code", "vehicles v",
          "v.plate, v.plate_color"};
    case Kind::kDrivers:
      return {
          "d.id_number, d.name, d.phone, d.licence_class, d.licence_valid_until, "
          "d.qualification_cert_no, d.qualification_category, d.qualification_valid_until, "
          "d.carrier_credit_code, d.id_hash",
          "drivers d", "drivers d", "d.id_hash"};
    case Kind::kTerminals:
      return {"t.phone, t.terminal_id, t.maker, t.model, t.plate, t.plate_color",
              "terminals t LEFT JOIN vehicles v ON v.plate = t.plate AND v.plate_color = "
              "t.plate_color",
              "terminals t LEFT JOIN vehicles v ON v.plate = t.plate AND v.plate_color = "
              "t.plate_color",
              "t.phone"};
    case Kind::kHealthRecords:
      return {"h.id, h.id_number, h.kind, h.tested_at, h.name, h.result, h.valid_until, h.id_hash",
              "health_records h", "health_records h", "h.tested_at DESC, h.id DESC"};
    case Kind::kSites:
      return {"s.code, s.name, s.kind, s.district, s.geometry", "sites s", "sites s", "s.code"};
  }
  return {};
}

Carrier ReadCarrier(const store::Statement& row) {
  return Carrier{row.Text(0),         row.Text(1),         row.Text(2),        row.OptionalText(3),
                 row.OptionalText(4), row.OptionalText(5), row.OptionalText(6)};
}

Vehicle ReadVehicle(const store::Statement& row) {
  Vehicle vehicle;
  vehicle.plate = row.Text(0);
  vehicle.plate_color = static_cast<PlateColor>(row.Int(1));
  vehicle.vehicle_class = ParseVehicleClass(row.Text(2)).value_or(VehicleClass::kTruck);
  vehicle.carrier_credit_code = row.Text(3);
  vehicle.vin = row.OptionalText(4);
  vehicle.transport_cert_no = row.OptionalText(5);
  vehicle.transport_cert_valid_until = row.OptionalText(6);
  vehicle.insurance_valid_until = row.OptionalText(7);
  return vehicle;
}

// Opens the sealed fields of a driver row (columns as SqlOf(Kind::kDrivers) lists them).
Result<Driver> ReadDriver(const store::Statement& row, const crypto::FieldCipher& cipher) {
  auto plain = OpenDriverSecrets(cipher, row.Text(9),
                                 {row.Text(0), row.OptionalText(2), row.OptionalText(5)});
  if (!plain)
    return tl::unexpected(plain.error());
  return Driver{std::move(plain->id_number), row.Text(1),
                std::move(plain->phone),     row.Text(3),
                row.OptionalText(4),         std::move(plain->qualification_cert_no),
                row.OptionalText(6),         row.OptionalText(7),
                row.OptionalText(8)};
}

Terminal ReadTerminal(const store::Statement& row) {
  Terminal terminal{row.Text(0),         row.OptionalText(1), row.OptionalText(2),
                    row.OptionalText(3), row.OptionalText(4), std::nullopt};
  if (auto color = row.OptionalInt(5))
    terminal.plate_color = static_cast<PlateColor>(*color);
  return terminal;
}

Result<HealthRecord> ReadHealthRecord(const store::Statement& row,
                                      const crypto::FieldCipher& cipher) {
  HealthRecord record;
  record.id = row.Int(0);
  record.kind = row.Text(2);
  record.tested_at = row.Int(3);
  record.name = row.Text(4);
  record.valid_until = row.OptionalText(6);
  auto plain = OpenHealthSecrets(cipher, row.Text(7), record.kind, record.tested_at,
                                 {row.Text(1), row.Text(5)});
  if (!plain)
    return tl::unexpected(plain.error());
  record.id_number = std::move(plain->id_number);
  record.result = std::move(plain->result);
  return record;
}

Site ReadSite(const store::Statement& row) {
  return Site{row.Text(0), row.Text(1), ParseSiteKind(row.Text(2)).value_or(SiteKind::kLoading),
              row.Text(3), row.Text(4)};
}

// The record of the current row as api.md shows it; with `credential` for the detail view.
Result<ordered_json> ItemOf(Kind kind, const store::Statement& row,
                            const crypto::FieldCipher& cipher, std::string_view today, int within,
                            bool credential) {
  switch (kind) {
    case Kind::kCarriers:
      return CarrierJson(ReadCarrier(row), row.Int(7));
    case Kind::kVehicles: {
      Vehicle vehicle = ReadVehicle(row);
      CredentialReport report = VehicleCredentials(vehicle, row.OptionalText(10), today, within);
      ordered_json item =
          VehicleJson(vehicle, row.OptionalText(8), row.OptionalText(9), report.status);
      if (credential)
        item["credential"] = CredentialJson(report);
      return item;
    }
    case Kind::kDrivers: {
      auto driver = ReadDriver(row, cipher);
      if (!driver)
        return tl::unexpected(driver.error());
      CredentialReport report = DriverCredentials(*driver, today, within);
      ordered_json item = DriverJson(*driver, report.status);
      if (credential)
        item["credential"] = CredentialJson(report);
      return item;
    }
    case Kind::kTerminals:
      return TerminalJson(ReadTerminal(row));
    case Kind::kHealthRecords: {
      auto record = ReadHealthRecord(row, cipher);
      if (!record)
        return tl::unexpected(record.error());
      return HealthRecordJson(*record);
    }
    case Kind::kSites:
      return SiteJson(ReadSite(row));
  }
  return {};
}

void ApplyScope(Kind kind, const Scope& scope, Where& where) {
  if (scope.district) {
    switch (kind) {
      case Kind::kCarriers:
        where.And("c.district = ?", {*scope.district});
        break;
      case Kind::kVehicles:
      case Kind::kTerminals:
        where.And("v.district = ?", {*scope.district});
        break;
      case Kind::kDrivers:
        where.And("d.district = ?", {*scope.district});
        break;
      case Kind::kHealthRecords:
        where.And("EXISTS (SELECT 1 FROM drivers x WHERE x.id_hash = h.id_hash AND x.district = ?)",
                  {*scope.district});
        break;
      case Kind::kSites:
        where.And("s.district = ?", {*scope.district});
        break;
    }
  }
  if (scope.carrier_credit_code) {
    switch (kind) {
      case Kind::kCarriers:
        where.And("c.credit_code = ?", {*scope.carrier_credit_code});
        break;
      case Kind::kVehicles:
      case Kind::kTerminals:
        where.And("v.carrier_credit_code = ?", {*scope.carrier_credit_code});
        break;
      case Kind::kDrivers:
        where.And("d.carrier_credit_code = ?", {*scope.carrier_credit_code});
        break;
      case Kind::kHealthRecords:
        where.And(
            "EXISTS (SELECT 1 FROM drivers x WHERE x.id_hash = h.id_hash AND "
            "x.carrier_credit_code = ?)",
            {*scope.carrier_credit_code});
        break;
      case Kind::kSites:
        break;  // designated sites are public to carriers: their drivers must find them
    }
  }
}

// Credential status in SQL, the same rules as credentials.cc (see the schema's comment).
// `indexed` false hides min_expiry from the status index (unary +), so that a page of many
// matches is read in key order instead of sorting them all.
void ApplyStatus(const char* table, CredentialStatus status, const std::string& today,
                 const std::string& limit, bool indexed, Where& where) {
  std::string t = std::string(indexed ? "" : "+") + table;
  switch (status) {
    case CredentialStatus::kExpired:
      where.And(t + ".has_missing IN (0, 1) AND " + t + ".min_expiry < ?", {today});
      break;
    case CredentialStatus::kMissing:
      where.And(t + ".has_missing = 1 AND " + t + ".min_expiry >= ?", {today});
      break;
    case CredentialStatus::kExpiring:
      where.And(t + ".has_missing = 0 AND " + t + ".min_expiry BETWEEN ? AND ?", {today, limit});
      break;
    case CredentialStatus::kValid:
      where.And(t + ".has_missing = 0 AND " + t + ".min_expiry > ?", {limit});
      break;
  }
}

std::string AsciiUpper(std::string text) {
  for (char& c : text) {
    if (c >= 'a' && c <= 'z')
      c = static_cast<char>(c - 'a' + 'A');
  }
  return text;
}

// The lookup hash of an ID number, whoever gives it: its check character is x or X, and the
// importer stores X, so it is upper-cased first. Every sealing and lookup of id_hash uses it.
std::string IdHash(const crypto::FieldCipher& cipher, std::string_view id_number) {
  return cipher.LookupHash(kIdDomain, AsciiUpper(std::string(id_number)));
}

// How `q` is compared with sealed fields: only whole, by lookup hash.
std::string PhoneHashOfQuery(const crypto::FieldCipher& cipher, const std::string& q) {
  return cipher.LookupHash(kPhoneDomain, q);
}

Where FiltersOf(Kind kind, const ListQuery& query, const crypto::FieldCipher& cipher,
                const std::string& today, bool status_indexed) {
  Where where;
  ApplyScope(kind, query.scope, where);
  const std::string& q = query.q;
  if (!q.empty()) {
    switch (kind) {
      case Kind::kCarriers:
        where.And("instr(c.credit_code, upper(?)) > 0 OR instr(c.name, ?) > 0", {q, q});
        break;
      case Kind::kVehicles:
        if (static_cast<unsigned char>(q[0]) >= 0x80) {
          // Starts with a province: a plate prefix, found by the primary key.
          std::string prefix = AsciiUpper(q);
          where.And("v.plate >= ? AND v.plate < ?", {prefix, prefix + "\xF4\x8F\xBF\xBF"});
        } else {
          where.And(
              "instr(v.plate, upper(?)) > 0 OR v.carrier_credit_code = upper(?) OR "
              "instr(v.vin, upper(?)) > 0 OR instr(v.transport_cert_no, ?) > 0",
              {q, q, q, q});
        }
        break;
      case Kind::kDrivers:
        // ID number and phone only whole (issue 13: a substring search let a role that sees
        // them masked recover them character by character).
        where.And("d.id_hash = ? OR d.phone_hash = ? OR instr(d.name, ?) > 0",
                  {IdHash(cipher, q), PhoneHashOfQuery(cipher, q), q});
        break;
      case Kind::kTerminals:
        where.And(
            "instr(t.phone, ?) > 0 OR instr(t.terminal_id, ?) > 0 OR instr(t.plate, upper(?)) > 0",
            {q, q, q});
        break;
      case Kind::kHealthRecords:
        where.And("h.id_hash = ? OR instr(h.name, ?) > 0", {IdHash(cipher, q), q});
        break;
      case Kind::kSites:
        where.And("instr(s.code, ?) > 0 OR instr(s.name, ?) > 0", {q, q});
        break;
    }
  }
  if (query.district) {
    ApplyScope(kind, Scope{query.district, std::nullopt}, where);
  }
  if (query.status && (kind == Kind::kVehicles || kind == Kind::kDrivers)) {
    ApplyStatus(kind == Kind::kVehicles ? "v" : "d", *query.status, today,
                AddDays(today, query.expiring_within_days), status_indexed, where);
  }
  if (query.vehicle_class && kind == Kind::kVehicles) {
    where.And("v.vehicle_class = ?", {std::string(VehicleClassId(*query.vehicle_class))});
  }
  return where;
}

// Runs one upsert. `exists` (bound to the row's key) tells an insert from an update; SQLite's
// change count tells an update from a row left alone (the DO UPDATE's WHERE found no
// difference). RETURNING would say both at once but costs an import twice the time.
Result<UpsertOutcome> RunUpsert(store::Database& database, store::Statement& exists,
                                store::Statement& upsert) {
  auto found = exists.Step();
  exists.Reset();
  if (!found) {
    upsert.Reset();
    return tl::unexpected(found.error());
  }
  auto ran = upsert.Run();
  upsert.Reset();
  if (!ran)
    return tl::unexpected(ran.error());
  if (!*found)
    return UpsertOutcome::kInserted;
  return database.Changes() > 0 ? UpsertOutcome::kUpdated : UpsertOutcome::kUnchanged;
}

// Runs `body` inside the caller's transaction if one is open, else in its own.
template <typename Body>
Result<std::vector<UpsertOutcome>> InTransaction(store::Database& database, Body body) {
  std::optional<store::Transaction> own;
  if (sqlite3_get_autocommit(database.handle()) != 0) {
    auto begun = store::Transaction::Begin(database);
    if (!begun)
      return tl::unexpected(begun.error());
    own.emplace(std::move(*begun));
  }
  auto outcomes = body();
  if (!outcomes)
    return outcomes;
  if (own) {
    if (auto committed = own->Commit(); !committed)
      return tl::unexpected(committed.error());
  }
  return outcomes;
}

// database.h binds std::string_view and std::optional<std::string>; a plain std::string would
// match both.
std::string_view Arg(const std::string& text) {
  return text;
}
const std::optional<std::string>& Arg(const std::optional<std::string>& text) {
  return text;
}

std::optional<std::string> Color(const std::optional<PlateColor>& color) {
  if (!color)
    return std::nullopt;
  return std::to_string(static_cast<int>(*color));
}

// Binds a driver to ?1..?11 of an INSERT into drivers (or drivers_sealed), its personal fields
// sealed: id_hash, id_number, name, phone, phone_hash, licence_class, licence_valid_until,
// qualification_cert_no, qualification_category, qualification_valid_until, carrier_credit_code.
void BindDriver(store::Statement& statement, const crypto::FieldCipher& cipher,
                std::string_view id_hash, const Driver& driver) {
  const DriverSecrets sealed = SealDriverSecrets(
      cipher, id_hash, {driver.id_number, driver.phone, driver.qualification_cert_no});
  statement.Bind(1, id_hash)
      .Bind(2, sealed.id_number)
      .Bind(3, Arg(driver.name))
      .Bind(4, sealed.phone)
      .Bind(5, cipher.LookupHashOptional(kPhoneDomain, driver.phone))
      .Bind(6, Arg(driver.licence_class))
      .Bind(7, Arg(driver.licence_valid_until))
      .Bind(8, sealed.qualification_cert_no)
      .Bind(9, Arg(driver.qualification_category))
      .Bind(10, Arg(driver.qualification_valid_until))
      .Bind(11, Arg(driver.carrier_credit_code));
}

// Binds a health record to ?first.. of an INSERT into health_records (or health_records_sealed),
// its personal fields sealed: id_hash, id_number, kind, tested_at, name, result, valid_until,
// sealed_digest.
void BindHealthRecord(store::Statement& statement, int first, const crypto::FieldCipher& cipher,
                      std::string_view id_hash, const HealthRecord& record) {
  const HealthSecrets sealed = SealHealthSecrets(cipher, id_hash, record.kind, record.tested_at,
                                                 {record.id_number, record.result});
  statement.Bind(first, id_hash)
      .Bind(first + 1, sealed.id_number)
      .Bind(first + 2, Arg(record.kind))
      .Bind(first + 3, record.tested_at)
      .Bind(first + 4, Arg(record.name))
      .Bind(first + 5, sealed.result)
      .Bind(first + 6, Arg(record.valid_until))
      .Bind(first + 7, HealthDigest(cipher, id_hash, record));
}

// "YYYY-MM-DD" as given, or today in China when empty.
Result<std::string> CheckedToday(std::string_view today) {
  if (today.empty())
    return TodayInChina();
  auto date = NormaliseDate(today);
  if (!date || *date != today)
    return Fail(ErrorCode::kBadValue, "registry: today must be a YYYY-MM-DD date");
  return *date;
}

// Ten years: beyond that "expiring" means nothing, and AddDays stays in range.
constexpr int kMaxExpiringDays = 3650;

// Rebuilds drivers and health_records with their personal fields sealed, once per database, in
// one transaction: either every value is sealed or the plain tables stay as they were.
// The caller holds the transaction (Database::UpgradeOnce).
Result<void> SealTables(store::Database& database, const crypto::FieldCipher& cipher) {
  if (auto created = database.Exec(kSealedTables); !created)
    return created;

  auto drivers = database.Prepare(
      "SELECT id_number, name, phone, licence_class, licence_valid_until, qualification_cert_no, "
      "qualification_category, qualification_valid_until, carrier_credit_code, district, "
      "has_missing, min_expiry, version, updated_at_ms FROM drivers");
  auto insert_driver = database.Prepare(
      "INSERT INTO drivers_sealed(id_hash, id_number, name, phone, phone_hash, licence_class, "
      "licence_valid_until, qualification_cert_no, qualification_category, "
      "qualification_valid_until, carrier_credit_code, district, has_missing, min_expiry, "
      "sealed_digest, version, updated_at_ms) "
      "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)");
  if (!drivers || !insert_driver)
    return Fail(ErrorCode::kStorage, "registry: cannot prepare the sealing of drivers");
  auto copied = drivers->ForEachRow([&](store::Statement& from) -> Result<void> {
    Driver driver{from.Text(0),         from.Text(1),         from.OptionalText(2),
                  from.Text(3),         from.OptionalText(4), from.OptionalText(5),
                  from.OptionalText(6), from.OptionalText(7), from.OptionalText(8)};
    const std::string id_hash = IdHash(cipher, driver.id_number);
    BindDriver(*insert_driver, cipher, id_hash, driver);
    insert_driver->Bind(12, from.OptionalText(9))
        .Bind(13, from.Int(10))
        .Bind(14, from.Text(11))
        .Bind(15, DriverDigest(cipher, id_hash, driver))
        .Bind(16, from.Int(12))
        .Bind(17, from.Int(13));
    auto ran = insert_driver->Run();
    insert_driver->Reset();
    return ran;
  });
  if (!copied)
    return copied;

  auto records = database.Prepare(
      "SELECT id, id_number, kind, tested_at, name, result, valid_until, version, updated_at_ms "
      "FROM health_records");
  auto insert_record = database.Prepare(
      "INSERT INTO health_records_sealed(id, id_hash, id_number, kind, tested_at, name, result, "
      "valid_until, sealed_digest, version, updated_at_ms) "
      "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)");
  if (!records || !insert_record)
    return Fail(ErrorCode::kStorage, "registry: cannot prepare the sealing of health records");
  copied = records->ForEachRow([&](store::Statement& from) -> Result<void> {
    HealthRecord record;
    record.id = from.Int(0);
    record.id_number = from.Text(1);
    record.kind = from.Text(2);
    record.tested_at = from.Int(3);
    record.name = from.Text(4);
    record.result = from.Text(5);
    record.valid_until = from.OptionalText(6);
    const std::string id_hash = IdHash(cipher, record.id_number);
    insert_record->Bind(1, record.id);
    BindHealthRecord(*insert_record, 2, cipher, id_hash, record);
    insert_record->Bind(10, from.Int(7)).Bind(11, from.Int(8));
    auto ran = insert_record->Run();
    insert_record->Reset();
    return ran;
  });
  if (!copied)
    return copied;
  return database.Exec(kSealedSwap);
}

}  // namespace

void UpsertCounts::Add(UpsertOutcome outcome) {
  switch (outcome) {
    case UpsertOutcome::kInserted:
      ++inserted;
      break;
    case UpsertOutcome::kUpdated:
      ++updated;
      break;
    case UpsertOutcome::kUnchanged:
      ++unchanged;
      break;
  }
}

void UpsertCounts::Add(std::span<const UpsertOutcome> outcomes) {
  for (auto outcome : outcomes)
    Add(outcome);
}

Result<void> RegistryStore::Migrate(store::Database& database) {
  // Keep the registry's pages in memory (up to 64 MiB, used only as it grows): listings at
  // 100k vehicles otherwise re-read their indexes from the OS on every page. Statement
  // journals in memory: every upsert opens one, and as temporary files they cost an import of
  // 100k rows 850k write calls.
  if (auto tuned = database.Exec("PRAGMA cache_size = -65536; PRAGMA temp_store = MEMORY"); !tuned)
    return tuned;
  if (auto migrated = database.Migrate("registry", kMigrations); !migrated)
    return migrated;
  auto cipher = FieldCipherOf(database);
  if (!cipher)
    return tl::unexpected(cipher.error());
  auto sealed = database.UpgradeOnce(kSealedComponent, 1,
                                     [&](int64_t) { return SealTables(database, **cipher); });
  if (!sealed)
    return tl::unexpected(sealed.error());
  return {};
}

Result<std::shared_ptr<const crypto::FieldCipher>> RegistryStore::FieldCipherOf(
    store::Database& database) {
  const auto directory = database.directory();
  if (!directory)
    return crypto::FieldCipher::Ephemeral();
  return crypto::FieldCipher::ForFile(*directory / crypto::FieldCipher::kFileName);
}

Result<int64_t> RegistryStore::Reseal(store::Database& database,
                                      const crypto::FieldCipher& cipher) {
  // Read everything first, then write: updating a table while a SELECT walks it may visit a
  // row twice.
  int64_t sealed = 0;
  std::vector<std::pair<std::string, DriverSecrets>> drivers;  // by id_hash
  std::vector<std::pair<int64_t, HealthSecrets>> records;      // by id
  auto select_drivers = database.Prepare(
      "SELECT d.id_number, d.phone, d.qualification_cert_no, d.id_hash FROM drivers d");
  auto select_records = database.Prepare(
      "SELECT h.id, h.id_number, h.kind, h.tested_at, h.result, h.id_hash FROM health_records h");
  auto update_driver = database.Prepare(
      "UPDATE drivers SET id_number = ?1, phone = ?2, qualification_cert_no = ?3 "
      "WHERE id_hash = ?4");
  auto update_record =
      database.Prepare("UPDATE health_records SET id_number = ?1, result = ?2 WHERE id = ?3");
  if (!select_drivers || !update_driver || !select_records || !update_record)
    return Fail(ErrorCode::kStorage, "registry: cannot prepare the re-sealing");
  auto walked = select_drivers->ForEachRow([&](store::Statement& row) -> Result<void> {
    std::string id_hash = row.Text(3);
    auto plain =
        OpenDriverSecrets(cipher, id_hash, {row.Text(0), row.OptionalText(1), row.OptionalText(2)});
    if (!plain)
      return tl::unexpected(plain.error());
    sealed += 1 + (plain->phone ? 1 : 0) + (plain->qualification_cert_no ? 1 : 0);
    DriverSecrets resealed = SealDriverSecrets(cipher, id_hash, *plain);
    drivers.emplace_back(std::move(id_hash), std::move(resealed));
    return {};
  });
  if (!walked)
    return tl::unexpected(walked.error());
  walked = select_records->ForEachRow([&](store::Statement& row) -> Result<void> {
    const std::string kind = row.Text(2);
    const int64_t tested_at = row.Int(3);
    const std::string id_hash = row.Text(5);
    auto plain = OpenHealthSecrets(cipher, id_hash, kind, tested_at, {row.Text(1), row.Text(4)});
    if (!plain)
      return tl::unexpected(plain.error());
    records.emplace_back(row.Int(0), SealHealthSecrets(cipher, id_hash, kind, tested_at, *plain));
    sealed += 2;
    return {};
  });
  if (!walked)
    return tl::unexpected(walked.error());
  for (const auto& [id_hash, driver] : drivers) {
    update_driver->Bind(1, driver.id_number)
        .Bind(2, driver.phone)
        .Bind(3, driver.qualification_cert_no)
        .Bind(4, id_hash);
    auto ran = update_driver->Run();
    update_driver->Reset();
    if (!ran)
      return tl::unexpected(ran.error());
  }
  for (const auto& [id, record] : records) {
    update_record->Bind(1, record.id_number).Bind(2, record.result).Bind(3, id);
    auto ran = update_record->Run();
    update_record->Reset();
    if (!ran)
      return tl::unexpected(ran.error());
  }
  return sealed;
}

Result<std::vector<UpsertOutcome>> RegistryStore::Upsert(std::span<const Carrier> rows,
                                                         int64_t now_ms) {
  return InTransaction(database_, [&]() -> Result<std::vector<UpsertOutcome>> {
    auto upsert = database_.Prepare(R"sql(
INSERT INTO carriers(credit_code, name, district, address, business_permit_no,
  business_permit_valid_until, contact_phone, updated_at_ms)
VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
ON CONFLICT(credit_code) DO UPDATE SET name = excluded.name, district = excluded.district,
  address = excluded.address, business_permit_no = excluded.business_permit_no,
  business_permit_valid_until = excluded.business_permit_valid_until,
  contact_phone = excluded.contact_phone, updated_at_ms = excluded.updated_at_ms,
  version = version + 1
WHERE name IS NOT excluded.name OR district IS NOT excluded.district
  OR address IS NOT excluded.address OR business_permit_no IS NOT excluded.business_permit_no
  OR business_permit_valid_until IS NOT excluded.business_permit_valid_until
  OR contact_phone IS NOT excluded.contact_phone)sql");
    auto copy_to_vehicles = database_.Prepare(R"sql(
UPDATE vehicles SET district = ?2, carrier_permit_valid_until = ?3,
  has_missing = transport_cert_valid_until IS NULL OR insurance_valid_until IS NULL OR ?3 IS NULL,
  min_expiry = min(coalesce(transport_cert_valid_until, '9999-12-31'),
    coalesce(insurance_valid_until, '9999-12-31'), coalesce(?3, '9999-12-31'))
WHERE carrier_credit_code = ?1 AND (district IS NOT ?2 OR carrier_permit_valid_until IS NOT ?3))sql");
    auto copy_to_drivers = database_.Prepare(
        "UPDATE drivers SET district = ?2 WHERE carrier_credit_code = ?1 AND district IS NOT ?2");
    auto exists = database_.Prepare("SELECT 1 FROM carriers WHERE credit_code = ?");
    if (!upsert || !exists || !copy_to_vehicles || !copy_to_drivers)
      return Fail(ErrorCode::kStorage, "registry: cannot prepare the carrier upsert");
    std::vector<UpsertOutcome> outcomes;
    outcomes.reserve(rows.size());
    for (const Carrier& row : rows) {
      upsert->Bind(1, Arg(row.credit_code))
          .Bind(2, Arg(row.name))
          .Bind(3, Arg(row.district))
          .Bind(4, Arg(row.address))
          .Bind(5, Arg(row.business_permit_no))
          .Bind(6, Arg(row.business_permit_valid_until))
          .Bind(7, Arg(row.contact_phone))
          .Bind(8, now_ms);
      exists->Bind(1, Arg(row.credit_code));
      auto outcome = RunUpsert(database_, *exists, *upsert);
      if (!outcome)
        return tl::unexpected(outcome.error());
      outcomes.push_back(*outcome);
      if (*outcome == UpsertOutcome::kUnchanged)
        continue;
      copy_to_vehicles->Bind(1, Arg(row.credit_code))
          .Bind(2, Arg(row.district))
          .Bind(3, Arg(row.business_permit_valid_until));
      auto copied = copy_to_vehicles->Run();
      copy_to_vehicles->Reset();
      copy_to_drivers->Bind(1, Arg(row.credit_code)).Bind(2, Arg(row.district));
      if (copied)
        copied = copy_to_drivers->Run();
      copy_to_drivers->Reset();
      if (!copied)
        return tl::unexpected(copied.error());
    }
    return outcomes;
  });
}

Result<std::vector<UpsertOutcome>> RegistryStore::Upsert(std::span<const Vehicle> rows,
                                                         int64_t now_ms) {
  return InTransaction(database_, [&]() -> Result<std::vector<UpsertOutcome>> {
    auto upsert = database_.Prepare(R"sql(
INSERT INTO vehicles(plate, plate_color, vehicle_class, carrier_credit_code, vin,
  transport_cert_no, transport_cert_valid_until, insurance_valid_until, district,
  carrier_permit_valid_until, has_missing, min_expiry, updated_at_ms)
SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, c.district, c.business_permit_valid_until,
  ?7 IS NULL OR ?8 IS NULL OR c.business_permit_valid_until IS NULL,
  min(coalesce(?7, '9999-12-31'), coalesce(?8, '9999-12-31'),
    coalesce(c.business_permit_valid_until, '9999-12-31')), ?9
FROM (SELECT 1) LEFT JOIN carriers c ON c.credit_code = ?4
WHERE true
ON CONFLICT(plate, plate_color) DO UPDATE SET vehicle_class = excluded.vehicle_class,
  carrier_credit_code = excluded.carrier_credit_code, vin = excluded.vin,
  transport_cert_no = excluded.transport_cert_no,
  transport_cert_valid_until = excluded.transport_cert_valid_until,
  insurance_valid_until = excluded.insurance_valid_until, district = excluded.district,
  carrier_permit_valid_until = excluded.carrier_permit_valid_until,
  has_missing = excluded.has_missing, min_expiry = excluded.min_expiry,
  updated_at_ms = excluded.updated_at_ms, version = version + 1
WHERE vehicle_class IS NOT excluded.vehicle_class
  OR carrier_credit_code IS NOT excluded.carrier_credit_code OR vin IS NOT excluded.vin
  OR transport_cert_no IS NOT excluded.transport_cert_no
  OR transport_cert_valid_until IS NOT excluded.transport_cert_valid_until
  OR insurance_valid_until IS NOT excluded.insurance_valid_until)sql");
    auto exists = database_.Prepare("SELECT 1 FROM vehicles WHERE plate = ? AND plate_color = ?");
    if (!upsert || !exists)
      return Fail(ErrorCode::kStorage, "registry: cannot prepare an upsert");
    std::vector<UpsertOutcome> outcomes;
    outcomes.reserve(rows.size());
    for (const Vehicle& row : rows) {
      upsert->Bind(1, Arg(row.plate))
          .Bind(2, static_cast<int64_t>(row.plate_color))
          .Bind(3, VehicleClassId(row.vehicle_class))
          .Bind(4, Arg(row.carrier_credit_code))
          .Bind(5, Arg(row.vin))
          .Bind(6, Arg(row.transport_cert_no))
          .Bind(7, Arg(row.transport_cert_valid_until))
          .Bind(8, Arg(row.insurance_valid_until))
          .Bind(9, now_ms);
      exists->Bind(1, Arg(row.plate)).Bind(2, static_cast<int64_t>(row.plate_color));
      auto outcome = RunUpsert(database_, *exists, *upsert);
      if (!outcome)
        return tl::unexpected(outcome.error());
      outcomes.push_back(*outcome);
    }
    return outcomes;
  });
}

Result<std::vector<UpsertOutcome>> RegistryStore::Upsert(std::span<const Driver> rows,
                                                         int64_t now_ms) {
  if (!cipher_)
    return tl::unexpected(cipher_.error());
  const crypto::FieldCipher& cipher = **cipher_;
  return InTransaction(database_, [&]() -> Result<std::vector<UpsertOutcome>> {
    auto upsert = database_.Prepare(R"sql(
INSERT INTO drivers(id_hash, id_number, name, phone, phone_hash, licence_class,
  licence_valid_until, qualification_cert_no, qualification_category, qualification_valid_until,
  carrier_credit_code, district, has_missing, min_expiry, sealed_digest, updated_at_ms)
VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11,
  (SELECT district FROM carriers WHERE credit_code = ?11), ?7 IS NULL OR ?10 IS NULL,
  min(coalesce(?7, '9999-12-31'), coalesce(?10, '9999-12-31')), ?12, ?13)
ON CONFLICT(id_hash) DO UPDATE SET id_number = excluded.id_number, name = excluded.name,
  phone = excluded.phone, phone_hash = excluded.phone_hash,
  licence_class = excluded.licence_class, licence_valid_until = excluded.licence_valid_until,
  qualification_cert_no = excluded.qualification_cert_no,
  qualification_category = excluded.qualification_category,
  qualification_valid_until = excluded.qualification_valid_until,
  carrier_credit_code = excluded.carrier_credit_code, district = excluded.district,
  has_missing = excluded.has_missing, min_expiry = excluded.min_expiry,
  sealed_digest = excluded.sealed_digest, updated_at_ms = excluded.updated_at_ms,
  version = version + 1
WHERE name IS NOT excluded.name OR sealed_digest IS NOT excluded.sealed_digest
  OR licence_class IS NOT excluded.licence_class
  OR licence_valid_until IS NOT excluded.licence_valid_until
  OR qualification_category IS NOT excluded.qualification_category
  OR qualification_valid_until IS NOT excluded.qualification_valid_until
  OR carrier_credit_code IS NOT excluded.carrier_credit_code)sql");
    auto exists = database_.Prepare("SELECT 1 FROM drivers WHERE id_hash = ?");
    if (!upsert || !exists)
      return Fail(ErrorCode::kStorage, "registry: cannot prepare an upsert");
    std::vector<UpsertOutcome> outcomes;
    outcomes.reserve(rows.size());
    for (const Driver& row : rows) {
      const std::string id_hash = IdHash(cipher, row.id_number);
      BindDriver(*upsert, cipher, id_hash, row);
      upsert->Bind(12, DriverDigest(cipher, id_hash, row)).Bind(13, now_ms);
      exists->Bind(1, Arg(id_hash));
      auto outcome = RunUpsert(database_, *exists, *upsert);
      if (!outcome)
        return tl::unexpected(outcome.error());
      outcomes.push_back(*outcome);
    }
    return outcomes;
  });
}

Result<std::vector<UpsertOutcome>> RegistryStore::Upsert(std::span<const Terminal> rows,
                                                         int64_t now_ms) {
  return InTransaction(database_, [&]() -> Result<std::vector<UpsertOutcome>> {
    auto upsert = database_.Prepare(R"sql(
INSERT INTO terminals(phone, terminal_id, maker, model, plate, plate_color, updated_at_ms)
VALUES(?1, ?2, ?3, ?4, ?5, CAST(?6 AS INTEGER), ?7)
ON CONFLICT(phone) DO UPDATE SET terminal_id = excluded.terminal_id, maker = excluded.maker,
  model = excluded.model, plate = excluded.plate, plate_color = excluded.plate_color,
  updated_at_ms = excluded.updated_at_ms, version = version + 1
WHERE terminal_id IS NOT excluded.terminal_id OR maker IS NOT excluded.maker
  OR model IS NOT excluded.model OR plate IS NOT excluded.plate
  OR plate_color IS NOT excluded.plate_color)sql");
    auto exists = database_.Prepare("SELECT 1 FROM terminals WHERE phone = ?");
    if (!upsert || !exists)
      return Fail(ErrorCode::kStorage, "registry: cannot prepare an upsert");
    std::vector<UpsertOutcome> outcomes;
    outcomes.reserve(rows.size());
    for (const Terminal& row : rows) {
      upsert->Bind(1, Arg(row.phone))
          .Bind(2, Arg(row.terminal_id))
          .Bind(3, Arg(row.maker))
          .Bind(4, Arg(row.model))
          .Bind(5, Arg(row.plate))
          .Bind(6, Color(row.plate_color))
          .Bind(7, now_ms);
      exists->Bind(1, Arg(row.phone));
      auto outcome = RunUpsert(database_, *exists, *upsert);
      if (!outcome)
        return tl::unexpected(outcome.error());
      outcomes.push_back(*outcome);
    }
    return outcomes;
  });
}

Result<std::vector<UpsertOutcome>> RegistryStore::Upsert(std::span<HealthRecord> rows,
                                                         int64_t now_ms) {
  if (!cipher_)
    return tl::unexpected(cipher_.error());
  const crypto::FieldCipher& cipher = **cipher_;
  return InTransaction(database_, [&]() -> Result<std::vector<UpsertOutcome>> {
    auto upsert = database_.Prepare(R"sql(
INSERT INTO health_records(id_hash, id_number, kind, tested_at, name, result, valid_until,
  sealed_digest, updated_at_ms)
VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
ON CONFLICT(id_hash, kind, tested_at) DO UPDATE SET id_number = excluded.id_number,
  name = excluded.name, result = excluded.result, valid_until = excluded.valid_until,
  sealed_digest = excluded.sealed_digest, updated_at_ms = excluded.updated_at_ms,
  version = version + 1
WHERE name IS NOT excluded.name OR sealed_digest IS NOT excluded.sealed_digest
  OR valid_until IS NOT excluded.valid_until)sql");
    auto find = database_.Prepare(
        "SELECT id FROM health_records WHERE id_hash = ?1 AND kind = ?2 AND tested_at = ?3");
    if (!upsert || !find)
      return Fail(ErrorCode::kStorage, "registry: cannot prepare the health record upsert");
    std::vector<UpsertOutcome> outcomes;
    outcomes.reserve(rows.size());
    for (HealthRecord& row : rows) {
      const std::string id_hash = IdHash(cipher, row.id_number);
      find->Bind(1, Arg(id_hash)).Bind(2, Arg(row.kind)).Bind(3, row.tested_at);
      auto found = find->Step();
      std::optional<int64_t> id;
      if (found && *found)
        id = find->Int(0);
      find->Reset();
      if (!found)
        return tl::unexpected(found.error());
      BindHealthRecord(*upsert, 1, cipher, id_hash, row);
      upsert->Bind(9, now_ms);
      auto ran = upsert->Run();
      upsert->Reset();
      if (!ran)
        return tl::unexpected(ran.error());
      if (!id) {
        row.id = database_.LastInsertRowId();
        outcomes.push_back(UpsertOutcome::kInserted);
      } else {
        row.id = *id;
        outcomes.push_back(database_.Changes() > 0 ? UpsertOutcome::kUpdated
                                                   : UpsertOutcome::kUnchanged);
      }
    }
    return outcomes;
  });
}

Result<std::vector<UpsertOutcome>> RegistryStore::Upsert(std::span<const Site> rows,
                                                         int64_t now_ms) {
  return InTransaction(database_, [&]() -> Result<std::vector<UpsertOutcome>> {
    auto upsert = database_.Prepare(R"sql(
INSERT INTO sites(code, name, kind, district, geometry, updated_at_ms)
VALUES(?1, ?2, ?3, ?4, ?5, ?6)
ON CONFLICT(code) DO UPDATE SET name = excluded.name, kind = excluded.kind,
  district = excluded.district, geometry = excluded.geometry,
  updated_at_ms = excluded.updated_at_ms, version = version + 1
WHERE name IS NOT excluded.name OR kind IS NOT excluded.kind
  OR district IS NOT excluded.district OR geometry IS NOT excluded.geometry)sql");
    auto exists = database_.Prepare("SELECT 1 FROM sites WHERE code = ?");
    if (!upsert || !exists)
      return Fail(ErrorCode::kStorage, "registry: cannot prepare an upsert");
    std::vector<UpsertOutcome> outcomes;
    outcomes.reserve(rows.size());
    for (const Site& row : rows) {
      upsert->Bind(1, Arg(row.code))
          .Bind(2, Arg(row.name))
          .Bind(3, SiteKindId(row.kind))
          .Bind(4, Arg(row.district))
          .Bind(5, Arg(row.geometry))
          .Bind(6, now_ms);
      exists->Bind(1, Arg(row.code));
      auto outcome = RunUpsert(database_, *exists, *upsert);
      if (!outcome)
        return tl::unexpected(outcome.error());
      outcomes.push_back(*outcome);
    }
    return outcomes;
  });
}

Result<Page> RegistryStore::List(Kind kind, const ListQuery& given) {
  ListQuery query = given;
  auto today_checked = CheckedToday(query.today);
  if (!today_checked)
    return tl::unexpected(today_checked.error());
  const std::string today = *today_checked;
  query.expiring_within_days = std::clamp(query.expiring_within_days, 0, kMaxExpiringDays);
  if (!cipher_)
    return tl::unexpected(cipher_.error());
  const crypto::FieldCipher& cipher = **cipher_;
  const KindSql sql = SqlOf(kind);
  Where where = FiltersOf(kind, query, cipher, today, true);
  Page page;
  if (auto matched = PersonalMatches(kind, query, cipher, today); !matched)
    return tl::unexpected(matched.error());
  else
    page.q_matched_personal = std::move(*matched);
  auto count = database_.Prepare(std::string("SELECT COUNT(*) FROM ") + sql.count_from + where.sql);
  if (!count)
    return tl::unexpected(count.error());
  where.BindTo(*count);
  auto counted = count->Step();
  if (!counted)
    return tl::unexpected(counted.error());
  page.total = *counted ? count->Int(0) : 0;

  int64_t limit = std::clamp<int64_t>(query.limit, 0, kMaxListLimit);
  int64_t offset = std::max<int64_t>(query.offset, 0);
  if (limit == 0 || offset >= page.total)
    return page;
  // Few matches: find them by the status index and sort them. Many: walk the key order.
  if (query.status && page.total > kSortAtMost)
    where = FiltersOf(kind, query, cipher, today, false);
  auto select = database_.Prepare(std::string("SELECT ") + sql.columns + " FROM " + sql.from +
                                  where.sql + " ORDER BY " + sql.order + " LIMIT ? OFFSET ?");
  if (!select)
    return tl::unexpected(select.error());
  where.BindTo(*select);
  int next = static_cast<int>(where.params.size()) + 1;
  select->Bind(next, limit).Bind(next + 1, offset);
  page.items.reserve(static_cast<size_t>(limit));
  while (true) {
    auto row = select->Step();
    if (!row)
      return tl::unexpected(row.error());
    if (!*row)
      break;
    auto item = ItemOf(kind, *select, cipher, today, query.expiring_within_days, false);
    if (!item)
      return tl::unexpected(item.error());
    page.items.push_back(std::move(*item));
  }
  return page;
}

Result<std::vector<std::string>> RegistryStore::PersonalMatches(Kind kind, const ListQuery& query,
                                                                const crypto::FieldCipher& cipher,
                                                                const std::string& today) {
  std::vector<std::string> matched;
  if (query.q.empty() || (kind != Kind::kDrivers && kind != Kind::kHealthRecords))
    return matched;
  ListQuery without_q = query;
  without_q.q.clear();
  const KindSql sql = SqlOf(kind);
  const char* alias = kind == Kind::kDrivers ? "d" : "h";
  std::vector<std::pair<std::string, std::string>> fields = {
      {"id_number", IdHash(cipher, query.q)}};
  if (kind == Kind::kDrivers)
    fields.emplace_back("phone", PhoneHashOfQuery(cipher, query.q));
  for (const auto& [field, hash] : fields) {
    Where where = FiltersOf(kind, without_q, cipher, today, true);
    const std::string column = field == "phone" ? "phone_hash" : "id_hash";
    where.And(std::string(alias) + "." + column + " = ?", {hash});
    auto exists = database_.Prepare(std::string("SELECT EXISTS(SELECT 1 FROM ") + sql.count_from +
                                    where.sql + ")");
    if (!exists)
      return tl::unexpected(exists.error());
    where.BindTo(*exists);
    auto row = exists->Step();
    if (!row)
      return tl::unexpected(row.error());
    if (*row && exists->Int(0) != 0)
      matched.push_back(field);
  }
  return matched;
}

Result<std::optional<ordered_json>> RegistryStore::Get(Kind kind, std::string_view key,
                                                       const Scope& scope,
                                                       std::string_view today_text,
                                                       int expiring_within_days) {
  auto today_checked = CheckedToday(today_text);
  if (!today_checked)
    return tl::unexpected(today_checked.error());
  const std::string today = *today_checked;
  expiring_within_days = std::clamp(expiring_within_days, 0, kMaxExpiringDays);
  if (!cipher_)
    return tl::unexpected(cipher_.error());
  const crypto::FieldCipher& cipher = **cipher_;
  Where where;
  ApplyScope(kind, scope, where);
  switch (kind) {
    case Kind::kCarriers:
      where.And("c.credit_code = ?", {std::string(key)});
      break;
    case Kind::kVehicles: {
      size_t dash = key.rfind('-');
      int color = -1;
      if (dash == std::string_view::npos ||
          std::from_chars(key.data() + dash + 1, key.data() + key.size(), color).ec !=
              std::errc() ||
          dash + 1 == key.size())
        return std::nullopt;
      where.And("v.plate = ? AND v.plate_color = ?",
                {std::string(key.substr(0, dash)), int64_t{color}});
      break;
    }
    case Kind::kDrivers:
      where.And("d.id_hash = ?", {IdHash(cipher, key)});
      break;
    case Kind::kTerminals:
      where.And("t.phone = ?", {std::string(key)});
      break;
    case Kind::kHealthRecords: {
      int64_t id = 0;
      auto parsed = std::from_chars(key.data(), key.data() + key.size(), id);
      if (parsed.ec != std::errc() || parsed.ptr != key.data() + key.size())
        return std::nullopt;
      where.And("h.id = ?", {id});
      break;
    }
    case Kind::kSites:
      where.And("s.code = ?", {std::string(key)});
      break;
  }
  const KindSql sql = SqlOf(kind);
  auto select = database_.Prepare(std::string("SELECT ") + sql.columns + " FROM " + sql.from +
                                  where.sql + " LIMIT 1");
  if (!select)
    return tl::unexpected(select.error());
  where.BindTo(*select);
  auto row = select->Step();
  if (!row)
    return tl::unexpected(row.error());
  if (!*row)
    return std::nullopt;
  auto item = ItemOf(kind, *select, cipher, today, expiring_within_days, true);
  if (!item)
    return tl::unexpected(item.error());
  return std::optional<ordered_json>(std::move(*item));
}

Result<std::optional<Carrier>> RegistryStore::FindCarrier(std::string_view credit_code) {
  auto select = database_.Prepare(std::string("SELECT ") + SqlOf(Kind::kCarriers).columns +
                                  " FROM carriers c WHERE c.credit_code = ?");
  if (!select)
    return tl::unexpected(select.error());
  select->Bind(1, credit_code);
  auto row = select->Step();
  if (!row)
    return tl::unexpected(row.error());
  if (!*row)
    return std::nullopt;
  return ReadCarrier(*select);
}

Result<std::optional<Vehicle>> RegistryStore::FindVehicle(std::string_view plate,
                                                          PlateColor color) {
  auto select =
      database_.Prepare(std::string("SELECT ") + SqlOf(Kind::kVehicles).columns + " FROM " +
                        SqlOf(Kind::kVehicles).from + " WHERE v.plate = ? AND v.plate_color = ?");
  if (!select)
    return tl::unexpected(select.error());
  select->Bind(1, plate).Bind(2, static_cast<int64_t>(color));
  auto row = select->Step();
  if (!row)
    return tl::unexpected(row.error());
  if (!*row)
    return std::nullopt;
  return ReadVehicle(*select);
}

Result<std::optional<Driver>> RegistryStore::FindDriver(std::string_view id_number) {
  if (!cipher_)
    return tl::unexpected(cipher_.error());
  auto select = database_.Prepare(std::string("SELECT ") + SqlOf(Kind::kDrivers).columns +
                                  " FROM drivers d WHERE d.id_hash = ?");
  if (!select)
    return tl::unexpected(select.error());
  select->Bind(1, IdHash(**cipher_, id_number));
  auto row = select->Step();
  if (!row)
    return tl::unexpected(row.error());
  if (!*row)
    return std::nullopt;
  auto driver = ReadDriver(*select, **cipher_);
  if (!driver)
    return tl::unexpected(driver.error());
  return std::optional<Driver>(std::move(*driver));
}

Result<std::optional<HealthRecord>> RegistryStore::NewestHealthRecord(
    std::string_view id_number, int64_t until_ms, std::span<const std::string> kinds) {
  if (!cipher_)
    return tl::unexpected(cipher_.error());
  if (kinds.empty())
    return std::nullopt;
  // Served by the UNIQUE(id_hash, kind, tested_at) index.
  std::string sql =
      std::string("SELECT ") + SqlOf(Kind::kHealthRecords).columns +
      " FROM health_records h WHERE h.id_hash = ? AND h.tested_at <= ? AND h.kind IN (";
  for (size_t i = 0; i < kinds.size(); ++i)
    sql += i == 0 ? "?" : ", ?";
  sql += ") ORDER BY h.tested_at DESC, h.id DESC LIMIT 1";
  auto select = database_.Prepare(sql);
  if (!select)
    return tl::unexpected(select.error());
  select->Bind(1, IdHash(**cipher_, id_number)).Bind(2, until_ms);
  int index = 3;
  for (const auto& kind : kinds)
    select->Bind(index++, std::string_view(kind));
  auto row = select->Step();
  if (!row)
    return tl::unexpected(row.error());
  if (!*row)
    return std::nullopt;
  auto record = ReadHealthRecord(*select, **cipher_);
  if (!record)
    return tl::unexpected(record.error());
  return std::optional<HealthRecord>(std::move(*record));
}

Result<std::optional<Terminal>> RegistryStore::FindTerminal(std::string_view phone) {
  auto select = database_.Prepare(std::string("SELECT ") + SqlOf(Kind::kTerminals).columns +
                                  " FROM terminals t WHERE t.phone = ?");
  if (!select)
    return tl::unexpected(select.error());
  select->Bind(1, phone);
  auto row = select->Step();
  if (!row)
    return tl::unexpected(row.error());
  if (!*row)
    return std::nullopt;
  return ReadTerminal(*select);
}

Result<bool> RegistryStore::CarrierExists(std::string_view credit_code) {
  auto select = database_.Prepare("SELECT 1 FROM carriers WHERE credit_code = ?");
  if (!select)
    return tl::unexpected(select.error());
  select->Bind(1, credit_code);
  return select->Step();
}

Result<bool> RegistryStore::VehicleExists(std::string_view plate, PlateColor color) {
  auto select = database_.Prepare("SELECT 1 FROM vehicles WHERE plate = ? AND plate_color = ?");
  if (!select)
    return tl::unexpected(select.error());
  select->Bind(1, plate).Bind(2, static_cast<int64_t>(color));
  return select->Step();
}

Result<std::vector<Terminal>> RegistryStore::Terminals() {
  auto select = database_.Prepare(std::string("SELECT ") + SqlOf(Kind::kTerminals).columns +
                                  " FROM terminals t ORDER BY t.phone");
  if (!select)
    return tl::unexpected(select.error());
  std::vector<Terminal> terminals;
  while (true) {
    auto row = select->Step();
    if (!row)
      return tl::unexpected(row.error());
    if (!*row)
      return terminals;
    terminals.push_back(ReadTerminal(*select));
  }
}

Result<ordered_json> RegistryStore::SiteFeatures(const Scope& scope) {
  Where where;
  ApplyScope(Kind::kSites, scope, where);
  auto select = database_.Prepare(std::string("SELECT ") + SqlOf(Kind::kSites).columns +
                                  " FROM sites s" + where.sql + " ORDER BY s.code");
  if (!select)
    return tl::unexpected(select.error());
  where.BindTo(*select);
  ordered_json features = ordered_json::array();
  while (true) {
    auto row = select->Step();
    if (!row)
      return tl::unexpected(row.error());
    if (!*row)
      return features;
    Site site = ReadSite(*select);
    ordered_json geometry = ordered_json::parse(site.geometry, nullptr, false);
    if (geometry.is_discarded())
      continue;
    features.push_back({{"type", "Feature"},
                        {"geometry", std::move(geometry)},
                        {"properties",
                         {{"layer", "site"},
                          {"code", site.code},
                          {"name", site.name},
                          {"kind", SiteKindId(site.kind)},
                          {"kind_name", SiteKindName(site.kind)},
                          {"district", site.district}}}});
  }
}

Result<int64_t> RegistryStore::Count(Kind kind) {
  auto count = database_.Prepare(std::string("SELECT COUNT(*) FROM ") + SqlOf(kind).count_from);
  if (!count)
    return tl::unexpected(count.error());
  auto row = count->Step();
  if (!row)
    return tl::unexpected(row.error());
  return count->Int(0);
}

}  // namespace baotong::registry
