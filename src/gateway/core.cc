#include "gateway/core.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <random>
#include <string_view>

#include "gateway/session.h"
#include "protocol/jt808/constants.h"

namespace baotong::gateway {

// Auth codes are the terminal's only credential, so they come from the OS's random source.
std::string NewAuthCode() {
  static constexpr char kDigits[] = "0123456789ABCDEF";
  std::random_device random;
  std::string code;
  for (int i = 0; i < 16; ++i)
    code.push_back(kDigits[random() % 16]);
  return code;
}

namespace {

// Compares without an early exit, so that the reply time does not tell how much of a guessed
// code was right.
bool ConstantTimeEqual(std::string_view stored, std::string_view given) {
  if (stored.empty() || stored.size() != given.size())
    return false;
  unsigned char difference = 0;
  for (size_t i = 0; i < stored.size(); ++i)
    difference |= static_cast<unsigned char>(stored[i] ^ given[i]);
  return difference == 0;
}

}  // namespace

RegistryWorker::RegistryWorker(store::TerminalStore& terminals, const GatewayOptions& options,
                               Metrics& metrics)
    : terminals_(terminals), options_(options), metrics_(metrics), thread_([this] { Run(); }) {}

RegistryWorker::~RegistryWorker() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  thread_.join();
}

void RegistryWorker::Register(store::TerminalRecord record, std::string peer, RegisterDone done) {
  {
    std::lock_guard lock(mutex_);
    jobs_.push_back(Job{true, std::move(record), std::move(peer), std::move(done), nullptr});
  }
  wake_.notify_one();
}

void RegistryWorker::Authenticate(std::string terminal, std::string auth_code, AuthDone done) {
  store::TerminalRecord record;
  record.terminal = std::move(terminal);
  record.auth_code = std::move(auth_code);
  {
    std::lock_guard lock(mutex_);
    jobs_.push_back(Job{false, std::move(record), {}, nullptr, std::move(done)});
  }
  wake_.notify_one();
}

Result<std::optional<store::TerminalRecord>> RegistryWorker::Lookup(const std::string& terminal) {
  if (auto it = batch_.find(terminal); it != batch_.end())
    return it->second;
  return terminals_.Find(terminal);
}

Result<bool> RegistryWorker::PlateHeldByAnother(const std::string& plate,
                                                const std::string& terminal) {
  if (plate.empty())
    return false;  // nothing to compare (some terminals register without a plate or VIN)
  if (auto it = batch_plates_.find(plate); it != batch_plates_.end() && it->second != terminal)
    return true;
  auto holders = terminals_.FindByPlate(plate);
  if (!holders)
    return tl::unexpected(holders.error());
  for (const auto& holder : *holders) {
    // A holder without a code was provisioned by staff for this vehicle: it holds the plate
    // as firmly as a registered one, so that a stranger cannot claim the vehicle first.
    if (holder.terminal == terminal)
      continue;
    auto current = batch_.find(holder.terminal);
    if (current != batch_.end() && current->second.plate != plate)
      continue;
    return true;
  }
  return false;
}

void RegistryWorker::CountFailure(const std::string& terminal, Clock::time_point now) {
  if (failures_.size() > 10'000 && now >= last_failure_sweep_ + kFailureSweepInterval) {
    // Only known phones are counted, so this stays small; drop the finished ones now and then
    // (not on every failure: a full scan per wrong code would stall the registry thread).
    last_failure_sweep_ = now;
    failure_sweeps_.fetch_add(1, std::memory_order_relaxed);
    std::erase_if(failures_, [&](const auto& entry) {
      return now >= entry.second.locked_until &&
             now >= entry.second.window_start + options_.auth_failure_window;
    });
  }
  Failures& failures = failures_[terminal];
  if (failures.count == 0 || now >= failures.window_start + options_.auth_failure_window) {
    failures.count = 0;
    failures.window_start = now;
  }
  if (++failures.count >= options_.auth_failures_per_phone) {
    failures.count = 0;
    failures.locked_until = now + options_.auth_lockout;
    metrics_.AuthLockout();
    spdlog::warn("jt808 terminal {}: {} wrong auth codes, locked for {} s", terminal,
                 options_.auth_failures_per_phone,
                 std::chrono::duration_cast<std::chrono::seconds>(options_.auth_lockout).count());
  }
}

