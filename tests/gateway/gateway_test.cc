// The gateway over real TCP on 127.0.0.1, against an in-memory store.
#include "gateway/gateway.h"

#include <gtest/gtest.h>

#include <mutex>
#include <thread>

#include "gateway/test_support.h"

namespace baotong::gateway {
namespace {

using namespace std::chrono_literals;
using testing::MemoryStore;
using testing::TestTerminal;

jt808::LocationReport Report(int64_t time_ms) {
  jt808::LocationReport report;
  report.status = jt808::status_bit::kPositioned | jt808::status_bit::kAccOn;
  report.lat_e6 = 41'108'500;
  report.lon_e6 = 122'994'300;
  report.speed_dkmh = 400;
  report.time_ms = time_ms;
  report.odometer_hm = 1234;
  return report;
}

// The value of an unlabelled metric in the Prometheus text.
double MetricValue(const Metrics& metrics, const std::string& name) {
  std::string text = metrics.Render();
  size_t at = text.find("\n" + name + " ");
  if (at == std::string::npos)
    throw std::runtime_error("no metric " + name);
  return std::stod(text.substr(at + name.size() + 2));
}

// By value: callers pass the temporary that Receive() returns.
jt808::PlatformGeneralReply GeneralReply(const std::optional<jt808::DecodedMessage>& m) {
  if (!m)
    throw std::runtime_error("no reply");
  return std::get<jt808::PlatformGeneralReply>(m->message);
}

class GatewayTest : public ::testing::Test {
 protected:
  void StartGateway(GatewayOptions options = {}) {
    options.listen_address = "127.0.0.1";
    options.port = 0;
    options.io_threads = 2;
    gateway_ = std::make_unique<Gateway>(options, store_, store_, metrics_);
    ASSERT_TRUE(gateway_->Start());
  }
  GatewayOptions AutoRegister() {
    GatewayOptions options;
    options.auto_register = true;
    return options;
  }
  void TearDown() override {
    store_.OpenGate();
    gateway_.reset();
  }

