// `baotong terminal reprovision` and the gateway's [gateway] settings for takeover (issue 13,
// item 1): staff replace a terminal's code, the old one stops working in a running gateway at
// once, and the replacement is audited without the code.
#include "app/terminal_command.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

#include "api/audit_log.h"
#include "app/config.h"
#include "app/provisioning.h"
#include "gateway/gateway.h"
#include "gateway/test_support.h"
#include "store/sqlite/database.h"
#include "store/sqlite/sqlite_store.h"

namespace baotong::app {
namespace {

namespace fs = std::filesystem;
using gateway::testing::AuthResult;
using gateway::testing::TestTerminal;
using namespace std::chrono_literals;

constexpr const char* kPhone = "013900000042";
constexpr const char* kOldCode = "0123456789ABCDEF";

class ReprovisionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = fs::temp_directory_path() /
           ("baotong_reprovision_" + std::to_string(::getpid()) + "_" + info->name());
    fs::remove_all(dir_);
    auto opened = store::SqliteStore::Open(dir_);
    ASSERT_TRUE(opened) << opened.error().Message();
    store_ = std::move(*opened);
    store::TerminalRecord record;
    record.terminal = kPhone;
    record.auth_code = kOldCode;
    record.terminal_id = "T000042";
    record.plate_color = 2;
    record.plate = "辽C00042";
    ASSERT_TRUE(store_->Upsert(record));
    gateway::GatewayOptions options;
    options.listen_address = "127.0.0.1";
    options.port = 0;
    gateway_ = std::make_unique<gateway::Gateway>(options, *store_, *store_, metrics_);
    ASSERT_TRUE(gateway_->Start());
  }
  void TearDown() override {
    gateway_.reset();
    store_.reset();
    fs::remove_all(dir_);
  }
  ReprovisionOptions Options() {
    ReprovisionOptions options;
    options.data_dir = dir_.string();
    options.phones = {kPhone};
    options.user = "li";
    options.reason = "换装终端 (new device)";
    return options;
  }
  std::vector<api::AuditRecord> Audit() {
    auto database = store::Database::Open(dir_ / "registry.db");
    auto audit = api::AuditLog::Open(**database);
    return (*audit)->List(0, 100)->items;
  }

  fs::path dir_;
  std::unique_ptr<store::SqliteStore> store_;
  gateway::Metrics metrics_;
  std::unique_ptr<gateway::Gateway> gateway_;
};