RegistryWorker::AuthOutcome RegistryWorker::DecideAuth(const Job& job) {
  const auto now = Clock::now();
  const std::string& terminal = job.record.terminal;
  if (auto it = failures_.find(terminal); it != failures_.end() && now < it->second.locked_until)
    return AuthOutcome::kLockedOut;
  auto known = Lookup(terminal);
  if (!known) {
    spdlog::error("terminal lookup failed: {}", known.error().Message());
    return AuthOutcome::kUnavailable;
  }
  if (*known && !(*known)->auth_code.empty() &&
      ConstantTimeEqual((*known)->auth_code, job.record.auth_code)) {
    return AuthOutcome::kAccepted;
  }
  metrics_.AuthFailed();
  if (!*known)
    return AuthOutcome::kRefused;  // nothing to guess: not counted per phone
  CountFailure(terminal, now);
  auto it = failures_.find(terminal);
  return now < it->second.locked_until ? AuthOutcome::kLockedOut : AuthOutcome::kRefused;
}

std::optional<RegistryWorker::RegisterOutcome> RegistryWorker::DecideRegister(Job& job) {
  using jt808::RegisterResult;
  auto code = [](RegisterResult result) {
    return RegisterOutcome{static_cast<uint8_t>(result), {}};
  };
  store::TerminalRecord& request = job.record;
  auto known = Lookup(request.terminal);
  if (!known) {
    spdlog::error("terminal lookup failed: {}", known.error().Message());
    return std::nullopt;
  }
  if (*known && !(*known)->auth_code.empty()) {
    // Already registered. Its phone is no secret, so the stored code is never sent again and
    // the record is not overwritten; only the configured policy may replace the code.
    const store::TerminalRecord& stored = **known;
    const bool same_identity =
        !stored.terminal_id.empty() && stored.terminal_id == request.terminal_id &&
        stored.plate == request.plate && stored.plate_color == request.plate_color;
    if (!options_.reregister_same_identity || !same_identity) {
      metrics_.RegistrationRefused();
      return code(RegisterResult::kTerminalAlreadyRegistered);
    }
    store::TerminalRecord renewed = stored;
    do {
      renewed.auth_code = NewAuthCode();
    } while (renewed.auth_code == stored.auth_code);
    renewed.registered_at_ms = request.registered_at_ms;
    // Audited before the new code is written or sent; not audited, not replaced.
    if (options_.on_reregistered &&
        !options_.on_reregistered(Reregistration{renewed.terminal, renewed.terminal_id,
                                                 renewed.plate, renewed.plate_color, job.peer})) {
      return std::nullopt;
    }
    spdlog::warn(
        "jt808 {}: terminal {} re-registered with its terminal ID and plate: new auth "
        "code, the old one revoked",
        job.peer, request.terminal);
    RegisterOutcome outcome{static_cast<uint8_t>(RegisterResult::kOk), renewed.auth_code};
    batch_[renewed.terminal] = std::move(renewed);
    return outcome;
  }
  if (!*known && !options_.auto_register)
    return code(RegisterResult::kNoSuchTerminal);
  if (*known && !(*known)->plate.empty()) {
    // Provisioned (or reset to await registration) by staff for a vehicle: the device must
    // name that vehicle, and what staff stored is kept; the device adds only what is missing.
    const store::TerminalRecord& stored = **known;
    if (stored.plate != request.plate || stored.plate_color != request.plate_color) {
      metrics_.RegistrationRefused();
      return code(RegisterResult::kNoSuchVehicle);
    }
    store::TerminalRecord kept = stored;
    auto fill = [](std::string& field, std::string& given) {
      if (field.empty())
        field = std::move(given);
    };
    fill(kept.terminal_id, request.terminal_id);
    fill(kept.maker_id, request.maker_id);
    fill(kept.terminal_model, request.terminal_model);
    if (kept.province_id == 0 && kept.city_id == 0) {
      kept.province_id = request.province_id;
      kept.city_id = request.city_id;
    }
    kept.registered_at_ms = request.registered_at_ms;
    request = std::move(kept);
  }
  // First registration: an unknown terminal under auto-registration, or one the departments
  // provisioned (no code yet). One vehicle has one registered terminal.
  auto held = PlateHeldByAnother(request.plate, request.terminal);
  if (!held) {
    spdlog::error("terminal lookup by plate failed: {}", held.error().Message());
    return std::nullopt;
  }
  if (*held) {
    metrics_.RegistrationRefused();
    return code(RegisterResult::kVehicleAlreadyRegistered);
  }
  request.auth_code = NewAuthCode();
  RegisterOutcome outcome{static_cast<uint8_t>(RegisterResult::kOk), request.auth_code};
  if (!request.plate.empty())
    batch_plates_[request.plate] = request.terminal;
  batch_[request.terminal] = std::move(request);
  return outcome;
}

