#include "pass/pass_store.h"

#include <algorithm>
#include <array>
#include <cmath>

namespace baotong::pass {
namespace {

using nlohmann::ordered_json;

// Version 1 of the pass tables. `body` is the application as ApplicationJson writes it; the
// columns beside it are what listings filter and sort by. `cover_until_ms` is CoverUntilMs
// (the later of entry_until and planned exit), for the arrivals view.
constexpr const char* kSchemaV1 = R"sql(
CREATE TABLE passes(
  id INTEGER PRIMARY KEY,
  kind TEXT NOT NULL,
  plate TEXT NOT NULL,
  plate_color INTEGER NOT NULL,
  carrier_credit_code TEXT NOT NULL,
  applicant TEXT NOT NULL,
  status TEXT NOT NULL,
  entry_from_ms INTEGER NOT NULL,
  cover_until_ms INTEGER NOT NULL,
  valid_until_ms INTEGER,
  created_at_ms INTEGER NOT NULL,
  updated_at_ms INTEGER NOT NULL,
  body TEXT NOT NULL);
CREATE INDEX passes_status ON passes(status, id);
CREATE INDEX passes_plate ON passes(plate, id);
CREATE INDEX passes_carrier ON passes(carrier_credit_code, id);
CREATE INDEX passes_applicant ON passes(applicant, id);
CREATE INDEX passes_validity ON passes(valid_until_ms) WHERE valid_until_ms IS NOT NULL;

CREATE TABLE pass_sites(
  site_code TEXT NOT NULL,
  pass_id INTEGER NOT NULL REFERENCES passes(id) ON DELETE CASCADE,
  PRIMARY KEY(site_code, pass_id)) WITHOUT ROWID;

CREATE TABLE pass_routes(
  id TEXT PRIMARY KEY NOT NULL,
  name TEXT NOT NULL,
  geometry TEXT NOT NULL,
  allows_hazardous INTEGER NOT NULL,
  updated_at_ms INTEGER NOT NULL) WITHOUT ROWID;
)sql";

// Routes drawn or imported with a corridor of their own (issue 14).
constexpr const char* kRouteCorridor =
    "ALTER TABLE pass_routes ADD COLUMN corridor_m INTEGER NOT NULL DEFAULT 0";

constexpr std::array<const char*, 2> kMigrations = {kSchemaV1, kRouteCorridor};

constexpr const char* kMaxPlate = "\xF4\x8F\xBF\xBF";  // above every UTF-8 character

// A stored application is the JSON of ApplicationJson with what names or judges people — the
// drivers' ID numbers and names, the check findings, review and revocation texts, the pass token
// — taken out and sealed into "sealed" (issue 13; common/field_cipher.h), bound to the pass id.
// The rest (plate, company, cargo, origin, destinations, times) stays readable, so that the
// statistics can count freight without opening anyone's data.
constexpr std::array<const char*, 6> kSealedMembers = {
    "driver_id_numbers", "driver_names", "checks", "review", "revocation", "token"};
constexpr const char* kSealedMember = "sealed";

std::string BodyContext(int64_t id) {
  return "passes.body|" + std::to_string(id);
}

std::string BodyOf(const crypto::FieldCipher& cipher, const PassApplication& pass) {
  ordered_json body = ApplicationJson(pass, 0);
  ordered_json personal = ordered_json::object();
  for (const char* member : kSealedMembers) {
    if (auto found = body.find(member); found != body.end()) {
      personal[member] = std::move(*found);
      body.erase(member);
    }
  }
  body[kSealedMember] = cipher.Seal(personal.dump(), BodyContext(pass.id));
  return body.dump();
}

// Whether a plain JSON body (written before issue 13) is read: only by the migration that seals
// them. Anywhere else a plain body means someone who could write the file swapped one in.
enum class PlainBody { kRefuse, kAccept };

// The application's JSON from a stored body: its readable members with the personal ones
// opened from kSealedMember.
Result<nlohmann::json> OpenBody(const crypto::FieldCipher& cipher, const std::string& stored,
                                int64_t id, PlainBody plain) {
  const auto refused = [] {
    return Fail(ErrorCode::kStorage,
                "pass: a stored application does not open (altered, or another key file)");
  };
  auto json = nlohmann::json::parse(stored, nullptr, false);
  if (!json.is_object())
    return Fail(ErrorCode::kStorage, "pass: a stored application does not parse");
  const auto sealed = json.find(kSealedMember);
  if (sealed == json.end()) {
    if (plain == PlainBody::kAccept)
      return json;
    return Fail(ErrorCode::kStorage,
                "pass: a stored application is not sealed (altered: plain bodies are read only "
                "by the migration that seals them)");
  }
  if (!sealed->is_string())
    return refused();
  auto personal_text = cipher.Open(sealed->get<std::string>(), BodyContext(id));
  if (!personal_text)
    return refused();
  auto personal = nlohmann::json::parse(*personal_text, nullptr, false);
  if (!personal.is_object())
    return refused();
  json.erase(kSealedMember);
  json.update(personal);
  return json;
}

Result<PassApplication> ReadBody(const crypto::FieldCipher& cipher, const std::string& stored,
                                 int64_t id, PlainBody plain = PlainBody::kRefuse) {
  auto json = OpenBody(cipher, stored, id, plain);
  if (!json)
    return tl::unexpected(json.error());
  auto pass = ApplicationFromJson(*json);
  if (!pass)
    return Fail(ErrorCode::kStorage, "pass: a stored application does not parse");
  pass->id = id;
  return *pass;
}

// Writes every body again in the current form under the cipher's newest key (what the sealing
// migration and a key rotation both do); returns how many. The caller holds the transaction.
Result<int64_t> RewriteBodies(store::Database& database, const crypto::FieldCipher& cipher,
                              PlainBody plain) {
  auto select = database.Prepare("SELECT id, body FROM passes");
  auto update = database.Prepare("UPDATE passes SET body = ? WHERE id = ?");
  if (!select || !update)
    return Fail(ErrorCode::kStorage, "pass: cannot prepare the sealing of bodies");
  // Read everything first, then write (an UPDATE during the walk could revisit rows).
  std::vector<std::pair<int64_t, std::string>> bodies;
  auto walked = select->ForEachRow([&](const store::Statement& row) -> Result<void> {
    auto pass = ReadBody(cipher, row.Text(1), row.Int(0), plain);
    if (!pass)
      return tl::unexpected(pass.error());
    bodies.emplace_back(row.Int(0), BodyOf(cipher, *pass));
    return {};
  });
  if (!walked)
    return tl::unexpected(walked.error());
  for (const auto& [id, body] : bodies) {
    update->Bind(1, std::string_view(body)).Bind(2, id);
    auto ran = update->Run();
    update->Reset();
    if (!ran)
      return tl::unexpected(ran.error());
  }
  return static_cast<int64_t>(bodies.size());
}

constexpr std::string_view kSealedComponent = "pass_sealed";
// 2: the personal members sealed, the rest readable. (1 was an early build of issue 13 that
// sealed whole bodies; no database outside its development holds them.)
constexpr int64_t kSealedVersion = 2;

// Brings the bodies of an older database to the current form, once, in one transaction.
Result<void> SealBodies(store::Database& database, const crypto::FieldCipher& cipher) {
  auto sealed = database.UpgradeOnce(kSealedComponent, kSealedVersion, [&](int64_t) {
    return RewriteBodies(database, cipher, PlainBody::kAccept).map([](int64_t) {});
  });
  if (!sealed)
    return tl::unexpected(sealed.error());
  return {};
}

// Which pass a lookup prefers among several that qualify: a trip over a standing
// registration, then the longest valid, then the newest.
bool Better(const PassApplication& candidate, const PassApplication* current) {
  if (!current)
    return true;
  if (candidate.kind != current->kind)
    return candidate.kind == PassKind::kTrip;
  if (candidate.valid_until_ms != current->valid_until_ms)
    return candidate.valid_until_ms > current->valid_until_ms;
  return candidate.id > current->id;
}

// Whether the vehicle and every driver are registered to `carrier` (unknown ones are not).
bool InFleet(const CheckFacts& facts, const std::string& carrier) {
  if (!facts.vehicle || facts.vehicle->carrier_credit_code != carrier)
    return false;
  return std::all_of(facts.drivers.begin(), facts.drivers.end(), [&](const DriverFacts& driver) {
    return driver.driver && driver.driver->carrier_credit_code == carrier;
  });
}

}  // namespace

