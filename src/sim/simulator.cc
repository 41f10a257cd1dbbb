#include "sim/simulator.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <bit>
#include <boost/asio.hpp>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <future>
#include <iostream>
#include <memory>
#include <mutex>
#include <random>
#include <thread>
#include <unordered_map>

#include "protocol/jt808/codec.h"
#include "protocol/jt808/frame.h"
#include "sim/vehicle.h"

namespace baotong::sim {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;
using Nanos = std::chrono::nanoseconds;

Nanos SecondsToNanos(double seconds) {
  return std::chrono::duration_cast<Nanos>(std::chrono::duration<double>(seconds));
}

double ToMs(Nanos duration) {
  return std::chrono::duration<double, std::milli>(duration).count();
}

// Log-linear histogram of microsecond latencies: exact below 64 us, then 32 buckets per power
// of two (about 3% resolution). Fixed size, so merging workers is cheap.
class LatencyHistogram {
 public:
  void Record(uint64_t us) {
    ++counts_[Bucket(us)];
    ++total_;
  }
  void Merge(const LatencyHistogram& other) {
    for (size_t i = 0; i < kBuckets; ++i)
      counts_[i] += other.counts_[i];
    total_ += other.total_;
  }
  // The value at quantile q in microseconds (the middle of its bucket).
  double Quantile(double q) const {
    if (total_ == 0)
      return 0;
    const uint64_t rank = std::max<uint64_t>(1, static_cast<uint64_t>(std::ceil(q * total_)));
    uint64_t seen = 0;
    for (size_t i = 0; i < kBuckets; ++i) {
      seen += counts_[i];
      if (seen >= rank)
        return Middle(i);
    }
    return Middle(kBuckets - 1);
  }

 private:
  static constexpr size_t kLinear = 64;
  static constexpr size_t kSub = 32;
  static constexpr size_t kBuckets = kLinear + (40 - 6) * kSub;

  static size_t Bucket(uint64_t us) {
    if (us < kLinear)
      return us;
    const int exponent = static_cast<int>(std::bit_width(us)) - 1;  // >= 6
    if (exponent >= 40)
      return kBuckets - 1;
    const uint64_t sub = (us >> (exponent - 5)) & (kSub - 1);
    return kLinear + static_cast<size_t>(exponent - 6) * kSub + sub;
  }
  static double Middle(size_t bucket) {
    if (bucket < kLinear)
      return static_cast<double>(bucket);
    const size_t exponent = (bucket - kLinear) / kSub + 6;
    const size_t sub = (bucket - kLinear) % kSub;
    const double width = std::ldexp(1.0, static_cast<int>(exponent) - 5);
    return std::ldexp(1.0, static_cast<int>(exponent)) + (static_cast<double>(sub) + 0.5) * width;
  }

  std::array<uint64_t, kBuckets> counts_{};
  uint64_t total_ = 0;
};

// Counters one worker thread owns; summed after the threads have joined.
struct WorkerStats {
  size_t connected = 0, registered = 0, authenticated = 0, online_at_end = 0;
  size_t register_refused = 0, auth_failed = 0;
  uint64_t connects = 0, connect_failures = 0, disconnects = 0, reply_timeouts = 0;
  uint64_t positions_sent = 0, positions_acked = 0, resent = 0, duplicates_acked = 0;
  uint64_t nacks = 0, positions_rejected = 0, positions_unacked = 0, heartbeats_sent = 0;
  Nanos ack_max{0};
  LatencyHistogram latency;
};

// Acknowledged positions, appended by every worker and flushed in large blocks.
class AckedWriter {
 public:
  explicit AckedWriter(std::FILE* file) : file_(file) {}
  ~AckedWriter() {
    if (file_ != nullptr)
      std::fclose(file_);
  }
  void Write(const std::string& block) {
    std::lock_guard lock(mutex_);
    if (std::fwrite(block.data(), 1, block.size(), file_) != block.size())
      failed_ = true;
  }
  bool Close() {
    std::lock_guard lock(mutex_);
    const bool ok = std::fclose(file_) == 0 && !failed_;
    file_ = nullptr;
    return ok;
  }

 private:
  std::mutex mutex_;
  std::FILE* file_;
  bool failed_ = false;
};

// What every terminal reads and nobody changes while the simulation runs.
// The auth codes file (SimOptions::auth_codes): loaded once, appended to by every worker.
class AuthCodes {
 public:
  static Result<std::unique_ptr<AuthCodes>> Open(const std::filesystem::path& path) {
    auto codes = std::unique_ptr<AuthCodes>(new AuthCodes());
    if (std::FILE* in = std::fopen(path.c_str(), "r")) {
      char phone[64], code[128];
      while (std::fscanf(in, "%63s %127s", phone, code) == 2)
        codes->codes_[phone] = code;  // later lines win
      std::fclose(in);
    }
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    // The mode above applies only to a new file: one made by hand or an older version is
    // narrowed too, since it holds every terminal's credential.
    if (fd < 0 || ::fchmod(fd, 0600) != 0 || (codes->file_ = ::fdopen(fd, "a")) == nullptr) {
      if (fd >= 0)
        ::close(fd);
      return Fail(ErrorCode::kBadValue, "cannot open the auth codes file");
    }
    return codes;
  }
  ~AuthCodes() {
    if (file_ != nullptr)
      std::fclose(file_);
  }
  std::optional<std::string> Find(const std::string& phone) const {
    auto it = codes_.find(phone);
    return it == codes_.end() ? std::nullopt : std::optional<std::string>(it->second);
  }
  void Save(const std::string& phone, const std::string& code) {
    std::lock_guard lock(mutex_);
    std::fprintf(file_, "%s %s\n", phone.c_str(), code.c_str());
    std::fflush(file_);
  }

