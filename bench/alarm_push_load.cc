// Load harness for the live alarm feed: how long after a terminal sends an emergency report does
// the dashboard's WebSocket (GET /api/alarms/live) carry the alarm, while a background fleet
// loads the gateway with RATE positions per second.
//
// Three parts run at once against one `baotong serve` on a demo city:
// - the background load: sim::RunSimulation with demo terminals 0..LOAD_TERMINALS-1, each at
//   RATE / LOAD_TERMINALS positions per second;
// - trigger terminals: TRIGGERS further demo terminals (from FIRST_TRIGGER on), driven by a small
//   JT/T 808 client of our own. Each reports once a second; after WARMUP_S, every PERIOD_S-th
//   report (staggered over the terminals) has alarm bit 0 (emergency) set and the next one has
//   it clear again. The steady-clock time just before each emergency report is written to the
//   socket is kept;
// - a WebSocket client signed in as USERNAME, which matches each push of that terminal's
//   terminal_alarm/bit0 alarm (active, with the raise count the trigger should produce) to the
//   trigger. Latency = push received - report written; both ends live in this process, so the
//   figure includes the harness's own scheduling on a shared machine.
//
// Usage: alarm_push_load HOST JT808_PORT HTTP_PORT METRICS_PORT USERNAME PASSWORD_FILE RATE SECONDS
//                        [WARMUP_S=5] [LOAD_TERMINALS=1000] [TRIGGERS=40] [FIRST_TRIGGER=1100]
//                        [PERIOD_S=2] [SIM_THREADS=2]
// SECONDS is the measured period, after WARMUP_S; the load runs for both. The last stdout line
// is one JSON object: positions_per_s (acknowledged by the background simulator over its whole
// sending phase), stored_per_s (the server's stored-positions counter over the measured period),
// alarms_measured, p50_ms, p99_ms, max_ms, missed (triggers with no push within 5 s), the split
// of the latency at the gateway's acknowledgement of the emergency report (ack_p50_ms, ack_p99_ms:
// report written -> durable; after_ack_p50_ms, after_ack_p99_ms: durable -> pushed) and counts
// behind them. scripts/alarm-latency sets everything up.
#include <algorithm>
#include <array>
#include <atomic>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <chrono>
#include <cmath>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "protocol/jt808/codec.h"
#include "protocol/jt808/constants.h"
#include "protocol/jt808/frame.h"
#include "sim/scenario.h"
#include "sim/simulator.h"
#include "sim/vehicle.h"

namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
namespace asio = boost::asio;
namespace jt808 = baotong::jt808;
namespace sim = baotong::sim;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;
using Json = nlohmann::json;

// A trigger with no push after this long counts as missed.
constexpr auto kPushTimeout = std::chrono::seconds(5);
// The demo city provisions this many terminals; their vehicles follow the default scenario.
constexpr size_t kDemoTerminals = 1140;

struct Options {
  std::string host;
  uint16_t jt808_port = 0;
  uint16_t http_port = 0;
  uint16_t metrics_port = 0;  // /metrics has a listener of its own
  std::string username, password;
  double rate = 50'000;
  double seconds = 20;
  double warmup_s = 5;
  size_t load_terminals = 1000;
  size_t triggers = 40;
  size_t first_trigger = 1100;
  int period_s = 2;
  size_t sim_threads = 2;
};

Clock::duration Seconds(double seconds) {
  return std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
}

double Ms(Clock::duration duration) {
  return std::chrono::duration<double, std::milli>(duration).count();
}

// ---- HTTP: sign-in and the server's stored-positions counter

http::response<http::string_body> HttpRequest(const Options& options,
                                              http::request<http::string_body> request) {
  asio::io_context context;
  beast::tcp_stream stream(context);
  stream.expires_after(std::chrono::seconds(30));
  stream.connect({asio::ip::make_address(options.host), options.http_port});
  request.set(http::field::host, options.host);
  request.prepare_payload();
  http::write(stream, request);
  beast::flat_buffer buffer;
  http::response<http::string_body> response;
  http::read(stream, buffer, response);
  beast::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
  return response;
}

