// What both listeners (the JT/T 808 gateway and the HTTP API) do against a flood of
// connections (issue 13): per-address and total caps on open connections, and an accept loop
// that waits instead of spinning while the process is out of descriptors. Here rather than in
// src/common because it needs Boost.Asio; baotong_api links baotong_gateway.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/system/error_code.hpp>
#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

namespace baotong::gateway {

// Counts open connections per client address and in all (0 = no cap). A slot is held for a
// connection's whole life and released when its last owner lets go. Thread-safe; create it
// with std::make_shared (slots keep it alive).
class ConnectionLimits : public std::enable_shared_from_this<ConnectionLimits> {
 public:
  using Slot = std::shared_ptr<const void>;
  ConnectionLimits(size_t per_address, size_t total) : per_address_(per_address), total_(total) {}

  // Empty when a cap is reached.
  Slot Acquire(const std::string& address);

 private:
  void Release(const std::string& address);

  const size_t per_address_;
  const size_t total_;
  std::mutex mu_;
  std::unordered_map<std::string, size_t> by_address_;
  size_t open_ = 0;
};

// How long an accept loop waits when the process is out of descriptors (or memory): retrying
// at once would spin a core (and log a line per try) while nothing can be accepted.
inline constexpr auto kAcceptBackoff = std::chrono::milliseconds(100);

// EMFILE, ENFILE, ENOBUFS, ENOMEM: errors that pass once descriptors or memory are freed.
bool OutOfDescriptors(const boost::system::error_code& ec);

// One per accept loop (one accept in flight at a time), used from that loop's handlers only.
class AcceptBackoff {
 public:
  AcceptBackoff(boost::asio::any_io_executor executor, std::string listener)
      : timer_(std::move(executor)), listener_(std::move(listener)) {}

  // Call with every accept's result. When the process is out of descriptors, schedules `retry`
  // after kAcceptBackoff (warning once per episode) and returns true: the caller must not
  // accept again itself. Otherwise ends the episode and returns false.
  bool Handle(const boost::system::error_code& ec, std::function<void()> retry);
  // Stops a scheduled retry (shutdown); call on the loop's executor.
  void Cancel() { timer_.cancel(); }
  bool backing_off() const { return backing_off_; }

 private:
  boost::asio::steady_timer timer_;
  std::string listener_;
  bool backing_off_ = false;
};

}  // namespace baotong::gateway