 private:
  AuthCodes() = default;
  std::unordered_map<std::string, std::string> codes_;  // read-only after Open
  std::mutex mutex_;
  std::FILE* file_ = nullptr;
};

struct Shared {
  const SimOptions* options = nullptr;
  const Scenario* scenario = nullptr;
  Scenario default_scenario;  // for terminals beyond every group
  tcp::endpoint server;
  std::vector<asio::ip::address> sources;
  Clock::time_point start;
  Nanos ack_timeout{0}, reply_timeout{0}, heartbeat{0};
  AckedWriter* acked = nullptr;
  AuthCodes* auth_codes = nullptr;
};

class Terminal;

class Worker {
 public:
  Worker(const Shared& shared, size_t worker_index, size_t worker_count)
      : shared_(shared), rng_(static_cast<uint32_t>(worker_index * 7919 + 1)) {
    const double rate = shared.options->connect_rate;
    connect_spacing_ = SecondsToNanos(static_cast<double>(worker_count) / rate);
    next_connect_slot_ = shared.start + SecondsToNanos(static_cast<double>(worker_index) / rate);
  }

  asio::io_context& io() { return io_; }
  const Shared& shared() const { return shared_; }
  const SimOptions& options() const { return *shared_.options; }
  WorkerStats& stats() { return stats_; }
  jt808::MessageEncoder& encoder() { return encoder_; }
  bool stopping() const { return stopping_; }

  // The earliest time at or after `wanted` when this worker may open another connection.
  Clock::time_point ReserveConnectSlot(Clock::time_point wanted) {
    const Clock::time_point slot = std::max(wanted, next_connect_slot_);
    next_connect_slot_ = slot + connect_spacing_;
    return slot;
  }
  // Uniform in [0, 1).
  double Random() { return std::uniform_real_distribution<double>(0, 1)(rng_); }

  void AddPending(int64_t delta) {
    pending_.fetch_add(static_cast<uint64_t>(delta), std::memory_order_relaxed);
  }
  uint64_t pending() const { return pending_.load(std::memory_order_relaxed); }

  void RecordAck(std::string_view phone, uint16_t serial, int64_t device_time_ms) {
    if (shared_.acked == nullptr)
      return;
    acked_buffer_.append(phone);
    acked_buffer_ += ',';
    acked_buffer_ += std::to_string(serial);
    acked_buffer_ += ',';
    acked_buffer_ += std::to_string(device_time_ms);
    acked_buffer_ += '\n';
    if (acked_buffer_.size() >= 64 * 1024)
      FlushAcked();
  }
  void FlushAcked() {
    if (shared_.acked != nullptr && !acked_buffer_.empty())
      shared_.acked->Write(acked_buffer_);
    acked_buffer_.clear();
  }

  void AddTerminal(std::unique_ptr<Terminal> terminal) {
    terminals_.push_back(std::move(terminal));
  }
  void Start();
  void StopSending();
  void CloseAll();

 private:
  // Declared first so that terminals (and their sockets) are destroyed before the io_context.
  asio::io_context io_;
  const Shared& shared_;
  WorkerStats stats_;
  jt808::MessageEncoder encoder_;
  std::minstd_rand rng_;
  Nanos connect_spacing_{0};
  Clock::time_point next_connect_slot_;
  bool stopping_ = false;
  std::atomic<uint64_t> pending_{0};
  std::string acked_buffer_;
  std::vector<std::unique_ptr<Terminal>> terminals_;
};

// One virtual terminal. Every member is touched only by its worker's thread.
class Terminal {
 public:
  Terminal(Worker& worker, size_t index, jt808::Phone phone, VehicleModel model,
           const asio::ip::address* source)
      : worker_(worker),
        index_(static_cast<uint32_t>(index)),
        phone_(phone),
        model_(model),
        source_(source),
        socket_(worker.io()),
        timer_(worker.io()) {
    const double interval = model_.group().interval_s.value_or(
        worker.options().rate > 0 ? 1.0 / worker.options().rate : 0.0);
    interval_ = SecondsToNanos(interval);
    // Start with a random serial, as a device that has been running for a while would.
    next_serial_ = static_cast<uint16_t>(index * 7 + 1);
    if (worker.shared().auth_codes != nullptr) {
      if (auto code = worker.shared().auth_codes->Find(std::string(phone_.digits()))) {
        auth_code_ = std::move(*code);
        has_code_ = true;
      }
    }
  }

  void Start() {
    state_ = State::kWaitConnect;
    connect_at_ = worker_.ReserveConnectSlot(Clock::now());
    Tick();
  }