Result<int64_t> PassStore::Reseal(store::Database& database, const crypto::FieldCipher& cipher) {
  return RewriteBodies(database, cipher, PlainBody::kRefuse);
}

std::string_view PassStateId(PassState state) {
  switch (state) {
    case PassState::kNone:
      return "none";
    case PassState::kInForce:
      return "in_force";
    case PassState::kRevoked:
      return "revoked";
    case PassState::kExpired:
      return "expired";
    case PassState::kNotYetValid:
      return "not_yet_valid";
  }
  return "";
}

std::string_view ArrivalPhaseId(ArrivalPhase phase) {
  switch (phase) {
    case ArrivalPhase::kUpcoming:
      return "upcoming";
    case ArrivalPhase::kEntryOpen:
      return "entry_open";
    case ArrivalPhase::kEntryClosed:
      return "entry_closed";
  }
  return "";
}

ordered_json ArrivalJson(const Arrival& arrival) {
  const PassApplication& pass = *arrival.pass;
  ordered_json cargo = nullptr;
  if (pass.cargo) {
    cargo = {{"category", pass.cargo->category},
             {"name", pass.cargo->name},
             {"weight_kg", pass.cargo->weight_kg},
             {"dangerous", pass.cargo->dangerous}};
  }
  return ordered_json{{"pass_id", pass.id},
                      {"plate", pass.plate},
                      {"plate_color", static_cast<int>(pass.plate_color)},
                      {"carrier_credit_code", pass.carrier_credit_code},
                      {"driver_names", pass.driver_names},
                      {"cargo", cargo},
                      {"origin", pass.origin},
                      {"entry_from_ms", pass.entry_from_ms},
                      {"entry_until_ms", pass.entry_until_ms},
                      {"planned_exit_ms", pass.planned_exit_ms},
                      {"phase", ArrivalPhaseId(arrival.phase)}};
}

