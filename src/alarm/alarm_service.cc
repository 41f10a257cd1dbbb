#include "alarm/alarm_service.h"

#include <spdlog/spdlog.h>

#include <array>
#include <chrono>
#include <cmath>
#include <utility>
#include <variant>

namespace baotong::alarm {
namespace {

// How long the writer waits before it retries a batch that could not be stored.
constexpr auto kRetryPause = std::chrono::milliseconds(200);

constexpr const char* kSchemaV1 = R"sql(
CREATE TABLE alarms (
  id INTEGER PRIMARY KEY,
  terminal TEXT NOT NULL,
  plate TEXT NOT NULL,
  plate_color INTEGER NOT NULL,
  kind TEXT NOT NULL,
  subject TEXT NOT NULL,
  severity INTEGER NOT NULL,
  department TEXT NOT NULL,
  district TEXT NOT NULL,
  status TEXT NOT NULL,
  active INTEGER NOT NULL,
  count INTEGER NOT NULL,
  first_at_ms INTEGER NOT NULL,
  last_at_ms INTEGER NOT NULL,
  cleared_at_ms INTEGER,
  lat_e6 INTEGER NOT NULL,
  lon_e6 INTEGER NOT NULL,
  speed_dkmh INTEGER NOT NULL,
  detail TEXT NOT NULL,
  pass_id INTEGER,
  ack_deadline_ms INTEGER NOT NULL,
  close_deadline_ms INTEGER NOT NULL,
  acknowledged_by TEXT,
  acknowledged_at_ms INTEGER,
  dispatched_to TEXT,
  dispatch_note TEXT,
  handled_by TEXT,
  handled_at_ms INTEGER,
  outcome TEXT,
  handle_note TEXT,
  closed_by TEXT,
  closed_at_ms INTEGER,
  text_command_id INTEGER,
  text_status TEXT
);
CREATE INDEX alarms_status ON alarms(status, first_at_ms);
CREATE INDEX alarms_first_at ON alarms(first_at_ms);
CREATE INDEX alarms_plate ON alarms(plate);
CREATE TABLE alarm_steps (
  id INTEGER PRIMARY KEY,
  alarm_id INTEGER NOT NULL REFERENCES alarms(id),
  step TEXT NOT NULL,
  actor TEXT NOT NULL,
  at_ms INTEGER NOT NULL,
  target TEXT NOT NULL,
  outcome TEXT NOT NULL,
  note TEXT NOT NULL
);
CREATE INDEX alarm_steps_alarm ON alarm_steps(alarm_id, id);
)sql";
constexpr std::array<const char*, 1> kMigrations = {kSchemaV1};

// The columns of `alarms` in the order RowToAlarm reads them and BindAlarm binds them.
constexpr const char* kColumns =
    "id, terminal, plate, plate_color, kind, subject, severity, department, district, status, "
    "active, count, first_at_ms, last_at_ms, cleared_at_ms, lat_e6, lon_e6, speed_dkmh, detail, "
    "pass_id, ack_deadline_ms, close_deadline_ms, acknowledged_by, acknowledged_at_ms, "
    "dispatched_to, dispatch_note, handled_by, handled_at_ms, outcome, handle_note, closed_by, "
    "closed_at_ms, text_command_id, text_status";
constexpr int kColumnCount = 34;

constexpr const char* kSystem = "system";

std::string UpsertSql() {
  std::string sql = std::string("INSERT INTO alarms (") + kColumns + ") VALUES (";
  for (int i = 1; i <= kColumnCount; ++i)
    sql += (i > 1 ? ", ?" : "?") + std::to_string(i);
  sql += ") ON CONFLICT(id) DO UPDATE SET ";
  std::string_view columns = kColumns;
  bool first = true;
  while (!columns.empty()) {
    size_t comma = columns.find(", ");
    std::string_view column = columns.substr(0, comma);
    columns = comma == std::string_view::npos ? std::string_view() : columns.substr(comma + 2);
    if (column == "id")
      continue;
    sql += (first ? "" : ", ") + std::string(column) + " = excluded." + std::string(column);
    first = false;
  }
  return sql;
}

int64_t E6(double degrees) {
  return std::llround(degrees * 1e6);
}

std::optional<int64_t> OptionalInt(const std::optional<uint64_t>& value) {
  if (!value)
    return std::nullopt;
  return static_cast<int64_t>(*value);
}

void BindAlarm(store::Statement& statement, const Alarm& alarm) {
  statement.Bind(1, alarm.id)
      .Bind(2, alarm.terminal)
      .Bind(3, alarm.plate)
      .Bind(4, int64_t{alarm.plate_color})
      .Bind(5, monitor::AlarmKindId(alarm.kind))
      .Bind(6, alarm.subject)
      .Bind(7, int64_t{alarm.severity})
      .Bind(8, alarm.department)
      .Bind(9, alarm.district)
      .Bind(10, StatusId(alarm.status))
      .Bind(11, int64_t{alarm.active ? 1 : 0})
      .Bind(12, alarm.count)
      .Bind(13, alarm.first_at_ms)
      .Bind(14, alarm.last_at_ms)
      .Bind(15, alarm.cleared_at_ms)
      .Bind(16, E6(alarm.lat))
      .Bind(17, E6(alarm.lon))
      .Bind(18, std::llround(alarm.speed_kmh * 10))
      .Bind(19, alarm.detail)
      .Bind(20, alarm.pass_id)
      .Bind(21, alarm.ack_deadline_ms)
      .Bind(22, alarm.close_deadline_ms)
      .Bind(23, alarm.acknowledged_by)
      .Bind(24, alarm.acknowledged_at_ms)
      .Bind(25, alarm.dispatched_to)
      .Bind(26, alarm.dispatch_note)
      .Bind(27, alarm.handled_by)
      .Bind(28, alarm.handled_at_ms)
      .Bind(29, alarm.outcome)
      .Bind(30, alarm.handle_note)
      .Bind(31, alarm.closed_by)
      .Bind(32, alarm.closed_at_ms)
      .Bind(33, OptionalInt(alarm.text_command_id))
      .Bind(34, alarm.text_status);
}

Result<Alarm> RowToAlarm(const store::Statement& row) {
  Alarm alarm;
  alarm.id = row.Int(0);
  alarm.terminal = row.Text(1);
  alarm.plate = row.Text(2);
  alarm.plate_color = static_cast<int>(row.Int(3));
  auto kind = monitor::ParseAlarmKind(row.Text(4));
  auto status = ParseStatus(row.Text(9));
  if (!kind || !status)
    return Fail(ErrorCode::kStorage, "alarm: a stored alarm has an unknown kind or status");
  alarm.kind = *kind;
  alarm.subject = row.Text(5);
  alarm.severity = static_cast<int>(row.Int(6));
  alarm.department = row.Text(7);
  alarm.district = row.Text(8);
  alarm.status = *status;
  alarm.active = row.Int(10) != 0;
  alarm.count = row.Int(11);
  alarm.first_at_ms = row.Int(12);
  alarm.last_at_ms = row.Int(13);
  alarm.cleared_at_ms = row.OptionalInt(14);
  alarm.lat = static_cast<double>(row.Int(15)) / 1e6;
  alarm.lon = static_cast<double>(row.Int(16)) / 1e6;
  alarm.speed_kmh = static_cast<double>(row.Int(17)) / 10;
  alarm.detail = row.Text(18);
  alarm.pass_id = row.OptionalInt(19);
  alarm.ack_deadline_ms = row.Int(20);
  alarm.close_deadline_ms = row.Int(21);
  alarm.acknowledged_by = row.OptionalText(22);
  alarm.acknowledged_at_ms = row.OptionalInt(23);
  alarm.dispatched_to = row.OptionalText(24);
  alarm.dispatch_note = row.OptionalText(25);
  alarm.handled_by = row.OptionalText(26);
  alarm.handled_at_ms = row.OptionalInt(27);
  alarm.outcome = row.OptionalText(28);
  alarm.handle_note = row.OptionalText(29);
  alarm.closed_by = row.OptionalText(30);
  alarm.closed_at_ms = row.OptionalInt(31);
  if (auto command = row.OptionalInt(32))
    alarm.text_command_id = static_cast<uint64_t>(*command);
  alarm.text_status = row.OptionalText(33);
  return alarm;
}

std::string KeyOf(std::string_view terminal, monitor::AlarmKind kind, std::string_view subject) {
  std::string key;
  key.reserve(terminal.size() + subject.size() + 24);
  key.append(terminal).push_back('\x1f');
  key.append(monitor::AlarmKindId(kind)).push_back('\x1f');
  key.append(subject);
  return key;
}

int64_t WallNowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

using SqlValue = std::variant<int64_t, std::string>;

void BindAll(store::Statement& statement, const std::vector<SqlValue>& values) {
  int index = 1;
  for (const SqlValue& value : values) {
    std::visit([&](const auto& v) { statement.Bind(index, v); }, value);
    ++index;
  }
}

}  // namespace

