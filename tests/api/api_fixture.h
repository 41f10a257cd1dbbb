// A whole API over real TCP on 127.0.0.1: gateway, track, registry, accounts, audit, imports,
// with one account per role. Requests carry a bearer token of the role asked for.
#pragma once

#include <gtest/gtest.h>
#include <sodium.h>

#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "api/import_jobs.h"
#include "api/routes.h"
#include "api/static_files.h"
#include "app/geography.h"
#include "app/monitoring.h"
#include "app/pass_directory.h"
#include "checkpoint/checkpoint_service.h"
#include "checkpoint/registry_vehicles.h"
#include "gateway/test_support.h"
#include "pass/pass_store.h"
#include "registry/map_layers.h"
#include "registry/registry_store.h"
#include "stats/stats_service.h"
#include "track/investigation.h"

namespace baotong::api::testing {

namespace beast = boost::beast;
namespace http = beast::http;
namespace asio = boost::asio;
using Json = nlohmann::json;
using HttpResponse = http::response<http::string_body>;

inline constexpr std::string_view kPassword = "correct horse battery";
inline constexpr std::string_view kTiedongCarrier = "91210302MA0QC1234H";  // see SeedRegistry
inline constexpr std::string_view kOtherCarrier = "91210381MA0QD5678T";

class ApiFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("baotong-api-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    auto database = store::Database::Open(dir_ / "registry.db");
    ASSERT_TRUE(database);
    database_ = std::move(*database);
    ASSERT_TRUE(registry::RegistryStore::Migrate(*database_));
    ASSERT_TRUE(registry::MigrateMapLayers(*database_));
    // One connection per component, as `baotong serve` opens them.
    auto audit_db = store::Database::Open(dir_ / "registry.db");
    auto users_db = store::Database::Open(dir_ / "registry.db");
    ASSERT_TRUE(audit_db && users_db);
    audit_db_ = std::move(*audit_db);
    users_db_ = std::move(*users_db);
    auto audit = AuditLog::Open(*audit_db_);
    ASSERT_TRUE(audit);
    audit_ = std::move(*audit);
    UserStoreOptions user_options;
    user_options.pwhash_opslimit = crypto_pwhash_OPSLIMIT_MIN;
    user_options.pwhash_memlimit = crypto_pwhash_MEMLIMIT_MIN;
    auto users = UserStore::Open(*users_db_, user_options);
    ASSERT_TRUE(users);
    users_ = std::move(*users);
    registry_ = std::make_unique<registry::RegistryStore>(*database_);
    imports_ = std::make_unique<ImportJobs>(dir_ / "registry.db", *database_, *audit_);
    SeedRegistry();
    CreateAccounts();
    // Passes (no health records in this registry: the health check is off) and two
    // checkpoints, one into the city and one out.
    pass::PassRules rules;
    rules.health_required = false;
    auto passes =
        pass::PassStore::Open(dir_ / "registry.db", rules, pass::SigningKey::Generate(), NowMs());
    ASSERT_TRUE(passes);
    passes_ = std::move(*passes);
    pass_directory_ = std::make_unique<app::PassStoreDirectory>(*passes_);
    auto vehicles = checkpoint::RegistryVehicles::Open(dir_ / "registry.db");
    ASSERT_TRUE(vehicles);
    vehicles_ = std::move(*vehicles);
    checkpoint::ServiceOptions checkpoint_options;
    checkpoint_options.durable_wait =
        std::chrono::hours(1);  // answers after the passage is durable
    auto checkpoints = checkpoint::CheckpointService::Open(dir_ / "registry.db", *pass_directory_,
                                                           *vehicles_, checkpoint_options);
    ASSERT_TRUE(checkpoints);
    checkpoints_ = std::move(*checkpoints);
    auto in_key = checkpoints_->AddCheckpoint(
        {"KK-IN", "测试入城卡口", 41.10, 122.88, checkpoint::Direction::kIn, 0});
    auto out_key = checkpoints_->AddCheckpoint(
        {"KK-OUT", "测试出城卡口", 41.10, 122.88, checkpoint::Direction::kOut, 0});
    ASSERT_TRUE(in_key && out_key);
    camera_keys_ = {{"KK-IN", *in_key}, {"KK-OUT", *out_key}};

    // The rule engine and alarms, fed by the gateway as in `baotong serve`.
    auto monitoring = app::Monitoring::Open(dir_ / "registry.db", *passes_, {});
    ASSERT_TRUE(monitoring) << monitoring.error().Message();
    monitoring_ = std::move(*monitoring);

    gateway::GatewayOptions options;
    options.listen_address = "127.0.0.1";
    options.port = 0;
    options.writer.on_queued = [this](std::vector<model::Position>& positions) {
      monitoring_->OnPosition(positions);
    };
    gateway_ = std::make_unique<gateway::Gateway>(options, store_, store_, metrics_);
    ASSERT_TRUE(gateway_->Start());
    HttpOptions http_options;
    http_options.listen_address = "127.0.0.1";
    http_options.port = 0;
    http_options.threads = 2;
    std::filesystem::create_directories(dir_ / "web" / "assets");
    std::ofstream(dir_ / "web" / "index.html") << "<!doctype html><title>保通</title>";
    std::ofstream(dir_ / "web" / "assets" / "app-1234.js") << "console.log(1)";
    std::ofstream(dir_ / "secret.txt") << "outside the web root";
    ApiServices services{track_,     *gateway_,        metrics_,
                         *registry_, *users_,          *audit_,
                         *imports_,  UiConfig{},       std::make_shared<StaticFiles>(dir_ / "web"),
                         nullptr,    passes_.get(),    checkpoints_.get(),
                         nullptr,    monitoring_.get()};
    auto statistics = stats::StatsService::Open(dir_ / "registry.db");
    ASSERT_TRUE(statistics) << statistics.error().Message();
    stats_ = std::move(*statistics);
    services.stats = stats_.get();
    services.investigations = &investigations_;
    app::Monitoring& engine = *monitoring_;
    auto geography = app::Geography::Open(
        {dir_ / "registry.db", *passes_, *checkpoints_, [&engine]() { return engine.Refresh(); }});
    ASSERT_TRUE(geography) << geography.error().Message();
    geography_ = std::move(*geography);
    services.geography = geography_.get();
    http_options.admit_body = MakeBodyAdmission(services, http_options);
    server_ = std::make_unique<HttpServer>(http_options, MakeApiHandler(services),
                                           MakeUpgradeHandler(services));
    ASSERT_TRUE(server_->Start());
  }