PassStore::PassStore(std::unique_ptr<store::Database> database, PassRules rules,
                     SigningKey signing_key)
    : database_(std::move(database)),
      registry_(*database_),
      rules_(std::move(rules)),
      signing_key_(std::move(signing_key)) {}

Result<void> PassStore::Migrate(store::Database& database) {
  if (auto migrated = registry::RegistryStore::Migrate(database); !migrated)
    return migrated;
  if (auto migrated = database.Migrate("pass", kMigrations); !migrated)
    return migrated;
  auto cipher = registry::RegistryStore::FieldCipherOf(database);
  if (!cipher)
    return tl::unexpected(cipher.error());
  return SealBodies(database, **cipher);
}

Result<std::unique_ptr<PassStore>> PassStore::Open(const std::filesystem::path& database_file,
                                                   PassRules rules, SigningKey signing_key,
                                                   int64_t now_ms) {
  auto database = store::Database::Open(database_file);
  if (!database)
    return tl::unexpected(database.error());
  if (auto migrated = Migrate(**database); !migrated)
    return tl::unexpected(migrated.error());
  std::unique_ptr<PassStore> store(
      new PassStore(std::move(*database), std::move(rules), std::move(signing_key)));
  // The bodies are sealed with the registry's cipher (cipher() below relies on it).
  if (!store->registry_.cipher())
    return tl::unexpected(store->registry_.cipher().error());
  if (auto loaded = store->LoadIndex(now_ms); !loaded)
    return tl::unexpected(loaded.error());
  return store;
}

