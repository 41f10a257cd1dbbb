// Terminal takeover (issue 13, item 1): a second 0x0100 for a registered phone must not learn
// its auth code or overwrite its record; wrong 0x0102 codes are throttled per connection and
// per phone; the optional same-identity policy replaces the code and revokes the old one.
#include <gtest/gtest.h>

#include <thread>

#include "gateway/gateway.h"
#include "gateway/test_support.h"

namespace baotong::gateway {
namespace {

using namespace std::chrono_literals;
using jt808::RegisterResult;
using testing::AuthResult;
using testing::MemoryStore;
using testing::TestTerminal;

constexpr const char* kPhone = "013900000042";

jt808::Register Registration(std::string terminal_id, std::string plate) {
  jt808::Register request;
  request.province_id = 21;
  request.city_id = 300;
  request.maker_id = "BT";
  request.terminal_model = "SIM";
  request.terminal_id = std::move(terminal_id);
  request.plate_color = 2;
  request.plate = std::move(plate);
  return request;
}

jt808::RegisterReply RegisterReplyOf(TestTerminal& terminal) {
  auto reply = terminal.Receive();
  if (!reply)
    throw std::runtime_error("no 0x8100");
  return std::get<jt808::RegisterReply>(reply->message);
}

jt808::LocationReport Speeding() {
  jt808::LocationReport report;
  report.status = jt808::status_bit::kPositioned;
  report.lat_e6 = 39'900'000;  // far from Anshan
  report.lon_e6 = 116'400'000;
  report.speed_dkmh = 1500;
  report.time_ms = 1'650'415'800'000;
  return report;
}

class TakeoverTest : public ::testing::Test {
 protected:
  void StartGateway(GatewayOptions options = {}) {
    options.listen_address = "127.0.0.1";
    options.port = 0;
    options.io_threads = 2;
    options.auto_register = true;
    options.on_reregistered = [this](const Reregistration& event) {
      auto stored = store_.Find(event.terminal);
      std::lock_guard lock(mutex_);
      reregistrations_.push_back(event);
      codes_at_audit_.push_back(stored && *stored ? (*stored)->auth_code : "");
      return audit_works_;
    };
    gateway_ = std::make_unique<Gateway>(options, store_, store_, metrics_);
    ASSERT_TRUE(gateway_->Start());
  }
  // Registers kPhone as the genuine terminal and returns its code.
  std::string RegisterGenuine() {
    TestTerminal genuine(gateway_->port(), kPhone);
    genuine.Send(Registration("T000042", "辽C00042"));
    auto reply = RegisterReplyOf(genuine);
    EXPECT_EQ(reply.result, static_cast<uint8_t>(RegisterResult::kOk));
    EXPECT_EQ(reply.auth_code.size(), 16u);
    return reply.auth_code;
  }
  store::TerminalRecord Stored(const std::string& phone) { return **store_.Find(phone); }
  void TearDown() override { gateway_.reset(); }