struct AlarmService::Waiter {
  bool done = false;
  bool ok = false;
};

Result<std::unique_ptr<AlarmService>> AlarmService::Open(const std::filesystem::path& database_file,
                                                         AlarmPolicy policy,
                                                         AlarmServiceOptions options) {
  auto writer = store::Database::Open(database_file);
  if (!writer)
    return tl::unexpected(writer.error());
  if (auto migrated = (*writer)->Migrate("alarm", kMigrations); !migrated)
    return tl::unexpected(migrated.error());
  auto reader = store::Database::Open(database_file);
  if (!reader)
    return tl::unexpected(reader.error());
  std::unique_ptr<AlarmService> service(
      new AlarmService(std::move(*writer), std::move(*reader), std::move(policy), options));
  if (auto loaded = service->LoadOpen(); !loaded)
    return tl::unexpected(loaded.error());
  service->thread_ = std::thread([raw = service.get()] { raw->Run(); });
  return service;
}

AlarmService::AlarmService(std::unique_ptr<store::Database> writer,
                           std::unique_ptr<store::Database> reader, AlarmPolicy policy,
                           AlarmServiceOptions options)
    : policy_(std::move(policy)),
      options_(options),
      reader_(std::move(reader)),
      writer_(std::move(writer)) {}

AlarmService::~AlarmService() {
  {
    std::scoped_lock lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  space_.notify_all();
  if (thread_.joinable())
    thread_.join();
}

Result<void> AlarmService::LoadOpen() {
  std::scoped_lock lock(mutex_);
  auto next = writer_->Prepare("SELECT COALESCE(MAX(id), 0) + 1 FROM alarms");
  if (!next)
    return tl::unexpected(next.error());
  if (auto row = next->Step(); !row)
    return tl::unexpected(row.error());
  next_id_ = next->Int(0);
  auto query =
      writer_->Prepare(std::string("SELECT ") + kColumns + " FROM alarms WHERE status != 'closed'");
  if (!query)
    return tl::unexpected(query.error());
  return query->ForEachRow([&](const store::Statement& row) -> Result<void> {
    auto alarm = RowToAlarm(row);
    if (!alarm)
      return tl::unexpected(alarm.error());
    open_by_key_[KeyOf(alarm->terminal, alarm->kind, alarm->subject)] = alarm->id;
    open_.emplace(alarm->id, std::move(*alarm));
    return {};
  });
}

// ---- Signals

void AlarmService::OnSignals(std::span<const monitor::AlarmSignal> signals) {
  std::unique_lock lock(mutex_);
  for (const monitor::AlarmSignal& signal : signals) {
    space_.wait(lock, [&] { return queue_.size() < options_.max_queued || stopping_; });
    ApplySignalLocked(signal);
  }
}

void AlarmService::ApplySignalLocked(const monitor::AlarmSignal& signal) {
  const std::string key = KeyOf(signal.terminal, signal.kind, signal.subject);
  auto found = open_by_key_.find(key);
  Alarm* alarm = found == open_by_key_.end() ? nullptr : &open_.at(found->second);
  if (signal.edge == monitor::AlarmSignal::Edge::kClear) {
    if (!alarm || !alarm->active)
      return;  // nothing open, or already cleared: the clear adds nothing
    alarm->active = false;
    alarm->cleared_at_ms = signal.at_ms;
    EnqueueLocked({*alarm, Step{"cleared", kSystem, signal.at_ms, "", "", signal.detail},
                   signal.received_ns, false, nullptr});
    return;
  }
  bool created = false;
  if (alarm) {
    alarm->count += 1;
    alarm->active = true;
    alarm->cleared_at_ms.reset();
  } else {
    Alarm fresh;
    fresh.id = next_id_++;
    fresh.terminal = signal.terminal;
    fresh.kind = signal.kind;
    fresh.subject = signal.subject;
    fresh.severity = policy_.SeverityOf(signal.kind, signal.subject);
    fresh.department = signal.zone_department.empty() ? policy_.For(signal.kind).department
                                                      : signal.zone_department;
    fresh.district = signal.district;
    fresh.first_at_ms = signal.at_ms;
    const Deadlines& deadlines = policy_.DeadlinesOf(fresh.severity);
    fresh.ack_deadline_ms = signal.at_ms + deadlines.acknowledge_ms;
    fresh.close_deadline_ms = signal.at_ms + deadlines.close_ms;
    const int64_t id = fresh.id;
    open_by_key_.emplace(key, id);
    alarm = &open_.emplace(id, std::move(fresh)).first->second;
    created = true;
  }
  if (!signal.plate.empty()) {
    alarm->plate = signal.plate;
    alarm->plate_color = signal.plate_color;
  }
  if (signal.pass_id)
    alarm->pass_id = signal.pass_id;
  if (!signal.district.empty())
    alarm->district = signal.district;
  alarm->last_at_ms = signal.at_ms;
  alarm->lat = signal.lat;
  alarm->lon = signal.lon;
  alarm->speed_kmh = signal.speed_kmh;
  alarm->detail = signal.detail;
  EnqueueLocked({*alarm, Step{"raised", kSystem, signal.at_ms, "", "", signal.detail},
                 signal.received_ns, created, nullptr});
}

void AlarmService::EnqueueLocked(Change change) {
  queue_.push_back(std::move(change));
  wake_.notify_one();
}

// ---- People's steps

Result<Alarm> AlarmService::Acknowledge(int64_t id, std::string by, std::string note,
                                        int64_t now_ms) {
  return Apply(Action::kAcknowledge, id,
               Step{"acknowledged", std::move(by), now_ms, "", "", std::move(note)});
}

Result<Alarm> AlarmService::Dispatch(int64_t id, std::string by, std::string to, std::string note,
                                     int64_t now_ms) {
  return Apply(Action::kDispatch, id,
               Step{"dispatched", std::move(by), now_ms, std::move(to), "", std::move(note)});
}

Result<Alarm> AlarmService::Handle(int64_t id, std::string by, std::string outcome,
                                   std::string note, int64_t now_ms) {
  return Apply(Action::kHandle, id,
               Step{"handled", std::move(by), now_ms, "", std::move(outcome), std::move(note)});
}

Result<Alarm> AlarmService::Close(int64_t id, std::string by, std::string note, int64_t now_ms) {
  return Apply(Action::kClose, id, Step{"closed", std::move(by), now_ms, "", "", std::move(note)});
}

Result<Alarm> AlarmService::Apply(Action action, int64_t id, Step step) {
  if (step.by.empty())
    return Fail(ErrorCode::kBadValue, "请填写操作人 (by is empty)");
  std::unique_lock lock(mutex_);
  auto found = open_.find(id);
  if (found == open_.end()) {
    // Ids are handed out in memory and every alarm not in `open_` is closed.
    if (id >= 1 && id < next_id_)
      return Fail(ErrorCode::kConflict, "告警已关闭 (the alarm is closed)");
    return Fail(ErrorCode::kNotFound, "告警不存在 (no such alarm)");
  }
  Alarm& alarm = found->second;
  const Status status = alarm.status;
  switch (action) {
    case Action::kAcknowledge:
      if (status != Status::kRaised)
        return Fail(ErrorCode::kConflict, "只有待确认的告警可以确认 (acknowledge needs raised)");
      alarm.status = Status::kAcknowledged;
      alarm.acknowledged_by = step.by;
      alarm.acknowledged_at_ms = step.at_ms;
      break;
    case Action::kDispatch:
      if (status != Status::kAcknowledged && status != Status::kDispatched)
        return Fail(ErrorCode::kConflict,
                    "只有已确认或已派发的告警可以派发 (dispatch needs acknowledged or dispatched)");
      if (step.to.empty())
        return Fail(ErrorCode::kBadValue, "请填写派发对象 (to is empty)");
      alarm.status = Status::kDispatched;
      alarm.dispatched_to = step.to;
      alarm.dispatch_note = step.note;
      break;
    case Action::kHandle:
      if (status != Status::kAcknowledged && status != Status::kDispatched)
        return Fail(ErrorCode::kConflict,
                    "只有已确认或已派发的告警可以处置 (handle needs acknowledged or dispatched)");
      if (step.outcome.empty())
        return Fail(ErrorCode::kBadValue, "请填写处置结果 (outcome is empty)");
      alarm.status = Status::kHandled;
      alarm.handled_by = step.by;
      alarm.handled_at_ms = step.at_ms;
      alarm.outcome = step.outcome;
      alarm.handle_note = step.note;
      break;
    case Action::kClose:
      if (status != Status::kHandled && step.note.empty())
        return Fail(
            ErrorCode::kBadValue,
            "未处置的告警关闭时须说明原因，如误报 (closing an unhandled alarm needs a note)");
      alarm.status = Status::kClosed;
      alarm.closed_by = step.by;
      alarm.closed_at_ms = step.at_ms;
      break;
  }
  Alarm result = alarm;
  if (result.status == Status::kClosed) {
    open_by_key_.erase(KeyOf(result.terminal, result.kind, result.subject));
    open_.erase(found);
  }
  auto waiter = std::make_shared<Waiter>();
  EnqueueLocked({result, std::move(step), 0, false, waiter});
  done_.wait(lock, [&] { return waiter->done; });
  if (!waiter->ok)
    return Fail(ErrorCode::kStorage, "告警保存失败 (the alarm could not be stored)");
  return result;
}

// ---- Texts to drivers

void AlarmService::SetTextSender(TextSender sender) {
  std::scoped_lock lock(mutex_);
  text_sender_ = std::move(sender);
}

void AlarmService::RecordTextResult(int64_t alarm_id, std::string status) {
  const int64_t now_ms = WallNowMs();
  std::scoped_lock lock(mutex_);
  Step step{"text_result", kSystem, now_ms, "", status, ""};
  if (auto found = open_.find(alarm_id); found != open_.end()) {
    found->second.text_status = std::move(status);
    EnqueueLocked({found->second, std::move(step), 0, false, nullptr});
    return;
  }
  if (alarm_id < 1 || alarm_id >= next_id_)
    return;  // not ours: nothing to record
  // Closed: only the text status changes (the full row in memory is gone).
  Alarm text_only;
  text_only.id = alarm_id;
  text_only.text_status = std::move(status);
  Change change{std::move(text_only), std::move(step), 0, false, nullptr};
  change.text_only = true;
  EnqueueLocked(std::move(change));
}

void AlarmService::SendTexts(const std::vector<Change>& batch) {
  for (const Change& change : batch) {
    if (!change.created)
      continue;
    const std::string& text = policy_.For(change.alarm.kind).text;
    if (text.empty())
      continue;
    TextSender sender;
    {
      std::scoped_lock lock(mutex_);
      sender = text_sender_;
    }
    if (!sender)
      return;
    std::optional<uint64_t> command =
        sender(TextRequest{change.alarm.id, change.alarm.terminal, text});
    const int64_t now_ms = WallNowMs();
    std::scoped_lock lock(mutex_);
    auto found = open_.find(change.alarm.id);
    if (found == open_.end())
      continue;  // closed in the meantime; the close is what matters
    Alarm& alarm = found->second;
    alarm.text_command_id = command;
    alarm.text_status = command ? "sent" : "not_connected";
    EnqueueLocked({alarm,
                   Step{command ? "text_sent" : "text_not_connected", kSystem, now_ms, "",
                        *alarm.text_status, text},
                   0, false, nullptr});
  }
}

// ---- The writer thread

void AlarmService::Run() {
  std::vector<Change> batch;
  while (true) {
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [&] { return !queue_.empty() || stopping_; });
      if (queue_.empty())
        return;  // stopping, and everything is written
      const size_t take = std::min(queue_.size(), options_.max_batch);
      batch.assign(std::make_move_iterator(queue_.begin()),
                   std::make_move_iterator(queue_.begin() + static_cast<ptrdiff_t>(take)));
      queue_.erase(queue_.begin(), queue_.begin() + static_cast<ptrdiff_t>(take));
      busy_ = true;
    }
    space_.notify_all();
    const bool stored = Commit(batch);
    if (stored) {
      Publish(batch);
      SendTexts(batch);
    } else {
      RequeueSignals(batch);
    }
    {
      std::scoped_lock lock(mutex_);
      for (Change& change : batch) {
        if (change.waiter) {
          change.waiter->done = true;
          change.waiter->ok = stored;
        }
      }
      busy_ = false;
    }
    done_.notify_all();
    batch.clear();
  }
}

