#include "alarm/alarm_service.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <thread>

namespace baotong::alarm {
namespace {

using monitor::AlarmKind;
using monitor::AlarmSignal;

constexpr int64_t kMinute = 60 * 1000;
constexpr int64_t kT0 = 1'795'000'000'000;  // 2026-11-19, any fixed time

AlarmSignal Signal(AlarmSignal::Edge edge, AlarmKind kind, std::string terminal,
                   std::string subject = "", int64_t at_ms = kT0) {
  AlarmSignal signal;
  signal.edge = edge;
  signal.kind = kind;
  signal.terminal = std::move(terminal);
  signal.plate = "辽C" + signal.terminal.substr(signal.terminal.size() - 5);
  signal.plate_color = 2;
  signal.subject = std::move(subject);
  signal.at_ms = at_ms;
  signal.received_ns = at_ms * 1000;
  signal.lat = 41.108123;
  signal.lon = 122.994567;
  signal.speed_kmh = 43.5;
  signal.detail = "偏离路线 812 米";
  signal.district = "铁东区";
  return signal;
}

AlarmSignal Raise(AlarmKind kind, std::string terminal, std::string subject = "",
                  int64_t at_ms = kT0) {
  return Signal(AlarmSignal::Edge::kRaise, kind, std::move(terminal), std::move(subject), at_ms);
}

AlarmSignal Clear(AlarmKind kind, std::string terminal, std::string subject = "",
                  int64_t at_ms = kT0) {
  return Signal(AlarmSignal::Edge::kClear, kind, std::move(terminal), std::move(subject), at_ms);
}

class AlarmServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = std::filesystem::temp_directory_path() /
           ("baotong_alarm_" + std::to_string(::getpid()) + "_" + info->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    Reopen();
  }
  void TearDown() override {
    service_.reset();
    std::filesystem::remove_all(dir_);
  }
  void Reopen(AlarmPolicy policy = DefaultAlarmPolicy()) {
    service_.reset();
    auto opened = AlarmService::Open(dir_ / "registry.db", std::move(policy));
    ASSERT_TRUE(opened) << opened.error().Message();
    service_ = std::move(*opened);
  }
  void Send(std::vector<AlarmSignal> signals) {
    service_->OnSignals(signals);
    service_->Flush();
  }
  std::vector<Alarm> All() {
    AlarmQuery query;
    query.limit = 500;
    auto page = service_->List(query, kT0);
    EXPECT_TRUE(page) << page.error().Message();
    return page ? page->items : std::vector<Alarm>{};
  }
  Alarm Only() {
    auto alarms = All();
    EXPECT_EQ(alarms.size(), 1u);
    return alarms.empty() ? Alarm{} : alarms.front();
  }
  std::vector<std::string> StepNames(int64_t id) {
    auto steps = service_->Steps(id);
    EXPECT_TRUE(steps);
    std::vector<std::string> names;
    for (const Step& step : steps.value_or(std::vector<Step>{}))
      names.push_back(step.step);
    return names;
  }

