#include "api/import_jobs.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <nlohmann/json.hpp>

#include "common/clock.h"

namespace baotong::api {
registry::ImportScope ImportScopeFor(const Principal& principal) {
  registry::ImportScope scope;
  scope.kinds.emplace();
  for (registry::Kind kind : registry::kAllKinds) {
    auto permission = ImportPermission(registry::KindName(kind));
    if (permission && Allows(principal.role, *permission))
      scope.kinds->push_back(kind);
  }
  // Scoped by the role, and by a scope field wherever one is set (an account should not have
  // one of another role's, but if it does, it narrows rather than widens).
  if (principal.role == Role::kCarrier || principal.carrier_credit_code)
    scope.carrier_credit_code = principal.carrier_credit_code.value_or("");
  if (principal.role == Role::kDistrict || principal.district)
    scope.district = principal.district.value_or("");
  return scope;
}

ImportJobs::ImportJobs(std::filesystem::path database_file, store::Database& database,
                       AuditLog& audit, TerminalHook on_terminals)
    : database_file_(std::move(database_file)),
      audit_(audit),
      on_terminals_(std::move(on_terminals)),
      log_(database) {}

ImportJobs::~ImportJobs() {
  cancel_ = true;
  std::map<int64_t, std::unique_ptr<Job>> jobs;
  {
    std::lock_guard lock(mu_);
    jobs.swap(jobs_);
  }
  for (auto& [id, job] : jobs) {
    if (job->thread.joinable())
      job->thread.join();
  }
}

void ImportJobs::ReapFinished() {
  for (auto it = jobs_.begin(); it != jobs_.end();) {
    if (it->second->finished) {
      if (it->second->thread.joinable())
        it->second->thread.join();
      it = jobs_.erase(it);
    } else {
      ++it;
    }
  }
}

Result<int64_t> ImportJobs::Start(Request request) {
  std::lock_guard lock(mu_);
  ReapFinished();
  if (jobs_.size() >= kMaxRunning)
    return Fail(ErrorCode::kResourceLimit, "too many imports are running");
  auto id = log_.Start(request.kind, request.file_name, request.principal.username,
                       request.principal.department, NowMs());
  if (!id)
    return tl::unexpected(id.error());
  auto job = std::make_unique<Job>();
  Job& started = *job;
  jobs_.emplace(*id, std::move(job));
  started.thread = std::thread([this, id = *id, request = std::move(request), &started]() mutable {
    Run(id, std::move(request), started);
  });
  return *id;
}

void ImportJobs::Run(int64_t id, Request request, Job& job) {
  nlohmann::ordered_json detail{
      {"import_id", id}, {"file_name", request.file_name}, {"bytes", request.bytes.size()}};
  auto database = store::Database::Open(database_file_);
  if (!database) {
    spdlog::error("import {}: cannot open {}: {}", id, database_file_.string(),
                  database.error().Message());
    if (auto ok = log_.Fail(id, "无法打开数据库 (cannot open the database)", NowMs()); !ok)
      spdlog::error("import {}: cannot record the failure: {}", id, ok.error().Message());
    job.finished = true;
    return;
  }
  registry::RegistryStore registry(**database);
  registry::ImportLog log(**database);
  registry::ImportOptions options;
  options.format = request.format;
  options.cancel = &cancel_;
  options.on_progress = [&job](int64_t done, int64_t total) {
    job.total = total;
    job.done = done;
  };
  options.on_terminals = on_terminals_;
  options.scope = ImportScopeFor(request.principal);
  auto result = registry::Import(registry, request.kind, request.bytes, options);
  const int64_t now_ms = NowMs();
  if (result) {
    if (auto ok = log.Finish(id, *result, now_ms); !ok)
      spdlog::error("import {}: cannot record the result: {}", id, ok.error().Message());
    detail["rows"] = result->rows_total;
    detail["inserted"] = result->inserted;
    detail["updated"] = result->updated;
    detail["unchanged"] = result->unchanged;
    detail["rejected"] = result->rejected;
  } else {
    if (auto ok = log.Fail(id, result.error().message, now_ms); !ok)
      spdlog::error("import {}: cannot record the failure: {}", id, ok.error().Message());
    detail["error"] = result.error().message;
  }
  auto entry = AuditEntryFor(request.principal, request.client_address, "registry.import",
                             std::string(registry::KindName(request.kind)), now_ms, detail.dump());
  if (auto ok = audit_.Append(entry); !ok)
    spdlog::error("import {}: audit log append failed: {}", id, ok.error().Message());
  job.finished = true;
}

std::optional<ImportJobs::Progress> ImportJobs::Running(int64_t id) const {
  std::lock_guard lock(mu_);
  auto it = jobs_.find(id);
  if (it == jobs_.end() || it->second->finished)
    return std::nullopt;
  return Progress{it->second->done.load(), it->second->total.load()};
}

void ImportJobs::WaitIdle() {
  std::map<int64_t, std::unique_ptr<Job>> jobs;
  {
    std::lock_guard lock(mu_);
    jobs.swap(jobs_);
  }
  for (auto& [id, job] : jobs) {
    if (job->thread.joinable())
      job->thread.join();
  }
}

}  // namespace baotong::api