Result<void> PassStore::LoadIndex(int64_t now_ms) {
  std::scoped_lock lock(database_mutex_);
  auto query = database_->Prepare(
      "SELECT id, body FROM passes WHERE status IN ('approved', 'revoked') AND valid_until_ms >= "
      "?");
  if (!query)
    return tl::unexpected(query.error());
  query->Bind(1, now_ms - kIndexRetentionMs);
  std::unique_lock index_lock(index_mutex_);
  by_plate_.clear();
  by_id_.clear();
  return query->ForEachRow([&](const store::Statement& row) -> Result<void> {
    auto pass = ReadBody(cipher(), row.Text(1), row.Int(0));
    if (!pass)
      return tl::unexpected(pass.error());
    IndexLocked(*pass);
    return {};
  });
}

void PassStore::IndexLocked(const PassApplication& pass) {
  if (auto old = by_id_.find(pass.id); old != by_id_.end()) {
    auto& list = by_plate_[old->second->plate];
    std::erase_if(list, [&](const auto& item) { return item->id == pass.id; });
    if (list.empty())
      by_plate_.erase(old->second->plate);
    by_id_.erase(old);
  }
  if (pass.status != PassStatus::kApproved && pass.status != PassStatus::kRevoked)
    return;
  if (!pass.valid_from_ms || !pass.valid_until_ms)
    return;
  auto shared = std::make_shared<const PassApplication>(pass);
  by_id_[pass.id] = shared;
  by_plate_[pass.plate].push_back(std::move(shared));
}

PassLookup PassStore::Lookup(std::string_view plate, PlateColor color, int64_t t_ms) const {
  using Shared = std::shared_ptr<const PassApplication>;
  std::shared_lock lock(index_mutex_);
  auto found = by_plate_.find(plate);
  if (found == by_plate_.end())
    return {};
  Shared in_force;
  Shared other_colour;
  Shared revoked;
  Shared expired;
  Shared upcoming;
  for (const Shared& item : found->second) {
    const PassApplication& pass = *item;
    if (pass.status == PassStatus::kRevoked) {
      if (Covers(pass, t_ms) && (!revoked || pass.id > revoked->id))
        revoked = item;
    } else if (Covers(pass, t_ms)) {
      Shared& best = pass.plate_color == color ? in_force : other_colour;
      if (Better(pass, best.get()))
        best = item;
    } else if (*pass.valid_until_ms < t_ms) {
      if (!expired || *pass.valid_until_ms > *expired->valid_until_ms)
        expired = item;
    } else if (!upcoming || *pass.valid_from_ms < *upcoming->valid_from_ms) {
      upcoming = item;
    }
  }
  const auto result = [&](PassState state, Shared pass) {
    bool mismatch = pass->plate_color != color;
    return PassLookup{state, std::move(pass), mismatch};
  };
  if (in_force)
    return result(PassState::kInForce, in_force);
  if (other_colour)
    return result(PassState::kInForce, other_colour);
  if (revoked)
    return result(PassState::kRevoked, revoked);
  if (expired)
    return result(PassState::kExpired, expired);
  if (upcoming)
    return result(PassState::kNotYetValid, upcoming);
  return {};
}

std::vector<std::shared_ptr<const PassApplication>> PassStore::IndexedPasses() const {
  std::shared_lock lock(index_mutex_);
  std::vector<std::shared_ptr<const PassApplication>> passes;
  passes.reserve(by_id_.size());
  for (const auto& [id, pass] : by_id_)
    passes.push_back(pass);
  return passes;
}

std::shared_ptr<const PassApplication> PassStore::FindIndexed(int64_t id) const {
  std::shared_lock lock(index_mutex_);
  auto found = by_id_.find(id);
  return found == by_id_.end() ? nullptr : found->second;
}

Result<std::optional<registry::HealthRecord>> PassStore::NewestHealthLocked(
    std::string_view id_number, int64_t until_ms) {
  // Health records are sealed (issue 13): the registry finds them by the ID number's hash.
  return registry_.NewestHealthRecord(id_number, until_ms, rules_.health_kinds);
}

Result<CheckFacts> PassStore::GatherFacts(const PassApplication& application, int64_t now_ms) {
  std::scoped_lock lock(database_mutex_);
  return GatherFactsLocked(application, now_ms);
}