  // End of the run: no new positions; a terminal with nothing outstanding is done.
  void StopSending() {
    if (state_ == State::kOnline)
      ++worker_.stats().online_at_end;
    if (pending_.empty() && state_ == State::kWaitConnect) {
      state_ = State::kDone;
      timer_.cancel();
      return;
    }
    Tick();
  }

  void Close() {
    state_ = State::kDone;
    worker_.stats().positions_unacked += pending_.size();
    worker_.AddPending(-static_cast<int64_t>(pending_.size()));
    pending_.clear();
    CloseSocket();
    timer_.cancel();
  }

 private:
  enum class State : uint8_t {
    kWaitConnect,
    kConnecting,
    kRegistering,
    kAuthenticating,
    kOnline,
    kStopped,  // refused by the server: gave up
    kDone,
  };

  struct Pending {
    uint16_t serial;
    uint32_t sim_ms;         // when it was generated, relative to the start: rebuilds the body
    int64_t device_time_ms;  // as encoded (BCD time: whole seconds)
    Clock::time_point sent_at;
  };

  const SimOptions& options() const { return worker_.options(); }
  WorkerStats& stats() { return worker_.stats(); }

  jt808::Header MakeHeader() {
    jt808::Header header;
    header.version = options().version;
    header.phone = phone_;
    header.serial = next_serial_++;
    return header;
  }

  template <typename Body>
  uint16_t Send(const Body& message) {
    jt808::Header header = MakeHeader();
    SendWithHeader(header, jt808::Message(message));
    return header.serial;
  }

  void SendWithHeader(const jt808::Header& header, const jt808::Message& message) {
    // Encoding only fails on values the simulator never produces.
    (void)worker_.encoder().Encode(header, message, out_);
    last_sent_ = Clock::now();
    Flush();
  }

  void Flush() {
    if (write_in_flight_ || out_.empty() || !SocketUsable())
      return;
    writing_.swap(out_);
    out_.clear();
    write_in_flight_ = true;
    const uint32_t generation = generation_;
    asio::async_write(socket_, asio::buffer(writing_),
                      [this, generation](const boost::system::error_code& error, size_t) {
                        write_in_flight_ = false;
                        if (generation != generation_) {
                          Flush();  // bytes queued for a newer connection
                          return;
                        }
                        if (error) {
                          Disconnect();
                          return;
                        }
                        Flush();
                      });
  }

  bool SocketUsable() const {
    return state_ == State::kRegistering || state_ == State::kAuthenticating ||
           state_ == State::kOnline;
  }

  void Arm(Clock::time_point when) {
    timer_.expires_at(when);
    timer_.async_wait([this](const boost::system::error_code& error) {
      if (error != asio::error::operation_aborted)
        Tick();
    });
  }

  void Tick() {
    const Clock::time_point now = Clock::now();
    switch (state_) {
      case State::kWaitConnect:
        if (now >= connect_at_) {
          Connect();
        } else {
          Arm(connect_at_);
        }
        return;
      case State::kConnecting:
      case State::kRegistering:
      case State::kAuthenticating:
        if (now >= deadline_) {
          ++stats().reply_timeouts;
          if (state_ == State::kConnecting)
            ++stats().connect_failures;
          Disconnect();
        } else {
          Arm(deadline_);
        }
        return;
      case State::kOnline:
        TickOnline(now);
        return;
      case State::kStopped:
      case State::kDone:
        return;
    }
  }

  void TickOnline(Clock::time_point now) {
    const Nanos timeout = worker_.shared().ack_timeout;
    for (Pending& pending : pending_) {
      if (now - pending.sent_at >= timeout) {
        Transmit(pending, now);
        ++stats().resent;
      }
    }
    if (!worker_.stopping()) {
      while (pending_.size() < options().window && now >= next_report_) {
        SendNewReport(now);
        next_report_ += interval_;
        // A terminal held back by its window does not burst to catch up.
        if (next_report_ + interval_ < now)
          next_report_ = now;
      }
      if (now - last_sent_ >= worker_.shared().heartbeat) {
        Send(jt808::Heartbeat{});
        ++stats().heartbeats_sent;
      }
    }
    Clock::time_point wake = Clock::time_point::max();
    for (const Pending& pending : pending_)
      wake = std::min(wake, pending.sent_at + timeout);
    if (!worker_.stopping()) {
      if (pending_.size() < options().window)
        wake = std::min(wake, next_report_);
      wake = std::min(wake, last_sent_ + worker_.shared().heartbeat);
    }
    if (wake != Clock::time_point::max())
      Arm(wake);
  }

  void SendNewReport(Clock::time_point now) {
    const auto wall_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                             std::chrono::system_clock::now().time_since_epoch())
                             .count();
    Pending pending;
    pending.serial = 0;
    pending.sim_ms = static_cast<uint32_t>(
        std::chrono::duration_cast<std::chrono::milliseconds>(now - worker_.shared().start)
            .count());
    pending.device_time_ms = wall_ms - wall_ms % 1000;  // BCD time has whole seconds
    pending.serial = next_serial_++;
    Transmit(pending, now);
    pending_.push_back(pending);
    worker_.AddPending(1);
    ++stats().positions_sent;
  }

