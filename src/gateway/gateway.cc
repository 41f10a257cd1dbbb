#include "gateway/gateway.h"

#include <spdlog/spdlog.h>

#include "common/clock.h"
#include "gateway/core.h"
#include "gateway/session.h"

namespace baotong::gateway {
namespace {

namespace asio = boost::asio;

void Accept(GatewayCore& core) {
  // Each connection goes to the next io_context in turn.
  size_t index = core.next_context++ % core.contexts.size();
  core.acceptor->async_accept(*core.contexts[index], [&core](const boost::system::error_code& ec,
                                                             asio::ip::tcp::socket socket) {
    if (core.stopped || ec == asio::error::operation_aborted)
      return;
    // Out of descriptors: wait and retry (one warning per episode) instead of spinning.
    if (core.accept_backoff->Handle(ec, [&core] {
          if (!core.stopped)
            Accept(core);
        }))
      return;
    if (!ec) {
      boost::system::error_code remote_ec;
      auto remote = socket.remote_endpoint(remote_ec);
      ConnectionLimits::Slot slot;
      if (!remote_ec)
        slot = core.limits->Acquire(remote.address().to_string());
      if (slot) {
        std::make_shared<Session>(core, std::move(socket), std::move(slot))->Start();
      } else {
        // Gone already, or over the per-address cap: closed before a byte is read.
        if (!remote_ec)
          spdlog::debug("jt808 connection from {} refused: per-address cap reached",
                        remote.address().to_string());
        socket.close(remote_ec);
      }
    } else {
      spdlog::warn("jt808 accept failed: {}", ec.message());
    }
    Accept(core);
  });
}

}  // namespace

std::string_view ToString(CommandStatus status) {
  switch (status) {
    case CommandStatus::kPending:
      return "pending";
    case CommandStatus::kDelivered:
      return "delivered";
    case CommandStatus::kFailed:
      return "failed";
    case CommandStatus::kTimedOut:
      return "timed_out";
    case CommandStatus::kNotConnected:
      return "not_connected";
  }
  return "unknown";
}

Gateway::Gateway(GatewayOptions options, store::PositionStore& positions,
                 store::TerminalStore& terminals, Metrics& metrics)
    : core_(std::make_unique<GatewayCore>(std::move(options), positions, terminals, metrics)) {}

Gateway::~Gateway() {
  Stop();
}

Result<void> Gateway::Start() {
  GatewayCore& core = *core_;
  size_t threads = std::max<size_t>(1, core.options.io_threads);
  for (size_t i = 0; i < threads; ++i) {
    core.contexts.push_back(std::make_unique<asio::io_context>(1));
    core.work.push_back(asio::make_work_guard(*core.contexts.back()));
  }
  boost::system::error_code ec;
  auto address = asio::ip::make_address(core.options.listen_address, ec);
  if (ec)
    return Fail(ErrorCode::kBadValue, "gateway listen address is not an IP address");
  asio::ip::tcp::endpoint endpoint(address, core.options.port);
  core.acceptor = std::make_unique<asio::ip::tcp::acceptor>(*core.contexts[0]);
  core.acceptor->open(endpoint.protocol(), ec);
  if (!ec)
    core.acceptor->set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec)
    core.acceptor->bind(endpoint, ec);
  if (!ec)
    core.acceptor->listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    spdlog::error("jt808 gateway cannot listen on {}:{}: {}", core.options.listen_address,
                  core.options.port, ec.message());
    return Fail(ErrorCode::kResourceLimit, "gateway cannot listen on its address and port");
  }
  core.accept_backoff = std::make_unique<AcceptBackoff>(core.contexts[0]->get_executor(), "jt808");
  core.limits = std::make_shared<ConnectionLimits>(core.options.max_connections_per_address, 0);
  Accept(core);
  for (auto& context : core.contexts) {
    core.threads.emplace_back([&context] { context->run(); });
  }
  return {};
}

void Gateway::Stop() {
  GatewayCore& core = *core_;
  if (core.stopped.exchange(true))
    return;
  if (core.acceptor) {
    asio::post(core.acceptor->get_executor(), [&core] {
      boost::system::error_code ignored;
      core.acceptor->close(ignored);
      core.accept_backoff->Cancel();
    });
  }
  for (auto& session : core.AllSessions())
    session->CloseAsync("shutdown");
  core.work.clear();
  for (auto& thread : core.threads)
    thread.join();
  core.threads.clear();
}

uint16_t Gateway::port() const {
  boost::system::error_code ec;
  auto endpoint = core_->acceptor->local_endpoint(ec);
  return ec ? 0 : endpoint.port();
}

Result<uint64_t> Gateway::SendCommand(std::string_view terminal, jt808::Message message) {
  auto session = core_->Find(std::string(terminal));
  CommandRecord record;
  record.terminal = std::string(terminal);
  record.msg_id = jt808::MessageId(message);
  record.sent_at_ms = NowMs();
  if (!session) {
    record.status = CommandStatus::kNotConnected;
    core_->commands.Add(record);
    return Fail(ErrorCode::kBadValue, "terminal is not connected");
  }
  uint64_t id = core_->commands.Add(record);
  session->SendCommandAsync(id, std::move(message));
  return id;
}

std::optional<CommandRecord> Gateway::FindCommand(uint64_t id) const {
  return core_->commands.Find(id);
}

std::vector<std::string> Gateway::ConnectedTerminals() const {
  return core_->Terminals();
}

}  // namespace baotong::gateway