  MemoryStore store_;
  Metrics metrics_;
  std::unique_ptr<Gateway> gateway_;
};

TEST_F(GatewayTest, RegistersAuthenticatesAndStoresPositions) {
  StartGateway(AutoRegister());
  TestTerminal terminal(gateway_->port(), "013912345678");
  terminal.RegisterAndAuthenticate();
  uint16_t serial = terminal.Send(Report(1'650'415'800'000));
  const auto& ack = GeneralReply(terminal.Receive());
  EXPECT_EQ(ack.reply_serial, serial);
  EXPECT_EQ(ack.reply_msg_id, jt808::msg_id::kLocationReport);
  EXPECT_EQ(ack.result, 0);

  auto stored = store_.positions();
  ASSERT_EQ(stored.size(), 1u);
  EXPECT_EQ(stored[0].terminal, "013912345678");
  EXPECT_EQ(stored[0].serial, serial);
  EXPECT_EQ(stored[0].device_time_ms, 1'650'415'800'000);
  EXPECT_EQ(stored[0].lat_e6, 41'108'500);
  EXPECT_EQ(stored[0].speed_dkmh, 400);
  // The additional items exactly as sent: odometer item 0x01, length 4, 1234.
  EXPECT_EQ(stored[0].extras, (std::vector<uint8_t>{0x01, 0x04, 0x00, 0x00, 0x04, 0xd2}));
  EXPECT_GT(stored[0].receive_time_ms, 0);
}

TEST_F(GatewayTest, Speaks2019OnTheSamePort) {
  StartGateway(AutoRegister());
  TestTerminal terminal(gateway_->port(), "00000000013912345678", jt808::Version::k2019);
  terminal.RegisterAndAuthenticate();
  terminal.Send(Report(1'650'415'800'000));
  auto ack = terminal.Receive();
  ASSERT_TRUE(ack);
  EXPECT_EQ(ack->header.version, jt808::Version::k2019);
  EXPECT_EQ(GeneralReply(ack).result, 0);
}

TEST_F(GatewayTest, UnknownTerminalIsNotInTheDatabase) {
  StartGateway();  // no auto-registration
  TestTerminal terminal(gateway_->port(), "013900000001");
  terminal.Send(jt808::Register{});
  auto reply = terminal.Receive();
  ASSERT_TRUE(reply);
  EXPECT_EQ(std::get<jt808::RegisterReply>(reply->message).result,
            static_cast<uint8_t>(jt808::RegisterResult::kNoSuchTerminal));
}

TEST_F(GatewayTest, WrongAuthCodeIsRefused) {
  StartGateway(AutoRegister());
  TestTerminal terminal(gateway_->port(), "013900000002");
  terminal.Send(jt808::Register{});
  ASSERT_TRUE(terminal.Receive());
  terminal.Send(jt808::Auth{"not-the-code", {}, {}});
  EXPECT_EQ(GeneralReply(terminal.Receive()).result, 1);
}

TEST_F(GatewayTest, PositionsBeforeAuthAreRefusedAndNotStored) {
  StartGateway(AutoRegister());
  TestTerminal terminal(gateway_->port(), "013900000003");
  terminal.Send(Report(1'650'415'800'000));
  EXPECT_EQ(GeneralReply(terminal.Receive()).result, 1);
  EXPECT_TRUE(store_.positions().empty());
}

TEST_F(GatewayTest, AcknowledgesOnlyAfterTheStoreCommitted) {
  StartGateway(AutoRegister());
  TestTerminal terminal(gateway_->port(), "013900000004");
  terminal.RegisterAndAuthenticate();
  store_.CloseGate();
  terminal.Send(Report(1'650'415'800'000));
  EXPECT_FALSE(terminal.Receive(300ms)) << "acknowledged before the store committed";
  store_.OpenGate();
  EXPECT_EQ(GeneralReply(terminal.Receive()).result, 0);
  EXPECT_EQ(store_.positions().size(), 1u);
}

TEST_F(GatewayTest, ReportsCommittedTogetherAreEachAcknowledgedInOrder) {
  GatewayOptions options = AutoRegister();
  std::mutex observed_mutex;
  std::vector<model::Position> observed;
  options.writer.on_queued = [&](std::vector<model::Position>& positions) {
    std::lock_guard lock(observed_mutex);
    for (auto& position : positions)
      observed.push_back(std::move(position));
  };
  StartGateway(options);
  TestTerminal terminal(gateway_->port(), "013900000014");
  terminal.RegisterAndAuthenticate();
  store_.CloseGate();  // the five are committed in one batch, acknowledged in one write
  std::vector<jt808::Message> reports;
  for (int i = 0; i < 5; ++i)
    reports.emplace_back(Report(1'650'415'800'000 + i * 1000));
  std::vector<uint16_t> serials = terminal.SendTogether(reports);
  std::this_thread::sleep_for(100ms);
  store_.OpenGate();
  for (uint16_t serial : serials) {
    auto ack = GeneralReply(terminal.Receive());
    EXPECT_EQ(ack.reply_serial, serial);
    EXPECT_EQ(ack.result, 0);
  }
  EXPECT_FALSE(terminal.Receive(200ms)) << "one acknowledgement per message";
  ASSERT_EQ(store_.positions().size(), 5u);
  EXPECT_FALSE(store_.positions()[0].extras.empty()) << "the store keeps the additional items";
  std::lock_guard lock(observed_mutex);
  ASSERT_EQ(observed.size(), 5u) << "the rule engine's feed gets each position once";
  for (size_t i = 0; i < observed.size(); ++i) {
    EXPECT_EQ(observed[i].serial, serials[i]);
    EXPECT_EQ(observed[i].lat_e6, 41'108'500);
    EXPECT_TRUE(observed[i].extras.empty());
  }
}

TEST_F(GatewayTest, ResentPositionIsAcknowledgedButStoredOnce) {
  StartGateway(AutoRegister());
  TestTerminal terminal(gateway_->port(), "013900000005");
  terminal.RegisterAndAuthenticate();
  terminal.SendWithSerial(Report(1'650'415'800'000), 77);
  EXPECT_EQ(GeneralReply(terminal.Receive()).result, 0);
  terminal.SendWithSerial(Report(1'650'415'800'000), 77);
  EXPECT_EQ(GeneralReply(terminal.Receive()).result, 0);
  EXPECT_EQ(store_.positions().size(), 1u);
}

TEST_F(GatewayTest, BatchIsAcknowledgedOnceAfterAllItems) {
  StartGateway(AutoRegister());
  TestTerminal terminal(gateway_->port(), "013900000006");
  terminal.RegisterAndAuthenticate();
  jt808::LocationBatch batch;
  batch.batch_type = 1;
  for (int i = 0; i < 3; ++i)
    batch.items.push_back(Report(1'650'415'800'000 + i * 1000));
  uint16_t serial = terminal.Send(batch);
  const auto& ack = GeneralReply(terminal.Receive());
  EXPECT_EQ(ack.reply_serial, serial);
  EXPECT_EQ(ack.reply_msg_id, jt808::msg_id::kLocationBatch);
  EXPECT_EQ(store_.positions().size(), 3u);
  EXPECT_FALSE(terminal.Receive(200ms)) << "one acknowledgement per message";
}

TEST_F(GatewayTest, HeartbeatIsAnswered) {
  StartGateway(AutoRegister());
  TestTerminal terminal(gateway_->port(), "013900000007");
  terminal.RegisterAndAuthenticate();
  uint16_t serial = terminal.Send(jt808::Heartbeat{});
  const auto& reply = GeneralReply(terminal.Receive());
  EXPECT_EQ(reply.reply_serial, serial);
  EXPECT_EQ(reply.reply_msg_id, jt808::msg_id::kHeartbeat);
}

TEST_F(GatewayTest, LogoutIsAnsweredThenClosed) {
  StartGateway(AutoRegister());
  TestTerminal terminal(gateway_->port(), "013900000008");
  terminal.RegisterAndAuthenticate();
  terminal.Send(jt808::Logout{});
  EXPECT_EQ(GeneralReply(terminal.Receive()).result, 0);
  EXPECT_TRUE(terminal.WaitClosed(2s));
}

TEST_F(GatewayTest, GarbageIsCutOffAndTheServerStaysHealthy) {
  GatewayOptions options = AutoRegister();
  options.max_bad_frames = 3;
  StartGateway(options);
  TestTerminal noisy(gateway_->port(), "013900000009");
  try {
    for (int i = 0; i < 10; ++i)
      noisy.SendRaw({0x7e, 0x01, 0x02, 0x03, 0x7e});
  } catch (const std::exception&) {
    // The server may hang up before the last writes: that is the behaviour under test.
  }
  EXPECT_TRUE(noisy.WaitClosed(2s));

  TestTerminal well_behaved(gateway_->port(), "013900000010");
  well_behaved.RegisterAndAuthenticate();
  well_behaved.Send(Report(1'650'415'800'000));
  EXPECT_EQ(GeneralReply(well_behaved.Receive()).result, 0);
  auto text = metrics_.Render();
  EXPECT_NE(text.find("baotong_disconnects_total{reason=\"bad_input\"} 1"), std::string::npos);
}

TEST_F(GatewayTest, BytesOutsideFramesAreCountedAndCutOff) {
  StartGateway(AutoRegister());
  TestTerminal http_client(gateway_->port(), "013900000017");
  std::string request = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
  std::vector<uint8_t> bytes;
  while (bytes.size() < 20'000)
    bytes.insert(bytes.end(), request.begin(), request.end());
  try {
    http_client.SendRaw(bytes);
  } catch (const std::exception&) {
    // The server may hang up while the bytes are still going out.
  }
  EXPECT_TRUE(http_client.WaitClosed(2s));
  EXPECT_GT(MetricValue(metrics_, "baotong_garbage_bytes_total"), 16'000);
}

TEST_F(GatewayTest, FrameOverTheLimitIsCutOff) {
  StartGateway(AutoRegister());
  TestTerminal terminal(gateway_->port(), "013900000011");
  std::vector<uint8_t> huge(5000, 0x11);
  huge.front() = 0x7e;
  try {
    terminal.SendRaw(huge);
  } catch (const std::exception&) {
    // Cut off while the bytes were still going out.
  }
  EXPECT_TRUE(terminal.WaitClosed(2s));
}

TEST_F(GatewayTest, BadCheckCodesAreCountedNotStored) {
  StartGateway(AutoRegister());
  TestTerminal terminal(gateway_->port(), "013900000012");
  terminal.RegisterAndAuthenticate();
  jt808::MessageEncoder encoder;
  std::vector<uint8_t> frame;
  jt808::Header header = terminal.header();
  header.serial = 500;
  ASSERT_TRUE(encoder.Encode(header, Report(1'650'415'800'000), frame));
  frame[frame.size() - 2] ^= 0x01;
  terminal.SendRaw(frame);
  EXPECT_FALSE(terminal.Receive(300ms));
  EXPECT_TRUE(store_.positions().empty());
  EXPECT_NE(metrics_.Render().find("baotong_decode_errors_total{kind=\"bad_checksum\"} 1"),
            std::string::npos);
}

TEST_F(GatewayTest, ConnectionThatNeverAuthenticatesTimesOut) {
  GatewayOptions options = AutoRegister();
  options.auth_timeout = 300ms;
  StartGateway(options);
  TestTerminal silent(gateway_->port(), "013900000013");
  EXPECT_TRUE(silent.WaitClosed(3s));
}

TEST_F(GatewayTest, OneByteAMinuteIsTimedOut) {
  GatewayOptions options = AutoRegister();
  options.idle_timeout = 500ms;
  StartGateway(options);
  TestTerminal slow(gateway_->port(), "013900000014");
  slow.RegisterAndAuthenticate();
  // A frame's bytes dribbling in never complete a frame in time.
  auto start = std::chrono::steady_clock::now();
  bool closed = false;
  for (int i = 0; i < 20 && !closed; ++i) {
    try {
      slow.SendRaw({0x7e});
    } catch (const std::exception&) {
      closed = true;  // the server hung up
    }
    closed = closed || slow.WaitClosed(100ms);
  }
  EXPECT_TRUE(closed);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 3s);
}

TEST_F(GatewayTest, TextMessageDeliveryIsRecorded) {
  GatewayOptions options = AutoRegister();
  options.command_timeout = 500ms;
  StartGateway(options);
  TestTerminal terminal(gateway_->port(), "013900000015");
  terminal.RegisterAndAuthenticate();

  jt808::TextMessage text;
  text.flags = 0x0c;
  text.text = "您已偏离备案路线，请尽快返回";
  auto id = gateway_->SendCommand("013900000015", text);
  ASSERT_TRUE(id);
  auto received = terminal.Receive();
  ASSERT_TRUE(received);
  EXPECT_EQ(std::get<jt808::TextMessage>(received->message).text, text.text);
  jt808::TerminalGeneralReply reply;
  reply.reply_serial = received->header.serial;
  reply.reply_msg_id = jt808::msg_id::kTextMessage;
  terminal.Send(reply);
  auto deadline = std::chrono::steady_clock::now() + 2s;
  while (gateway_->FindCommand(*id)->status == CommandStatus::kPending &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(10ms);
  }
  EXPECT_EQ(gateway_->FindCommand(*id)->status, CommandStatus::kDelivered);

  // No answer: timed out.
  auto unanswered = gateway_->SendCommand("013900000015", jt808::LocationQuery{});
  ASSERT_TRUE(unanswered);
  ASSERT_TRUE(terminal.Receive());
  deadline = std::chrono::steady_clock::now() + 3s;
  while (gateway_->FindCommand(*unanswered)->status == CommandStatus::kPending &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(10ms);
  }
  EXPECT_EQ(gateway_->FindCommand(*unanswered)->status, CommandStatus::kTimedOut);
  EXPECT_FALSE(gateway_->SendCommand("013999999999", jt808::LocationQuery{}));
}

TEST_F(GatewayTest, FullQueuePausesReadingAndLosesNothing) {
  GatewayOptions options = AutoRegister();
  options.writer.max_batch = 2;
  options.writer.max_queued = 4;
  StartGateway(options);
  TestTerminal terminal(gateway_->port(), "013900000016");
  terminal.RegisterAndAuthenticate();
  store_.CloseGate();
  constexpr int kReports = 40;
  for (int i = 0; i < kReports; ++i) {
    terminal.Send(Report(1'650'415'800'000 + i * 1000));
    std::this_thread::sleep_for(5ms);  // separate reads, so the queue fills up
  }
  std::this_thread::sleep_for(200ms);
  EXPECT_GE(MetricValue(metrics_, "baotong_read_pauses_total"), 1);
  EXPECT_LE(MetricValue(metrics_, "baotong_store_queue_depth"), 4);
  EXPECT_TRUE(store_.positions().empty());
  store_.OpenGate();
  int acked = 0;
  while (acked < kReports) {
    auto reply = terminal.Receive();
    ASSERT_TRUE(reply) << "after " << acked << " acknowledgements";
    EXPECT_EQ(GeneralReply(reply).result, 0);
    ++acked;
  }
  EXPECT_EQ(store_.positions().size(), static_cast<size_t>(kReports));
}

}  // namespace
}  // namespace baotong::gateway
