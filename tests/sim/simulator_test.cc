// End-to-end: the simulator against a small JT/T 808 server written here with Asio and the
// codec. The server withholds some acks and drops connections so the simulator must resend.
#include "sim/simulator.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <boost/asio.hpp>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>
#include <tuple>

#include "protocol/jt808/codec.h"
#include "protocol/jt808/frame.h"

namespace baotong::sim {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

struct FakeServerOptions {
  uint16_t withhold_every = 3;   // the first copy of a report whose serial % this == 0 gets no ack
  size_t close_after = 0;        // close each terminal's FIRST connection at its Nth report
  std::set<std::string> refuse;  // phones answered 0x8100 result 4
};

class FakeServer {
 public:
  using Key = std::tuple<std::string, uint16_t>;  // phone, serial
  struct Report {
    std::vector<uint8_t> body;  // of the first copy
    int64_t time_ms = 0;
    int copies = 0;
    bool body_changed = false;  // a later copy differed from the first
    bool acked = false;
    bool withheld = false;
  };

  explicit FakeServer(FakeServerOptions options)
      : options_(std::move(options)),
        acceptor_(io_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)) {
    Accept();
    thread_ = std::thread([this] { io_.run(); });
  }
  ~FakeServer() {
    io_.stop();
    thread_.join();
  }

  uint16_t port() const { return acceptor_.local_endpoint().port(); }

  std::mutex mutex;
  std::map<std::string, int> registers, auths, connections;
  std::map<Key, Report> reports;
  std::set<int64_t> device_times;
  std::set<std::string> peers;  // source addresses of accepted connections

 private:
  struct Session : std::enable_shared_from_this<Session> {
    Session(FakeServer& s, tcp::socket sock) : server(s), socket(std::move(sock)) {}
    FakeServer& server;
    tcp::socket socket;
    jt808::FrameSplitter splitter;
    std::array<uint8_t, 4096> buffer{};
    uint16_t serial = 0;
    size_t reports_here = 0;
    bool first_connection = false;
    bool closed = false;

    void Read() {
      socket.async_read_some(asio::buffer(buffer), [self = shared_from_this()](
                                                       boost::system::error_code error, size_t n) {
        if (error || self->closed)
          return;
        self->splitter.Feed(ByteSpan(self->buffer.data(), n), [&](Result<ByteSpan> frame) {
          if (!frame || self->closed)
            return;
          auto parsed = jt808::ParseFrame(*frame);
          ASSERT_TRUE(parsed) << parsed.error().Message();
          auto decoded = jt808::DecodeMessage(*parsed);
          ASSERT_TRUE(decoded) << decoded.error().Message();
          self->Handle(*parsed, *decoded);
        });
        self->Read();
      });
    }

    void Send(const jt808::Header& request, const jt808::Message& message) {
      jt808::Header header;
      header.version = request.version;
      header.phone = request.phone;
      header.serial = serial++;
      std::vector<uint8_t> out;
      jt808::MessageEncoder encoder;
      ASSERT_TRUE(encoder.Encode(header, message, out));
      boost::system::error_code ignored;
      asio::write(socket, asio::buffer(out), ignored);
    }

    void Ack(const jt808::Header& request, uint8_t result = 0) {
      jt808::PlatformGeneralReply reply;
      reply.reply_serial = request.serial;
      reply.reply_msg_id = request.msg_id;
      reply.result = result;
      Send(request, reply);
    }