  MemoryStore store_;
  Metrics metrics_;
  std::unique_ptr<Gateway> gateway_;
  std::mutex mutex_;
  std::vector<Reregistration> reregistrations_;
  std::vector<std::string> codes_at_audit_;  // the stored code when each was audited
  bool audit_works_ = true;
};

TEST_F(TakeoverTest, SecondRegistrationGetsResult3NoCodeAndLeavesTheRecord) {
  StartGateway();
  const std::string code = RegisterGenuine();
  const store::TerminalRecord before = Stored(kPhone);

  TestTerminal attacker(gateway_->port(), kPhone);
  attacker.Send(Registration("EVIL001", "辽C99999"));
  auto reply = RegisterReplyOf(attacker);
  EXPECT_EQ(reply.result, static_cast<uint8_t>(RegisterResult::kTerminalAlreadyRegistered));
  EXPECT_TRUE(reply.auth_code.empty());
  EXPECT_EQ(Stored(kPhone), before);
  EXPECT_EQ(Stored(kPhone).auth_code, code);

  // Even an identical registration (terminal ID and plate are not secret either) learns nothing
  // while the policy is off.
  TestTerminal copycat(gateway_->port(), kPhone);
  copycat.Send(Registration("T000042", "辽C00042"));
  reply = RegisterReplyOf(copycat);
  EXPECT_EQ(reply.result, static_cast<uint8_t>(RegisterResult::kTerminalAlreadyRegistered));
  EXPECT_TRUE(reply.auth_code.empty());
  EXPECT_EQ(Stored(kPhone), before);

  // The genuine terminal keeps authenticating with its code.
  TestTerminal genuine(gateway_->port(), kPhone);
  EXPECT_EQ(AuthResult(genuine, code), 0);
}

TEST_F(TakeoverTest, AnotherTerminalClaimingARegisteredPlateGetsResult1) {
  StartGateway();
  RegisterGenuine();
  TestTerminal other(gateway_->port(), "013900000077");
  other.Send(Registration("T000077", "辽C00042"));
  auto reply = RegisterReplyOf(other);
  EXPECT_EQ(reply.result, static_cast<uint8_t>(RegisterResult::kVehicleAlreadyRegistered));
  EXPECT_TRUE(reply.auth_code.empty());
  EXPECT_FALSE(*store_.Find("013900000077"));  // nothing written
  EXPECT_EQ(Stored(kPhone).plate, "辽C00042");
}

TEST_F(TakeoverTest, ForgedAuthenticationAfterAFailedTakeoverCannotPostAPosition) {
  StartGateway();
  const std::string code = RegisterGenuine();
  TestTerminal attacker(gateway_->port(), kPhone);
  attacker.Send(Registration("T000042", "辽C00042"));
  auto reply = RegisterReplyOf(attacker);
  ASSERT_EQ(reply.result, static_cast<uint8_t>(RegisterResult::kTerminalAlreadyRegistered));
  EXPECT_EQ(AuthResult(attacker, reply.auth_code), 1);  // the empty code it was given
  EXPECT_EQ(AuthResult(attacker, "0000000000000000"), 1);
  attacker.Send(Speeding());
  auto nack = attacker.Receive(1s);
  if (nack) {  // answered "failed", or not at all
    EXPECT_NE(std::get<jt808::PlatformGeneralReply>(nack->message).result, 0);
  }
  EXPECT_TRUE(store_.positions().empty());
}

TEST_F(TakeoverTest, WrongCodesCloseTheConnectionAfterTheLimit) {
  GatewayOptions options;
  options.max_auth_failures_per_connection = 3;
  StartGateway(options);
  RegisterGenuine();
  TestTerminal guesser(gateway_->port(), kPhone);
  EXPECT_EQ(AuthResult(guesser, "0000000000000001"), 1);
  EXPECT_EQ(AuthResult(guesser, "0000000000000002"), 1);
  EXPECT_EQ(AuthResult(guesser, "0000000000000003"), 1);
  EXPECT_TRUE(guesser.WaitClosed(2s));
  EXPECT_NE(metrics_.Render().find("baotong_disconnects_total{reason=\"auth_failed\"} 1"),
            std::string::npos);
}

TEST_F(TakeoverTest, ABurstOfGuessesInOneWriteGetsNoMoreAnswers) {
  StartGateway();
  RegisterGenuine();
  TestTerminal guesser(gateway_->port(), kPhone);
  jt808::MessageEncoder encoder;
  jt808::Header header = guesser.header();
  std::vector<uint8_t> burst;
  for (int i = 0; i < 1000; ++i) {
    header.serial = static_cast<uint16_t>(i);
    std::vector<uint8_t> frame;
    ASSERT_TRUE(encoder.Encode(header, jt808::Auth{std::to_string(i), {}, {}}, frame));
    burst.insert(burst.end(), frame.begin(), frame.end());
  }
  try {
    guesser.SendRaw(burst);
  } catch (const std::exception&) {
    // the server may close while the burst is still being written
  }
  size_t answered = 0;
  while (guesser.Receive(1s))
    ++answered;
  EXPECT_LE(answered, 3u);
  EXPECT_TRUE(guesser.WaitClosed(1s));
}

// Each 0x0100 costs the registry thread store reads: one at a time per connection, and refused
// ones count against the same per-connection budget as wrong auth codes.
TEST_F(TakeoverTest, RepeatedRegistrationsOnOneConnectionAreLimited) {
  StartGateway();
  RegisterGenuine();
  TestTerminal repeater(gateway_->port(), kPhone);
  jt808::MessageEncoder encoder;
  jt808::Header header = repeater.header();
  std::vector<uint8_t> burst;
  for (int i = 0; i < 1000; ++i) {
    header.serial = static_cast<uint16_t>(i);
    std::vector<uint8_t> frame;
    ASSERT_TRUE(encoder.Encode(header, Registration("EVIL001", "辽C99999"), frame));
    burst.insert(burst.end(), frame.begin(), frame.end());
  }
  try {
    repeater.SendRaw(burst);
  } catch (const std::exception&) {
    // the server may close while the burst is still being written
  }
  size_t answered = 0;
  while (repeater.Receive(1s))
    ++answered;
  // Those that arrive while one is in flight are dropped; at most the budget is answered.
  EXPECT_GE(answered, 1u);
  EXPECT_LE(answered, 3u);

  // One by one: closed after the third refusal.
  TestTerminal patient(gateway_->port(), kPhone);
  for (int i = 0; i < 3; ++i) {
    patient.Send(Registration("EVIL001", "辽C99999"));
    EXPECT_EQ(RegisterReplyOf(patient).result,
              static_cast<uint8_t>(RegisterResult::kTerminalAlreadyRegistered));
  }
  EXPECT_TRUE(patient.WaitClosed(2s));
}

TEST_F(TakeoverTest, PhoneIsLockedAcrossConnectionsThenUnlocks) {
  GatewayOptions options;
  options.max_auth_failures_per_connection = 2;
  options.auth_failures_per_phone = 4;
  options.auth_failure_window = 10s;
  options.auth_lockout = 1500ms;
  StartGateway(options);
  const std::string code = RegisterGenuine();
  for (int connection = 0; connection < 2; ++connection) {
    TestTerminal guesser(gateway_->port(), kPhone);
    EXPECT_EQ(AuthResult(guesser, "000000000000000" + std::to_string(2 * connection)), 1);
    EXPECT_EQ(AuthResult(guesser, "000000000000000" + std::to_string(2 * connection + 1)), 1);
    EXPECT_TRUE(guesser.WaitClosed(2s));
  }
  // Locked: even the right code is refused unchecked, and the connection is closed.
  {
    TestTerminal during(gateway_->port(), kPhone);
    EXPECT_EQ(AuthResult(during, code), 1);
    EXPECT_TRUE(during.WaitClosed(2s));
  }
  // Other phones are not affected.
  TestTerminal other(gateway_->port(), "013900000088");
  other.RegisterAndAuthenticate();
  std::this_thread::sleep_for(1600ms);
  TestTerminal after(gateway_->port(), kPhone);
  EXPECT_EQ(AuthResult(after, code), 0);
  EXPECT_NE(metrics_.Render().find("baotong_auth_lockouts_total 1"), std::string::npos);
}

TEST_F(TakeoverTest, PolicyAcceptsOnlyTheSameIdentityAndRevokesTheOldCode) {
  GatewayOptions options;
  options.reregister_same_identity = true;
  StartGateway(options);
  const std::string old_code = RegisterGenuine();
  const store::TerminalRecord before = Stored(kPhone);

  // Another plate, another terminal ID, or another colour: still result 3.
  for (auto request : {Registration("T000042", "辽C99999"), Registration("EVIL001", "辽C00042"),
                       Registration("", "辽C00042")}) {
    TestTerminal impostor(gateway_->port(), kPhone);
    impostor.Send(request);
    auto reply = RegisterReplyOf(impostor);
    EXPECT_EQ(reply.result, static_cast<uint8_t>(RegisterResult::kTerminalAlreadyRegistered));
    EXPECT_TRUE(reply.auth_code.empty());
  }
  {
    auto blue = Registration("T000042", "辽C00042");
    blue.plate_color = 1;
    TestTerminal impostor(gateway_->port(), kPhone);
    impostor.Send(blue);
    EXPECT_EQ(RegisterReplyOf(impostor).result,
              static_cast<uint8_t>(RegisterResult::kTerminalAlreadyRegistered));
  }
  EXPECT_EQ(Stored(kPhone), before);

  // The same terminal ID, plate and colour: a new code; the old one no longer works.
  TestTerminal replaced(gateway_->port(), kPhone);
  replaced.Send(Registration("T000042", "辽C00042"));
  auto reply = RegisterReplyOf(replaced);
  ASSERT_EQ(reply.result, static_cast<uint8_t>(RegisterResult::kOk));
  EXPECT_EQ(reply.auth_code.size(), 16u);
  EXPECT_NE(reply.auth_code, old_code);
  EXPECT_EQ(Stored(kPhone).auth_code, reply.auth_code);
  EXPECT_EQ(Stored(kPhone).plate, before.plate);
  EXPECT_EQ(AuthResult(replaced, reply.auth_code), 0);
  TestTerminal stale(gateway_->port(), kPhone);
  EXPECT_EQ(AuthResult(stale, old_code), 1);
  std::lock_guard lock(mutex_);
  ASSERT_EQ(reregistrations_.size(), 1u);
  EXPECT_EQ(reregistrations_[0].terminal, kPhone);
  EXPECT_EQ(reregistrations_[0].plate, "辽C00042");
  EXPECT_NE(reregistrations_[0].peer.find("127.0.0.1"), std::string::npos);
  EXPECT_EQ(codes_at_audit_[0], old_code);  // audited before the new code took effect
}

TEST_F(TakeoverTest, AReregistrationThatCannotBeAuditedIsNotMade) {
  GatewayOptions options;
  options.reregister_same_identity = true;
  StartGateway(options);
  const std::string code = RegisterGenuine();
  {
    std::lock_guard lock(mutex_);
    audit_works_ = false;
  }
  TestTerminal replaced(gateway_->port(), kPhone);
  replaced.Send(Registration("T000042", "辽C00042"));
  EXPECT_FALSE(replaced.Receive(500ms));  // unanswered: the terminal resends
  EXPECT_EQ(Stored(kPhone).auth_code, code);
  {
    std::lock_guard lock(mutex_);
    audit_works_ = true;
  }
  replaced.Send(Registration("T000042", "辽C00042"));  // the resend is answered
  auto reply = RegisterReplyOf(replaced);
  ASSERT_EQ(reply.result, static_cast<uint8_t>(RegisterResult::kOk));
  EXPECT_EQ(Stored(kPhone).auth_code, reply.auth_code);
}

// A failed registration write withholds only the registrations: a 0x0102 for another terminal
// in the same batch is answered, and the terminals that resend are answered once the store
// works again.
TEST_F(TakeoverTest, AFailedRegistrationWriteStillAnswersOtherTerminalsAuth) {
  StartGateway();
  const std::string code = RegisterGenuine();
  TestTerminal first(gateway_->port(), "013900000077");
  TestTerminal second(gateway_->port(), "013900000078");
  TestTerminal genuine(gateway_->port(), kPhone);
  store_.HoldLookups();
  store_.FailTerminalWrites(true);
  first.Send(Registration("T000077", "辽C00077"));  // the registry thread waits in its lookup
  std::this_thread::sleep_for(200ms);
  second.Send(Registration("T000078", "辽C00078"));  // these two queue into the next batch
  genuine.Send(jt808::Auth{code, {}, {}});
  std::this_thread::sleep_for(200ms);
  store_.ReleaseLookups();
  auto auth = genuine.Receive(2s);
  ASSERT_TRUE(auth);
  EXPECT_EQ(std::get<jt808::PlatformGeneralReply>(auth->message).result, 0);
  EXPECT_FALSE(first.Receive(300ms));
  EXPECT_FALSE(second.Receive(10ms));
  store_.FailTerminalWrites(false);
  first.Send(Registration("T000077", "辽C00077"));
  EXPECT_EQ(RegisterReplyOf(first).result, static_cast<uint8_t>(RegisterResult::kOk));
  EXPECT_EQ(AuthResult(genuine, code), 0);  // answered again: nothing left pending
}

TEST_F(TakeoverTest, ProvisionedTerminalGetsItsFirstCodeOnce) {
  StartGateway();
  store::TerminalRecord provisioned;
  provisioned.terminal = kPhone;
  provisioned.plate = "辽C00042";
  provisioned.plate_color = 2;
  ASSERT_TRUE(store_.Upsert(provisioned));
  TestTerminal first(gateway_->port(), kPhone);
  first.Send(Registration("T000042", "辽C00042"));
  auto reply = RegisterReplyOf(first);
  EXPECT_EQ(reply.result, static_cast<uint8_t>(RegisterResult::kOk));
  EXPECT_EQ(Stored(kPhone).auth_code, reply.auth_code);
  TestTerminal second(gateway_->port(), kPhone);
  second.Send(Registration("T000042", "辽C00042"));
  EXPECT_EQ(RegisterReplyOf(second).result,
            static_cast<uint8_t>(RegisterResult::kTerminalAlreadyRegistered));
}

// A provisioned phone (or one reset with --await-registration) is bound by staff to a vehicle:
// its first 0x0100 must name that vehicle, and the stored plate and terminal ID are kept.
TEST_F(TakeoverTest, ProvisionedTerminalNamingAnotherVehicleGetsResult2AndKeepsItsRecord) {
  StartGateway();
  store::TerminalRecord provisioned;
  provisioned.terminal = kPhone;
  provisioned.terminal_id = "STAFF42";
  provisioned.plate = "辽C00042";
  provisioned.plate_color = 2;
  ASSERT_TRUE(store_.Upsert(provisioned));
  {
    TestTerminal wrong_plate(gateway_->port(), kPhone);
    wrong_plate.Send(Registration("T000042", "辽C99999"));
    auto reply = RegisterReplyOf(wrong_plate);
    EXPECT_EQ(reply.result, static_cast<uint8_t>(RegisterResult::kNoSuchVehicle));
    EXPECT_TRUE(reply.auth_code.empty());
  }
  {
    auto blue = Registration("T000042", "辽C00042");
    blue.plate_color = 1;
    TestTerminal wrong_color(gateway_->port(), kPhone);
    wrong_color.Send(blue);
    EXPECT_EQ(RegisterReplyOf(wrong_color).result,
              static_cast<uint8_t>(RegisterResult::kNoSuchVehicle));
  }
  EXPECT_EQ(Stored(kPhone), provisioned);

  TestTerminal genuine(gateway_->port(), kPhone);
  genuine.Send(Registration("OTHER01", "辽C00042"));
  auto reply = RegisterReplyOf(genuine);
  ASSERT_EQ(reply.result, static_cast<uint8_t>(RegisterResult::kOk));
  const store::TerminalRecord stored = Stored(kPhone);
  EXPECT_EQ(stored.auth_code, reply.auth_code);
  EXPECT_EQ(stored.terminal_id, "STAFF42");  // what staff stored, not what the device sent
  EXPECT_EQ(stored.plate, "辽C00042");
  EXPECT_EQ(stored.maker_id, "BT");  // missing fields come from the device
}

TEST_F(TakeoverTest, AStrangerCannotClaimTheVehicleOfAProvisionedTerminal) {
  StartGateway();  // auto-registration on
  store::TerminalRecord provisioned;
  provisioned.terminal = kPhone;
  provisioned.plate = "辽C00042";
  provisioned.plate_color = 2;
  ASSERT_TRUE(store_.Upsert(provisioned));
  TestTerminal stranger(gateway_->port(), "013900000077");
  stranger.Send(Registration("T000077", "辽C00042"));
  EXPECT_EQ(RegisterReplyOf(stranger).result,
            static_cast<uint8_t>(RegisterResult::kVehicleAlreadyRegistered));
  EXPECT_FALSE(*store_.Find("013900000077"));
  TestTerminal genuine(gateway_->port(), kPhone);
  genuine.Send(Registration("T000042", "辽C00042"));
  EXPECT_EQ(RegisterReplyOf(genuine).result, static_cast<uint8_t>(RegisterResult::kOk));
}

TEST_F(TakeoverTest, ACodeRevokedInTheStoreStopsWorkingAtOnce) {
  // `baotong terminal reprovision` writes the store from another process: nothing is cached.
  StartGateway();
  const std::string old_code = RegisterGenuine();
  store::TerminalRecord record = Stored(kPhone);
  record.auth_code = "FEDCBA9876543210";
  ASSERT_TRUE(store_.Upsert(record));
  TestTerminal stale(gateway_->port(), kPhone);
  EXPECT_EQ(AuthResult(stale, old_code), 1);
  TestTerminal renewed(gateway_->port(), kPhone);
  EXPECT_EQ(AuthResult(renewed, "FEDCBA9876543210"), 0);
}

}  // namespace
}  // namespace baotong::gateway
