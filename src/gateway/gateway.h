// The JT/T 808 gateway: a TCP server for truck terminals. It registers and authenticates them,
// stores their positions durably before acknowledging, answers heartbeats, times out idle and
// hostile connections, and sends commands down to connected terminals.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"
#include "gateway/metrics.h"
#include "gateway/position_writer.h"
#include "protocol/jt808/messages.h"
#include "store/position_store.h"

namespace baotong::gateway {

// A registered terminal whose auth code was replaced by the re-registration policy
// (GatewayOptions::reregister_same_identity); `serve` writes it to the audit log.
struct Reregistration {
  std::string terminal;  // phone digits
  std::string terminal_id;
  std::string plate;
  uint8_t plate_color = 0;
  std::string peer;  // address:port the 0x0100 came from
};

struct GatewayOptions {
  std::string listen_address = "0.0.0.0";
  uint16_t port = 7808;  // 0 picks a free port (tests)
  size_t io_threads = 2;
  // Open connections one address may hold; more are closed at once, before a byte is read
  // (issue 13). 0 = no cap: terminals behind one carrier NAT, and the load and crash tests
  // (10,000 terminals from 127.0.0.1), share an address. [gateway] max_connections_per_address.
  size_t max_connections_per_address = 0;
  // A connection is closed when no complete frame arrived for this long (heartbeats count).
  std::chrono::milliseconds idle_timeout{std::chrono::minutes(3)};
  // ... or when it has not authenticated this long after connecting.
  std::chrono::milliseconds auth_timeout{std::chrono::seconds(30)};
  // Register unknown terminals instead of answering "no such terminal" (result 4).
  bool auto_register = false;
  // A terminal that already has an auth code and registers again is answered "terminal already
  // registered" (result 3) without a code, and its record is left as it is: its phone is no
  // secret. With this on, a re-registration whose terminal ID, plate and plate colour all equal
  // the stored ones is accepted instead: it gets a NEW code and the old one stops working
  // (on_reregistered is called). Off by default; staff re-provision with `baotong terminal
  // reprovision` either way.
  bool reregister_same_identity = false;
  // Called on the registry thread before the new code is stored or sent (the audit comes
  // before the change); false (not audited) refuses the re-registration for now: the terminal
  // resends its 0x0100.
  std::function<bool(const Reregistration&)> on_reregistered;
  // Wrong auth codes (0x0102). A connection is closed after this many ...
  size_t max_auth_failures_per_connection = 3;
  // ... and a phone with auth_failures_per_phone of them within auth_failure_window, on any
  // connections, is locked for auth_lockout: every 0x0102 for it is refused unchecked and its
  // connection closed. Guessing is then held to auth_failures_per_phone codes per auth_lockout
  // (under 3,000 a day at the defaults) against a 64-bit code. Only known phones are counted.
  size_t auth_failures_per_phone = 10;
  std::chrono::milliseconds auth_failure_window{std::chrono::minutes(10)};
  std::chrono::milliseconds auth_lockout{std::chrono::minutes(5)};
  // Undecodable frames a connection may send before it is cut off.
  size_t max_bad_frames = 16;
  // How long a downlink command waits for the terminal's 0x0001.
  std::chrono::milliseconds command_timeout{std::chrono::seconds(30)};
  WriterOptions writer;
};

// A fresh terminal auth code: 16 hexadecimal digits (64 bits) from the OS's random source.
std::string NewAuthCode();

enum class CommandStatus { kPending, kDelivered, kFailed, kTimedOut, kNotConnected };
std::string_view ToString(CommandStatus status);

// A downlink command and what became of it.
struct CommandRecord {
  uint64_t id = 0;
  std::string terminal;
  uint16_t msg_id = 0;
  uint16_t serial = 0;
  int64_t sent_at_ms = 0;
  int64_t answered_at_ms = 0;
  CommandStatus status = CommandStatus::kPending;
  uint8_t terminal_result = 0;  // the 0x0001 result byte when answered
};

class GatewayCore;

class Gateway {
 public:
  Gateway(GatewayOptions options, store::PositionStore& positions, store::TerminalStore& terminals,
          Metrics& metrics);
  ~Gateway();  // stops, then waits for every acknowledged-to-be position to be committed
  Gateway(const Gateway&) = delete;
  Gateway& operator=(const Gateway&) = delete;

  // Binds and starts the io threads. Fails if the address cannot be bound.
  Result<void> Start();
  // Closes the listener and every connection; positions already queued are still committed.
  void Stop();
  uint16_t port() const;

  // Sends a platform message (0x8300 text, 0x8201 location query, 0x8202 tracking, ...) to a
  // connected terminal. Returns the command's id; its outcome is in FindCommand.
  Result<uint64_t> SendCommand(std::string_view terminal, jt808::Message message);
  std::optional<CommandRecord> FindCommand(uint64_t id) const;
  std::vector<std::string> ConnectedTerminals() const;

 private:
  std::unique_ptr<GatewayCore> core_;
};

}  // namespace baotong::gateway