  jt808::LocationReport ReportAt(double t_s) const {
    if (options().report_at) {
      if (auto report = options().report_at(index_, t_s))
        return *report;
    }
    return model_.ReportAt(t_s);
  }

  // Sends (or resends) a position: same serial, same device time, same body.
  void Transmit(Pending& pending, Clock::time_point now) {
    jt808::LocationReport report = ReportAt(pending.sim_ms / 1000.0);
    report.time_ms = pending.device_time_ms;
    jt808::Header header;
    header.version = options().version;
    header.phone = phone_;
    header.serial = pending.serial;
    SendWithHeader(header, jt808::Message(std::move(report)));
    pending.sent_at = now;
  }

  void Connect() {
    ++generation_;
    const uint32_t generation = generation_;
    boost::system::error_code error;
    socket_ = tcp::socket(worker_.io());
    socket_.open(worker_.shared().server.protocol(), error);
    if (!error && source_ != nullptr) {
#ifdef IP_BIND_ADDRESS_NO_PORT
      // Choose the port at connect time, per destination, not at bind time per source address.
      int one = 1;
      ::setsockopt(socket_.native_handle(), IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof(one));
#endif
      socket_.bind(tcp::endpoint(*source_, 0), error);
    }
    if (error) {
      ++stats().connect_failures;
      CloseSocket();
      ScheduleReconnect();
      return;
    }
    state_ = State::kConnecting;
    deadline_ = Clock::now() + worker_.shared().reply_timeout;
    socket_.async_connect(worker_.shared().server,
                          [this, generation](const boost::system::error_code& connect_error) {
                            if (generation != generation_)
                              return;
                            OnConnected(connect_error);
                          });
    Arm(deadline_);
  }

  void OnConnected(const boost::system::error_code& error) {
    if (error) {
      ++stats().connect_failures;
      CloseSocket();
      ScheduleReconnect();
      return;
    }
    boost::system::error_code ignored;
    socket_.set_option(tcp::no_delay(true), ignored);
    ++stats().connects;
    if (!ever_connected_) {
      ever_connected_ = true;
      ++stats().connected;
    }
    splitter_ = jt808::FrameSplitter();
    registered_this_connection_ = false;
    StartRead();
    if (has_code_) {
      SendAuth();
    } else {
      SendRegister();
    }
  }

  void SendRegister() {
    jt808::Register message;
    message.province_id = 21;  // Liaoning
    message.city_id = 300;     // Anshan (210300)
    message.maker_id = "BTSIM";
    message.terminal_model = "BAOTONG-SIM";
    const std::string digits(phone_.digits());
    message.terminal_id = digits.substr(digits.size() - 7);
    message.plate_color = 2;  // yellow: freight
    message.plate = TerminalPlate(index_);
    state_ = State::kRegistering;
    deadline_ = Clock::now() + worker_.shared().reply_timeout;
    register_serial_ = Send(message);
    Arm(deadline_);
  }

  void SendAuth() {
    jt808::Auth message;
    message.auth_code = auth_code_;
    if (jt808::Is2019(options().version)) {
      const std::string_view digits = phone_.digits();
      message.imei = std::string(digits.substr(digits.size() - 15));
      message.software_version = "BAOTONG-SIM-1";
    }
    state_ = State::kAuthenticating;
    deadline_ = Clock::now() + worker_.shared().reply_timeout;
    auth_serial_ = Send(message);
    Arm(deadline_);
  }

  void StartRead() {
    const uint32_t generation = generation_;
    socket_.async_read_some(
        asio::buffer(read_buffer_),
        [this, generation](const boost::system::error_code& error, size_t size) {
          if (generation != generation_)
            return;
          if (error) {
            Disconnect();
            return;
          }
          splitter_.Feed(ByteSpan(read_buffer_.data(), size), [&](Result<ByteSpan> frame) {
            // A handler may have closed the connection: ignore the rest of the chunk.
            if (generation != generation_ || !frame)
              return;
            auto parsed = jt808::ParseFrame(*frame);
            if (!parsed)
              return;
            auto decoded = jt808::DecodeMessage(*parsed);
            if (decoded)
              OnMessage(*decoded);
          });
          if (generation == generation_)
            StartRead();
        });
  }