    void Handle(const jt808::FrameView& frame, const jt808::DecodedMessage& decoded) {
      const std::string phone(decoded.header.phone.digits());
      std::unique_lock lock(server.mutex);
      if (std::holds_alternative<jt808::Register>(decoded.message)) {
        ++server.registers[phone];
        const bool refuse = server.options_.refuse.count(phone) > 0;
        lock.unlock();
        jt808::RegisterReply reply;
        reply.reply_serial = decoded.header.serial;
        reply.result = refuse ? 4 : 0;
        if (!refuse)
          reply.auth_code = "code-" + phone;
        Send(decoded.header, reply);
      } else if (const auto* auth = std::get_if<jt808::Auth>(&decoded.message)) {
        ++server.auths[phone];
        first_connection = ++server.connections[phone] == 1;
        const bool ok = auth->auth_code == "code-" + phone;
        lock.unlock();
        Ack(decoded.header, ok ? 0 : 1);
      } else if (const auto* report = std::get_if<jt808::LocationReport>(&decoded.message)) {
        Report& seen = server.reports[{phone, decoded.header.serial}];
        std::vector<uint8_t> body(frame.body.begin(), frame.body.end());
        if (seen.copies++ == 0) {
          seen.body = body;
          seen.time_ms = report->time_ms.value_or(-1);
        } else if (seen.body != body) {
          seen.body_changed = true;
        }
        server.device_times.insert(seen.time_ms);
        ++reports_here;
        if (server.options_.close_after > 0 && first_connection &&
            reports_here == server.options_.close_after) {
          closed = true;
          seen.withheld = true;
          boost::system::error_code ignored;
          socket.close(ignored);
          return;
        }
        if (seen.copies == 1 && decoded.header.serial % server.options_.withhold_every == 0) {
          seen.withheld = true;
          return;
        }
        seen.acked = true;
        lock.unlock();
        Ack(decoded.header);
      } else {
        lock.unlock();
        Ack(decoded.header);
      }
    }
  };

  void Accept() {
    acceptor_.async_accept([this](boost::system::error_code error, tcp::socket socket) {
      if (error)
        return;
      {
        std::lock_guard lock(mutex);
        boost::system::error_code ignored;
        peers.insert(socket.remote_endpoint(ignored).address().to_string());
      }
      std::make_shared<Session>(*this, std::move(socket))->Read();
      Accept();
    });
  }

  FakeServerOptions options_;
  asio::io_context io_;
  tcp::acceptor acceptor_;
  std::thread thread_;
};

SimOptions FastOptions(uint16_t port, size_t terminals) {
  SimOptions options;
  options.server_port = port;
  options.terminals = terminals;
  options.seconds = 0.8;
  options.rate = 20;
  options.window = 4;
  options.ack_timeout_s = 0.15;
  options.reply_timeout_s = 2;
  options.reconnect_min_s = 0.02;
  options.reconnect_max_s = 0.1;
  options.drain_s = 3;
  options.threads = 2;
  return options;
}

std::filesystem::path TempFile(const std::string& name) {
  return std::filesystem::temp_directory_path() /
         ("baotong_sim_test_" + std::to_string(::getpid()) + "_" + name);
}

TEST(SimulatorTest, ResendsWithheldPositionsWithTheSameSerialAndTime) {
  FakeServer server({});
  SimOptions options = FastOptions(server.port(), 6);
  options.acked_out = TempFile("acked.csv");
  auto stats = RunSimulation(options);
  ASSERT_TRUE(stats) << stats.error().Message();

  std::lock_guard lock(server.mutex);
  EXPECT_EQ(stats->terminals, 6u);
  EXPECT_EQ(stats->connected, 6u);
  EXPECT_EQ(stats->registered, 6u);
  EXPECT_EQ(stats->authenticated, 6u);
  EXPECT_EQ(stats->disconnects, 0u);
  EXPECT_EQ(server.registers.size(), 6u);

  size_t withheld = 0, acked = 0, copies = 0;
  std::set<std::string> expected_lines;
  for (const auto& [key, report] : server.reports) {
    EXPECT_FALSE(report.body_changed) << std::get<0>(key) << " serial " << std::get<1>(key);
    EXPECT_EQ(report.time_ms % 1000, 0);
    copies += static_cast<size_t>(report.copies);
    if (report.withheld) {
      ++withheld;
      EXPECT_GE(report.copies, 2) << "withheld report was not resent";
    }
    if (report.acked) {
      ++acked;
      std::ostringstream line;
      line << std::get<0>(key) << ',' << std::get<1>(key) << ',' << report.time_ms;
      expected_lines.insert(line.str());
    }
  }
  EXPECT_GT(withheld, 3u);
  EXPECT_EQ(server.reports.size(), stats->positions_sent);
  EXPECT_EQ(acked, stats->positions_sent);  // drained: everything ended up acknowledged
  EXPECT_EQ(stats->positions_acked, acked);
  EXPECT_EQ(stats->positions_unacked, 0u);
  EXPECT_EQ(copies, stats->positions_sent + stats->resent);
  EXPECT_GE(stats->resent, withheld);
  EXPECT_GT(stats->ack_max_ms, 0);
  EXPECT_LE(stats->ack_p50_ms, stats->ack_p99_ms);

  std::ifstream in(*options.acked_out);
  std::set<std::string> lines;
  for (std::string line; std::getline(in, line);)
    EXPECT_TRUE(lines.insert(line).second) << "duplicate line " << line;
  EXPECT_EQ(lines, expected_lines);
  std::filesystem::remove(*options.acked_out);

  const auto json = ToJson(*stats);
  EXPECT_EQ(json["positions_acked"], stats->positions_acked);
  EXPECT_EQ(json.begin().key(), "terminals");
}

