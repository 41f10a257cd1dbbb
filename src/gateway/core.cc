#include "gateway/core.h"

#include <spdlog/spdlog.h>

#include <random>

#include "gateway/session.h"
#include "protocol/jt808/constants.h"

namespace baotong::gateway {
namespace {

// Auth codes are the terminal's only credential, so they come from the OS's random source.
std::string NewAuthCode() {
  static constexpr char kDigits[] = "0123456789ABCDEF";
  std::random_device random;
  std::string code;
  for (int i = 0; i < 16; ++i)
    code.push_back(kDigits[random() % 16]);
  return code;
}

}  // namespace

RegistryWorker::RegistryWorker(store::TerminalStore& terminals, bool auto_register)
    : terminals_(terminals), auto_register_(auto_register), thread_([this] { Run(); }) {}

RegistryWorker::~RegistryWorker() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  thread_.join();
}

void RegistryWorker::Register(store::TerminalRecord record, RegisterDone done) {
  {
    std::lock_guard lock(mutex_);
    jobs_.push_back(Job{true, std::move(record), std::move(done), nullptr});
  }
  wake_.notify_one();
}

void RegistryWorker::Authenticate(std::string terminal, std::string auth_code, AuthDone done) {
  store::TerminalRecord record;
  record.terminal = std::move(terminal);
  record.auth_code = std::move(auth_code);
  {
    std::lock_guard lock(mutex_);
    jobs_.push_back(Job{false, std::move(record), nullptr, std::move(done)});
  }
  wake_.notify_one();
}

std::optional<store::TerminalRecord> RegistryWorker::Lookup(const std::string& terminal) {
  if (auto it = cache_.find(terminal); it != cache_.end())
    return it->second;
  auto found = terminals_.Find(terminal);
  if (!found) {
    spdlog::error("terminal lookup failed: {}", found.error().Message());
    return std::nullopt;
  }
  if (*found)
    cache_.emplace(terminal, **found);
  return *found;
}

void RegistryWorker::Run() {
  std::vector<Job> jobs;
  std::vector<store::TerminalRecord> to_write;
  std::vector<std::function<void()>> replies;
  while (true) {
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [&] { return stopping_ || !jobs_.empty(); });
      if (jobs_.empty())
        return;
      jobs.swap(jobs_);
    }
    for (Job& job : jobs) {
      auto known = Lookup(job.record.terminal);
      if (!job.is_register) {
        bool accepted =
            known && !known->auth_code.empty() && known->auth_code == job.record.auth_code;
        replies.push_back([done = std::move(job.auth_done), accepted] { done(accepted); });
        continue;
      }
      RegisterOutcome outcome;
      if (!known && !auto_register_) {
        outcome.result = static_cast<uint8_t>(jt808::RegisterResult::kNoSuchTerminal);
      } else {
        // A known terminal registering again keeps its code; a pre-provisioned one without a
        // code, or a new one under auto-registration, gets one now.
        store::TerminalRecord record = std::move(job.record);
        record.auth_code = known && !known->auth_code.empty() ? known->auth_code : NewAuthCode();
        outcome.auth_code = record.auth_code;
        cache_[record.terminal] = record;
        to_write.push_back(std::move(record));
      }
      replies.push_back([done = std::move(job.register_done),
                         outcome = std::move(outcome)]() mutable { done(std::move(outcome)); });
    }
    if (!to_write.empty()) {
      // Registrations are answered only once they are on disk: a terminal keeps its code.
      if (auto written = terminals_.UpsertMany(to_write); !written) {
        spdlog::error("terminal registration write failed: {}", written.error().Message());
        for (const auto& record : to_write)
          cache_.erase(record.terminal);
        replies.clear();  // unanswered: the terminals retry their 0x0100
      }
    }
    for (auto& reply : replies)
      reply();
    jobs.clear();
    to_write.clear();
    replies.clear();
  }
}

uint64_t CommandLog::Add(CommandRecord record) {
  std::lock_guard lock(mutex_);
  record.id = next_id_++;
  records_.emplace(record.id, record);
  while (records_.size() > kKept)
    records_.erase(records_.begin());
  return record.id;
}

void CommandLog::Update(uint64_t id, CommandStatus status, uint8_t terminal_result, int64_t at_ms) {
  std::lock_guard lock(mutex_);
  auto it = records_.find(id);
  if (it == records_.end() || it->second.status != CommandStatus::kPending)
    return;
  it->second.status = status;
  it->second.terminal_result = terminal_result;
  it->second.answered_at_ms = at_ms;
}

std::optional<CommandRecord> CommandLog::Find(uint64_t id) const {
  std::lock_guard lock(mutex_);
  auto it = records_.find(id);
  if (it == records_.end())
    return std::nullopt;
  return it->second;
}

GatewayCore::GatewayCore(GatewayOptions gateway_options, store::PositionStore& positions,
                         store::TerminalStore& terminals, Metrics& gateway_metrics)
    : options(std::move(gateway_options)),
      metrics(gateway_metrics),
      writer(positions, gateway_metrics, options.writer),
      registry(terminals, options.auto_register) {}

void GatewayCore::Bind(const std::string& terminal, const std::shared_ptr<Session>& session) {
  std::shared_ptr<Session> replaced;
  {
    std::lock_guard lock(sessions_mutex_);
    auto& slot = by_terminal_[terminal];
    replaced = slot.lock();
    slot = session;
  }
  if (replaced && replaced != session)
    replaced->CloseAsync("replaced");
}

void GatewayCore::Unbind(const std::string& terminal, const Session* session) {
  std::lock_guard lock(sessions_mutex_);
  auto it = by_terminal_.find(terminal);
  if (it == by_terminal_.end())
    return;
  auto current = it->second.lock();
  if (!current || current.get() == session)
    by_terminal_.erase(it);
}

std::shared_ptr<Session> GatewayCore::Find(const std::string& terminal) const {
  std::lock_guard lock(sessions_mutex_);
  auto it = by_terminal_.find(terminal);
  return it == by_terminal_.end() ? nullptr : it->second.lock();
}

std::vector<std::string> GatewayCore::Terminals() const {
  std::lock_guard lock(sessions_mutex_);
  std::vector<std::string> terminals;
  for (const auto& [terminal, session] : by_terminal_)
    terminals.push_back(terminal);
  return terminals;
}

void GatewayCore::Track(const std::shared_ptr<Session>& session) {
  std::lock_guard lock(sessions_mutex_);
  open_[session.get()] = session;
}

void GatewayCore::Untrack(const Session* session) {
  std::lock_guard lock(sessions_mutex_);
  open_.erase(session);
}

std::vector<std::shared_ptr<Session>> GatewayCore::AllSessions() const {
  std::lock_guard lock(sessions_mutex_);
  std::vector<std::shared_ptr<Session>> sessions;
  for (const auto& [key, session] : open_) {
    if (auto alive = session.lock())
      sessions.push_back(std::move(alive));
  }
  return sessions;
}

}  // namespace baotong::gateway
