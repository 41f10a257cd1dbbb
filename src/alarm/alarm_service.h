// The alarm lifecycle service: folds the monitor's raise/clear signals into alarms (one open
// alarm per terminal, kind and subject), takes people's steps (acknowledge, dispatch, handle,
// close), keeps the history, and pushes every committed change to subscribers (the dashboard).
//
// Threading: OnSignals is called concurrently from the monitor's partition threads and only
// touches memory: the open alarms live in a map, so a repeat costs a lookup. One writer thread
// persists the changes in batches (group commit, one transaction per batch) on the service's
// own connection to data_dir/registry.db, then publishes them, so what a subscriber sees is
// durable. People's steps go through the same queue (so they cannot be overwritten by an older
// snapshot) and return once committed. Reads (Get, Steps, List) use a second connection.
// Open alarms are loaded back into memory at Open.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "alarm/alarm.h"
#include "alarm/policy.h"
#include "common/error.h"
#include "monitor/engine.h"
#include "store/sqlite/database.h"

namespace baotong::alarm {

struct AlarmQuery {
  std::optional<Status> status;
  bool open_only = false;  // every status but closed
  std::optional<monitor::AlarmKind> kind;
  std::optional<int> severity;
  std::optional<std::string> department, district;
  std::optional<std::string> plate;       // a prefix of the plate ("辽C" or "辽C12345")
  bool overdue_only = false;              // needs now_ms
  std::optional<int64_t> from_ms, to_ms;  // first_at_ms in [from, to)
  int64_t offset = 0;
  int64_t limit = 50;  // capped at kMaxAlarmListLimit
};
inline constexpr int64_t kMaxAlarmListLimit = 500;

struct AlarmPage {
  std::vector<Alarm> items;  // by first raise, newest first
  int64_t total = 0;
};

struct AlarmUpdate {
  Alarm alarm;
  int64_t received_ns = 0;  // steady clock of the position behind a signal; 0 for other changes
  bool created = false;     // the alarm was opened by this change
};

struct TextRequest {
  int64_t alarm_id = 0;
  std::string terminal;
  std::string text;
};

struct AlarmServiceOptions {
  size_t max_batch = 5'000;     // changes per transaction
  size_t max_queued = 100'000;  // beyond this OnSignals waits (back-pressure), never drops
};

class AlarmService : public monitor::AlarmSink {
 public:
  static Result<std::unique_ptr<AlarmService>> Open(const std::filesystem::path& database_file,
                                                    AlarmPolicy policy,
                                                    AlarmServiceOptions options = {});
  ~AlarmService() override;  // commits and publishes what is queued, then stops
  AlarmService(const AlarmService&) = delete;
  AlarmService& operator=(const AlarmService&) = delete;

  // Any thread, concurrently. Raise: opens an alarm or folds into the open one (count + 1,
  // last position and detail, active again). Clear: marks the open alarm inactive; a clear
  // without an open alarm is ignored.
  void OnSignals(std::span<const monitor::AlarmSignal> signals) override;

  // People's steps; each returns the alarm as committed. `by` is the user name. kNotFound: no
  // such alarm; kConflict: the step is not allowed in the alarm's status; kBadValue: a
  // required text is empty; kStorage: the commit failed. Do not call from a Listener.
  Result<Alarm> Acknowledge(int64_t id, std::string by, std::string note, int64_t now_ms);
  Result<Alarm> Dispatch(int64_t id, std::string by, std::string to, std::string note,
                         int64_t now_ms);
  Result<Alarm> Handle(int64_t id, std::string by, std::string outcome, std::string note,
                       int64_t now_ms);
  // From handled; from raised, acknowledged or dispatched only with a note (e.g. 误报).
  Result<Alarm> Close(int64_t id, std::string by, std::string note, int64_t now_ms);

  // An open alarm as in memory (possibly a moment ahead of the database), else as stored.
  Result<std::optional<Alarm>> Get(int64_t id);
  Result<std::vector<Step>> Steps(int64_t id);  // oldest first; kNotFound for no such alarm
  Result<AlarmPage> List(const AlarmQuery& query, int64_t now_ms);
  // Open alarms: "total", "active", "severity.1".."severity.4", "kind.<kind id>",
  // "status.<status id>" (zero counts included), from memory.
  Result<std::map<std::string, int64_t>> OpenCounts();

  // Subscribers get every committed change, on the writer thread, in commit order: copy and
  // return quickly; do not call the service's steps or Unsubscribe from inside.
  using Listener = std::function<void(const AlarmUpdate&)>;
  uint64_t Subscribe(Listener listener);
  void Unsubscribe(uint64_t id);  // after it returns the listener is not called again

  // Texts to drivers: when an alarm of a kind with a text opens, the service calls the sender
  // (on the writer thread, after the commit); the application sends 0x8300 through the
  // gateway and returns its command id, or nullopt when the terminal is not connected; the
  // terminal's answer comes back through RecordTextResult. Each is recorded as a step.
  using TextSender = std::function<std::optional<uint64_t>(const TextRequest&)>;
  void SetTextSender(TextSender sender);
  void RecordTextResult(int64_t alarm_id, std::string status);

  // Waits until everything received so far (and the text requests it led to) is committed
  // and published. For tests and shutdown.
  void Flush();

  const AlarmPolicy& policy() const { return policy_; }

 private:
  struct Waiter;
  struct Change {
    Alarm alarm;  // the full row after the change
    std::optional<Step> step;
    int64_t received_ns = 0;
    bool created = false;
    std::shared_ptr<Waiter> waiter;  // a person's step waiting for its commit
    bool text_only = false;          // only text_status of a closed alarm changes
  };
  enum class Action : uint8_t { kAcknowledge, kDispatch, kHandle, kClose };

  AlarmService(std::unique_ptr<store::Database> writer, std::unique_ptr<store::Database> reader,
               AlarmPolicy policy, AlarmServiceOptions options);
  Result<void> LoadOpen();
  Result<Alarm> Apply(Action action, int64_t id, Step step);
  Result<std::optional<Alarm>> ReadAlarm(int64_t id);  // reader connection
  void ApplySignalLocked(const monitor::AlarmSignal& signal);
  void EnqueueLocked(Change change);
  void Run();
  bool Commit(std::vector<Change>& batch);
  void RequeueSignals(std::vector<Change>& batch);
  void Publish(const std::vector<Change>& batch);
  void SendTexts(const std::vector<Change>& batch);

  const AlarmPolicy policy_;
  const AlarmServiceOptions options_;

  std::mutex mutex_;               // guards everything down to thread_
  std::condition_variable wake_;   // the writer: work queued or stopping
  std::condition_variable space_;  // OnSignals: the queue has room
  std::condition_variable done_;   // Flush and people's steps: a batch finished
  std::unordered_map<std::string, int64_t> open_by_key_;  // terminal \x1f kind \x1f subject
  std::unordered_map<int64_t, Alarm> open_;               // not closed, by id
  int64_t next_id_ = 1;
  std::deque<Change> queue_;
  bool busy_ = false;  // the writer holds a batch it has not finished
  bool stopping_ = false;
  TextSender text_sender_;

  std::mutex listeners_mutex_;  // guards listeners_, next_listener_; held while publishing
  std::map<uint64_t, Listener> listeners_;
  uint64_t next_listener_ = 1;

  std::mutex reader_mutex_;  // guards reader_
  std::unique_ptr<store::Database> reader_;
  std::unique_ptr<store::Database> writer_;  // writer thread only (and Open)
  std::thread thread_;
};

}  // namespace baotong::alarm