Result<CheckFacts> PassStore::GatherFactsLocked(const PassApplication& application,
                                                int64_t now_ms) {
  CheckFacts facts;
  auto vehicle = registry_.FindVehicle(application.plate, application.plate_color);
  if (!vehicle)
    return tl::unexpected(vehicle.error());
  facts.vehicle = std::move(*vehicle);
  auto carrier = registry_.FindCarrier(application.carrier_credit_code);
  if (!carrier)
    return tl::unexpected(carrier.error());
  facts.carrier = std::move(*carrier);
  for (const auto& id_number : application.driver_id_numbers) {
    DriverFacts driver{id_number, std::nullopt, std::nullopt};
    auto found = registry_.FindDriver(id_number);
    if (!found)
      return tl::unexpected(found.error());
    driver.driver = std::move(*found);
    if (driver.driver && rules_.health_required) {
      auto health = NewestHealthLocked(id_number, now_ms);
      if (!health)
        return tl::unexpected(health.error());
      driver.newest_health = std::move(*health);
    }
    facts.drivers.push_back(std::move(driver));
  }
  auto site_query = database_->Prepare("SELECT 1 FROM sites WHERE code = ?");
  if (!site_query)
    return tl::unexpected(site_query.error());
  for (const auto& code : application.destination_site_codes) {
    site_query->Bind(1, std::string_view(code));
    auto row = site_query->Step();
    site_query->Reset();
    if (!row)
      return tl::unexpected(row.error());
    facts.sites.push_back(SiteFacts{code, *row});
  }
  if (application.route_id) {
    auto route = FindRouteLocked(*application.route_id);
    if (!route)
      return tl::unexpected(route.error());
    facts.route = std::move(*route);
  }
  return facts;
}

Result<PassApplication> PassStore::Create(PassApplication application, int64_t now_ms,
                                          CreateOptions options) {
  if (application.plate.empty() || application.driver_id_numbers.empty() ||
      application.driver_id_numbers.size() > kMaxDrivers ||
      application.destination_site_codes.empty())
    return Fail(ErrorCode::kBadValue, "pass: the application is incomplete");
  std::scoped_lock lock(database_mutex_);
  auto facts = GatherFactsLocked(application, now_ms);
  if (!facts)
    return tl::unexpected(facts.error());
  if (options.own_fleet_only && !InFleet(*facts, application.carrier_credit_code))
    return Fail(ErrorCode::kNotFound, "pass: the vehicle or a driver is not the applicant's");
  application.id = 0;
  application.created_at_ms = now_ms;
  application.checks = RunChecks(application, *facts, rules_, now_ms);
  application.status = StatusAfterChecks(application.checks, rules_);
  application.review.reset();
  application.revocation.reset();
  application.token.reset();
  application.valid_from_ms.reset();
  application.valid_until_ms.reset();
  application.driver_names.clear();
  for (const auto& driver : facts->drivers)
    application.driver_names.push_back(driver.driver ? driver.driver->name : std::string());

  auto transaction = store::Transaction::Begin(*database_);
  if (!transaction)
    return tl::unexpected(transaction.error());
  auto insert = database_->Prepare(
      "INSERT INTO passes(kind, plate, plate_color, carrier_credit_code, applicant, status, "
      "entry_from_ms, cover_until_ms, valid_until_ms, created_at_ms, updated_at_ms, body) "
      "VALUES(?, ?, ?, ?, ?, ?, ?, ?, NULL, ?, ?, '{}')");
  if (!insert)
    return tl::unexpected(insert.error());
  insert->Bind(1, PassKindId(application.kind))
      .Bind(2, std::string_view(application.plate))
      .Bind(3, int64_t{static_cast<int>(application.plate_color)})
      .Bind(4, std::string_view(application.carrier_credit_code))
      .Bind(5, std::string_view(application.applicant))
      .Bind(6, PassStatusId(application.status))
      .Bind(7, application.entry_from_ms)
      .Bind(8, CoverUntilMs(application))
      .Bind(9, now_ms)
      .Bind(10, now_ms);
  if (auto ran = insert->Run(); !ran)
    return tl::unexpected(ran.error());
  application.id = database_->LastInsertRowId();
  if (application.status == PassStatus::kApproved) {
    application.valid_from_ms = application.entry_from_ms;
    application.valid_until_ms = application.entry_until_ms;
    application.token = signing_key_.Sign(PayloadOf(application));
  }
  auto site =
      database_->Prepare("INSERT OR IGNORE INTO pass_sites(site_code, pass_id) VALUES(?, ?)");
  if (!site)
    return tl::unexpected(site.error());
  for (const auto& code : application.destination_site_codes) {
    site->Bind(1, std::string_view(code)).Bind(2, application.id);
    auto ran = site->Run();
    site->Reset();
    if (!ran)
      return tl::unexpected(ran.error());
  }
  if (auto updated = UpdateLocked(application, now_ms); !updated)
    return tl::unexpected(updated.error());
  std::unique_lock index_lock(index_mutex_);
  if (auto committed = transaction->Commit(); !committed)
    return tl::unexpected(committed.error());
  IndexLocked(application);
  return application;
}