std::string Login(const Options& options) {
  http::request<http::string_body> request{http::verb::post, "/api/auth/login", 11};
  request.set(http::field::content_type, "application/json");
  request.body() = Json{{"username", options.username}, {"password", options.password}}.dump();
  auto response = HttpRequest(options, std::move(request));
  const Json body = Json::parse(response.body(), nullptr, /*allow_exceptions=*/false);
  if (response.result() != http::status::ok || !body.is_object() || !body.contains("token") ||
      !body["token"].is_string()) {
    throw std::runtime_error("login failed: HTTP " + std::to_string(response.result_int()) + " " +
                             response.body());
  }
  return body["token"].get<std::string>();
}

// baotong_positions_stored_total from /metrics; nullopt if it cannot be read.
std::optional<double> StoredPositions(const Options& options) {
  try {
    Options metrics = options;
    metrics.http_port = options.metrics_port;
    auto response =
        HttpRequest(metrics, http::request<http::string_body>{http::verb::get, "/metrics", 11});
    if (response.result() != http::status::ok)
      throw std::runtime_error("HTTP " + std::to_string(response.result_int()));
    std::istringstream lines(response.body());
    std::string line;
    while (std::getline(lines, line)) {
      constexpr std::string_view kName = "baotong_positions_stored_total ";
      if (line.starts_with(kName))
        return std::stod(line.substr(kName.size()));
    }
  } catch (const std::exception& error) {
    std::cerr << "alarm_push_load: /metrics: " << error.what() << '\n';
  }
  return std::nullopt;
}

// ---- What was sent and what was pushed

struct Trigger {
  int64_t count = 0;  // the alarm's raise count this report should produce
  uint16_t serial = 0;
  Clock::time_point sent_at;
  std::optional<Clock::time_point> acked_at;  // the gateway's 0x8001: the position is durable
  std::optional<Clock::time_point> pushed_at;
};

// Shared by the trigger thread (Sent) and the WebSocket thread (Pushed).
class PushLedger {
 public:
  explicit PushLedger(const std::vector<std::string>& phones) : triggers_(phones.size()) {
    for (size_t i = 0; i < phones.size(); ++i)
      index_of_phone_[phones[i]] = i;
  }

  void Sent(size_t terminal, int64_t count, uint16_t serial, Clock::time_point at) {
    std::lock_guard lock(mutex_);
    triggers_[terminal].push_back({count, serial, at, std::nullopt, std::nullopt});
  }

  // An acknowledgement of one of `terminal`'s reports; most are not triggers.
  void Acked(size_t terminal, uint16_t serial, Clock::time_point at) {
    std::lock_guard lock(mutex_);
    for (auto it = triggers_[terminal].rbegin(); it != triggers_[terminal].rend(); ++it) {
      if (it->serial == serial && !it->acked_at) {
        it->acked_at = at;
        return;
      }
    }
  }

  // A push of an active terminal_alarm/bit0 alarm of `phone` with raise count `count`.
  void Pushed(const std::string& phone, int64_t count, Clock::time_point at) {
    std::lock_guard lock(mutex_);
    auto found = index_of_phone_.find(phone);
    if (found == index_of_phone_.end())
      return;  // some other vehicle's emergency, not ours
    for (Trigger& trigger : triggers_[found->second]) {
      if (trigger.count == count && !trigger.pushed_at) {
        trigger.pushed_at = at;
        return;
      }
    }
    ++unmatched_;
  }

  // True once every trigger has its push or has waited kPushTimeout.
  bool Settled(Clock::time_point now) const {
    std::lock_guard lock(mutex_);
    for (const auto& list : triggers_) {
      for (const Trigger& trigger : list) {
        if (!trigger.pushed_at && now - trigger.sent_at < kPushTimeout)
          return false;
      }
    }
    return true;
  }