TEST(SimulatorTest, ReconnectsReauthenticatesAndResendsAfterTheServerDropsTheLink) {
  FakeServerOptions server_options;
  server_options.close_after = 5;
  FakeServer server(server_options);
  auto stats = RunSimulation(FastOptions(server.port(), 4));
  ASSERT_TRUE(stats) << stats.error().Message();

  std::lock_guard lock(server.mutex);
  EXPECT_EQ(stats->disconnects, 4u);
  EXPECT_EQ(stats->connects, 8u);
  for (const auto& [phone, count] : server.registers)
    EXPECT_EQ(count, 1) << phone << ": a reconnect must not register again";
  for (const auto& [phone, count] : server.auths)
    EXPECT_EQ(count, 2) << phone;
  size_t acked = 0;
  for (const auto& [key, report] : server.reports) {
    EXPECT_FALSE(report.body_changed);
    EXPECT_TRUE(report.acked) << std::get<0>(key) << " serial " << std::get<1>(key);
    acked += report.acked ? 1 : 0;
  }
  EXPECT_EQ(stats->positions_acked, acked);
  EXPECT_EQ(stats->positions_sent, acked);
  EXPECT_EQ(stats->positions_unacked, 0u);
}

TEST(SimulatorTest, RefusedTerminalGivesUpAndOthersCarryOn) {
  FakeServerOptions server_options;
  server_options.refuse = {"013900000001"};
  FakeServer server(server_options);
  SimOptions options = FastOptions(server.port(), 3);
  options.seconds = 0.3;
  auto stats = RunSimulation(options);
  ASSERT_TRUE(stats) << stats.error().Message();
  std::lock_guard lock(server.mutex);
  EXPECT_EQ(stats->register_refused, 1u);
  EXPECT_EQ(stats->authenticated, 2u);
  EXPECT_EQ(server.registers["013900000001"], 1);
  EXPECT_EQ(server.auths.count("013900000001"), 0u);
  for (const auto& [key, report] : server.reports)
    EXPECT_NE(std::get<0>(key), "013900000001");
}

TEST(SimulatorTest, Speaks2019WithTwentyDigitPhones) {
  FakeServer server({});
  SimOptions options = FastOptions(server.port(), 2);
  options.seconds = 0.3;
  options.version = jt808::Version::k2019;
  auto stats = RunSimulation(options);
  ASSERT_TRUE(stats) << stats.error().Message();
  std::lock_guard lock(server.mutex);
  EXPECT_EQ(stats->authenticated, 2u);
  EXPECT_GT(stats->positions_acked, 0u);
  ASSERT_EQ(server.auths.size(), 2u);
  EXPECT_EQ(server.auths.begin()->first, "01390000000000000000");
}