  void TearDown() override {
    server_.reset();
    geography_.reset();
    gateway_.reset();  // feeds the monitor until it stops
    monitoring_.reset();
    stats_.reset();
    checkpoints_.reset();
    vehicles_.reset();
    pass_directory_.reset();
    passes_.reset();
    imports_.reset();
    gateway_.reset();
    users_.reset();
    audit_.reset();
    registry_.reset();
    users_db_.reset();
    audit_db_.reset();
    database_.reset();
    std::filesystem::remove_all(dir_);
  }

  // Two carriers in two districts, a vehicle, a driver and a terminal of each.
  void SeedRegistry() {
    std::vector<registry::Carrier> carriers(2);
    carriers[0].credit_code = std::string(kTiedongCarrier);
    carriers[0].name = "鞍山市测试物流有限公司";
    carriers[0].district = "铁东区";
    carriers[0].business_permit_valid_until = "2030-01-01";
    carriers[1].credit_code = std::string(kOtherCarrier);
    carriers[1].name = "海城市测试运输有限公司";
    carriers[1].district = "海城市";
    ASSERT_TRUE(registry_->Upsert(std::span<const registry::Carrier>(carriers), 1));
    std::vector<registry::Vehicle> vehicles(2);
    vehicles[0].plate = "辽C12345";
    vehicles[0].carrier_credit_code = carriers[0].credit_code;
    vehicles[0].transport_cert_valid_until = "2030-01-01";
    vehicles[0].insurance_valid_until = "2030-01-01";
    vehicles[1].plate = "辽C67890";
    vehicles[1].carrier_credit_code = carriers[1].credit_code;
    ASSERT_TRUE(registry_->Upsert(std::span<const registry::Vehicle>(vehicles), 1));
    std::vector<registry::Driver> drivers(2);
    drivers[0].id_number = "210302198507150011";
    drivers[0].name = "张伟";
    drivers[0].phone = "13912345678";
    drivers[0].licence_class = "A2";
    drivers[0].licence_valid_until = "2030-01-01";
    drivers[0].qualification_cert_no = "210302198507150011";
    drivers[0].qualification_category = "道路货物运输驾驶员";
    drivers[0].qualification_valid_until = "2030-01-01";
    drivers[0].carrier_credit_code = carriers[0].credit_code;
    drivers[1].id_number = "11010519491231002X";
    drivers[1].name = "李娜";
    drivers[1].phone = "13812345678";
    drivers[1].licence_class = "B2";
    drivers[1].carrier_credit_code = carriers[1].credit_code;
    ASSERT_TRUE(registry_->Upsert(std::span<const registry::Driver>(drivers), 1));
    std::vector<registry::Terminal> terminals(2);
    terminals[0].phone = "013900000001";
    terminals[0].plate = "辽C12345";
    terminals[0].plate_color = registry::PlateColor::kYellow;
    terminals[1].phone = "013900000002";
    terminals[1].plate = "辽C67890";
    terminals[1].plate_color = registry::PlateColor::kYellow;
    ASSERT_TRUE(registry_->Upsert(std::span<const registry::Terminal>(terminals), 1));
    std::vector<registry::Site> sites(1);
    sites[0].code = "ZD001";
    sites[0].name = "铁东农产品批发市场卸货点";
    sites[0].kind = registry::SiteKind::kUnloading;
    sites[0].district = "铁东区";
    sites[0].geometry = R"({"type":"Point","coordinates":[123.02,41.09]})";
    ASSERT_TRUE(registry_->Upsert(std::span<const registry::Site>(sites), 1));
  }