  struct Summary {
    std::vector<double> latencies_ms;
    std::vector<double> ack_ms;        // report written -> acknowledged (durable)
    std::vector<double> after_ack_ms;  // acknowledged -> pushed: monitor, alarm commit, socket
    size_t missed = 0;
    size_t unmatched = 0;
  };
  Summary Summarise() const {
    std::lock_guard lock(mutex_);
    Summary summary;
    summary.unmatched = unmatched_;
    for (const auto& list : triggers_) {
      for (const Trigger& trigger : list) {
        if (trigger.acked_at)
          summary.ack_ms.push_back(Ms(*trigger.acked_at - trigger.sent_at));
        if (trigger.pushed_at && *trigger.pushed_at - trigger.sent_at <= kPushTimeout) {
          summary.latencies_ms.push_back(Ms(*trigger.pushed_at - trigger.sent_at));
          if (trigger.acked_at)
            summary.after_ack_ms.push_back(Ms(*trigger.pushed_at - *trigger.acked_at));
        } else {
          ++summary.missed;
        }
      }
    }
    return summary;
  }

 private:
  mutable std::mutex mutex_;
  std::map<std::string, size_t> index_of_phone_;
  std::vector<std::vector<Trigger>> triggers_;
  size_t unmatched_ = 0;  // pushes of our terminals with a count no trigger expects
};

// ---- The WebSocket client

class LiveFeed {
 public:
  LiveFeed(const Options& options, const std::string& token, PushLedger& ledger)
      : socket_(io_), ledger_(ledger) {
    beast::get_lowest_layer(socket_).connect(
        {asio::ip::make_address(options.host), options.http_port});
    socket_.set_option(websocket::stream_base::decorator([token](websocket::request_type& request) {
      request.set(http::field::authorization, "Bearer " + token);
    }));
    socket_.handshake(options.host, "/api/alarms/live");
    socket_.read(buffer_);
    const Json hello = Json::parse(beast::buffers_to_string(buffer_.data()), nullptr, false);
    buffer_.consume(buffer_.size());
    if (!hello.is_object() || hello.value("type", "") != "hello")
      throw std::runtime_error("the live feed did not start with a hello");
  }

  ~LiveFeed() { Stop(); }

  void Start() {
    Read();
    thread_ = std::thread([this] { io_.run(); });
  }

  void Stop() {
    io_.stop();
    if (thread_.joinable())
      thread_.join();
  }

  uint64_t alarm_messages() const { return alarm_messages_.load(); }
  bool failed() const { return failed_.load(); }

 private:
  void Read() {
    socket_.async_read(buffer_, [this](beast::error_code error, size_t) {
      const Clock::time_point now = Clock::now();
      if (error) {
        std::cerr << "alarm_push_load: live feed: " << error.message() << '\n';
        failed_ = true;
        return;
      }
      OnMessage(beast::buffers_to_string(buffer_.data()), now);
      buffer_.consume(buffer_.size());
      Read();
    });
  }

  void OnMessage(const std::string& text, Clock::time_point now) {
    const Json message = Json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (!message.is_object() || message.value("type", "") != "alarm" ||
        !message.contains("alarm") || !message["alarm"].is_object()) {
      return;
    }
    ++alarm_messages_;
    const Json& alarm = message["alarm"];
    if (alarm.value("kind", "") != "terminal_alarm" || alarm.value("subject", "") != "bit0" ||
        !alarm.value("active", false)) {
      return;
    }
    ledger_.Pushed(alarm.value("terminal", ""), alarm.value("count", int64_t{0}), now);
  }

  asio::io_context io_;
  websocket::stream<beast::tcp_stream> socket_;
  beast::flat_buffer buffer_;
  PushLedger& ledger_;
  std::thread thread_;
  std::atomic<uint64_t> alarm_messages_{0};
  std::atomic<bool> failed_{false};
};

// ---- The trigger terminals

