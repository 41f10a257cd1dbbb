// Internals of the gateway shared by its sessions (not part of the public interface).
#pragma once

#include <atomic>
#include <boost/asio.hpp>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <vector>

#include "gateway/connection_limits.h"
#include "gateway/gateway.h"

namespace baotong::gateway {

class Session;

// Registration and authentication need the terminal table, which lives on disk. This one
// thread does those lookups off the io threads, and writes new registrations in batches (a
// restart brings thousands of terminals back at once). Records are read from the store for
// every request, not cached, so that a code revoked by `baotong terminal reprovision` (another
// process) stops working at once.
class RegistryWorker {
 public:
  struct RegisterOutcome {
    uint8_t result = 0;  // jt808::RegisterResult
    std::string auth_code;
    // The store failed: nothing is answered, the terminal resends its 0x0100.
    bool unavailable = false;
  };
  enum class AuthOutcome {
    kAccepted,
    kRefused,      // wrong code, or no such terminal: counts as a failure
    kLockedOut,    // the phone is locked (too many failures): the code was not checked
    kUnavailable,  // the store could not be read: not the terminal's fault
  };
  using RegisterDone = std::function<void(RegisterOutcome)>;
  using AuthDone = std::function<void(AuthOutcome)>;

  RegistryWorker(store::TerminalStore& terminals, const GatewayOptions& options, Metrics& metrics);
  ~RegistryWorker();

  // `done` is always called once; with `unavailable` when the store failed.
  void Register(store::TerminalRecord record, std::string peer, RegisterDone done);
  void Authenticate(std::string terminal, std::string auth_code, AuthDone done);
  // How often the table of wrong codes was swept (for tests).
  size_t failure_sweeps() const { return failure_sweeps_.load(std::memory_order_relaxed); }

 private:
  using Clock = std::chrono::steady_clock;
  struct Job {
    bool is_register = false;
    store::TerminalRecord record;  // for auth: terminal and auth_code only
    std::string peer;
    RegisterDone register_done;
    AuthDone auth_done;
  };
  // Wrong codes for one known phone (the brute-force throttle).
  struct Failures {
    size_t count = 0;
    Clock::time_point window_start;
    Clock::time_point locked_until;
  };
  void Run();
  AuthOutcome DecideAuth(const Job& job);
  // The outcome, or nullopt when the store failed. Records to write go to batch_.
  std::optional<RegisterOutcome> DecideRegister(Job& job);
  // The terminal's record as this batch left it, or the store's.
  Result<std::optional<store::TerminalRecord>> Lookup(const std::string& terminal);
  // Whether another terminal with a code holds `plate` (0x8100 result 1).
  Result<bool> PlateHeldByAnother(const std::string& plate, const std::string& terminal);
  void CountFailure(const std::string& terminal, Clock::time_point now);

  store::TerminalStore& terminals_;
  const GatewayOptions& options_;
  Metrics& metrics_;
  // Records accepted in the batch being processed, written before any reply (worker only).
  std::unordered_map<std::string, store::TerminalRecord> batch_;
  std::unordered_map<std::string, std::string> batch_plates_;  // plate -> terminal
  std::unordered_map<std::string, Failures> failures_;         // worker only
  static constexpr Clock::duration kFailureSweepInterval = std::chrono::seconds(10);
  Clock::time_point last_failure_sweep_;  // worker only
  std::atomic<size_t> failure_sweeps_{0};
  std::mutex mutex_;
  std::condition_variable wake_;
  std::vector<Job> jobs_;
  bool stopping_ = false;
  std::thread thread_;
};

class CommandLog {
 public:
  uint64_t Add(CommandRecord record);
  void Update(uint64_t id, CommandStatus status, uint8_t terminal_result, int64_t at_ms);
  std::optional<CommandRecord> Find(uint64_t id) const;

 private:
  static constexpr size_t kKept = 10'000;
  mutable std::mutex mutex_;
  uint64_t next_id_ = 1;
  std::map<uint64_t, CommandRecord> records_;
};

class GatewayCore {
 public:
  GatewayCore(GatewayOptions options, store::PositionStore& positions,
              store::TerminalStore& terminals, Metrics& metrics);

  const GatewayOptions options;
  Metrics& metrics;

  // One io_context per thread; a session lives on one of them, so its handlers never run
  // concurrently and need no strand. Declared before the writer and the registry worker so
  // that it is destroyed after them: their threads post completions to these contexts until
  // they are joined.
  std::vector<std::unique_ptr<boost::asio::io_context>> contexts;
  std::vector<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> work;
  std::vector<std::thread> threads;
  std::unique_ptr<boost::asio::ip::tcp::acceptor> acceptor;
  std::unique_ptr<AcceptBackoff> accept_backoff;  // on the acceptor's context
  std::shared_ptr<ConnectionLimits> limits;
  std::atomic<size_t> next_context{0};
  std::atomic<bool> stopped{false};

  PositionWriter writer;
  RegistryWorker registry;
  CommandLog commands;

  // Authenticated sessions by terminal; a terminal that reconnects replaces its old session.
  void Bind(const std::string& terminal, const std::shared_ptr<Session>& session);
  void Unbind(const std::string& terminal, const Session* session);
  std::shared_ptr<Session> Find(const std::string& terminal) const;
  std::vector<std::string> Terminals() const;
  // Every open session, so that Stop can close them.
  void Track(const std::shared_ptr<Session>& session);
  void Untrack(const Session* session);
  std::vector<std::shared_ptr<Session>> AllSessions() const;

 private:
  mutable std::mutex sessions_mutex_;
  std::unordered_map<std::string, std::weak_ptr<Session>> by_terminal_;
  std::unordered_map<const Session*, std::weak_ptr<Session>> open_;
};

}  // namespace baotong::gateway