  void CreateAccounts() {
    for (Role role : AllRoles()) {
      NewUser user;
      user.username = std::string(RoleId(role)) + "_user";
      user.display_name = std::string(RoleName(role));
      user.password = std::string(kPassword);
      user.role = role;
      if (role == Role::kDistrict) {
        user.district = "铁东区";
        user.department = "铁东区人民政府";
      }
      if (role == Role::kCarrier) {
        user.carrier_credit_code = std::string(kTiedongCarrier);
        user.department = "鞍山市测试物流有限公司";
      }
      ASSERT_TRUE(users_->CreateUser(user, 1)) << user.username;
      auto login = users_->Login(user.username, kPassword, "127.0.0.1", NowMs());
      ASSERT_TRUE(login);
      ASSERT_EQ(login->status, LoginOutcome::Status::kOk);
      tokens_[role] = login->token;
    }
  }

  static int64_t NowMs() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }

  HttpResponse Send(http::verb verb, const std::string& target, const std::string& body = "",
                    std::optional<Role> as = Role::kAdmin,
                    const std::map<http::field, std::string>& headers = {}) {
    asio::io_context context;
    beast::tcp_stream stream(context);
    stream.connect({asio::ip::make_address("127.0.0.1"), server_->port()});
    http::request<http::string_body> request{verb, target, 11};
    request.set(http::field::host, "127.0.0.1");
    if (as)
      request.set(http::field::authorization, "Bearer " + tokens_.at(*as));
    for (const auto& [field, value] : headers)
      request.set(field, value);
    if (!body.empty() || verb == http::verb::post) {
      request.set(http::field::content_type, "application/json");
      request.body() = body;
      request.prepare_payload();
    }
    http::write(stream, request);
    beast::flat_buffer buffer;
    http::response_parser<http::string_body> parser;
    parser.body_limit(64 << 20);
    http::read(stream, buffer, parser);
    return parser.release();
  }
  HttpResponse Get(const std::string& target, std::optional<Role> as = Role::kAdmin) {
    return Send(http::verb::get, target, "", as);
  }
  static Json Body(const HttpResponse& response) {
    return Json::parse(response.body(), nullptr, false);
  }
  static std::string ErrorCode(const HttpResponse& response) {
    Json body = Body(response);
    if (!body.is_object() || !body.contains("error") || !body["error"].is_object())
      return "";
    return body["error"].value("code", "");
  }

  std::filesystem::path dir_;
  std::unique_ptr<store::Database> database_;
  std::unique_ptr<store::Database> audit_db_;
  std::unique_ptr<store::Database> users_db_;
  std::unique_ptr<AuditLog> audit_;
  std::unique_ptr<UserStore> users_;
  std::unique_ptr<registry::RegistryStore> registry_;
  std::unique_ptr<ImportJobs> imports_;
  std::unique_ptr<pass::PassStore> passes_;
  std::unique_ptr<app::PassStoreDirectory> pass_directory_;
  std::unique_ptr<checkpoint::RegistryVehicles> vehicles_;
  std::unique_ptr<checkpoint::CheckpointService> checkpoints_;
  std::unique_ptr<app::Monitoring> monitoring_;
  std::unique_ptr<app::Geography> geography_;
  std::unique_ptr<stats::StatsService> stats_;
  std::map<std::string, std::string> camera_keys_;
  std::map<Role, std::string> tokens_;
  gateway::testing::MemoryStore store_;
  gateway::Metrics metrics_;
  track::TrackService track_{store_};
  track::Investigations investigations_{store_};
  std::unique_ptr<gateway::Gateway> gateway_;
  std::unique_ptr<HttpServer> server_;
};

}  // namespace baotong::api::testing