// One demo terminal on its own connection: registers and authenticates synchronously, then
// reports once a second from the shared io_context's timers.
class TriggerTerminal {
 public:
  TriggerTerminal(asio::io_context& io, size_t slot, size_t demo_index,
                  const sim::Scenario& scenario)
      : slot_(slot),
        demo_index_(demo_index),
        phone_digits_(*sim::TerminalPhone("0139", demo_index, jt808::Version::k2013)),
        phone_(*jt808::Phone::FromDigits(phone_digits_)),
        model_(sim::VehicleModel::ForSlot(scenario, sim::GroupSlot{0, demo_index, kDemoTerminals})),
        socket_(io),
        timer_(io) {}

  const std::string& phone() const { return phone_digits_; }
  uint64_t acks() const { return acks_; }
  uint64_t nacks() const { return nacks_; }

  void Connect(const tcp::endpoint& server) {
    socket_.connect(server);
    socket_.set_option(tcp::no_delay(true));
    jt808::Register registration;
    registration.province_id = 21;  // Liaoning
    registration.city_id = 300;     // Anshan (210300)
    registration.maker_id = "BTSIM";
    registration.terminal_model = "BAOTONG-SIM";
    registration.terminal_id = phone_digits_.substr(phone_digits_.size() - 7);
    registration.plate_color = 2;
    registration.plate = sim::TerminalPlate(demo_index_);
    const uint16_t register_serial = Send(registration);
    std::string auth_code;
    WaitFor([&](const jt808::DecodedMessage& decoded) {
      const auto* reply = std::get_if<jt808::RegisterReply>(&decoded.message);
      if (reply == nullptr || reply->reply_serial != register_serial)
        return false;
      if (reply->result != static_cast<uint8_t>(jt808::RegisterResult::kOk))
        throw std::runtime_error("terminal " + phone_digits_ + ": registration refused, result " +
                                 std::to_string(reply->result));
      auth_code = reply->auth_code;
      return true;
    });
    const uint16_t auth_serial = Send(jt808::Auth{auth_code, "", ""});
    WaitFor([&](const jt808::DecodedMessage& decoded) {
      const auto* reply = std::get_if<jt808::PlatformGeneralReply>(&decoded.message);
      if (reply == nullptr || reply->reply_msg_id != jt808::msg_id::kAuth ||
          reply->reply_serial != auth_serial) {
        return false;
      }
      if (reply->result != static_cast<uint8_t>(jt808::ReplyResult::kOk))
        throw std::runtime_error("terminal " + phone_digits_ + ": authentication refused");
      return true;
    });
  }

  // Reports at first_tick + n seconds; report n carries the emergency bit when `emergency(n)`,
  // and its send time then goes to `ledger`.
  void Start(Clock::time_point sim_start, Clock::time_point first_tick,
             std::function<bool(int64_t)> emergency, PushLedger* ledger) {
    sim_start_ = sim_start;
    next_tick_ = first_tick;
    emergency_ = std::move(emergency);
    ledger_ = ledger;
    ReadAcks();
    Schedule();
  }

  void Stop() {
    boost::system::error_code ignored;
    timer_.cancel();
    socket_.shutdown(tcp::socket::shutdown_both, ignored);
    socket_.close(ignored);
  }

 private:
  template <typename Body>
  uint16_t Send(const Body& body) {
    jt808::Header header;
    header.phone = phone_;
    header.serial = next_serial_++;
    out_.clear();
    if (auto encoded = encoder_.Encode(header, jt808::Message(body), out_); !encoded)
      throw std::runtime_error("encoding failed: " + encoded.error().Message());
    asio::write(socket_, asio::buffer(out_));
    return header.serial;
  }