void RegistryWorker::Run() {
  // Each answer, and what to do instead when the batch's registrations could not be written.
  struct Reply {
    std::function<void()> answer;
    std::function<void()> withhold;  // null: the answer does not depend on the batch
  };
  std::vector<Job> jobs;
  std::vector<Reply> replies;
  while (true) {
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [&] { return stopping_ || !jobs_.empty(); });
      if (jobs_.empty())
        return;
      jobs.swap(jobs_);
    }
    for (Job& job : jobs) {
      if (!job.is_register) {
        AuthOutcome outcome = DecideAuth(job);
        auto done = std::make_shared<AuthDone>(std::move(job.auth_done));
        Reply reply{[done, outcome] { (*done)(outcome); }, nullptr};
        // Judged against a record of this batch: only good once that record is on disk.
        if (batch_.contains(job.record.terminal))
          reply.withhold = [done] { (*done)(AuthOutcome::kUnavailable); };
        replies.push_back(std::move(reply));
        continue;
      }
      auto outcome = DecideRegister(job);
      auto done = std::make_shared<RegisterDone>(std::move(job.register_done));
      auto unavailable = [done] { (*done)(RegisterOutcome{0, {}, true}); };
      if (!outcome) {
        replies.push_back({unavailable, nullptr});  // unanswered: the terminal resends
        continue;
      }
      // Every registration waits for the write: even a refusal may rest on this batch's plates.
      replies.push_back(
          {[done, outcome = std::move(*outcome)]() mutable { (*done)(std::move(outcome)); },
           unavailable});
    }
    bool written = true;
    if (!batch_.empty()) {
      std::vector<store::TerminalRecord> to_write;
      to_write.reserve(batch_.size());
      for (auto& [terminal, record] : batch_)
        to_write.push_back(std::move(record));
      // Registrations are answered only once they are on disk: a terminal keeps its code.
      if (auto stored = terminals_.UpsertMany(to_write); !stored) {
        spdlog::error("terminal registration write failed: {}", stored.error().Message());
        written = false;
      }
    }
    // On a failed write the registrations (and 0x0102 judged against them) are not answered:
    // those terminals resend. Everything else is answered as usual.
    for (auto& reply : replies) {
      if (!written && reply.withhold)
        reply.withhold();
      else
        reply.answer();
    }
    jobs.clear();
    replies.clear();
    batch_.clear();
    batch_plates_.clear();
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
      registry(terminals, options, gateway_metrics) {}

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