  void OnMessage(const jt808::DecodedMessage& decoded) {
    if (const auto* general = std::get_if<jt808::PlatformGeneralReply>(&decoded.message)) {
      OnGeneralReply(*general);
    } else if (const auto* registered = std::get_if<jt808::RegisterReply>(&decoded.message)) {
      OnRegisterReply(*registered);
    } else if (std::holds_alternative<jt808::LocationQuery>(decoded.message) &&
               state_ == State::kOnline) {
      jt808::LocationQueryReply reply;
      reply.reply_serial = decoded.header.serial;
      reply.location =
          ReportAt(std::chrono::duration<double>(Clock::now() - worker_.shared().start).count());
      const auto wall_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                               std::chrono::system_clock::now().time_since_epoch())
                               .count();
      reply.location.time_ms = wall_ms - wall_ms % 1000;
      Send(reply);
    } else if (decoded.header.msg_id >= 0x8000 && SocketUsable()) {
      // Any other platform command: acknowledge it, as a terminal must.
      jt808::TerminalGeneralReply reply;
      reply.reply_serial = decoded.header.serial;
      reply.reply_msg_id = decoded.header.msg_id;
      reply.result = static_cast<uint8_t>(jt808::ReplyResult::kOk);
      Send(reply);
    }
  }

  void OnRegisterReply(const jt808::RegisterReply& reply) {
    if (state_ != State::kRegistering)
      return;
    using jt808::RegisterResult;
    switch (static_cast<RegisterResult>(reply.result)) {
      case RegisterResult::kOk:
        auth_code_ = reply.auth_code;
        has_code_ = true;
        if (worker_.shared().auth_codes != nullptr)
          worker_.shared().auth_codes->Save(std::string(phone_.digits()), auth_code_);
        registered_this_connection_ = true;
        if (!ever_registered_) {
          ever_registered_ = true;
          ++stats().registered;
        }
        SendAuth();
        return;
      case RegisterResult::kTerminalAlreadyRegistered:
        // Keep the code we had; a server that sends one anyway gets it used.
        if (!reply.auth_code.empty())
          auth_code_ = reply.auth_code;
        registered_this_connection_ = true;
        SendAuth();
        return;
      default:
        ++stats().register_refused;
        GiveUp();
        return;
    }
  }

  void OnGeneralReply(const jt808::PlatformGeneralReply& reply) {
    if (reply.reply_msg_id == jt808::msg_id::kAuth) {
      if (state_ != State::kAuthenticating || reply.reply_serial != auth_serial_)
        return;
      if (reply.result == static_cast<uint8_t>(jt808::ReplyResult::kOk)) {
        OnAuthenticated();
      } else if (!registered_this_connection_) {
        // The code may be stale (the server lost it): register again on this connection.
        has_code_ = false;
        auth_code_.clear();
        SendRegister();
      } else {
        ++stats().auth_failed;
        GiveUp();
      }
      return;
    }
    if (reply.reply_msg_id != jt808::msg_id::kLocationReport)
      return;
    auto it = std::find_if(pending_.begin(), pending_.end(),
                           [&](const Pending& p) { return p.serial == reply.reply_serial; });
    if (it == pending_.end()) {
      ++stats().duplicates_acked;
      return;
    }
    const auto result = static_cast<jt808::ReplyResult>(reply.result);
    if (result == jt808::ReplyResult::kOk || result == jt808::ReplyResult::kAlarmConfirmed) {
      const Nanos latency = Clock::now() - it->sent_at;
      stats().latency.Record(static_cast<uint64_t>(
          std::chrono::duration_cast<std::chrono::microseconds>(latency).count()));
      stats().ack_max = std::max(stats().ack_max, latency);
      ++stats().positions_acked;
      worker_.RecordAck(phone_.digits(), it->serial, it->device_time_ms);
    } else {
      ++stats().nacks;
      if (result == jt808::ReplyResult::kFailed)
        return;  // a transient failure: resent after the ack timeout
      ++stats().positions_rejected;
    }
    pending_.erase(it);
    worker_.AddPending(-1);
    if (state_ == State::kOnline && !worker_.stopping())
      TickOnline(Clock::now());
  }

  void OnAuthenticated() {
    state_ = State::kOnline;
    backoff_exponent_ = 0;
    if (!ever_authenticated_) {
      ever_authenticated_ = true;
      ++stats().authenticated;
    }
    const Clock::time_point now = Clock::now();
    // Everything unacknowledged from earlier connections goes again, straight away.
    for (Pending& pending : pending_) {
      Transmit(pending, now);
      ++stats().resent;
    }
    if (next_report_ < now)
      next_report_ = now;
    TickOnline(now);
  }

  void CloseSocket() {
    ++generation_;  // outstanding handlers of the old socket become no-ops
    boost::system::error_code ignored;
    socket_.shutdown(tcp::socket::shutdown_both, ignored);
    socket_.close(ignored);
    out_.clear();
  }

  void GiveUp() {
    CloseSocket();
    state_ = State::kStopped;
    worker_.stats().positions_unacked += pending_.size();
    worker_.AddPending(-static_cast<int64_t>(pending_.size()));
    pending_.clear();
    timer_.cancel();
  }

  void Disconnect() {
    if (state_ == State::kRegistering || state_ == State::kAuthenticating ||
        state_ == State::kOnline) {
      ++stats().disconnects;
    }
    CloseSocket();
    if (worker_.stopping() && pending_.empty()) {
      state_ = State::kDone;
      timer_.cancel();
      return;
    }
    ScheduleReconnect();
  }

  void ScheduleReconnect() {
    const double min_s = options().reconnect_min_s;
    const double max_s = std::max(min_s, options().reconnect_max_s);
    const double backoff = std::min(max_s, min_s * std::ldexp(1.0, backoff_exponent_));
    if (backoff < max_s)
      ++backoff_exponent_;
    // Jitter spreads a fleet that lost the server at once over the backoff.
    const double delay = backoff * (0.5 + 0.5 * worker_.Random());
    state_ = State::kWaitConnect;
    connect_at_ = worker_.ReserveConnectSlot(Clock::now() + SecondsToNanos(delay));
    Arm(connect_at_);
  }

  Worker& worker_;
  uint32_t index_;
  jt808::Phone phone_;
  VehicleModel model_;
  const asio::ip::address* source_;
  tcp::socket socket_;
  asio::steady_timer timer_;
  State state_ = State::kWaitConnect;
  bool write_in_flight_ = false;
  bool has_code_ = false;
  bool registered_this_connection_ = false;
  bool ever_connected_ = false;
  bool ever_registered_ = false;
  bool ever_authenticated_ = false;
  uint8_t backoff_exponent_ = 0;
  uint16_t next_serial_ = 0;
  uint16_t register_serial_ = 0;
  uint16_t auth_serial_ = 0;
  uint32_t generation_ = 0;
  Nanos interval_{0};
  Clock::time_point connect_at_, deadline_, next_report_, last_sent_;
  std::string auth_code_;
  std::vector<Pending> pending_;
  std::vector<uint8_t> out_, writing_;
  jt808::FrameSplitter splitter_;
  std::array<uint8_t, 256> read_buffer_{};
};