Result<void> PassStore::UpdateLocked(const PassApplication& pass, int64_t now_ms) {
  auto update = database_->Prepare(
      "UPDATE passes SET status = ?, valid_until_ms = ?, updated_at_ms = ?, body = ? WHERE id = ?");
  if (!update)
    return tl::unexpected(update.error());
  update->Bind(1, PassStatusId(pass.status))
      .Bind(2, pass.valid_until_ms)
      .Bind(3, now_ms)
      .Bind(4, BodyOf(cipher(), pass))
      .Bind(5, pass.id);
  return update->Run();
}

Result<std::optional<PassApplication>> PassStore::Get(int64_t id) {
  std::scoped_lock lock(database_mutex_);
  return GetLocked(id);
}

Result<std::optional<PassApplication>> PassStore::GetLocked(int64_t id) {
  auto query = database_->Prepare("SELECT body FROM passes WHERE id = ?");
  if (!query)
    return tl::unexpected(query.error());
  query->Bind(1, id);
  auto row = query->Step();
  if (!row)
    return tl::unexpected(row.error());
  if (!*row)
    return std::optional<PassApplication>();
  auto pass = ReadBody(cipher(), query->Text(0), id);
  if (!pass)
    return tl::unexpected(pass.error());
  return std::optional<PassApplication>(std::move(*pass));
}

Result<PassPage> PassStore::List(const PassListQuery& query) {
  std::string where = " WHERE 1";
  std::vector<std::string> texts;  // bound in order after the integers below
  std::optional<int64_t> now_bound;
  if (!query.status.empty()) {
    if (query.status == "expired") {
      where += " AND status = 'approved' AND valid_until_ms < ?";
      now_bound = query.now_ms;
    } else if (query.status == "approved") {
      where += " AND status = 'approved' AND valid_until_ms >= ?";
      now_bound = query.now_ms;
    } else if (ParsePassStatus(query.status)) {
      where += " AND status = '" + query.status + "'";  // one of the four ids: safe to inline
    } else {
      return Fail(ErrorCode::kBadValue, "pass: unknown status filter");
    }
  }
  if (!query.plate.empty()) {
    where += " AND plate >= ? AND plate < ?";
    texts.push_back(query.plate);
    texts.push_back(query.plate + kMaxPlate);
  }
  if (query.carrier_credit_code) {
    where += " AND carrier_credit_code = ?";
    texts.push_back(*query.carrier_credit_code);
  }
  if (query.applicant) {
    where += " AND applicant = ?";
    texts.push_back(*query.applicant);
  }
  if (query.kind) {
    where += " AND kind = ?";
    texts.push_back(std::string(PassKindId(*query.kind)));
  }
  const auto bind = [&](store::Statement& statement) {
    int index = 1;
    if (now_bound)
      statement.Bind(index++, *now_bound);
    for (const auto& text : texts)
      statement.Bind(index++, std::string_view(text));
    return index;
  };
  const int64_t limit = std::clamp<int64_t>(query.limit, 0, kMaxPassListLimit);
  const int64_t offset = std::max<int64_t>(query.offset, 0);

  std::scoped_lock lock(database_mutex_);
  PassPage page;
  auto count = database_->Prepare("SELECT COUNT(*) FROM passes" + where);
  if (!count)
    return tl::unexpected(count.error());
  bind(*count);
  if (auto row = count->Step(); !row)
    return tl::unexpected(row.error());
  page.total = count->Int(0);
  auto select = database_->Prepare("SELECT id, body FROM passes" + where +
                                   " ORDER BY id DESC LIMIT ? OFFSET ?");
  if (!select)
    return tl::unexpected(select.error());
  int next = bind(*select);
  select->Bind(next, limit).Bind(next + 1, offset);
  auto read = select->ForEachRow([&](const store::Statement& row) -> Result<void> {
    auto pass = ReadBody(cipher(), row.Text(1), row.Int(0));
    if (!pass)
      return tl::unexpected(pass.error());
    page.items.push_back(std::move(*pass));
    return {};
  });
  if (!read)
    return tl::unexpected(read.error());
  return page;
}

