// The JT/T 808 gateway: a TCP server for truck terminals. It registers and authenticates them,
// stores their positions durably before acknowledging, answers heartbeats, times out idle and
// hostile connections, and sends commands down to connected terminals.
#pragma once

#include <chrono>
#include <cstdint>
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

struct GatewayOptions {
  std::string listen_address = "0.0.0.0";
  uint16_t port = 7808;  // 0 picks a free port (tests)
  size_t io_threads = 2;
  // A connection is closed when no complete frame arrived for this long (heartbeats count).
  std::chrono::milliseconds idle_timeout{std::chrono::minutes(3)};
  // ... or when it has not authenticated this long after connecting.
  std::chrono::milliseconds auth_timeout{std::chrono::seconds(30)};
  // Register unknown terminals instead of answering "no such terminal" (result 4).
  bool auto_register = false;
  // Undecodable frames a connection may send before it is cut off.
  size_t max_bad_frames = 16;
  // How long a downlink command waits for the terminal's 0x0001.
  std::chrono::milliseconds command_timeout{std::chrono::seconds(30)};
  WriterOptions writer;
};

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
