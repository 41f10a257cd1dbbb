// Imports started from the API run in the background, one thread each, so that a page can poll
// their progress. Each is recorded in the import log (registry/importer.h) and, when it ends,
// in the audit log.
#pragma once

#include <atomic>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <thread>

#include "api/audit_log.h"
#include "api/roles.h"
#include "registry/importer.h"

namespace baotong::api {

// What `principal` may import (docs/roles.md): the kinds its role is given, and for a carrier
// account only its company's records, for a district account only its district's. An account
// of a scoped role without its scope set matches nothing (fail closed).
registry::ImportScope ImportScopeFor(const Principal& principal);

class ImportJobs {
 public:
  using TerminalHook = std::function<Result<void>(std::span<const registry::Terminal>)>;
  // At most this many imports run at once; more are refused (the page says to wait).
  static constexpr size_t kMaxRunning = 2;

  // Each import writes through its own connection to `database_file` (registry.db): a
  // transaction on a shared connection would take in whatever else that connection wrote
  // meanwhile (sessions, audit entries). `database` (the shared one) serves the import log's
  // reads. `on_terminals` runs after a terminals import commits (the gateway's
  // pre-provisioning).
  ImportJobs(std::filesystem::path database_file, store::Database& database, AuditLog& audit,
             TerminalHook on_terminals = {});
  // Cancels running imports (they roll back and are marked failed) and waits for them.
  ~ImportJobs();
  ImportJobs(const ImportJobs&) = delete;
  ImportJobs& operator=(const ImportJobs&) = delete;

  struct Request {
    registry::Kind kind = registry::Kind::kVehicles;
    std::optional<registry::ImportFormat> format;
    std::string file_name;
    std::string bytes;
    Principal principal;
    std::string client_address;
  };
  // Records the import as running and starts it; returns its id. kResourceLimit when
  // kMaxRunning imports are running already.
  Result<int64_t> Start(Request request);

  struct Progress {
    int64_t done = 0;
    int64_t total = 0;
  };
  // Live progress of a running import; nullopt once it has finished (read the log then).
  std::optional<Progress> Running(int64_t id) const;

  registry::ImportLog& log() { return log_; }

  // Waits until no import is running (tests, shutdown).
  void WaitIdle();

 private:
  struct Job {
    std::atomic<int64_t> done{0};
    std::atomic<int64_t> total{0};
    std::atomic<bool> finished{false};
    std::thread thread;
  };
  void Run(int64_t id, Request request, Job& job);
  void ReapFinished();  // joins finished jobs; caller holds mu_

  const std::filesystem::path database_file_;
  AuditLog& audit_;
  TerminalHook on_terminals_;
  registry::ImportLog log_;
  std::atomic<bool> cancel_{false};
  mutable std::mutex mu_;
  std::map<int64_t, std::unique_ptr<Job>> jobs_;
};

}  // namespace baotong::api