void Worker::Start() {
  for (auto& terminal : terminals_)
    terminal->Start();
}

void Worker::StopSending() {
  stopping_ = true;
  for (auto& terminal : terminals_)
    terminal->StopSending();
}

void Worker::CloseAll() {
  for (auto& terminal : terminals_)
    terminal->Close();
  FlushAcked();
}

// Runs `fn` on the worker's thread and waits for it.
template <typename Fn>
void RunOn(Worker& worker, Fn&& fn) {
  std::promise<void> done;
  asio::post(worker.io(), [&] {
    fn();
    done.set_value();
  });
  done.get_future().wait();
}

Result<void> Validate(const SimOptions& options) {
  if (options.window == 0)
    return Fail(ErrorCode::kBadValue, "window must be at least 1");
  if (options.threads == 0 || options.threads > 256)
    return Fail(ErrorCode::kBadValue, "threads must be 1..256");
  if (!(options.rate >= 0) || !(options.seconds >= 0) || !std::isfinite(options.seconds))
    return Fail(ErrorCode::kBadValue, "rate and seconds must be finite and not negative");
  if (!(options.connect_rate > 0))
    return Fail(ErrorCode::kBadValue, "connect rate must be positive");
  if (!(options.ack_timeout_s > 0) || !(options.reply_timeout_s > 0) ||
      !(options.heartbeat_s > 0) || !(options.reconnect_min_s > 0) || !(options.drain_s >= 0)) {
    return Fail(ErrorCode::kBadValue, "timeouts and intervals must be positive");
  }
  if (options.terminals > 4'000'000)
    return Fail(ErrorCode::kResourceLimit, "at most 4000000 terminals");
  return {};
}

// Raises the open-file limit to what the hard limit allows; fails if that is still too low.
Result<void> EnsureFileLimit(size_t terminals) {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0)
    return {};
  const rlim_t wanted = static_cast<rlim_t>(terminals) + 256;
  if (limit.rlim_cur != RLIM_INFINITY && limit.rlim_cur < wanted) {
    limit.rlim_cur = limit.rlim_max == RLIM_INFINITY ? wanted : std::min(wanted, limit.rlim_max);
    ::setrlimit(RLIMIT_NOFILE, &limit);
    ::getrlimit(RLIMIT_NOFILE, &limit);
    if (limit.rlim_cur != RLIM_INFINITY && limit.rlim_cur < wanted) {
      return Fail(ErrorCode::kResourceLimit,
                  "open-file limit (ulimit -n) too low for that many terminals");
    }
  }
  return {};
}

}  // namespace

std::string TerminalPlate(size_t index) {
  static constexpr std::string_view kChars = "0123456789ABCDEFGHJKLMNPQRSTUVWXYZ";
  std::string suffix(5, '0');
  for (size_t i = 5; i-- > 0;) {
    suffix[i] = kChars[index % kChars.size()];
    index /= kChars.size();
  }
  return "辽C" + suffix;
}