void AlarmService::RequeueSignals(std::vector<Change>& batch) {
  // What the monitor raised is already in memory: it goes back to the front of the queue and
  // is retried after a pause, so a storage hiccup delays alarms instead of losing them. A
  // person's step fails at once (the caller is told); it stays in `batch` for that.
  std::vector<Change> retry;
  for (Change& change : batch) {
    if (!change.waiter)
      retry.push_back(std::move(change));
  }
  std::erase_if(batch, [](const Change& change) { return !change.waiter; });
  if (retry.empty())
    return;
  std::unique_lock lock(mutex_);
  if (stopping_) {
    spdlog::error("alarm: {} changes could not be stored before shutdown", retry.size());
    return;
  }
  queue_.insert(queue_.begin(), std::make_move_iterator(retry.begin()),
                std::make_move_iterator(retry.end()));
  wake_.wait_for(lock, kRetryPause, [&] { return stopping_; });
}

bool AlarmService::Commit(std::vector<Change>& batch) {
  auto fail = [&](const Error& error) {
    spdlog::error("alarm: storing {} changes failed: {} ({})", batch.size(), error.Message(),
                  writer_->LastMessage());
    return false;
  };
  auto transaction = store::Transaction::Begin(*writer_);
  if (!transaction)
    return fail(transaction.error());
  auto upsert = writer_->Prepare(UpsertSql());
  auto text = writer_->Prepare("UPDATE alarms SET text_status = ? WHERE id = ?");
  auto step = writer_->Prepare(
      "INSERT INTO alarm_steps (alarm_id, step, actor, at_ms, target, outcome, note) "
      "VALUES (?, ?, ?, ?, ?, ?, ?)");
  if (!upsert)
    return fail(upsert.error());
  if (!text)
    return fail(text.error());
  if (!step)
    return fail(step.error());
  // Several changes of one alarm in a batch: the row is written once, as it ended up.
  std::unordered_map<int64_t, size_t> last_row;
  for (size_t i = 0; i < batch.size(); ++i) {
    if (!batch[i].text_only)
      last_row[batch[i].alarm.id] = i;
  }
  for (size_t i = 0; i < batch.size(); ++i) {
    const Change& change = batch[i];
    Result<void> written;
    if (change.text_only) {
      text->Bind(1, change.alarm.text_status).Bind(2, change.alarm.id);
      written = text->Run();
      text->Reset();
    } else if (last_row.at(change.alarm.id) == i) {
      BindAlarm(*upsert, change.alarm);
      written = upsert->Run();
      upsert->Reset();
    }
    if (!written)
      return fail(written.error());
  }
  for (const Change& change : batch) {
    if (!change.step)
      continue;
    const Step& row = *change.step;
    step->Bind(1, change.alarm.id)
        .Bind(2, row.step)
        .Bind(3, row.by)
        .Bind(4, row.at_ms)
        .Bind(5, row.to)
        .Bind(6, row.outcome)
        .Bind(7, row.note);
    auto written = step->Run();
    step->Reset();
    if (!written)
      return fail(written.error());
  }
  if (auto committed = transaction->Commit(); !committed)
    return fail(committed.error());
  return true;
}