  // Reads frames synchronously until `done(message)` says it was the awaited one.
  template <typename Done>
  void WaitFor(Done done) {
    for (;;) {
      const size_t size = socket_.read_some(asio::buffer(read_buffer_));
      bool found = false;
      splitter_.Feed(baotong::ByteSpan(read_buffer_.data(), size), [&](auto frame) {
        if (found || !frame)
          return;
        auto parsed = jt808::ParseFrame(*frame);
        if (!parsed)
          return;
        if (auto decoded = jt808::DecodeMessage(*parsed); decoded && done(*decoded))
          found = true;
      });
      if (found)
        return;
    }
  }

  void ReadAcks() {
    socket_.async_read_some(
        asio::buffer(read_buffer_), [this](const boost::system::error_code& error, size_t size) {
          if (error)
            return;
          splitter_.Feed(baotong::ByteSpan(read_buffer_.data(), size), [&](auto frame) {
            if (!frame)
              return;
            auto parsed = jt808::ParseFrame(*frame);
            if (!parsed)
              return;
            auto decoded = jt808::DecodeMessage(*parsed);
            if (!decoded)
              return;
            const auto* reply = std::get_if<jt808::PlatformGeneralReply>(&decoded->message);
            if (reply == nullptr || reply->reply_msg_id != jt808::msg_id::kLocationReport)
              return;
            const auto result = static_cast<jt808::ReplyResult>(reply->result);
            if (result == jt808::ReplyResult::kOk ||
                result == jt808::ReplyResult::kAlarmConfirmed) {
              ++acks_;
              ledger_->Acked(slot_, reply->reply_serial, Clock::now());
            } else {
              ++nacks_;
            }
          });
          ReadAcks();
        });
  }

  void Schedule() {
    timer_.expires_at(next_tick_);
    timer_.async_wait([this](const boost::system::error_code& error) {
      if (error)
        return;
      const bool alarm = emergency_(tick_);
      jt808::LocationReport report =
          model_.ReportAt(std::chrono::duration<double>(Clock::now() - sim_start_).count());
      const auto wall_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                               std::chrono::system_clock::now().time_since_epoch())
                               .count();
      report.time_ms = wall_ms - wall_ms % 1000;  // BCD time has whole seconds
      if (alarm) {
        report.alarm |= jt808::alarm_bit::kEmergency;
        ++raises_;
        ledger_->Sent(slot_, raises_, next_serial_, Clock::now());  // Send uses next_serial_
      }
      try {
        Send(report);
      } catch (const std::exception& failure) {
        std::cerr << "alarm_push_load: terminal " << phone_digits_ << ": " << failure.what()
                  << '\n';
        return;
      }
      ++tick_;
      next_tick_ += std::chrono::seconds(1);
      Schedule();
    });
  }

  size_t slot_;
  size_t demo_index_;
  std::string phone_digits_;
  jt808::Phone phone_;
  sim::VehicleModel model_;
  tcp::socket socket_;
  asio::steady_timer timer_;
  jt808::MessageEncoder encoder_;
  jt808::FrameSplitter splitter_;
  std::array<uint8_t, 4096> read_buffer_{};
  std::vector<uint8_t> out_;
  uint16_t next_serial_ = 1;
  int64_t tick_ = 0;
  int64_t raises_ = 0;
  uint64_t acks_ = 0, nacks_ = 0;
  Clock::time_point sim_start_, next_tick_;
  std::function<bool(int64_t)> emergency_;
  PushLedger* ledger_ = nullptr;
};

double Quantile(std::vector<double> values, double q) {
  if (values.empty())
    return 0;
  const size_t index = std::min(values.size() - 1, static_cast<size_t>(q * values.size()));
  std::nth_element(values.begin(), values.begin() + static_cast<long>(index), values.end());
  return values[index];
}

double Round3(double value) {
  return std::round(value * 1000) / 1000;
}

