// The fleet simulator: thousands of virtual JT/T 808 terminals in one process that connect,
// register, authenticate and report positions along scenario routes, resending what the server
// does not acknowledge. Used by `baotong sim`, the load and crash tests, and alarm tests.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"
#include "protocol/jt808/header.h"
#include "protocol/jt808/messages.h"
#include "sim/scenario.h"

namespace baotong::sim {

struct SimOptions {
  std::string server_host = "127.0.0.1";
  uint16_t server_port = 7808;
  size_t terminals = 100;
  double seconds = 10;  // how long new positions are generated
  double rate = 1.0;    // positions/s per terminal; 0 = as fast as acks allow
  size_t window = 8;    // max unacknowledged positions per terminal
  jt808::Version version = jt808::Version::k2013;
  // Local addresses to bind, round-robin over terminals (e.g. 127.0.0.2..127.0.0.9), so that
  // tens of thousands of connections do not exhaust one source IP's ephemeral ports.
  // Empty = let the kernel choose.
  std::vector<std::string> source_addresses;
  std::string phone_prefix = "0139";  // phone = prefix + zero-padded 0-based terminal index
  std::optional<std::filesystem::path> scenario;
  // Written at the end: one line "terminal,serial,device_time_ms" per acknowledged position.
  std::optional<std::filesystem::path> acked_out;
  // Auth codes kept across runs, as a real terminal keeps its code: lines "phone code", read at
  // the start (a terminal with a code authenticates without registering) and appended to
  // whenever a 0x8100 gives a code (mode 0600). A registered terminal that registers again gets
  // no code from the gateway, so a restarted simulator needs this file to come back online.
  std::optional<std::filesystem::path> auth_codes;
  // Where terminal `index` is `t_s` seconds after the start, instead of its scenario group's
  // route (the demo fleet through the checkpoints: sim/demo_fleet.h); nullopt: the scenario.
  // Called from the I/O threads, again with the same time for a resend: it must give the same
  // report.
  std::function<std::optional<jt808::LocationReport>(size_t index, double t_s)> report_at;
  size_t threads = 1;          // io_context threads
  double connect_rate = 2000;  // new connections per second (first connects and reconnects)

  double ack_timeout_s = 5;      // resend a position not acknowledged within this
  double reply_timeout_s = 10;   // connect, register and auth replies; then reconnect
  double heartbeat_s = 30;       // 0x0002 after this long without sending anything
  double reconnect_min_s = 0.5;  // first reconnect backoff; doubles up to reconnect_max_s
  double reconnect_max_s = 5;
  double drain_s = 5;  // at the end, wait at most this long for outstanding acks
};

struct SimStats {
  size_t terminals = 0;
  size_t connected = 0;         // terminals that connected at least once
  size_t registered = 0;        // terminals that got an auth code from 0x8100
  size_t authenticated = 0;     // terminals that authenticated at least once
  size_t online_at_end = 0;     // authenticated when sending stopped
  size_t register_refused = 0;  // 0x8100 results 1, 2, 4: the terminal gave up
  size_t auth_failed = 0;       // auth refused even after registering: the terminal gave up
  uint64_t connects = 0;        // successful TCP connects, reconnects included
  uint64_t connect_failures = 0;
  uint64_t disconnects = 0;         // established connections lost (closed, reset, reply timeout)
  uint64_t reply_timeouts = 0;      // register/auth replies or connects that did not come in time
  uint64_t positions_sent = 0;      // distinct positions (first transmissions)
  uint64_t positions_acked = 0;     // distinct positions acknowledged with result 0
  uint64_t resent = 0;              // retransmissions (timeout or reconnect), same serial and time
  uint64_t duplicates_acked = 0;    // acks for positions already acknowledged
  uint64_t nacks = 0;               // 0x8001 for 0x0200 with a non-zero result
  uint64_t positions_rejected = 0;  // nacked with "bad message"/"unsupported": not resent
  uint64_t positions_unacked = 0;   // still unacknowledged when the run ended
  uint64_t heartbeats_sent = 0;
  double ack_p50_ms = 0;  // from the last transmission of a position to its ack
  double ack_p99_ms = 0;
  double ack_max_ms = 0;
  double seconds = 0;      // how long positions were generated
  double elapsed_s = 0;    // the whole run, including connecting and draining
  double acked_per_s = 0;  // positions_acked / seconds
};

// Runs the simulation until `options.seconds` have passed or `*stop` becomes true, then stops
// sending, waits up to drain_s for outstanding acks, closes every connection and returns the
// totals. Fails before starting on bad options, an unresolvable server, an unusable source
// address, an invalid scenario file (the detailed message goes to stderr; call LoadScenario
// first to handle it) or an acked_out file that cannot be created.
Result<SimStats> RunSimulation(const SimOptions& options, std::atomic<bool>* stop = nullptr);
// The same with an already loaded scenario (options.scenario is then ignored).
Result<SimStats> RunSimulation(const SimOptions& options, const Scenario& scenario,
                               std::atomic<bool>* stop = nullptr);

nlohmann::ordered_json ToJson(const SimStats& stats);

// Expands a comma-separated list of IPv4 addresses and inclusive ranges ("127.0.0.2-127.0.0.9",
// at most 65536 addresses each) into single addresses.
Result<std::vector<std::string>> ExpandAddresses(std::string_view spec);

// The phone digits of terminal `index`: prefix + zero-padded index, 12 digits (20 for 2019).
// Fails if the prefix leaves too few digits for the index.
Result<std::string> TerminalPhone(std::string_view prefix, size_t index, jt808::Version version);
// The plate virtual terminal `index` registers with: 辽C (Anshan) and five characters.
std::string TerminalPlate(size_t index);

}  // namespace baotong::sim