void AlarmService::Publish(const std::vector<Change>& batch) {
  std::scoped_lock lock(listeners_mutex_);
  if (listeners_.empty())
    return;
  for (const Change& change : batch) {
    if (change.text_only)
      continue;
    const AlarmUpdate update{change.alarm, change.received_ns, change.created};
    for (const auto& [id, listener] : listeners_)
      listener(update);
  }
}

uint64_t AlarmService::Subscribe(Listener listener) {
  std::scoped_lock lock(listeners_mutex_);
  const uint64_t id = next_listener_++;
  listeners_.emplace(id, std::move(listener));
  return id;
}

void AlarmService::Unsubscribe(uint64_t id) {
  std::scoped_lock lock(listeners_mutex_);
  listeners_.erase(id);
}

void AlarmService::Flush() {
  std::unique_lock lock(mutex_);
  done_.wait(lock, [&] { return queue_.empty() && !busy_; });
}

// ---- Reads

Result<std::optional<Alarm>> AlarmService::Get(int64_t id) {
  {
    std::scoped_lock lock(mutex_);
    if (auto found = open_.find(id); found != open_.end())
      return std::optional<Alarm>(found->second);
  }
  return ReadAlarm(id);
}

Result<std::optional<Alarm>> AlarmService::ReadAlarm(int64_t id) {
  std::scoped_lock lock(reader_mutex_);
  auto query = reader_->Prepare(std::string("SELECT ") + kColumns + " FROM alarms WHERE id = ?");
  if (!query)
    return tl::unexpected(query.error());
  query->Bind(1, id);
  auto row = query->Step();
  if (!row)
    return tl::unexpected(row.error());
  if (!*row)
    return std::optional<Alarm>();
  auto alarm = RowToAlarm(*query);
  if (!alarm)
    return tl::unexpected(alarm.error());
  return std::optional<Alarm>(std::move(*alarm));
}