TEST(SimulatorTest, ScenarioEventsReachTheServer) {
  FakeServer server({});
  auto scenario = ParseScenario(R"(
[[group]]
count = 1
speed_kmh = 40
  [[group.event]]
  type = "door"
  at = 0
  duration = 100
  doors = [2]
  [[group.event]]
  type = "stop"
  at = 0
  duration = 100
)");
  ASSERT_TRUE(scenario) << scenario.error();
  SimOptions options = FastOptions(server.port(), 2);
  options.seconds = 0.3;
  auto stats = RunSimulation(options, *scenario);
  ASSERT_TRUE(stats) << stats.error().Message();
  std::lock_guard lock(server.mutex);
  size_t stopped = 0, moving = 0;
  for (const auto& [key, report] : server.reports) {
    jt808::Version version = jt808::Version::k2013;
    auto decoded = jt808::DecodeBody(jt808::msg_id::kLocationReport, version, report.body);
    ASSERT_TRUE(decoded);
    const auto& location = std::get<jt808::LocationReport>(*decoded);
    if (std::get<0>(key) == "013900000000") {
      ++stopped;
      EXPECT_EQ(location.speed_dkmh, 0);
      EXPECT_EQ(location.status & jt808::status_bit::kDoor2Open, jt808::status_bit::kDoor2Open);
    } else {
      ++moving;  // beyond the group's count: the default behaviour
      EXPECT_GE(location.speed_dkmh, 199);
      EXPECT_EQ(location.status & jt808::status_bit::kAnyDoorOpen, 0u);
    }
  }
  EXPECT_GT(stopped, 0u);
  EXPECT_GT(moving, 0u);
}

TEST(SimulatorTest, BindsSourceAddressesRoundRobin) {
  FakeServer server({});
  SimOptions options = FastOptions(server.port(), 4);
  options.seconds = 0.2;
  options.source_addresses = {"127.0.0.2", "127.0.0.3"};
  auto stats = RunSimulation(options);
  ASSERT_TRUE(stats) << stats.error().Message();
  EXPECT_EQ(stats->authenticated, 4u);
  std::lock_guard lock(server.mutex);
  EXPECT_EQ(server.peers, (std::set<std::string>{"127.0.0.2", "127.0.0.3"}));
}

TEST(SimulatorTest, FailsCleanlyOnBadOptions) {
  SimOptions options;
  options.window = 0;
  EXPECT_FALSE(RunSimulation(options));
  options = SimOptions();
  options.source_addresses = {"not-an-address"};
  EXPECT_FALSE(RunSimulation(options));
  options = SimOptions();
  options.scenario = "/nonexistent/scenario.toml";
  EXPECT_FALSE(RunSimulation(options));
  options = SimOptions();
  options.phone_prefix = "01391234";
  options.terminals = 100'000;  // 8 + 5 digits > 12
  EXPECT_FALSE(RunSimulation(options));
}

TEST(SimulatorTest, StopsEarlyWhenAskedTo) {
  FakeServer server({});
  SimOptions options = FastOptions(server.port(), 2);
  options.seconds = 60;
  std::atomic<bool> stop{false};
  std::thread stopper([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    stop = true;
  });
  auto stats = RunSimulation(options, &stop);
  stopper.join();
  ASSERT_TRUE(stats) << stats.error().Message();
  EXPECT_LT(stats->seconds, 5);
  EXPECT_GT(stats->positions_acked, 0u);
}

TEST(SimulatorHelpersTest, Phones) {
  EXPECT_EQ(*TerminalPhone("0139", 42, jt808::Version::k2013), "013900000042");
  EXPECT_EQ(*TerminalPhone("0139", 42, jt808::Version::k2019), "01390000000000000042");
  EXPECT_FALSE(TerminalPhone("0139", 123456789, jt808::Version::k2013));
  EXPECT_FALSE(TerminalPhone("01a9", 1, jt808::Version::k2013));
}

TEST(SimulatorHelpersTest, AddressRanges) {
  auto addresses = ExpandAddresses("127.0.0.2-127.0.0.4, 10.0.0.1");
  ASSERT_TRUE(addresses);
  EXPECT_EQ(*addresses,
            (std::vector<std::string>{"127.0.0.2", "127.0.0.3", "127.0.0.4", "10.0.0.1"}));
  auto wide = ExpandAddresses("127.0.0.250-127.0.1.3");
  ASSERT_TRUE(wide);
  EXPECT_EQ(wide->size(), 10u);
  EXPECT_FALSE(ExpandAddresses("127.0.0.9-127.0.0.2"));
  EXPECT_FALSE(ExpandAddresses("127.0.0.x"));
  EXPECT_TRUE(ExpandAddresses("")->empty());
}

}  // namespace
}  // namespace baotong::sim