  std::filesystem::path dir_;
  std::unique_ptr<AlarmService> service_;
};

TEST_F(AlarmServiceTest, RaiseOpensAlarmFromPolicyAndSignal) {
  Send({Raise(AlarmKind::kOffRoute, "013800000001")});
  const Alarm alarm = Only();
  EXPECT_EQ(alarm.terminal, "013800000001");
  EXPECT_EQ(alarm.plate, "辽C00001");
  EXPECT_EQ(alarm.plate_color, 2);
  EXPECT_EQ(alarm.kind, AlarmKind::kOffRoute);
  EXPECT_EQ(alarm.severity, 2);
  EXPECT_EQ(alarm.department, "transport");
  EXPECT_EQ(alarm.district, "铁东区");
  EXPECT_EQ(alarm.status, Status::kRaised);
  EXPECT_TRUE(alarm.active);
  EXPECT_EQ(alarm.count, 1);
  EXPECT_EQ(alarm.first_at_ms, kT0);
  EXPECT_DOUBLE_EQ(alarm.lat, 41.108123);
  EXPECT_DOUBLE_EQ(alarm.speed_kmh, 43.5);
  EXPECT_EQ(alarm.detail, "偏离路线 812 米");
  EXPECT_EQ(alarm.ack_deadline_ms, kT0 + 15 * kMinute);
  EXPECT_EQ(alarm.close_deadline_ms, kT0 + 8 * 60 * kMinute);
  // The stored row equals what memory holds.
  auto got = service_->Get(alarm.id);
  ASSERT_TRUE(got && *got);
  EXPECT_EQ(**got, alarm);
}

TEST_F(AlarmServiceTest, RepeatsCountOnOneAlarm) {
  Send({Raise(AlarmKind::kOffRoute, "013800000001", "", kT0),
        Raise(AlarmKind::kOffRoute, "013800000001", "", kT0 + 1000)});
  auto third = Raise(AlarmKind::kOffRoute, "013800000001", "", kT0 + 2000);
  third.detail = "偏离路线 1200 米";
  Send({third});
  const Alarm alarm = Only();
  EXPECT_EQ(alarm.count, 3);
  EXPECT_EQ(alarm.first_at_ms, kT0);
  EXPECT_EQ(alarm.last_at_ms, kT0 + 2000);
  EXPECT_EQ(alarm.detail, "偏离路线 1200 米");
  EXPECT_EQ(alarm.ack_deadline_ms, kT0 + 15 * kMinute);  // deadlines run from the first raise
}

TEST_F(AlarmServiceTest, KeyIsTerminalKindAndSubject) {
  Send({Raise(AlarmKind::kZoneEntry, "013800000001", "Z1"),
        Raise(AlarmKind::kZoneEntry, "013800000001", "Z2"),
        Raise(AlarmKind::kZoneEntry, "013800000002", "Z1"),
        Raise(AlarmKind::kOverspeed, "013800000001", "Z1"),
        Raise(AlarmKind::kZoneEntry, "013800000001", "Z1")});
  auto alarms = All();
  ASSERT_EQ(alarms.size(), 4u);
  int64_t total = 0;
  for (const Alarm& alarm : alarms)
    total += alarm.count;
  EXPECT_EQ(total, 5);
}

TEST_F(AlarmServiceTest, ClearKeepsTheAlarmOpen) {
  Send({Raise(AlarmKind::kDoorOpen, "013800000001", "", kT0),
        Clear(AlarmKind::kDoorOpen, "013800000001", "", kT0 + 5000)});
  Alarm alarm = Only();
  EXPECT_FALSE(alarm.active);
  EXPECT_EQ(alarm.cleared_at_ms, kT0 + 5000);
  EXPECT_EQ(alarm.status, Status::kRaised);  // still waits for a person: 闭环
  // The condition comes back: the same alarm again.
  Send({Raise(AlarmKind::kDoorOpen, "013800000001", "", kT0 + 9000)});
  alarm = Only();
  EXPECT_TRUE(alarm.active);
  EXPECT_EQ(alarm.count, 2);
  EXPECT_EQ(alarm.cleared_at_ms, std::nullopt);
  EXPECT_EQ(StepNames(alarm.id), (std::vector<std::string>{"raised", "cleared", "raised"}));
}

TEST_F(AlarmServiceTest, ClearWithoutOpenAlarmIsIgnored) {
  Send({Clear(AlarmKind::kDoorOpen, "013800000001")});
  EXPECT_TRUE(All().empty());
  Send({Raise(AlarmKind::kDoorOpen, "013800000001"), Clear(AlarmKind::kDoorOpen, "013800000001"),
        Clear(AlarmKind::kDoorOpen, "013800000001")});
  EXPECT_EQ(StepNames(Only().id), (std::vector<std::string>{"raised", "cleared"}));
}

TEST_F(AlarmServiceTest, RaiseAfterCloseOpensANewAlarm) {
  Send({Raise(AlarmKind::kOverspeed, "013800000001")});
  const int64_t first = Only().id;
  ASSERT_TRUE(service_->Close(first, "王五", "误报，测速偏差", kT0 + kMinute));
  // A clear for the closed alarm changes nothing.
  Send({Clear(AlarmKind::kOverspeed, "013800000001")});
  auto closed = service_->Get(first);
  ASSERT_TRUE(closed && *closed);
  EXPECT_TRUE((*closed)->active);
  Send({Raise(AlarmKind::kOverspeed, "013800000001", "", kT0 + 2 * kMinute)});
  auto alarms = All();
  ASSERT_EQ(alarms.size(), 2u);
  EXPECT_NE(alarms[0].id, first);
  EXPECT_EQ(alarms[0].status, Status::kRaised);
  EXPECT_EQ(alarms[0].count, 1);
  EXPECT_EQ(alarms[1].status, Status::kClosed);
}

TEST_F(AlarmServiceTest, FullLifecycleIsRecorded) {
  Send({Raise(AlarmKind::kStopOutsideSite, "013800000001")});
  const int64_t id = Only().id;
  auto acknowledged = service_->Acknowledge(id, "张三", "已电话联系司机", kT0 + 60'000);
  ASSERT_TRUE(acknowledged) << acknowledged.error().Message();
  EXPECT_EQ(acknowledged->status, Status::kAcknowledged);
  EXPECT_EQ(acknowledged->acknowledged_by, "张三");
  EXPECT_EQ(acknowledged->acknowledged_at_ms, kT0 + 60'000);
  ASSERT_TRUE(service_->Dispatch(id, "张三", "铁东区卫健局", "请核查", kT0 + 120'000));
  auto redispatched = service_->Dispatch(id, "张三", "铁东区交警大队", "改派", kT0 + 180'000);
  ASSERT_TRUE(redispatched);
  EXPECT_EQ(redispatched->status, Status::kDispatched);
  EXPECT_EQ(redispatched->dispatched_to, "铁东区交警大队");
  EXPECT_EQ(redispatched->dispatch_note, "改派");
  auto handled = service_->Handle(id, "李四", "已劝离", "司机已驶离", kT0 + 240'000);
  ASSERT_TRUE(handled);
  EXPECT_EQ(handled->status, Status::kHandled);
  EXPECT_EQ(handled->outcome, "已劝离");
  EXPECT_EQ(handled->handle_note, "司机已驶离");
  auto closed = service_->Close(id, "张三", "", kT0 + 300'000);
  ASSERT_TRUE(closed);
  EXPECT_EQ(closed->status, Status::kClosed);
  EXPECT_EQ(closed->closed_by, "张三");
  // What the steps returned is what is stored.
  auto stored = service_->Get(id);
  ASSERT_TRUE(stored && *stored);
  EXPECT_EQ(**stored, *closed);

  auto steps = service_->Steps(id);
  ASSERT_TRUE(steps);
  ASSERT_EQ(steps->size(), 6u);
  EXPECT_EQ((*steps)[0], (Step{"raised", "system", kT0, "", "", "偏离路线 812 米"}));
  EXPECT_EQ((*steps)[1], (Step{"acknowledged", "张三", kT0 + 60'000, "", "", "已电话联系司机"}));
  EXPECT_EQ((*steps)[2], (Step{"dispatched", "张三", kT0 + 120'000, "铁东区卫健局", "", "请核查"}));
  EXPECT_EQ((*steps)[3].to, "铁东区交警大队");
  EXPECT_EQ((*steps)[4], (Step{"handled", "李四", kT0 + 240'000, "", "已劝离", "司机已驶离"}));
  EXPECT_EQ((*steps)[5], (Step{"closed", "张三", kT0 + 300'000, "", "", ""}));
}

TEST_F(AlarmServiceTest, RefusesWrongTransitions) {
  Send({Raise(AlarmKind::kOffRoute, "013800000001")});
  const int64_t id = Only().id;
  auto code = [](const Result<Alarm>& result) {
    return result ? std::optional<ErrorCode>() : result.error().code;
  };
  // From raised only acknowledge (or a close with a note).
  EXPECT_EQ(code(service_->Dispatch(id, "张三", "交警", "", kT0)), ErrorCode::kConflict);
  EXPECT_EQ(code(service_->Handle(id, "张三", "已处置", "", kT0)), ErrorCode::kConflict);
  EXPECT_EQ(code(service_->Close(id, "张三", "", kT0)), ErrorCode::kBadValue);
  EXPECT_EQ(code(service_->Acknowledge(id, "", "", kT0)), ErrorCode::kBadValue);
  ASSERT_TRUE(service_->Acknowledge(id, "张三", "", kT0));
  EXPECT_EQ(code(service_->Acknowledge(id, "张三", "", kT0)), ErrorCode::kConflict);
  EXPECT_EQ(code(service_->Dispatch(id, "张三", "", "", kT0)), ErrorCode::kBadValue);
  EXPECT_EQ(code(service_->Handle(id, "张三", "", "", kT0)), ErrorCode::kBadValue);
  ASSERT_TRUE(service_->Handle(id, "张三", "已返回路线", "", kT0));
  EXPECT_EQ(code(service_->Handle(id, "张三", "again", "", kT0)), ErrorCode::kConflict);
  EXPECT_EQ(code(service_->Dispatch(id, "张三", "交警", "", kT0)), ErrorCode::kConflict);
  EXPECT_EQ(code(service_->Acknowledge(id, "张三", "", kT0)), ErrorCode::kConflict);
  ASSERT_TRUE(service_->Close(id, "张三", "", kT0));
  for (auto result :
       {service_->Acknowledge(id, "张三", "", kT0), service_->Dispatch(id, "张三", "交警", "", kT0),
        service_->Handle(id, "张三", "x", "", kT0), service_->Close(id, "张三", "again", kT0)})
    EXPECT_EQ(code(result), ErrorCode::kConflict);
  EXPECT_EQ(code(service_->Acknowledge(id + 100, "张三", "", kT0)), ErrorCode::kNotFound);
  // Refused steps left no trace.
  EXPECT_EQ(StepNames(id),
            (std::vector<std::string>{"raised", "acknowledged", "handled", "closed"}));
  EXPECT_EQ(service_->Steps(id + 100).error().code, ErrorCode::kNotFound);
}

TEST_F(AlarmServiceTest, CloseWithoutHandlingNeedsANote) {
  Send({Raise(AlarmKind::kOffRoute, "013800000001"), Raise(AlarmKind::kOffRoute, "013800000002"),
        Raise(AlarmKind::kOffRoute, "013800000003")});
  auto alarms = All();
  ASSERT_EQ(alarms.size(), 3u);
  ASSERT_TRUE(service_->Acknowledge(alarms[1].id, "张三", "", kT0));
  ASSERT_TRUE(service_->Acknowledge(alarms[2].id, "张三", "", kT0));
  ASSERT_TRUE(service_->Dispatch(alarms[2].id, "张三", "交警", "", kT0));
  for (const Alarm& alarm : alarms) {
    auto closed = service_->Close(alarm.id, "张三", "误报", kT0);
    ASSERT_TRUE(closed) << closed.error().Message();
    EXPECT_EQ(closed->status, Status::kClosed);
  }
}

TEST_F(AlarmServiceTest, DeadlinesFollowSeverityAndOverdueIsListed) {
  auto zone = Raise(AlarmKind::kZoneEntry, "013800000001", "Z1");  // severity 1: 5 min / 2 h
  auto stop = Raise(AlarmKind::kStopOutsideSite, "013800000002");  // severity 3: 1 h / 24 h
  Send({zone, stop});
  auto alarms = All();
  ASSERT_EQ(alarms.size(), 2u);
  const Alarm& urgent = alarms[0].severity == 1 ? alarms[0] : alarms[1];
  const Alarm& normal = alarms[0].severity == 1 ? alarms[1] : alarms[0];
  EXPECT_EQ(urgent.ack_deadline_ms, kT0 + 5 * kMinute);
  EXPECT_EQ(urgent.close_deadline_ms, kT0 + 120 * kMinute);
  EXPECT_EQ(normal.ack_deadline_ms, kT0 + 60 * kMinute);

  AlarmQuery overdue;
  overdue.overdue_only = true;
  auto at = [&](int64_t now_ms) {
    auto page = service_->List(overdue, now_ms);
    EXPECT_TRUE(page);
    return page ? page->total : -1;
  };
  EXPECT_EQ(at(kT0 + 5 * kMinute), 0);
  EXPECT_EQ(at(kT0 + 6 * kMinute), 1);
  EXPECT_TRUE(IsOverdue(urgent, kT0 + 6 * kMinute));
  // Acknowledged: now the close deadline counts.
  auto acknowledged = service_->Acknowledge(urgent.id, "张三", "", kT0 + 6 * kMinute);
  ASSERT_TRUE(acknowledged);
  EXPECT_FALSE(IsOverdue(*acknowledged, kT0 + 6 * kMinute));
  EXPECT_EQ(at(kT0 + 6 * kMinute), 0);
  EXPECT_EQ(at(kT0 + 61 * kMinute), 1);   // the other one missed its acknowledgement
  EXPECT_EQ(at(kT0 + 121 * kMinute), 2);  // and the first its close
  ASSERT_TRUE(service_->Handle(urgent.id, "张三", "已驶离", "", kT0 + 130 * kMinute));
  ASSERT_TRUE(service_->Close(urgent.id, "张三", "", kT0 + 130 * kMinute));
  EXPECT_EQ(at(kT0 + 131 * kMinute), 1);  // closed alarms are never overdue
}

TEST_F(AlarmServiceTest, DepartmentComesFromZoneOrKind) {
  auto zone = Raise(AlarmKind::kZoneEntry, "013800000001", "Z1");
  zone.zone_department = "health";
  auto emergency = Raise(AlarmKind::kTerminalAlarm, "013800000002", "bit0");
  auto fatigue = Raise(AlarmKind::kTerminalAlarm, "013800000002", "bit2");
  Send({zone, emergency, fatigue});
  for (const Alarm& alarm : All()) {
    if (alarm.kind == AlarmKind::kZoneEntry) {
      EXPECT_EQ(alarm.department, "health");
    } else if (alarm.subject == "bit0") {
      EXPECT_EQ(alarm.severity, 1);
      EXPECT_EQ(alarm.department, "transport");
    } else {
      EXPECT_EQ(alarm.severity, 2);
    }
  }
}

TEST_F(AlarmServiceTest, OpenAlarmsSurviveReopen) {
  Send({Raise(AlarmKind::kOffRoute, "013800000001"), Raise(AlarmKind::kOffRoute, "013800000001"),
        Raise(AlarmKind::kDoorOpen, "013800000002"), Raise(AlarmKind::kOverspeed, "013800000003")});
  auto before = All();
  ASSERT_EQ(before.size(), 3u);
  int64_t off_route = 0, door = 0, overspeed = 0;
  for (const Alarm& alarm : before) {
    (alarm.kind == AlarmKind::kOffRoute   ? off_route
     : alarm.kind == AlarmKind::kDoorOpen ? door
                                          : overspeed) = alarm.id;
  }
  ASSERT_TRUE(service_->Acknowledge(door, "张三", "", kT0));
  ASSERT_TRUE(service_->Close(overspeed, "张三", "误报", kT0));

  Reopen();
  auto counts = service_->OpenCounts();
  ASSERT_TRUE(counts);
  EXPECT_EQ(counts->at("total"), 2);
  EXPECT_EQ(counts->at("status.acknowledged"), 1);
  // Counting continues on the open alarm; its acknowledgement is remembered.
  Send({Raise(AlarmKind::kOffRoute, "013800000001"), Raise(AlarmKind::kDoorOpen, "013800000002"),
        Raise(AlarmKind::kOverspeed, "013800000003")});
  auto again = service_->Get(off_route);
  ASSERT_TRUE(again && *again);
  EXPECT_EQ((*again)->count, 3);
  auto door_alarm = service_->Get(door);
  ASSERT_TRUE(door_alarm && *door_alarm);
  EXPECT_EQ((*door_alarm)->count, 2);
  EXPECT_EQ((*door_alarm)->status, Status::kAcknowledged);
  // The closed one stays closed; the raise opened a new alarm with a fresh id.
  auto all = All();
  ASSERT_EQ(all.size(), 4u);
  for (const Alarm& alarm : all) {
    if (alarm.kind == AlarmKind::kOverspeed && alarm.id != overspeed) {
      EXPECT_GT(alarm.id, std::max({off_route, door, overspeed}));
      EXPECT_EQ(alarm.count, 1);
    }
  }
  // Steps on an alarm closed before the restart are still refused as closed.
  EXPECT_EQ(service_->Acknowledge(overspeed, "张三", "", kT0).error().code, ErrorCode::kConflict);
}

TEST_F(AlarmServiceTest, ConcurrentRaisesOfOneKeyMakeOneAlarm) {
  constexpr int kThreads = 4;
  constexpr int kPerThread = 500;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        // Each thread also raises a key of its own, so the writer sees mixed batches.
        std::vector<AlarmSignal> signals = {
            Raise(AlarmKind::kOffRoute, "013800000001", "", kT0 + i),
            Raise(AlarmKind::kOverspeed, "01380000010" + std::to_string(t), "", kT0 + i)};
        service_->OnSignals(signals);
      }
    });
  }
  for (auto& thread : threads)
    thread.join();
  service_->Flush();
  auto alarms = All();
  ASSERT_EQ(alarms.size(), 1u + kThreads);
  for (const Alarm& alarm : alarms)
    EXPECT_EQ(alarm.count, alarm.kind == AlarmKind::kOffRoute ? kThreads * kPerThread : kPerThread);
  // Durable, not only in memory.
  Reopen();
  AlarmQuery query;
  query.kind = AlarmKind::kOffRoute;
  auto page = service_->List(query, kT0);
  ASSERT_TRUE(page && page->items.size() == 1);
  EXPECT_EQ(page->items[0].count, kThreads * kPerThread);
}

TEST_F(AlarmServiceTest, BackPressureWithATinyQueue) {
  service_.reset();
  AlarmServiceOptions options;
  options.max_queued = 2;
  options.max_batch = 1;
  auto opened = AlarmService::Open(dir_ / "registry.db", DefaultAlarmPolicy(), options);
  ASSERT_TRUE(opened);
  service_ = std::move(*opened);
  std::vector<AlarmSignal> signals;
  for (int i = 0; i < 50; ++i)
    signals.push_back(Raise(AlarmKind::kOverspeed, "0138000" + std::to_string(10000 + i)));
  Send(signals);
  EXPECT_EQ(All().size(), 50u);  // waited for room, dropped nothing
}

TEST_F(AlarmServiceTest, SubscribersSeeCommittedUpdates) {
  auto observer = store::Database::Open(dir_ / "registry.db");
  ASSERT_TRUE(observer);
  std::vector<AlarmUpdate> updates;
  std::vector<int64_t> stored_counts;
  const uint64_t subscription = service_->Subscribe([&](const AlarmUpdate& update) {
    updates.push_back(update);
    // Another connection already sees the change: it was committed before publishing.
    auto query = (*observer)->Prepare("SELECT count FROM alarms WHERE id = ?");
    ASSERT_TRUE(query);
    query->Bind(1, update.alarm.id);
    auto row = query->Step();
    stored_counts.push_back(row && *row ? query->Int(0) : -1);
  });
  auto first = Raise(AlarmKind::kOffRoute, "013800000001");
  first.received_ns = 111;
  auto second = Raise(AlarmKind::kOffRoute, "013800000001");
  second.received_ns = 222;
  Send({first});
  Send({second});
  ASSERT_TRUE(service_->Acknowledge(updates.at(0).alarm.id, "张三", "", kT0));
  ASSERT_EQ(updates.size(), 3u);
  EXPECT_TRUE(updates[0].created);
  EXPECT_EQ(updates[0].received_ns, 111);
  EXPECT_EQ(updates[0].alarm.count, 1);
  EXPECT_FALSE(updates[1].created);
  EXPECT_EQ(updates[1].received_ns, 222);
  EXPECT_EQ(updates[1].alarm.count, 2);
  EXPECT_EQ(updates[2].received_ns, 0);  // a person's step
  EXPECT_EQ(updates[2].alarm.status, Status::kAcknowledged);
  EXPECT_EQ(stored_counts, (std::vector<int64_t>{1, 2, 2}));

  service_->Unsubscribe(subscription);
  Send({Raise(AlarmKind::kOffRoute, "013800000001")});
  EXPECT_EQ(updates.size(), 3u);
}

TEST_F(AlarmServiceTest, TextIsRequestedOncePerNewAlarmOfAKindWithText) {
  std::vector<TextRequest> requests;
  service_->SetTextSender([&](const TextRequest& request) -> std::optional<uint64_t> {
    requests.push_back(request);
    if (request.terminal == "013800000009")
      return std::nullopt;  // not connected
    return 500 + requests.size();
  });
  Send({Raise(AlarmKind::kOffRoute, "013800000001"), Raise(AlarmKind::kOffRoute, "013800000001"),
        Raise(AlarmKind::kSignalLost, "013800000001"),  // no text for this kind
        Raise(AlarmKind::kOffRoute, "013800000009")});
  Send({Raise(AlarmKind::kOffRoute, "013800000001")});
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[0].terminal, "013800000001");
  EXPECT_EQ(requests[0].text, "您已偏离备案路线，请尽快返回");

  AlarmQuery query;
  query.kind = AlarmKind::kOffRoute;
  query.plate = "辽C00001";
  auto page = service_->List(query, kT0);
  ASSERT_TRUE(page && page->items.size() == 1);
  const Alarm sent = page->items[0];
  EXPECT_EQ(sent.id, requests[0].alarm_id);
  EXPECT_EQ(sent.text_command_id, 501u);
  EXPECT_EQ(sent.text_status, "sent");
  query.plate = "辽C00009";
  page = service_->List(query, kT0);
  ASSERT_TRUE(page && page->items.size() == 1);
  EXPECT_EQ(page->items[0].text_status, "not_connected");
  EXPECT_EQ(page->items[0].text_command_id, std::nullopt);

  service_->RecordTextResult(sent.id, "ok");
  service_->Flush();
  auto got = service_->Get(sent.id);
  ASSERT_TRUE(got && *got);
  EXPECT_EQ((*got)->text_status, "ok");
  auto steps = service_->Steps(sent.id);
  ASSERT_TRUE(steps);
  // Both raises of the first batch were committed before the text was asked for.
  ASSERT_EQ(steps->size(), 5u);
  EXPECT_EQ((*steps)[2].step, "text_sent");
  EXPECT_EQ((*steps)[2].outcome, "sent");
  EXPECT_EQ((*steps)[2].note, "您已偏离备案路线，请尽快返回");
  EXPECT_EQ(steps->back().step, "text_result");
  EXPECT_EQ(steps->back().outcome, "ok");

  // A late answer for a closed alarm is still recorded.
  ASSERT_TRUE(service_->Close(sent.id, "张三", "误报", kT0));
  service_->RecordTextResult(sent.id, "failed");
  service_->Flush();
  got = service_->Get(sent.id);
  ASSERT_TRUE(got && *got);
  EXPECT_EQ((*got)->text_status, "failed");
  EXPECT_EQ((*got)->status, Status::kClosed);
}

TEST_F(AlarmServiceTest, ListFiltersAndPages) {
  std::vector<AlarmSignal> signals;
  for (int i = 0; i < 7; ++i)
    signals.push_back(
        Raise(AlarmKind::kOverspeed, "0138000" + std::to_string(10000 + i), "", kT0 + i * 1000));
  auto zone = Raise(AlarmKind::kZoneEntry, "013800020000", "Z1", kT0 + 100'000);
  zone.district = "海城市";
  signals.push_back(zone);
  Send(signals);

  AlarmQuery query;
  query.limit = 3;
  auto page = service_->List(query, kT0);
  ASSERT_TRUE(page);
  EXPECT_EQ(page->total, 8);
  ASSERT_EQ(page->items.size(), 3u);
  EXPECT_EQ(page->items[0].kind, AlarmKind::kZoneEntry);  // newest first
  query.offset = 6;
  page = service_->List(query, kT0);
  ASSERT_TRUE(page);
  ASSERT_EQ(page->items.size(), 2u);
  EXPECT_EQ(page->items[1].first_at_ms, kT0);

  AlarmQuery by_field;
  by_field.severity = 1;
  EXPECT_EQ(service_->List(by_field, kT0)->total, 1);
  by_field = {};
  by_field.district = "海城市";
  EXPECT_EQ(service_->List(by_field, kT0)->total, 1);
  by_field = {};
  by_field.department = "police";
  EXPECT_EQ(service_->List(by_field, kT0)->total, 8);
  by_field = {};
  by_field.from_ms = kT0 + 2000;
  by_field.to_ms = kT0 + 5000;
  EXPECT_EQ(service_->List(by_field, kT0)->total, 3);
  by_field = {};
  by_field.plate = "辽C1000";
  EXPECT_EQ(service_->List(by_field, kT0)->total, 7);

  const int64_t id = page->items[1].id;
  ASSERT_TRUE(service_->Close(id, "张三", "误报", kT0));
  by_field = {};
  by_field.open_only = true;
  EXPECT_EQ(service_->List(by_field, kT0)->total, 7);
  by_field = {};
  by_field.status = Status::kClosed;
  auto closed = service_->List(by_field, kT0);
  ASSERT_TRUE(closed && closed->items.size() == 1);
  EXPECT_EQ(closed->items[0].id, id);
}

TEST_F(AlarmServiceTest, OpenCountsBySeverityKindAndStatus) {
  auto cleared = Clear(AlarmKind::kOverspeed, "013800000002");
  Send({Raise(AlarmKind::kZoneEntry, "013800000001", "Z1"),
        Raise(AlarmKind::kOverspeed, "013800000002"), cleared,
        Raise(AlarmKind::kOverspeed, "013800000003")});
  auto counts = service_->OpenCounts();
  ASSERT_TRUE(counts);
  EXPECT_EQ(counts->at("total"), 3);
  EXPECT_EQ(counts->at("active"), 2);
  EXPECT_EQ(counts->at("severity.1"), 1);
  EXPECT_EQ(counts->at("severity.3"), 2);
  EXPECT_EQ(counts->at("severity.2"), 0);
  EXPECT_EQ(counts->at("kind.overspeed"), 2);
  EXPECT_EQ(counts->at("kind.door_open"), 0);
  EXPECT_EQ(counts->at("status.raised"), 3);
}

}  // namespace
}  // namespace baotong::alarm

namespace baotong::alarm {
namespace {

TEST_F(AlarmServiceTest, ARaiseThatCannotBeStoredIsRetriedNotLost) {
  // Storage refuses every new alarm for a while (as a full disk or a locked file would).
  auto database = store::Database::Open(dir_ / "registry.db");
  ASSERT_TRUE(database);
  ASSERT_TRUE((*database)->Exec(
      "CREATE TRIGGER refuse BEFORE INSERT ON alarms BEGIN SELECT RAISE(ABORT, 'refused'); END"));
  std::atomic<int> published{0};
  const uint64_t subscription =
      service_->Subscribe([&published](const AlarmUpdate&) { ++published; });
  std::vector<AlarmSignal> signals = {Raise(AlarmKind::kOverspeed, "013800000001")};
  service_->OnSignals(signals);
  // Several retry pauses pass with nothing stored and nothing pushed ...
  std::this_thread::sleep_for(std::chrono::milliseconds(700));
  EXPECT_EQ(published.load(), 0);
  {
    auto count = (*database)->Prepare("SELECT count(*) FROM alarms");
    ASSERT_TRUE(count);
    ASSERT_TRUE(count->Step());
    EXPECT_EQ(count->Int(0), 0);
  }
  // ... and once storage works again the alarm is stored and pushed, once.
  ASSERT_TRUE((*database)->Exec("DROP TRIGGER refuse"));
  service_->Flush();
  EXPECT_EQ(published.load(), 1);
  EXPECT_EQ(Only().kind, AlarmKind::kOverspeed);
  service_->Unsubscribe(subscription);
}

}  // namespace
}  // namespace baotong::alarm