Result<std::vector<Step>> AlarmService::Steps(int64_t id) {
  std::vector<Step> steps;
  {
    std::scoped_lock lock(reader_mutex_);
    auto query = reader_->Prepare(
        "SELECT step, actor, at_ms, target, outcome, note FROM alarm_steps WHERE alarm_id = ? "
        "ORDER BY id");
    if (!query)
      return tl::unexpected(query.error());
    query->Bind(1, id);
    auto walked = query->ForEachRow([&](const store::Statement& row) {
      steps.push_back(
          Step{row.Text(0), row.Text(1), row.Int(2), row.Text(3), row.Text(4), row.Text(5)});
    });
    if (!walked)
      return tl::unexpected(walked.error());
  }
  if (steps.empty()) {
    auto alarm = Get(id);
    if (!alarm)
      return tl::unexpected(alarm.error());
    if (!*alarm)
      return Fail(ErrorCode::kNotFound, "告警不存在 (no such alarm)");
  }
  return steps;
}

Result<AlarmPage> AlarmService::List(const AlarmQuery& query, int64_t now_ms) {
  std::string where = " WHERE 1 = 1";
  std::vector<SqlValue> values;
  if (query.status) {
    where += " AND status = ?";
    values.emplace_back(std::string(StatusId(*query.status)));
  }
  if (query.open_only || query.overdue_only)
    where += " AND status != 'closed'";
  if (query.kind) {
    where += " AND kind = ?";
    values.emplace_back(std::string(monitor::AlarmKindId(*query.kind)));
  }
  if (query.severity) {
    where += " AND severity = ?";
    values.emplace_back(int64_t{*query.severity});
  }
  if (query.department) {
    where += " AND department = ?";
    values.emplace_back(*query.department);
  }
  if (query.district) {
    where += " AND district = ?";
    values.emplace_back(*query.district);
  }
  if (query.plate && !query.plate->empty()) {
    // A prefix as a range, so that the index serves it and no LIKE escaping is needed.
    where += " AND plate >= ? AND plate < ?";
    values.emplace_back(*query.plate);
    values.emplace_back(*query.plate + "\xF4\x8F\xBF\xBF");
  }
  if (query.overdue_only) {
    where +=
        " AND ((status = 'raised' AND ack_deadline_ms < ?) OR "
        "(status != 'raised' AND close_deadline_ms < ?))";
    values.emplace_back(now_ms);
    values.emplace_back(now_ms);
  }
  if (query.from_ms) {
    where += " AND first_at_ms >= ?";
    values.emplace_back(*query.from_ms);
  }
  if (query.to_ms) {
    where += " AND first_at_ms < ?";
    values.emplace_back(*query.to_ms);
  }
  const int64_t limit = std::clamp<int64_t>(query.limit, 0, kMaxAlarmListLimit);
  const int64_t offset = std::max<int64_t>(query.offset, 0);

  AlarmPage page;
  std::scoped_lock lock(reader_mutex_);
  auto count = reader_->Prepare("SELECT COUNT(*) FROM alarms" + where);
  if (!count)
    return tl::unexpected(count.error());
  BindAll(*count, values);
  if (auto row = count->Step(); !row)
    return tl::unexpected(row.error());
  page.total = count->Int(0);
  auto select = reader_->Prepare(std::string("SELECT ") + kColumns + " FROM alarms" + where +
                                 " ORDER BY first_at_ms DESC, id DESC LIMIT ? OFFSET ?");
  if (!select)
    return tl::unexpected(select.error());
  values.emplace_back(limit);
  values.emplace_back(offset);
  BindAll(*select, values);
  auto walked = select->ForEachRow([&](const store::Statement& row) -> Result<void> {
    auto alarm = RowToAlarm(row);
    if (!alarm)
      return tl::unexpected(alarm.error());
    page.items.push_back(std::move(*alarm));
    return {};
  });
  if (!walked)
    return tl::unexpected(walked.error());
  return page;
}

Result<std::map<std::string, int64_t>> AlarmService::OpenCounts() {
  std::map<std::string, int64_t> counts;
  counts["total"] = 0;
  counts["active"] = 0;
  for (int severity = kMinSeverity; severity <= kMaxSeverity; ++severity)
    counts["severity." + std::to_string(severity)] = 0;
  for (monitor::AlarmKind kind : monitor::AllAlarmKinds())
    counts["kind." + std::string(monitor::AlarmKindId(kind))] = 0;
  for (Status status :
       {Status::kRaised, Status::kAcknowledged, Status::kDispatched, Status::kHandled})
    counts["status." + std::string(StatusId(status))] = 0;
  std::scoped_lock lock(mutex_);
  for (const auto& [id, alarm] : open_) {
    counts["total"] += 1;
    counts["active"] += alarm.active ? 1 : 0;
    counts["severity." + std::to_string(alarm.severity)] += 1;
    counts["kind." + std::string(monitor::AlarmKindId(alarm.kind))] += 1;
    counts["status." + std::string(StatusId(alarm.status))] += 1;
  }
  return counts;
}

}  // namespace baotong::alarm