Options ParseOptions(int argc, char** argv) {
  if (argc < 9) {
    throw std::invalid_argument(
        "usage: alarm_push_load HOST JT808_PORT HTTP_PORT METRICS_PORT USERNAME PASSWORD_FILE RATE "
        "SECONDS "
        "[WARMUP_S=5] [LOAD_TERMINALS=1000] [TRIGGERS=40] [FIRST_TRIGGER=1100] [PERIOD_S=2] "
        "[SIM_THREADS=2]");
  }
  Options options;
  options.host = argv[1];
  options.jt808_port = static_cast<uint16_t>(std::stoi(argv[2]));
  options.http_port = static_cast<uint16_t>(std::stoi(argv[3]));
  options.metrics_port = static_cast<uint16_t>(std::stoi(argv[4]));
  options.username = argv[5];
  std::ifstream(argv[6]) >> options.password;
  options.rate = std::stod(argv[7]);
  options.seconds = std::stod(argv[8]);
  if (argc > 9)
    options.warmup_s = std::stod(argv[9]);
  if (argc > 10)
    options.load_terminals = std::stoul(argv[10]);
  if (argc > 11)
    options.triggers = std::stoul(argv[11]);
  if (argc > 12)
    options.first_trigger = std::stoul(argv[12]);
  if (argc > 13)
    options.period_s = std::stoi(argv[13]);
  if (argc > 14)
    options.sim_threads = std::stoul(argv[14]);
  if (options.password.empty())
    throw std::invalid_argument("empty password file");
  if (!(options.rate > 0) || !(options.seconds > 0) || !(options.warmup_s >= 0) ||
      options.load_terminals == 0 || options.triggers == 0 || options.period_s < 2 ||
      options.sim_threads == 0) {
    throw std::invalid_argument(
        "rate, seconds, terminals, triggers and threads must be positive, period at least 2");
  }
  if (options.first_trigger < options.load_terminals)
    throw std::invalid_argument("trigger terminals must come after the load terminals");
  return options;
}

