#include "gateway/session.h"

#include <spdlog/spdlog.h>

#include <array>

#include "common/clock.h"
#include "common/hex.h"

namespace baotong::gateway {
namespace {

namespace asio = boost::asio;
using jt808::ReplyResult;

// Bytes read per readiness event. Small, so that a connection paused by back-pressure holds
// few decoded positions.
constexpr size_t kReadChunk = 4096;

// Bytes outside frames a connection may send in all before it is cut off.
constexpr uint64_t kMaxGarbageBytes = 16 * 1024;

int64_t SteadyNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

uint8_t Result8(ReplyResult result) {
  return static_cast<uint8_t>(result);
}

}  // namespace

Session::Session(GatewayCore& core, asio::ip::tcp::socket socket, ConnectionLimits::Slot slot)
    : core_(core),
      socket_(std::move(socket)),
      slot_(std::move(slot)),
      timer_(socket_.get_executor()) {
  boost::system::error_code ec;
  auto endpoint = socket_.remote_endpoint(ec);
  peer_ = ec ? "unknown" : endpoint.address().to_string() + ":" + std::to_string(endpoint.port());
  connected_at_ = last_frame_at_ = Clock::now();
  core_.metrics.SessionOpened();
}

Session::~Session() {
  core_.metrics.SessionClosed();
}

void Session::Start() {
  socket_.non_blocking(true);
  socket_.set_option(asio::ip::tcp::no_delay(true));
  core_.Track(shared_from_this());
  WaitReadable();
  ScheduleTimer();
}

void Session::CloseAsync(const char* reason) {
  asio::post(socket_.get_executor(), [self = shared_from_this(), reason] { self->Close(reason); });
}

void Session::SendCommandAsync(uint64_t command_id, jt808::Message message) {
  asio::post(socket_.get_executor(),
             [self = shared_from_this(), command_id, message = std::move(message)] {
               if (self->closed_) {
                 self->core_.commands.Update(command_id, CommandStatus::kNotConnected, 0, NowMs());
                 return;
               }
               uint16_t serial = 0;
               self->Send(message, &serial);
               self->commands_.push_back(
                   {command_id, serial, Clock::now() + self->core_.options.command_timeout});
               self->ScheduleTimer();
             });
}

void Session::OnDurable(std::vector<Completion> completions, bool stored) {
  asio::post(socket_.get_executor(), [self = shared_from_this(),
                                      completions = std::move(completions), stored] {
    if (self->closed_)
      return;  // the terminal resends on its next connection
    int64_t now_ns = SteadyNs();
    for (const Completion& completion : completions) {
      jt808::PlatformGeneralReply reply;
      reply.reply_serial = completion.reply_serial;
      reply.reply_msg_id = completion.reply_msg_id;
      reply.result = Result8(stored ? ReplyResult::kOk : ReplyResult::kFailed);
      self->Queue(reply);
      self->core_.metrics.AckLatency(static_cast<double>(now_ns - completion.arrival_ns) / 1e6);
    }
    // One write for the batch's acknowledgements, not one per message.
    self->Flush();
  });
}

// Reading waits for readiness and then reads into a per-thread buffer, so an idle connection
// holds no read buffer at all (the 10 KB-per-connection budget).
void Session::WaitReadable() {
  if (closed_ || reading_paused_)
    return;
  socket_.async_wait(asio::ip::tcp::socket::wait_read,
                     [self = shared_from_this()](const boost::system::error_code& ec) {
                       if (!self->IoFailed(ec))
                         self->OnReadable();
                     });
}

bool Session::IoFailed(const boost::system::error_code& ec) {
  if (!ec)
    return false;
  // Aborted operations are our own doing (Close); anything else means the peer is gone.
  if (ec != asio::error::operation_aborted)
    Close("peer_closed");
  return true;
}

void Session::OnReadable() {
  if (closed_)
    return;
  thread_local std::array<uint8_t, kReadChunk> buffer;
  boost::system::error_code ec;
  size_t size = socket_.read_some(asio::buffer(buffer), ec);
  if (ec == asio::error::would_block || ec == asio::error::try_again)
    return WaitReadable();
  if (ec || size == 0)
    return Close("peer_closed");

  const uint64_t discarded_before = splitter_.discarded_bytes();
  splitter_.Feed(ByteSpan(buffer.data(), size), [this](Result<ByteSpan> frame) {
    if (closed_)
      return;
    if (!frame) {
      BadInput(frame.error());
      // A frame over the limit is cut off at once; other framing errors are counted.
      if (frame.error().code == ErrorCode::kFrameTooLong)
        Close("bad_input");
      return;
    }
    HandleFrame(*frame);
  });
  if (closed_)
    return;
  if (uint64_t garbage = splitter_.discarded_bytes() - discarded_before; garbage > 0) {
    core_.metrics.GarbageBytes(garbage);
    // Bytes that are no protocol at all (a port scan, an HTTP client) are cut off quickly.
    if (splitter_.discarded_bytes() > kMaxGarbageBytes) {
      BadInput(Error{ErrorCode::kBadValue, "bytes outside any JT/T 808 frame"});
      return Close("bad_input");
    }
  }
  if (!pending_.empty())
    return SubmitPending();
  WaitReadable();
}

void Session::SubmitPending() {
  auto self = shared_from_this();
  bool queued = core_.writer.SubmitOrWait(pending_, [self] {
    asio::post(self->socket_.get_executor(), [self] {
      if (self->closed_)
        return;
      self->SubmitPending();
    });
  });
  if (!queued) {
    if (!reading_paused_)
      core_.metrics.ReadPaused();
    reading_paused_ = true;
    return;
  }
  reading_paused_ = false;
  WaitReadable();
}

void Session::HandleFrame(ByteSpan unescaped) {
  auto frame = jt808::ParseFrame(unescaped);
  if (!frame)
    return BadInput(frame.error());
  const jt808::Header& header = frame->header;
  core_.metrics.FrameIn(header.msg_id);
  last_frame_at_ = Clock::now();
  if (!terminal_known_) {
    terminal_ = header;
    terminal_.subpackage.reset();
    terminal_known_ = true;
  } else if (!(header.phone == terminal_.phone)) {
    // One connection is one terminal; another phone on it is a confused or hostile peer.
    return BadInput(Error{ErrorCode::kBadValue, "frame from a second phone on one connection"});
  }
  if (frame->header.encryption != 0) {
    core_.metrics.DecodeError(ErrorCode::kUnsupported);
    return Reply(header, Result8(ReplyResult::kUnsupported));
  }

  if (header.subpackage && header.subpackage->total > 1) {
    if (!reassembler_)
      reassembler_ = std::make_unique<jt808::Reassembler>();
    auto whole = reassembler_->Add(header, frame->body, NowMs());
    if (!whole)
      return BadInput(whole.error());
    Reply(header, Result8(ReplyResult::kOk));  // each package is answered
    if (*whole)
      HandleMessage((*whole)->header, (*whole)->body);
    ScheduleTimer();
    return;
  }
  HandleMessage(header, frame->body);
}

void Session::HandleMessage(const jt808::Header& header, ByteSpan body) {
  if (close_after_flush_)
    return;  // closing: nothing more is answered
  switch (header.msg_id) {
    case jt808::msg_id::kRegister:
      return HandleRegister(header, body);
    case jt808::msg_id::kAuth:
      return HandleAuth(header, body);
    case jt808::msg_id::kHeartbeat:
      return Reply(header, Result8(ReplyResult::kOk));
    case jt808::msg_id::kLogout:
      Reply(header, Result8(ReplyResult::kOk));
      return CloseAfterFlush("logout");
    case jt808::msg_id::kTerminalGeneralReply:
      return HandleTerminalReply(body);
    case jt808::msg_id::kLocationReport:
    case jt808::msg_id::kLocationQueryReply:
    case jt808::msg_id::kLocationBatch:
      if (!authenticated_)
        return Reply(header, Result8(ReplyResult::kFailed));
      if (header.msg_id == jt808::msg_id::kLocationBatch)
        return HandleBatch(header, body);
      return HandleLocation(header, body);
    default:
      if (!authenticated_)
        return Reply(header, Result8(ReplyResult::kFailed));
      // Decoded for validity; messages the platform does not act on yet are answered "ok"
      // when they decode, so that terminals do not repeat them.
      auto message = DecodeOrReject(header, body);
      if (!message)
        return;
      bool known = !std::holds_alternative<jt808::RawMessage>(*message);
      return Reply(header, Result8(known ? ReplyResult::kOk : ReplyResult::kUnsupported));
  }
}

std::optional<jt808::Message> Session::DecodeOrReject(const jt808::Header& header, ByteSpan body) {
  jt808::Version version = header.version;
  auto message = jt808::DecodeBody(header.msg_id, version, body);
  if (message)
    return std::move(*message);
  // A body that does not decode will not decode when resent either: "bad message".
  core_.metrics.DecodeError(message.error().code);
  Reply(header, Result8(ReplyResult::kBadMessage));
  return std::nullopt;
}

void Session::HandleRegister(const jt808::Header& header, ByteSpan body) {
  // One 0x0100 at a time: each costs the registry thread store reads, so a terminal resending
  // before it has its answer is not answered twice.
  if (register_pending_)
    return;
  if (auth_failures_ + auth_pending_ >= core_.options.max_auth_failures_per_connection)
    return Close("auth_failed");
  auto message = DecodeOrReject(header, body);
  if (!message)
    return;
  const auto& request = std::get<jt808::Register>(*message);
  store::TerminalRecord record;
  record.terminal = std::string(header.phone.digits());
  record.province_id = request.province_id;
  record.city_id = request.city_id;
  record.maker_id = request.maker_id;
  record.terminal_model = request.terminal_model;
  record.terminal_id = request.terminal_id;
  record.plate_color = request.plate_color;
  record.plate = request.plate;
  record.registered_at_ms = NowMs();
  register_pending_ = true;
  core_.registry.Register(
      std::move(record), peer_,
      [self = shared_from_this(), header](RegistryWorker::RegisterOutcome out) {
        asio::post(self->socket_.get_executor(), [self, header, out = std::move(out)] {
          self->register_pending_ = false;
          if (self->closed_ || out.unavailable)
            return;
          jt808::RegisterReply reply;
          reply.reply_serial = header.serial;
          reply.result = out.result;
          reply.auth_code = out.auth_code;
          self->Send(reply);
          if (out.result == static_cast<uint8_t>(jt808::RegisterResult::kOk))
            return;
          // Refused registrations share the budget of wrong auth codes, and are logged once per
          // connection so that a peer repeating them cannot flood the log.
          if (!self->logged_refused_register_) {
            self->logged_refused_register_ = true;
            spdlog::info("jt808 {}: registration of terminal {} refused (result {})", self->peer_,
                         header.phone.digits(), out.result);
          }
          if (++self->auth_failures_ >= self->core_.options.max_auth_failures_per_connection) {
            spdlog::info("jt808 {}: {} refused registrations and wrong auth codes, closing",
                         self->peer_, self->auth_failures_);
            self->CloseAfterFlush("auth_failed");
          }
        });
      });
}

void Session::HandleAuth(const jt808::Header& header, ByteSpan body) {
  auto message = DecodeOrReject(header, body);
  if (!message)
    return;
  // Codes sent faster than they are answered count as failures already: a burst of guesses in
  // one write gets no more checks than guesses one by one.
  if (auth_failures_ + auth_pending_ >= core_.options.max_auth_failures_per_connection)
    return Close("auth_failed");
  ++auth_pending_;
  std::string terminal(header.phone.digits());
  core_.registry.Authenticate(
      terminal, std::get<jt808::Auth>(*message).auth_code,
      [self = shared_from_this(), header, terminal](RegistryWorker::AuthOutcome outcome) {
        asio::post(self->socket_.get_executor(), [self, header, terminal, outcome] {
          if (self->closed_)
            return;
          --self->auth_pending_;
          using Outcome = RegistryWorker::AuthOutcome;
          const bool accepted = outcome == Outcome::kAccepted;
          if (accepted && !self->authenticated_) {
            self->authenticated_ = true;
            self->core_.metrics.Authenticated();
            self->core_.Bind(terminal, self);
            self->ScheduleTimer();
          }
          self->Reply(header, Result8(accepted ? ReplyResult::kOk : ReplyResult::kFailed));
          if (outcome == Outcome::kLockedOut) {
            spdlog::info("jt808 {}: terminal {} is locked after wrong auth codes, closing",
                         self->peer_, terminal);
            return self->CloseAfterFlush("auth_locked_out");
          }
          if (outcome == Outcome::kRefused &&
              ++self->auth_failures_ >= self->core_.options.max_auth_failures_per_connection) {
            spdlog::info("jt808 {}: {} wrong auth codes for {}, closing", self->peer_,
                         self->auth_failures_, terminal);
            self->CloseAfterFlush("auth_failed");
          }
        });
      });
}

bool Session::AppendPosition(const jt808::Header& header, ByteSpan location_body,
                             std::optional<Completion> completion) {
  if (auto decoded = jt808::DecodeLocationReport(location_body, report_); !decoded) {
    core_.metrics.DecodeError(decoded.error().code);
    return false;
  }
  Submission submission;
  model::Position& position = submission.position;
  position.terminal = std::string(header.phone.digits());
  position.serial = header.serial;
  position.device_time_ms = report_.time_ms.value_or(0);
  position.receive_time_ms = NowMs();
  position.alarm = report_.alarm;
  position.status = report_.status;
  position.lat_e6 = report_.lat_e6;
  position.lon_e6 = report_.lon_e6;
  position.altitude_m = report_.altitude_m;
  position.speed_dkmh = report_.speed_dkmh;
  position.direction = report_.direction;
  // Every additional item exactly as the terminal sent it.
  ByteSpan extras = location_body.subspan(jt808::kLocationFixedSize);
  position.extras.assign(extras.begin(), extras.end());
  submission.listener = shared_from_this();
  submission.completion = completion;
  pending_.push_back(std::move(submission));
  core_.metrics.PositionsReceived(1);
  return true;
}

void Session::HandleLocation(const jt808::Header& header, ByteSpan body) {
  ByteSpan location = body;
  if (header.msg_id == jt808::msg_id::kLocationQueryReply) {
    if (body.size() < 2)
      return Reply(header, Result8(ReplyResult::kBadMessage));
    location = body.subspan(2);
  }
  Completion completion{header.serial, header.msg_id, SteadyNs()};
  if (!AppendPosition(header, location, completion)) {
    Reply(header, Result8(ReplyResult::kBadMessage));
  }
}

void Session::HandleBatch(const jt808::Header& header, ByteSpan body) {
  ByteReader reader(body);
  uint16_t count = reader.U16();
  reader.U8();  // batch type: normal or blind-area, stored alike
  size_t stored_before = pending_.size();
  for (uint16_t i = 0; i < count && reader.ok() && !reader.empty(); ++i) {
    uint16_t length = reader.U16();
    ByteSpan item = reader.Bytes(length);
    if (!reader.ok()) {
      core_.metrics.DecodeError(ErrorCode::kTruncated);
      break;
    }
    // Items that do not decode are counted and skipped; resending would not mend them.
    AppendPosition(header, item, std::nullopt);
  }
  Completion completion{header.serial, header.msg_id, SteadyNs()};
  if (pending_.size() == stored_before) {
    // Nothing to make durable: answer at once.
    return Reply(header, Result8(count == 0 ? ReplyResult::kOk : ReplyResult::kBadMessage));
  }
  pending_.back().completion = completion;
}

void Session::HandleTerminalReply(ByteSpan body) {
  if (body.size() != 5)
    return BadInput(Error{ErrorCode::kLengthMismatch, "0x0001 body"});
  ByteReader reader(body);
  uint16_t reply_serial = reader.U16();
  reader.U16();  // reply id
  uint8_t result = reader.U8();
  for (auto it = commands_.begin(); it != commands_.end(); ++it) {
    if (it->serial != reply_serial)
      continue;
    core_.commands.Update(it->id, result == 0 ? CommandStatus::kDelivered : CommandStatus::kFailed,
                          result, NowMs());
    commands_.erase(it);
    return;
  }
}

void Session::BadInput(const Error& error) {
  core_.metrics.DecodeError(error.code);
  if (!logged_bad_input_) {
    // Once per connection, so a flood of garbage cannot flood the log.
    spdlog::warn("jt808 {}: {} (further bad input on this connection is only counted)", peer_,
                 error.Message());
    logged_bad_input_ = true;
  }
  if (++bad_frames_ > core_.options.max_bad_frames)
    Close("bad_input");
}

void Session::Reply(const jt808::Header& request, uint8_t result) {
  jt808::PlatformGeneralReply reply;
  reply.reply_serial = request.serial;
  reply.reply_msg_id = request.msg_id;
  reply.result = result;
  Send(reply);
}

void Session::Send(const jt808::Message& message, uint16_t* serial) {
  Queue(message, serial);
  Flush();
}

void Session::Queue(const jt808::Message& message, uint16_t* serial) {
  if (closed_)
    return;
  jt808::Header header = terminal_;
  header.subpackage.reset();
  header.serial = next_serial_++;
  if (serial)
    *serial = header.serial;
  auto encoded = encoder_.Encode(header, message, out_);
  if (!encoded) {
    spdlog::error("jt808 {}: cannot encode reply 0x{:04x}: {}", peer_, jt808::MessageId(message),
                  encoded.error().Message());
    return;
  }
  core_.metrics.FrameOut(jt808::MessageId(message));
}

void Session::Flush() {
  if (writing_ || closed_)
    return;
  if (out_.empty()) {
    if (close_after_flush_)
      Close(close_reason_);
    return;
  }
  writing_ = true;
  out_in_flight_.swap(out_);
  out_.clear();
  asio::async_write(socket_, asio::buffer(out_in_flight_),
                    [self = shared_from_this()](const boost::system::error_code& ec, size_t) {
                      self->writing_ = false;
                      self->out_in_flight_.clear();
                      if (!self->IoFailed(ec))
                        self->Flush();
                    });
}

void Session::ScheduleTimer() {
  if (closed_)
    return;
  const auto& options = core_.options;
  Clock::time_point next = last_frame_at_ + options.idle_timeout;
  if (!authenticated_)
    next = std::min(next, connected_at_ + options.auth_timeout);
  for (const auto& command : commands_)
    next = std::min(next, command.deadline);
  if (reassembler_ && reassembler_->group_count() > 0) {
    next = std::min(next, Clock::now() + std::chrono::seconds(1));
  }
  timer_.expires_at(next);
  timer_.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
    if (!ec)
      self->OnTimer();
  });
}

