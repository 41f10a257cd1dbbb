// One terminal connection. All of its handlers run on one io_context thread.
#pragma once

#include <boost/asio.hpp>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "gateway/core.h"
#include "gateway/position_writer.h"
#include "protocol/jt808/codec.h"
#include "protocol/jt808/reassembler.h"

namespace baotong::gateway {

class Session : public DurabilityListener, public std::enable_shared_from_this<Session> {
 public:
  // `slot` is the connection's place under the per-address cap, held for the session's life.
  Session(GatewayCore& core, boost::asio::ip::tcp::socket socket,
          ConnectionLimits::Slot slot = nullptr);
  ~Session() override;

  void Start();
  // Thread-safe: each of these posts to the session's own thread.
  void CloseAsync(const char* reason);
  void SendCommandAsync(uint64_t command_id, jt808::Message message);
  void OnDurable(std::vector<Completion> completions, bool stored) override;

 private:
  using Clock = std::chrono::steady_clock;

  void WaitReadable();
  // Closes the connection on a real I/O error; true when `ec` is any error.
  bool IoFailed(const boost::system::error_code& ec);
  void OnReadable();
  void HandleFrame(ByteSpan unescaped);
  void HandleMessage(const jt808::Header& header, ByteSpan body);
  // The decoded body, or nullopt after answering "bad message" and counting the error.
  std::optional<jt808::Message> DecodeOrReject(const jt808::Header& header, ByteSpan body);
  void HandleRegister(const jt808::Header& header, ByteSpan body);
  void HandleAuth(const jt808::Header& header, ByteSpan body);
  void HandleLocation(const jt808::Header& header, ByteSpan body);
  void HandleBatch(const jt808::Header& header, ByteSpan body);
  void HandleTerminalReply(ByteSpan body);
  // Queues what this read produced for the store; pauses reading while the queue is full.
  void SubmitPending();
  void BadInput(const Error& error);

  void Reply(const jt808::Header& request, uint8_t result);
  void Send(const jt808::Message& message, uint16_t* serial = nullptr);
  // Encodes `message` into the output buffer without writing it: several replies go out in one
  // write (one system call) when Flush follows.
  void Queue(const jt808::Message& message, uint16_t* serial = nullptr);
  void Flush();
  void ScheduleTimer();
  void OnTimer();
  void Close(const char* reason);
  // Answers what is queued, then closes; frames that arrive meanwhile are ignored.
  void CloseAfterFlush(const char* reason);
  bool AppendPosition(const jt808::Header& header, ByteSpan location_body,
                      std::optional<Completion> completion);

  GatewayCore& core_;
  boost::asio::ip::tcp::socket socket_;
  ConnectionLimits::Slot slot_;
  boost::asio::steady_timer timer_;
  std::string peer_;

  jt808::FrameSplitter splitter_;
  std::unique_ptr<jt808::Reassembler> reassembler_;  // created on the first subpackage
  jt808::MessageEncoder encoder_;
  jt808::LocationReport report_;  // reused for every position

  // Phone and version of the terminal on this connection, from its frames; replies use them.
  jt808::Header terminal_;
  bool terminal_known_ = false;
  bool authenticated_ = false;
  bool closed_ = false;
  bool reading_paused_ = false;
  bool writing_ = false;
  bool close_after_flush_ = false;
  const char* close_reason_ = "logout";  // when close_after_flush_
  size_t auth_pending_ = 0;              // 0x0102 sent to the registry, not answered yet
  size_t auth_failures_ = 0;             // wrong codes and refused 0x0100 on this connection
  bool register_pending_ = false;        // a 0x0100 sent to the registry, not answered yet
  bool logged_refused_register_ = false;
  bool logged_bad_input_ = false;
  size_t bad_frames_ = 0;
  uint16_t next_serial_ = 0;
  Clock::time_point connected_at_;
  Clock::time_point last_frame_at_;

  std::vector<uint8_t> out_;
  std::vector<uint8_t> out_in_flight_;
  std::vector<Submission> pending_;  // decoded positions waiting for room in the store queue

  struct PendingCommand {
    uint64_t id;
    uint16_t serial;
    Clock::time_point deadline;
  };
  std::vector<PendingCommand> commands_;
};

}  // namespace baotong::gateway