Result<std::string> TerminalPhone(std::string_view prefix, size_t index, jt808::Version version) {
  const size_t width = jt808::Is2019(version) ? 20 : 12;
  if (prefix.size() > width ||
      !std::all_of(prefix.begin(), prefix.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return Fail(ErrorCode::kBadValue, "phone prefix must be decimal digits, at most 12 (20)");
  }
  std::string number = std::to_string(index);
  if (prefix.size() + number.size() > width)
    return Fail(ErrorCode::kTooLong, "phone prefix leaves too few digits for the terminal count");
  std::string phone(prefix);
  phone.append(width - prefix.size() - number.size(), '0');
  phone += number;
  return phone;
}

Result<std::vector<std::string>> ExpandAddresses(std::string_view spec) {
  std::vector<std::string> out;
  size_t begin = 0;
  while (begin <= spec.size()) {
    size_t end = spec.find(',', begin);
    if (end == std::string_view::npos)
      end = spec.size();
    std::string item(spec.substr(begin, end - begin));
    item.erase(0, item.find_first_not_of(' '));
    item.erase(item.find_last_not_of(' ') + 1);
    begin = end + 1;
    if (item.empty())
      continue;
    const size_t dash = item.find('-');
    boost::system::error_code error;
    if (dash == std::string::npos) {
      asio::ip::make_address(item, error);
      if (error)
        return Fail(ErrorCode::kBadValue, "not an IP address in the source address list");
      out.push_back(item);
      continue;
    }
    const auto first = asio::ip::make_address_v4(item.substr(0, dash), error);
    if (error)
      return Fail(ErrorCode::kBadValue, "bad first address of a source address range");
    const auto last = asio::ip::make_address_v4(item.substr(dash + 1), error);
    if (error)
      return Fail(ErrorCode::kBadValue, "bad last address of a source address range");
    const uint32_t from = first.to_uint();
    const uint32_t to = last.to_uint();
    if (to < from || to - from >= 65536)
      return Fail(ErrorCode::kBadValue, "source address range must be ascending, at most 65536");
    for (uint64_t a = from; a <= to; ++a)
      out.push_back(asio::ip::address_v4(static_cast<uint32_t>(a)).to_string());
  }
  return out;
}

Result<SimStats> RunSimulation(const SimOptions& options, std::atomic<bool>* stop) {
  if (!options.scenario)
    return RunSimulation(options, DefaultScenario(), stop);
  auto scenario = LoadScenario(*options.scenario);
  if (!scenario) {
    std::cerr << scenario.error() << '\n';
    return Fail(ErrorCode::kBadValue, "invalid scenario file");
  }
  return RunSimulation(options, *scenario, stop);
}

Result<SimStats> RunSimulation(const SimOptions& options, const Scenario& scenario,
                               std::atomic<bool>* stop) {
  if (auto valid = Validate(options); !valid)
    return tl::unexpected(valid.error());
  if (options.terminals > 0) {
    if (auto phone = TerminalPhone(options.phone_prefix, options.terminals - 1, options.version);
        !phone) {
      return tl::unexpected(phone.error());
    }
  }
  if (auto limit = EnsureFileLimit(options.terminals); !limit)
    return tl::unexpected(limit.error());

  Shared shared;
  shared.options = &options;
  shared.scenario = &scenario;
  shared.default_scenario = DefaultScenario();
  shared.ack_timeout = SecondsToNanos(options.ack_timeout_s);
  shared.reply_timeout = SecondsToNanos(options.reply_timeout_s);
  shared.heartbeat = SecondsToNanos(options.heartbeat_s);
  {
    asio::io_context resolver_io;
    tcp::resolver resolver(resolver_io);
    boost::system::error_code error;
    auto results = resolver.resolve(options.server_host, std::to_string(options.server_port),
                                    tcp::resolver::numeric_service, error);
    if (error || results.empty())
      return Fail(ErrorCode::kBadValue, "cannot resolve the server host");
    shared.server = results.begin()->endpoint();
  }
  for (const std::string& text : options.source_addresses) {
    boost::system::error_code error;
    auto address = asio::ip::make_address(text, error);
    if (error)
      return Fail(ErrorCode::kBadValue, "bad source address");
    if (address.is_v4() != shared.server.address().is_v4())
      return Fail(ErrorCode::kBadValue, "source addresses must be of the server's IP family");
    // Fail early, once, rather than on every connection.
    asio::io_context probe_io;
    tcp::socket probe(probe_io);
    probe.open(shared.server.protocol(), error);
    if (!error)
      probe.bind(tcp::endpoint(address, 0), error);
    if (error)
      return Fail(ErrorCode::kBadValue, "a source address cannot be bound on this host");
    shared.sources.push_back(address);
  }
  std::unique_ptr<AckedWriter> acked;
  if (options.acked_out) {
    std::FILE* file = std::fopen(options.acked_out->c_str(), "w");
    if (file == nullptr)
      return Fail(ErrorCode::kBadValue, "cannot create the acked-out file");
    acked = std::make_unique<AckedWriter>(file);
    shared.acked = acked.get();
  }

  std::unique_ptr<AuthCodes> auth_codes;
  if (options.auth_codes) {
    auto opened = AuthCodes::Open(*options.auth_codes);
    if (!opened)
      return tl::unexpected(opened.error());
    auth_codes = std::move(*opened);
    shared.auth_codes = auth_codes.get();
  }

  const size_t thread_count = std::min(options.threads, std::max<size_t>(1, options.terminals));
  shared.start = Clock::now();
  std::vector<std::unique_ptr<Worker>> workers;
  for (size_t w = 0; w < thread_count; ++w)
    workers.push_back(std::make_unique<Worker>(shared, w, thread_count));
  for (size_t i = 0; i < options.terminals; ++i) {
    Worker& worker = *workers[i % thread_count];
    auto slot = AssignGroup(scenario, i, options.terminals);
    VehicleModel model =
        slot ? VehicleModel::ForSlot(scenario, *slot)
             : VehicleModel::ForSlot(shared.default_scenario, GroupSlot{0, i, options.terminals});
    auto phone = jt808::Phone::FromDigits(*TerminalPhone(options.phone_prefix, i, options.version));
    const asio::ip::address* source =
        shared.sources.empty() ? nullptr : &shared.sources[i % shared.sources.size()];
    worker.AddTerminal(std::make_unique<Terminal>(worker, i, *phone, model, source));
  }

  std::vector<std::thread> threads;
  for (auto& worker : workers) {
    Worker* w = worker.get();
    asio::post(w->io(), [w] { w->Start(); });
  }
  std::vector<asio::executor_work_guard<asio::io_context::executor_type>> guards;
  for (auto& worker : workers)
    guards.push_back(asio::make_work_guard(worker->io()));
  for (auto& worker : workers)
    threads.emplace_back([w = worker.get()] { w->io().run(); });

  auto stopped = [&] { return stop != nullptr && stop->load(); };
  const Clock::time_point send_end = shared.start + SecondsToNanos(options.seconds);
  while (Clock::now() < send_end && !stopped())
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  const Clock::time_point sending_stopped = Clock::now();
  for (auto& worker : workers)
    RunOn(*worker, [&] { worker->StopSending(); });

  const Clock::time_point drain_end = Clock::now() + SecondsToNanos(options.drain_s);
  auto outstanding = [&] {
    uint64_t total = 0;
    for (auto& worker : workers)
      total += worker->pending();
    return total;
  };
  while (outstanding() > 0 && Clock::now() < drain_end)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));

  for (auto& worker : workers)
    RunOn(*worker, [&] { worker->CloseAll(); });
  guards.clear();
  for (auto& worker : workers)
    worker->io().stop();
  for (auto& thread : threads)
    thread.join();

  SimStats stats;
  stats.terminals = options.terminals;
  LatencyHistogram latency;
  Nanos ack_max{0};
  for (auto& worker : workers) {
    const WorkerStats& w = worker->stats();
    stats.connected += w.connected;
    stats.registered += w.registered;
    stats.authenticated += w.authenticated;
    stats.online_at_end += w.online_at_end;
    stats.register_refused += w.register_refused;
    stats.auth_failed += w.auth_failed;
    stats.connects += w.connects;
    stats.connect_failures += w.connect_failures;
    stats.disconnects += w.disconnects;
    stats.reply_timeouts += w.reply_timeouts;
    stats.positions_sent += w.positions_sent;
    stats.positions_acked += w.positions_acked;
    stats.resent += w.resent;
    stats.duplicates_acked += w.duplicates_acked;
    stats.nacks += w.nacks;
    stats.positions_rejected += w.positions_rejected;
    stats.positions_unacked += w.positions_unacked;
    stats.heartbeats_sent += w.heartbeats_sent;
    latency.Merge(w.latency);
    ack_max = std::max(ack_max, w.ack_max);
  }
  stats.ack_p50_ms = latency.Quantile(0.50) / 1000.0;
  stats.ack_p99_ms = latency.Quantile(0.99) / 1000.0;
  stats.ack_max_ms = ToMs(ack_max);
  stats.seconds = std::chrono::duration<double>(sending_stopped - shared.start).count();
  stats.elapsed_s = std::chrono::duration<double>(Clock::now() - shared.start).count();
  stats.acked_per_s =
      stats.seconds > 0 ? static_cast<double>(stats.positions_acked) / stats.seconds : 0;
  workers.clear();
  if (acked && !acked->Close())
    return Fail(ErrorCode::kBadValue, "writing the acked-out file failed");
  return stats;
}