void Session::OnTimer() {
  if (closed_)
    return;
  const auto now = Clock::now();
  if (!authenticated_ && now >= connected_at_ + core_.options.auth_timeout) {
    spdlog::info("jt808 {}: not authenticated within {} ms, closing", peer_,
                 core_.options.auth_timeout.count());
    return Close("auth_timeout");
  }
  if (now >= last_frame_at_ + core_.options.idle_timeout) {
    spdlog::info("jt808 {}: no complete frame for {} ms, closing", peer_,
                 core_.options.idle_timeout.count());
    return Close("idle");
  }
  std::erase_if(commands_, [&](const PendingCommand& command) {
    if (now < command.deadline)
      return false;
    core_.commands.Update(command.id, CommandStatus::kTimedOut, 0, NowMs());
    return true;
  });
  if (reassembler_) {
    for (const auto& request : reassembler_->Poll(NowMs()))
      Send(request.message);
  }
  ScheduleTimer();
}

void Session::CloseAfterFlush(const char* reason) {
  if (close_after_flush_)
    return;
  close_after_flush_ = true;
  close_reason_ = reason;
  Flush();
}

void Session::Close(const char* reason) {
  if (closed_)
    return;
  closed_ = true;
  core_.metrics.Disconnect(reason);
  if (authenticated_) {
    core_.metrics.Deauthenticated();
    core_.Unbind(std::string(terminal_.phone.digits()), this);
  }
  for (const auto& command : commands_) {
    core_.commands.Update(command.id, CommandStatus::kNotConnected, 0, NowMs());
  }
  commands_.clear();
  core_.Untrack(this);
  boost::system::error_code ignored;
  timer_.cancel();
  socket_.shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
  socket_.close(ignored);
}

}  // namespace baotong::gateway