TEST_F(ReprovisionTest, NewCodeRevokesTheOldOneInARunningGatewayAndIsAudited) {
  {
    TestTerminal before(gateway_->port(), kPhone);
    ASSERT_EQ(AuthResult(before, kOldCode), 0);
  }
  auto options = Options();
  options.code_out = (dir_ / "keys" / "terminal.code").string();
  std::ostringstream out, err;
  ASSERT_EQ(RunTerminalReprovision(options, out, err), 0) << err.str();

  std::string code;
  std::ifstream(*options.code_out) >> code;
  EXPECT_EQ(code.size(), 16u);
  EXPECT_NE(code, kOldCode);
  struct stat info {};
  ASSERT_EQ(::stat(options.code_out->c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u);
  EXPECT_EQ(out.str().find(code), std::string::npos);  // never printed

  TestTerminal stale(gateway_->port(), kPhone);
  EXPECT_EQ(AuthResult(stale, kOldCode), 1);
  TestTerminal renewed(gateway_->port(), kPhone);
  EXPECT_EQ(AuthResult(renewed, code), 0);
  EXPECT_EQ((*store_->Find(kPhone))->plate, "辽C00042");

  auto audit = Audit();
  ASSERT_FALSE(audit.empty());
  EXPECT_EQ(audit[0].entry.action, "terminal.reprovision");
  EXPECT_EQ(audit[0].entry.actor, "li");
  EXPECT_EQ(audit[0].entry.target, std::string("terminals/") + kPhone);
  EXPECT_NE(audit[0].entry.detail.find("\"old_code_revoked\":true"), std::string::npos);
  EXPECT_EQ(audit[0].entry.detail.find(code), std::string::npos);
  EXPECT_EQ(audit[0].entry.detail.find(kOldCode), std::string::npos);
}

TEST_F(ReprovisionTest, AwaitRegistrationLetsTheNextRegistrationHaveANewCode) {
  {
    // Before: a re-registration learns nothing.
    TestTerminal again(gateway_->port(), kPhone);
    again.Send(jt808::Register{});
    auto reply = again.Receive();
    ASSERT_TRUE(reply);
    EXPECT_EQ(std::get<jt808::RegisterReply>(reply->message).result, 3);
  }
  auto options = Options();
  options.await_registration = true;
  std::ostringstream out, err;
  ASSERT_EQ(RunTerminalReprovision(options, out, err), 0) << err.str();
  TestTerminal stale(gateway_->port(), kPhone);
  EXPECT_EQ(AuthResult(stale, kOldCode), 1);

  TestTerminal device(gateway_->port(), kPhone);
  jt808::Register request;
  request.terminal_id = "T000042";
  request.plate_color = 2;
  request.plate = "辽C00042";
  device.Send(request);
  auto reply = device.Receive();
  ASSERT_TRUE(reply);
  const auto& registered = std::get<jt808::RegisterReply>(reply->message);
  EXPECT_EQ(registered.result, 0);
  EXPECT_EQ(registered.auth_code.size(), 16u);
  EXPECT_NE(registered.auth_code, kOldCode);
  EXPECT_EQ(AuthResult(device, registered.auth_code), 0);
}

TEST_F(ReprovisionTest, RefusesBadUsageAndUnknownPhones) {
  std::ostringstream out, err;
  auto neither = Options();
  EXPECT_EQ(RunTerminalReprovision(neither, out, err), 2);
  auto both = Options();
  both.await_registration = true;
  both.code_out = (dir_ / "x").string();
  EXPECT_EQ(RunTerminalReprovision(both, out, err), 2);
  auto no_reason = Options();
  no_reason.await_registration = true;
  no_reason.reason.clear();
  EXPECT_EQ(RunTerminalReprovision(no_reason, out, err), 2);
  auto unknown = Options();
  unknown.await_registration = true;
  unknown.phones = {"013999999999"};
  EXPECT_EQ(RunTerminalReprovision(unknown, out, err), 1);
  EXPECT_EQ((*store_->Find(kPhone))->auth_code, kOldCode);  // nothing changed
}

TEST_F(ReprovisionTest, AnAuditLogThatRefusesChangesNothing) {
  {
    auto database = store::Database::Open(dir_ / "registry.db");
    ASSERT_TRUE(database);
    ASSERT_TRUE(api::AuditLog::Open(**database));  // creates the tables
    ASSERT_TRUE(
        (*database)->Exec("CREATE TRIGGER refuse_audit BEFORE INSERT ON audit_log "
                          "BEGIN SELECT RAISE(ABORT, 'audit refused'); END;"));
  }
  auto options = Options();
  options.code_out = (dir_ / "keys" / "terminal.code").string();
  std::ostringstream out, err;
  EXPECT_EQ(RunTerminalReprovision(options, out, err), 1);
  EXPECT_NE(err.str().find("审计"), std::string::npos) << err.str();
  EXPECT_NE(err.str().find("not changed"), std::string::npos) << err.str();
  EXPECT_EQ((*store_->Find(kPhone))->auth_code, kOldCode);  // the old code still works
  EXPECT_FALSE(fs::exists(*options.code_out));              // no code that never became valid
  TestTerminal device(gateway_->port(), kPhone);
  EXPECT_EQ(AuthResult(device, kOldCode), 0);
  EXPECT_TRUE(out.str().empty());
}

TEST_F(ReprovisionTest, ARegistrationStoredMeanwhileIsNotOverwrittenWithStaleFields) {
  // The gateway's registration batch writes while staff reprovision: its write waits for the
  // reprovision's transaction and lands after it, instead of being lost under a stale record.
  std::atomic<bool> gateway_wrote = false;
  std::thread gateway_batch;
  store::TerminalRecord registered;
  registered.terminal = kPhone;
  registered.auth_code = "FEDCBA9876543210";
  registered.plate = "辽C00043";
  auto done =
      ReprovisionTerminal(*store_, kPhone, ReprovisionMode::kAwaitRegistration, std::nullopt,
                          std::nullopt, [&](const Reprovisioned& change) -> Result<void> {
                            EXPECT_TRUE(change.had_code);
                            gateway_batch = std::thread([&] {
                              EXPECT_TRUE(store_->UpsertMany(std::span(&registered, 1)));
                              gateway_wrote = true;
                            });
                            std::this_thread::sleep_for(300ms);
                            EXPECT_FALSE(gateway_wrote);  // held off by the read-modify-write
                            return {};
                          });
  gateway_batch.join();
  ASSERT_TRUE(done) << done.error().Message();
  EXPECT_TRUE(done->record.auth_code.empty());
  EXPECT_EQ(**store_->Find(kPhone), registered);
}

TEST_F(ReprovisionTest, SeveralPhonesInOneRunEachAuditedUnknownOnesReported) {
  constexpr const char* kSecond = "013900000043";
  store::TerminalRecord second = **store_->Find(kPhone);
  second.terminal = kSecond;
  second.plate = "辽C00043";
  ASSERT_TRUE(store_->Upsert(second));
  constexpr const char* kUnknown = "013999999999";

  auto options = Options();
  options.phones = {kPhone, kUnknown, kSecond};
  options.await_registration = true;
  std::ostringstream out, err;
  // Without --skip-unknown the unknown phone fails the run, but the others are still done.
  EXPECT_EQ(RunTerminalReprovision(options, out, err), 1);
  EXPECT_NE(err.str().find(kUnknown), std::string::npos) << err.str();
  EXPECT_TRUE((*store_->Find(kPhone))->auth_code.empty());
  EXPECT_TRUE((*store_->Find(kSecond))->auth_code.empty());
  auto audit = Audit();
  ASSERT_EQ(audit.size(), 2u);  // one entry per changed phone, none for the unknown one
  std::set<std::string> targets{audit[0].entry.target, audit[1].entry.target};
  EXPECT_EQ(targets, (std::set<std::string>{std::string("terminals/") + kPhone,
                                            std::string("terminals/") + kSecond}));

  options.skip_unknown = true;
  std::ostringstream out2, err2;
  EXPECT_EQ(RunTerminalReprovision(options, out2, err2), 0) << err2.str();
  const std::string printed = out2.str();
  EXPECT_NE(printed.find("\"skipped\":\"unknown\""), std::string::npos) << printed;
  EXPECT_EQ(std::count(printed.begin(), printed.end(), '\n'), 3);
  EXPECT_EQ(Audit().size(), 4u);

  // A code file or a plate names one terminal.
  auto two_codes = Options();
  two_codes.phones = {kPhone, kSecond};
  two_codes.code_out = (dir_ / "code").string();
  EXPECT_EQ(RunTerminalReprovision(two_codes, out, err), 2);
  EXPECT_EQ(Audit().size(), 4u);
}

TEST(GatewayConfig, TakeoverSettingsLoadAndThePolicyIsOffByDefault) {
  std::string message;
  auto documented =
      LoadServeConfig(std::filesystem::path(BAOTONG_SOURCE_DIR) / "config/baotong.toml", message);
  ASSERT_TRUE(documented) << message;
  EXPECT_FALSE(documented->gateway.reregister_same_identity);
  EXPECT_EQ(documented->gateway.max_auth_failures_per_connection, 3u);
  EXPECT_EQ(documented->gateway.auth_failures_per_phone, 10u);
  EXPECT_EQ(documented->gateway.auth_failure_window, std::chrono::minutes(10));
  EXPECT_EQ(documented->gateway.auth_lockout, std::chrono::minutes(5));

  auto path = fs::temp_directory_path() / ("baotong-gw-" + std::to_string(::getpid()) + ".toml");
  std::ofstream(path) << "[gateway]\nreregister_same_identity = true\nauth_lockout_s = 60\n";
  auto custom = LoadServeConfig(path, message);
  ASSERT_TRUE(custom) << message;
  EXPECT_TRUE(custom->gateway.reregister_same_identity);
  EXPECT_EQ(custom->gateway.auth_lockout, std::chrono::seconds(60));
  std::ofstream(path) << "[gateway]\nmax_auth_failures_per_connection = 0\n";
  EXPECT_FALSE(LoadServeConfig(path, message));
  fs::remove(path);
}

}  // namespace
}  // namespace baotong::app