Result<PassApplication> PassStore::Decide(int64_t id, PassStatus from, PassStatus to,
                                          std::string by, std::string text, int64_t now_ms) {
  std::scoped_lock lock(database_mutex_);
  auto transaction = store::Transaction::Begin(*database_);
  if (!transaction)
    return tl::unexpected(transaction.error());
  auto found = GetLocked(id);
  if (!found)
    return tl::unexpected(found.error());
  if (!*found)
    return Fail(ErrorCode::kNotFound, "pass: no such application");
  PassApplication pass = std::move(**found);
  if (pass.status != from) {
    return Fail(ErrorCode::kConflict, from == PassStatus::kApproved
                                          ? "pass: only approved passes can be revoked"
                                          : "pass: only pending applications can be reviewed");
  }
  pass.status = to;
  if (to == PassStatus::kRevoked) {
    pass.revocation = Revocation{std::move(by), now_ms, std::move(text)};
  } else {
    pass.review = Review{std::move(by), now_ms, std::move(text)};
  }
  if (to == PassStatus::kApproved) {
    pass.valid_from_ms = pass.entry_from_ms;
    pass.valid_until_ms = pass.entry_until_ms;
    pass.token = signing_key_.Sign(PayloadOf(pass));
  }
  if (auto updated = UpdateLocked(pass, now_ms); !updated)
    return tl::unexpected(updated.error());
  std::unique_lock index_lock(index_mutex_);
  if (auto committed = transaction->Commit(); !committed)
    return tl::unexpected(committed.error());
  IndexLocked(pass);
  return pass;
}

Result<PassApplication> PassStore::Approve(int64_t id, std::string by, std::string comment,
                                           int64_t now_ms) {
  return Decide(id, PassStatus::kPendingReview, PassStatus::kApproved, std::move(by),
                std::move(comment), now_ms);
}

Result<PassApplication> PassStore::Reject(int64_t id, std::string by, std::string comment,
                                          int64_t now_ms) {
  return Decide(id, PassStatus::kPendingReview, PassStatus::kRejected, std::move(by),
                std::move(comment), now_ms);
}

Result<PassApplication> PassStore::Revoke(int64_t id, std::string by, std::string reason,
                                          int64_t now_ms) {
  return Decide(id, PassStatus::kApproved, PassStatus::kRevoked, std::move(by), std::move(reason),
                now_ms);
}