nlohmann::ordered_json ToJson(const SimStats& stats) {
  auto round3 = [](double value) { return std::round(value * 1000) / 1000; };
  nlohmann::ordered_json json;
  json["terminals"] = stats.terminals;
  json["connected"] = stats.connected;
  json["registered"] = stats.registered;
  json["authenticated"] = stats.authenticated;
  json["online_at_end"] = stats.online_at_end;
  json["register_refused"] = stats.register_refused;
  json["auth_failed"] = stats.auth_failed;
  json["connects"] = stats.connects;
  json["connect_failures"] = stats.connect_failures;
  json["disconnects"] = stats.disconnects;
  json["reply_timeouts"] = stats.reply_timeouts;
  json["positions_sent"] = stats.positions_sent;
  json["positions_acked"] = stats.positions_acked;
  json["resent"] = stats.resent;
  json["duplicates_acked"] = stats.duplicates_acked;
  json["nacks"] = stats.nacks;
  json["positions_rejected"] = stats.positions_rejected;
  json["positions_unacked"] = stats.positions_unacked;
  json["heartbeats_sent"] = stats.heartbeats_sent;
  json["ack_p50_ms"] = round3(stats.ack_p50_ms);
  json["ack_p99_ms"] = round3(stats.ack_p99_ms);
  json["ack_max_ms"] = round3(stats.ack_max_ms);
  json["seconds"] = round3(stats.seconds);
  json["elapsed_s"] = round3(stats.elapsed_s);
  json["acked_per_s"] = round3(stats.acked_per_s);
  return json;
}

}  // namespace baotong::sim