int Run(const Options& options) {
  std::vector<std::string> phones;
  for (size_t k = 0; k < options.triggers; ++k)
    phones.push_back(*sim::TerminalPhone("0139", options.first_trigger + k, jt808::Version::k2013));
  PushLedger ledger(phones);

  const std::string token = Login(options);
  LiveFeed feed(options, token, ledger);
  feed.Start();

  // Trigger terminals connect before the load starts, so that their handshakes are quick.
  const sim::Scenario scenario = sim::DefaultScenario();
  asio::io_context trigger_io;
  std::vector<std::unique_ptr<TriggerTerminal>> terminals;
  const tcp::endpoint gateway{asio::ip::make_address(options.host), options.jt808_port};
  for (size_t k = 0; k < options.triggers; ++k) {
    terminals.push_back(
        std::make_unique<TriggerTerminal>(trigger_io, k, options.first_trigger + k, scenario));
    terminals.back()->Connect(gateway);
  }

  sim::SimOptions load;
  load.server_host = options.host;
  load.server_port = options.jt808_port;
  load.terminals = options.load_terminals;
  load.seconds = options.warmup_s + options.seconds;
  load.rate = options.rate / static_cast<double>(options.load_terminals);
  // About a second of reports in flight per terminal, so that ack latency does not cap the rate.
  load.window = std::max<size_t>(8, static_cast<size_t>(std::ceil(load.rate)));
  load.threads = options.sim_threads;
  std::optional<baotong::Result<sim::SimStats>> load_result;

  const Clock::time_point start = Clock::now();
  std::thread load_thread([&] { load_result = sim::RunSimulation(load, scenario); });

  // Emergencies only inside the measured window [start + warmup, start + warmup + seconds).
  // Terminal k reports at start + k/K s + n s; it raises when (n + k) % period == 0, so about
  // K/period triggers a second, spread over the second, each followed by a clear.
  const auto first_trigger_tick = static_cast<int64_t>(std::ceil(options.warmup_s));
  const auto last_trigger_tick =
      static_cast<int64_t>(std::floor(options.warmup_s + options.seconds));
  for (size_t k = 0; k < options.triggers; ++k) {
    const auto offset = Seconds(static_cast<double>(k) / static_cast<double>(options.triggers));
    const auto phase = static_cast<int64_t>(k);
    const int64_t period = options.period_s;
    terminals[k]->Start(
        start, start + offset,
        [=](int64_t tick) {
          return tick >= first_trigger_tick && tick < last_trigger_tick &&
                 (tick + phase) % period == 0;
        },
        &ledger);
  }
  std::thread trigger_thread([&] { trigger_io.run(); });

  std::this_thread::sleep_until(start + Seconds(options.warmup_s));
  const Clock::time_point window_start = Clock::now();
  const std::optional<double> stored_before = StoredPositions(options);
  std::this_thread::sleep_until(start + Seconds(options.warmup_s + options.seconds));
  const std::optional<double> stored_after = StoredPositions(options);
  const Clock::time_point window_end = Clock::now();

  // The last triggers get their full time to arrive; the load drains meanwhile.
  while (!ledger.Settled(Clock::now()) && !feed.failed())
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  load_thread.join();
  asio::post(trigger_io, [&] {
    for (auto& terminal : terminals)
      terminal->Stop();
  });
  trigger_thread.join();
  feed.Stop();

  const PushLedger::Summary summary = ledger.Summarise();
  uint64_t trigger_acks = 0, trigger_nacks = 0;
  for (const auto& terminal : terminals) {
    trigger_acks += terminal->acks();
    trigger_nacks += terminal->nacks();
  }
  Json result = {
      {"rate", options.rate},
      {"seconds", options.seconds},
      {"warmup_s", options.warmup_s},
      {"load_terminals", options.load_terminals},
      {"triggers", options.triggers},
      {"alarm_messages", feed.alarm_messages()},
      {"unmatched_pushes", summary.unmatched},
      {"trigger_reports_acked", trigger_acks},
      {"trigger_reports_nacked", trigger_nacks},
      {"alarms_measured", summary.latencies_ms.size()},
      {"p50_ms", Round3(Quantile(summary.latencies_ms, 0.50))},
      {"p99_ms", Round3(Quantile(summary.latencies_ms, 0.99))},
      {"max_ms", Round3(Quantile(summary.latencies_ms, 1.0))},
      {"missed", summary.missed},
      {"ack_p50_ms", Round3(Quantile(summary.ack_ms, 0.50))},
      {"ack_p99_ms", Round3(Quantile(summary.ack_ms, 0.99))},
      {"after_ack_p50_ms", Round3(Quantile(summary.after_ack_ms, 0.50))},
      {"after_ack_p99_ms", Round3(Quantile(summary.after_ack_ms, 0.99))},
  };
  const double window_s = std::chrono::duration<double>(window_end - window_start).count();
  result["stored_per_s"] = stored_before && stored_after && window_s > 0
                               ? Json(std::round((*stored_after - *stored_before) / window_s))
                               : Json(nullptr);
  bool ok = !feed.failed() && !summary.latencies_ms.empty();
  if (load_result && *load_result) {
    const sim::SimStats& stats = **load_result;
    result["positions_per_s"] = Round3(stats.acked_per_s);
    result["positions_sent"] = stats.positions_sent;
    result["positions_acked"] = stats.positions_acked;
    result["sim_ack_p50_ms"] = Round3(stats.ack_p50_ms);
    result["sim_ack_p99_ms"] = Round3(stats.ack_p99_ms);
    result["sim_online_at_end"] = stats.online_at_end;
  } else {
    std::cerr << "alarm_push_load: the background load failed"
              << (load_result ? ": " + load_result->error().Message() : std::string()) << '\n';
    result["positions_per_s"] = nullptr;
    ok = false;
  }
  std::cout << result.dump() << std::endl;
  return ok ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  Options options;
  try {
    options = ParseOptions(argc, argv);
  } catch (const std::exception& error) {
    std::cerr << "alarm_push_load: " << error.what() << '\n';
    return 2;
  }
  try {
    return Run(options);
  } catch (const std::exception& error) {
    std::cerr << "alarm_push_load: " << error.what() << '\n';
    return 1;
  }
}