Result<std::vector<Arrival>> PassStore::Arrivals(std::string_view site_code, int64_t now_ms,
                                                 int64_t include_ended_ms) {
  std::scoped_lock lock(database_mutex_);
  auto query = database_->Prepare(
      "SELECT p.id, p.body FROM pass_sites s JOIN passes p ON p.id = s.pass_id "
      "WHERE s.site_code = ? AND p.status = 'approved' AND p.kind = 'trip' "
      "AND p.cover_until_ms >= ? ORDER BY p.entry_from_ms, p.id LIMIT 1000");
  if (!query)
    return tl::unexpected(query.error());
  query->Bind(1, site_code).Bind(2, now_ms - std::max<int64_t>(include_ended_ms, 0));
  std::vector<Arrival> arrivals;
  for (;;) {
    auto row = query->Step();
    if (!row)
      return tl::unexpected(row.error());
    if (!*row)
      break;
    auto pass = ReadBody(cipher(), query->Text(1), query->Int(0));
    if (!pass)
      return tl::unexpected(pass.error());
    ArrivalPhase phase = now_ms < pass->entry_from_ms     ? ArrivalPhase::kUpcoming
                         : now_ms <= pass->entry_until_ms ? ArrivalPhase::kEntryOpen
                                                          : ArrivalPhase::kEntryClosed;
    arrivals.push_back(Arrival{std::make_shared<const PassApplication>(std::move(*pass)), phase});
  }
  return arrivals;
}

Result<int64_t> PassStore::UpsertRoutes(std::span<const PublishedRoute> routes, int64_t now_ms) {
  std::scoped_lock lock(database_mutex_);
  auto transaction = store::Transaction::Begin(*database_);
  if (!transaction)
    return tl::unexpected(transaction.error());
  auto upsert = database_->Prepare(
      "INSERT INTO pass_routes(id, name, geometry, allows_hazardous, updated_at_ms, corridor_m) "
      "VALUES(?, ?, ?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET name = excluded.name, "
      "geometry = excluded.geometry, allows_hazardous = excluded.allows_hazardous, "
      "updated_at_ms = excluded.updated_at_ms, corridor_m = excluded.corridor_m "
      "WHERE name IS NOT excluded.name OR geometry IS NOT excluded.geometry OR "
      "allows_hazardous IS NOT excluded.allows_hazardous OR corridor_m IS NOT excluded.corridor_m");
  if (!upsert)
    return tl::unexpected(upsert.error());
  int64_t changed = 0;
  for (const auto& route : routes) {
    upsert->Bind(1, std::string_view(route.id))
        .Bind(2, std::string_view(route.name))
        .Bind(3, std::string_view(route.geometry))
        .Bind(4, int64_t{route.allows_hazardous ? 1 : 0})
        .Bind(5, now_ms)
        .Bind(6, static_cast<int64_t>(std::llround(route.corridor_m)));
    auto ran = upsert->Run();
    upsert->Reset();
    if (!ran)
      return tl::unexpected(ran.error());
    changed += database_->Changes();
  }
  if (auto committed = transaction->Commit(); !committed)
    return tl::unexpected(committed.error());
  return changed;
}

Result<std::vector<PublishedRoute>> PassStore::Routes() {
  std::scoped_lock lock(database_mutex_);
  auto query = database_->Prepare(
      "SELECT id, name, geometry, allows_hazardous, corridor_m FROM pass_routes ORDER BY id");
  if (!query)
    return tl::unexpected(query.error());
  std::vector<PublishedRoute> routes;
  for (;;) {
    auto row = query->Step();
    if (!row)
      return tl::unexpected(row.error());
    if (!*row)
      break;
    routes.push_back(PublishedRoute{query->Text(0), query->Text(1), query->Text(2),
                                    query->Int(3) != 0, static_cast<double>(query->Int(4))});
  }
  return routes;
}

Result<std::optional<PublishedRoute>> PassStore::FindRoute(std::string_view id) {
  std::scoped_lock lock(database_mutex_);
  return FindRouteLocked(id);
}

Result<std::optional<PublishedRoute>> PassStore::FindRouteLocked(std::string_view id) {
  auto query = database_->Prepare(
      "SELECT id, name, geometry, allows_hazardous, corridor_m FROM pass_routes WHERE id = ?");
  if (!query)
    return tl::unexpected(query.error());
  query->Bind(1, id);
  auto row = query->Step();
  if (!row)
    return tl::unexpected(row.error());
  if (!*row)
    return std::optional<PublishedRoute>();
  return std::optional<PublishedRoute>(PublishedRoute{query->Text(0), query->Text(1),
                                                      query->Text(2), query->Int(3) != 0,
                                                      static_cast<double>(query->Int(4))});
}

}  // namespace baotong::pass
