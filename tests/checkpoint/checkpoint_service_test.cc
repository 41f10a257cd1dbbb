#include "checkpoint/checkpoint_service.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <future>
#include <set>
#include <thread>

#include "fake_directories.h"

namespace baotong::checkpoint {
namespace {

using namespace std::chrono_literals;
using testing::FakePass;
using testing::FakePassDirectory;
using testing::FakePassState;
using testing::FakeVehicleDirectory;

constexpr int64_t kHour = 3600 * 1000;
constexpr int64_t kDay = 24 * kHour;
constexpr int64_t kT0 = 1'800'000'000'000;  // 2027-01-15
constexpr int kYellow = 2;
constexpr int kBlue = 1;

PassInForce MakePass(int64_t id, std::string plate, std::string kind, int64_t from, int64_t until,
                     std::optional<int64_t> planned_exit = std::nullopt, int color = kYellow) {
  return PassInForce{id, std::move(kind), std::move(plate), color, from, until, planned_exit};
}

class CheckpointServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    static std::atomic<int> counter{0};
    dir_ =
        std::filesystem::temp_directory_path() /
        ("baotong_checkpoint_test_" + std::to_string(::getpid()) + "_" + std::to_string(counter++) +
         "_" + std::to_string(std::chrono::steady_clock::now().time_since_epoch().count()));
    passes_.Add({MakePass(1, "辽C10001", "trip", kT0 - kHour, kT0 + 10 * kHour, kT0 + 8 * kHour)});
    passes_.Add({MakePass(2, "辽C10002", "standing", kT0 - 30 * kDay, kT0 + 60 * kDay)});
    passes_.Add({MakePass(3, "辽C10003", "trip", kT0 - 10 * kDay, kT0 - kDay)});
    passes_.Add(
        {MakePass(4, "辽C10004", "trip", kT0 - kHour, kT0 + 10 * kHour), FakePassState::kRevoked});
    passes_.Add({MakePass(5, "辽C10005", "trip", kT0 - kHour, kT0 + 10 * kHour, {}, kBlue)});
    passes_.Add({MakePass(7, "辽C10007", "trip", kT0 + kDay, kT0 + 2 * kDay)});
    passes_.Add({MakePass(8, "辽C10008", "trip", kT0 - kHour, kT0 + 2 * kHour)});
    for (const char* plate : {"辽C10001", "辽C10002", "辽C10003", "辽C10004", "辽C10005",
                              "辽C10006", "辽C10007", "辽C10008"})
      vehicles_.Add(plate);
    Open();
    auto in = service_->AddCheckpoint(
        {"KK-IN", "沈海高速鞍山收费站入城卡口", 41.1, 122.99, Direction::kIn, 0});
    ASSERT_TRUE(in) << in.error().Message();
    in_key_ = *in;
    ASSERT_TRUE(service_->AddCheckpoint(
        {"KK-OUT", "鞍山收费站出城卡口", 41.1, 122.98, Direction::kOut, 0}));
  }
  void TearDown() override {
    service_.reset();
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }

  // By default decisions wait (practically) forever for durability, so that a test reads
  // back what it wrote; `durable_wait` zero returns as soon as queued.
  void Open(std::chrono::microseconds durable_wait = std::chrono::hours(1)) {
    service_.reset();
    ServiceOptions options;
    options.clock = [this] { return now_.load(); };
    options.durable_wait = durable_wait;
    auto service = CheckpointService::Open(dir_ / "registry.db", passes_, vehicles_, options);
    ASSERT_TRUE(service) << service.error().Message();
    service_ = std::move(*service);
  }

  Passage Read(std::string checkpoint, std::string plate, std::optional<int> color = kYellow,
               int64_t time = kT0) {
    auto passage = service_->Decide(
        PlateRead{std::move(checkpoint), std::move(plate), color, time, std::string("img/1.jpg")});
    EXPECT_TRUE(passage) << passage.error().Message();
    return passage.value_or(Passage{});
  }

  Passage Scan(std::string token, int64_t time = kT0) {
    auto passage = service_->Decide(QrScan{"KK-IN", std::move(token), "operator1", time});
    EXPECT_TRUE(passage) << passage.error().Message();
    return passage.value_or(Passage{});
  }

  std::filesystem::path dir_;
  FakePassDirectory passes_;
  FakeVehicleDirectory vehicles_;
  std::atomic<int64_t> now_{kT0};
  std::unique_ptr<CheckpointService> service_;
  std::string in_key_;
};

// ---- The decision table at an entry ----------------------------------------------------------

TEST_F(CheckpointServiceTest, TripPassReleasesAndEntersTheCity) {
  Passage passage = Read("KK-IN", "辽C10001");
  EXPECT_EQ(passage.verdict, Verdict::kRelease);
  EXPECT_EQ(passage.reason_code, "pass.trip.valid");
  EXPECT_EQ(passage.reason, "通行证有效");
  EXPECT_EQ(passage.display_text, "辽C10001 核验通过 请通行");
  EXPECT_EQ(passage.pass_id, 1);
  EXPECT_EQ(passage.source, Source::kCamera);
  EXPECT_GT(passage.id, 0);
  EXPECT_TRUE(passage.durable);
  EXPECT_EQ(service_->InCityCount(), 1);
}

TEST_F(CheckpointServiceTest, StandingRegistrationReleases) {
  Passage passage = Read("KK-IN", "辽C10002");
  EXPECT_EQ(passage.verdict, Verdict::kRelease);
  EXPECT_EQ(passage.reason_code, "pass.standing.valid");
  EXPECT_EQ(passage.pass_id, 2);
}

TEST_F(CheckpointServiceTest, ExpiredPassTurnsBack) {
  Passage passage = Read("KK-IN", "辽C10003");
  EXPECT_EQ(passage.verdict, Verdict::kTurnBack);
  EXPECT_EQ(passage.reason_code, "pass.expired");
  EXPECT_EQ(passage.display_text, "辽C10003 通行证已过期 请掉头");
  EXPECT_EQ(service_->InCityCount(), 0);
}

TEST_F(CheckpointServiceTest, RevokedPassTurnsBack) {
  Passage passage = Read("KK-IN", "辽C10004");
  EXPECT_EQ(passage.verdict, Verdict::kTurnBack);
  EXPECT_EQ(passage.reason_code, "pass.revoked");
  EXPECT_EQ(passage.display_text, "辽C10004 通行证已撤销 请掉头");
}

TEST_F(CheckpointServiceTest, PassNotYetValidTurnsBack) {
  Passage passage = Read("KK-IN", "辽C10007");
  EXPECT_EQ(passage.verdict, Verdict::kTurnBack);
  EXPECT_EQ(passage.reason_code, "pass.not_yet_valid");
}

TEST_F(CheckpointServiceTest, PlateColourDifferentFromThePassIsManualCheck) {
  Passage passage = Read("KK-IN", "辽C10005", kYellow);
  EXPECT_EQ(passage.verdict, Verdict::kManualCheck);
  EXPECT_EQ(passage.reason_code, "plate.color_mismatch");
  EXPECT_EQ(passage.display_text, "辽C10005 请靠边接受检查");
  // The colour the pass holds, or none read, releases.
  EXPECT_EQ(Read("KK-IN", "辽C10005", kBlue).verdict, Verdict::kRelease);
}

TEST_F(CheckpointServiceTest, NoColourReadMatchesAnyColour) {
  EXPECT_EQ(Read("KK-IN", "辽C10005", std::nullopt).verdict, Verdict::kRelease);
}

TEST_F(CheckpointServiceTest, RegisteredWithoutPassTurnsBack) {
  Passage passage = Read("KK-IN", "辽C10006");
  EXPECT_EQ(passage.verdict, Verdict::kTurnBack);
  EXPECT_EQ(passage.reason_code, "pass.missing");
  EXPECT_EQ(passage.display_text, "辽C10006 未办理通行证 请掉头");
  EXPECT_FALSE(passage.pass_id);
}

TEST_F(CheckpointServiceTest, UnknownPlateTurnsBack) {
  Passage passage = Read("KK-IN", "辽C99999");
  EXPECT_EQ(passage.verdict, Verdict::kTurnBack);
  EXPECT_EQ(passage.reason_code, "vehicle.unknown");
  EXPECT_EQ(passage.display_text, "辽C99999 未办理通行证 请掉头");
}

TEST_F(CheckpointServiceTest, PlateIsNormalisedAndGarbageIsManualCheck) {
  EXPECT_EQ(Read("KK-IN", "辽c·10001").plate, "辽C10001");
  Passage garbage = Read("KK-IN", "???");
  EXPECT_EQ(garbage.verdict, Verdict::kManualCheck);
  EXPECT_EQ(garbage.reason_code, "plate.unreadable");
  EXPECT_EQ(garbage.plate, "???");
}

TEST_F(CheckpointServiceTest, SecondEntryWithoutExitIsManualCheck) {
  ASSERT_EQ(Read("KK-IN", "辽C10001").verdict, Verdict::kRelease);
  Passage again = Read("KK-IN", "辽C10001", kYellow, kT0 + kHour);
  EXPECT_EQ(again.verdict, Verdict::kManualCheck);
  EXPECT_EQ(again.reason_code, "entry.already_in_city");
  EXPECT_EQ(service_->InCityCount(), 1);
  EXPECT_EQ(service_->InCity(kT0 + kHour).items[0].entered_at_ms, kT0);
}

// ---- Exits ------------------------------------------------------------------------------------

TEST_F(CheckpointServiceTest, ExitAfterEntryIsRecordedAndLeavesTheCity) {
  Passage entry = Read("KK-IN", "辽C10001");
  Passage exit = Read("KK-OUT", "辽C10001", kYellow, kT0 + 2 * kHour);
  EXPECT_EQ(exit.verdict, Verdict::kRelease);
  EXPECT_EQ(exit.reason_code, "exit.recorded");
  EXPECT_EQ(exit.direction, Direction::kOut);
  EXPECT_EQ(exit.display_text, "辽C10001 出城登记 请通行");
  EXPECT_EQ(exit.pass_id, 1);
  EXPECT_EQ(exit.entered_at_ms, kT0);
  EXPECT_EQ(exit.entry_passage_id, entry.id);
  EXPECT_EQ(service_->InCityCount(), 0);
  // Out of the city, it may enter again.
  EXPECT_EQ(Read("KK-IN", "辽C10001", kYellow, kT0 + 3 * kHour).verdict, Verdict::kRelease);
}

TEST_F(CheckpointServiceTest, ExitWithoutEntryReleasesAndIsRecorded) {
  Passage exit = Read("KK-OUT", "辽C99999");
  EXPECT_EQ(exit.verdict, Verdict::kRelease);
  EXPECT_EQ(exit.reason_code, "exit.without_entry");
  auto stored = service_->FindPassage(exit.id);
  ASSERT_TRUE(stored && *stored);
  EXPECT_EQ((*stored)->reason_code, "exit.without_entry");
}

// ---- QR scans ---------------------------------------------------------------------------------

TEST_F(CheckpointServiceTest, ValidQrReleases) {
  Passage passage = Scan("TOKEN:1");
  EXPECT_EQ(passage.verdict, Verdict::kRelease);
  EXPECT_EQ(passage.plate, "辽C10001");
  EXPECT_EQ(passage.plate_color, kYellow);
  EXPECT_EQ(passage.source, Source::kQr);
  EXPECT_EQ(passage.operator_name, "operator1");
  EXPECT_EQ(passage.pass_id, 1);
  EXPECT_EQ(service_->InCityCount(), 1);
}

TEST_F(CheckpointServiceTest, TamperedQrTurnsBack) {
  Passage passage = Scan("TAMPERED:1");
  EXPECT_EQ(passage.verdict, Verdict::kTurnBack);
  EXPECT_EQ(passage.reason_code, "token.bad_signature");
  EXPECT_EQ(passage.display_text, "通行码无效 请掉头");
  EXPECT_EQ(Scan("garbage").reason_code, "token.bad_format");
}

TEST_F(CheckpointServiceTest, ExpiredQrTurnsBack) {
  Passage passage = Scan("TOKEN:3");
  EXPECT_EQ(passage.verdict, Verdict::kTurnBack);
  EXPECT_EQ(passage.reason_code, "token.expired");
}

TEST_F(CheckpointServiceTest, QrOfARevokedPassTurnsBackOnline) {
  Passage passage = Scan("TOKEN:4");  // the signature is good; the pass was revoked since
  EXPECT_EQ(passage.verdict, Verdict::kTurnBack);
  EXPECT_EQ(passage.reason_code, "pass.revoked");
  EXPECT_EQ(passage.pass_id, 4);
}

// ---- Errors -----------------------------------------------------------------------------------

TEST_F(CheckpointServiceTest, RefusesUnknownCheckpointAndBadColour) {
  auto unknown = service_->Decide(PlateRead{"KK-NONE", "辽C10001", kYellow, kT0, {}});
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().code, ErrorCode::kNotFound);
  auto colour = service_->Decide(PlateRead{"KK-IN", "辽C10001", 7, kT0, {}});
  ASSERT_FALSE(colour);
  EXPECT_EQ(colour.error().code, ErrorCode::kBadValue);
}

// ---- Durability and the in-city set -------------------------------------------------------------

TEST_F(CheckpointServiceTest, PassagesSurviveReopenAndTheCityIsRebuilt) {
  Passage a = Read("KK-IN", "辽C10001", kYellow, kT0);
  Read("KK-IN", "辽C10002", kYellow, kT0 + 1);
  Read("KK-IN", "辽C10008", kYellow, kT0 + 2);
  Read("KK-OUT", "辽C10002", kYellow, kT0 + 3);
  Read("KK-IN", "辽C99999", kYellow, kT0 + 4);
  const InCityPage before = service_->InCity(kT0 + kHour);
  ASSERT_EQ(before.total, 2);

  Open();
  auto stored = service_->FindPassage(a.id);
  ASSERT_TRUE(stored && *stored);
  EXPECT_EQ((*stored)->display_text, a.display_text);
  EXPECT_EQ((*stored)->pass_valid_until_ms, kT0 + 10 * kHour);
  EXPECT_EQ((*stored)->image_ref, "img/1.jpg");
  const InCityPage after = service_->InCity(kT0 + kHour);
  ASSERT_EQ(after.total, 2);
  for (size_t i = 0; i < after.items.size(); ++i) {
    EXPECT_EQ(after.items[i].plate, before.items[i].plate);
    EXPECT_EQ(after.items[i].entered_at_ms, before.items[i].entered_at_ms);
    EXPECT_EQ(after.items[i].pass_id, before.items[i].pass_id);
    EXPECT_EQ(after.items[i].valid_until_ms, before.items[i].valid_until_ms);
  }
  // Checkpoints are back, ids go on, and the rebuilt set still decides.
  EXPECT_EQ(service_->Checkpoints().size(), 2u);
  Passage again = Read("KK-IN", "辽C10001", kYellow, kT0 + 5);
  EXPECT_EQ(again.id, a.id + 5);
  EXPECT_EQ(again.reason_code, "entry.already_in_city");
}

TEST_F(CheckpointServiceTest, ConcurrentDecisionsAreAllRecordedOnce) {
  constexpr int kThreads = 8;
  constexpr int kEach = 50;
  std::vector<std::thread> threads;
  std::vector<std::vector<int64_t>> ids(kThreads);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        auto passage = service_->Decide(
            PlateRead{t % 2 == 0 ? "KK-IN" : "KK-OUT", "辽C10001", kYellow, kT0 + i, {}});
        if (passage)
          ids[static_cast<size_t>(t)].push_back(passage->id);
      }
    });
  }
  for (auto& thread : threads)
    thread.join();
  std::set<int64_t> unique;
  for (const auto& list : ids) {
    EXPECT_EQ(list.size(), static_cast<size_t>(kEach));
    unique.insert(list.begin(), list.end());
  }
  EXPECT_EQ(unique.size(), static_cast<size_t>(kThreads * kEach));
  auto page = service_->WaitForPassages(std::nullopt, 0, 0ms, 1000);
  ASSERT_TRUE(page);
  EXPECT_EQ(page->items.size(), static_cast<size_t>(kThreads * kEach));
}

TEST_F(CheckpointServiceTest, DecisionsBeforeDurabilityAreWrittenByClose) {
  Open(/*durable_wait=*/0ms);
  std::vector<Passage> quick;
  for (int i = 0; i < 20; ++i)
    quick.push_back(Read("KK-IN", "辽C99999", kYellow, kT0 + i));
  // An override of a passage still queued waits for it to land.
  auto held =
      service_->ApplyOverride(Override{quick.back().id, Verdict::kManualCheck, "复核", "op7", 0});
  ASSERT_TRUE(held) << held.error().Message();
  EXPECT_TRUE(held->durable);
  Open();
  auto page = service_->WaitForPassages("KK-IN", 0, 0ms, 1000);
  ASSERT_TRUE(page);
  EXPECT_EQ(page->items.size(), 21u);
}

TEST_F(CheckpointServiceTest, OverdueVehiclesComeFirst) {
  Read("KK-IN", "辽C10002", kYellow, kT0);              // standing until T0+60d
  Read("KK-IN", "辽C10001", kYellow, kT0 + kHour);      // planned exit T0+8h
  Read("KK-IN", "辽C10008", kYellow, kT0 + 2 * kHour);  // valid until T0+2h
  // At T0+1.5h nobody is overdue: longest in the city first.
  InCityPage early = service_->InCity(kT0 + 90 * 60 * 1000);
  ASSERT_EQ(early.total, 3);
  EXPECT_EQ(early.items[0].plate, "辽C10002");
  EXPECT_EQ(early.items[1].plate, "辽C10001");
  EXPECT_EQ(early.items[2].plate, "辽C10008");
  EXPECT_FALSE(early.items[0].Overdue(kT0 + 90 * 60 * 1000));
  // At T0+9h two are overdue, the longest overdue first, then the rest.
  InCityPage late = service_->InCity(kT0 + 9 * kHour);
  EXPECT_EQ(late.items[0].plate, "辽C10008");
  EXPECT_TRUE(late.items[0].Overdue(kT0 + 9 * kHour));
  EXPECT_EQ(late.items[1].plate, "辽C10001");
  EXPECT_TRUE(late.items[1].Overdue(kT0 + 9 * kHour));
  EXPECT_EQ(late.items[2].plate, "辽C10002");
  EXPECT_FALSE(late.items[2].Overdue(kT0 + 9 * kHour));
  // Paging.
  InCityPage second = service_->InCity(kT0 + 9 * kHour, 1, 1);
  EXPECT_EQ(second.total, 3);
  ASSERT_EQ(second.items.size(), 1u);
  EXPECT_EQ(second.items[0].plate, "辽C10001");
}

// ---- Overrides --------------------------------------------------------------------------------

TEST_F(CheckpointServiceTest, OverrideAddsALinkedPassageAndUpdatesTheCity) {
  Passage turned = Read("KK-IN", "辽C10006");
  ASSERT_EQ(turned.verdict, Verdict::kTurnBack);
  now_ = kT0 + 60'000;
  auto released = service_->ApplyOverride(
      Override{turned.id, Verdict::kRelease, "运送急需医疗物资，经值班领导同意放行", "op7", 0});
  ASSERT_TRUE(released) << released.error().Message();
  EXPECT_EQ(released->source, Source::kOverride);
  EXPECT_EQ(released->overrides_id, turned.id);
  EXPECT_EQ(released->operator_name, "op7");
  EXPECT_EQ(released->reason_code, "override");
  EXPECT_EQ(released->reason, "人工改判：运送急需医疗物资，经值班领导同意放行");
  EXPECT_EQ(released->display_text, "辽C10006 人工放行 请通行");
  EXPECT_EQ(released->time_ms, kT0 + 60'000);
  ASSERT_EQ(service_->InCityCount(), 1);
  EXPECT_EQ(service_->InCity(kT0).items[0].entered_at_ms, kT0);

  // One override per passage.
  auto twice = service_->ApplyOverride(Override{turned.id, Verdict::kRelease, "再次", "op7", 0});
  ASSERT_FALSE(twice);
  EXPECT_EQ(twice.error().code, ErrorCode::kConflict);
  // Taking the release back removes the vehicle again.
  auto back =
      service_->ApplyOverride(Override{released->id, Verdict::kTurnBack, "核实后劝返", "op7", 0});
  ASSERT_TRUE(back);
  EXPECT_EQ(service_->InCityCount(), 0);

  auto missing = service_->ApplyOverride(Override{9999, Verdict::kRelease, "x", "op7", 0});
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);
  auto no_reason = service_->ApplyOverride(Override{turned.id, Verdict::kRelease, "", "op7", 0});
  ASSERT_FALSE(no_reason);
  EXPECT_EQ(no_reason.error().code, ErrorCode::kBadValue);
}

TEST_F(CheckpointServiceTest, OverridingAnExitReopensTheStayAcrossReopen) {
  Passage entry = Read("KK-IN", "辽C10001", kYellow, kT0);
  Passage exit = Read("KK-OUT", "辽C10001", kYellow, kT0 + kHour);
  ASSERT_EQ(service_->InCityCount(), 0);
  auto held = service_->ApplyOverride(
      Override{exit.id, Verdict::kManualCheck, "车牌误识别，车辆未出城", "op7", kT0 + kHour + 1});
  ASSERT_TRUE(held) << held.error().Message();
  ASSERT_EQ(service_->InCityCount(), 1);
  Open();
  ASSERT_EQ(service_->InCityCount(), 1);
  InCityEntry stay = service_->InCity(kT0 + 2 * kHour).items[0];
  EXPECT_EQ(stay.plate, "辽C10001");
  EXPECT_EQ(stay.entered_at_ms, kT0);
  EXPECT_EQ(stay.passage_id, entry.id);
  EXPECT_EQ(stay.pass_id, 1);
  EXPECT_EQ(stay.checkpoint_id, "KK-IN");
  // The override is still known after reopening.
  auto twice = service_->ApplyOverride(Override{exit.id, Verdict::kRelease, "x", "op7", 0});
  ASSERT_FALSE(twice);
  EXPECT_EQ(twice.error().code, ErrorCode::kConflict);
}

// ---- Checkpoints and camera keys ---------------------------------------------------------------

TEST_F(CheckpointServiceTest, ApiKeysAreCheckedAndStoredOnlyAsHashes) {
  EXPECT_EQ(in_key_.size(), 43u);
  EXPECT_TRUE(service_->VerifyApiKey("KK-IN", in_key_));
  EXPECT_FALSE(service_->VerifyApiKey("KK-IN", in_key_ + "x"));
  EXPECT_FALSE(service_->VerifyApiKey("KK-IN", ""));
  EXPECT_FALSE(service_->VerifyApiKey("KK-OUT", in_key_));
  EXPECT_FALSE(service_->VerifyApiKey("KK-NONE", in_key_));

  auto database = store::Database::Open(dir_ / "registry.db");
  ASSERT_TRUE(database);
  auto select = (*database)->Prepare("SELECT api_key_sha256 FROM checkpoints WHERE id = 'KK-IN'");
  ASSERT_TRUE(select);
  ASSERT_TRUE(select->Step().value_or(false));
  EXPECT_EQ(select->Text(0).size(), 64u);
  EXPECT_EQ(select->Text(0).find(in_key_), std::string::npos);

  auto rotated = service_->RotateApiKey("KK-IN");
  ASSERT_TRUE(rotated);
  EXPECT_NE(*rotated, in_key_);
  EXPECT_FALSE(service_->VerifyApiKey("KK-IN", in_key_));
  EXPECT_TRUE(service_->VerifyApiKey("KK-IN", *rotated));
  Open();
  EXPECT_TRUE(service_->VerifyApiKey("KK-IN", *rotated));
  EXPECT_EQ(service_->RotateApiKey("KK-NONE").error().code, ErrorCode::kNotFound);
}

TEST_F(CheckpointServiceTest, CheckpointAdministration) {
  auto duplicate = service_->AddCheckpoint({"KK-IN", "重复", 41, 123, Direction::kIn, 0});
  ASSERT_FALSE(duplicate);
  EXPECT_EQ(duplicate.error().code, ErrorCode::kConflict);
  EXPECT_EQ(service_->AddCheckpoint({"KK 1", "名称", 41, 123, Direction::kIn, 0}).error().code,
            ErrorCode::kBadValue);
  EXPECT_EQ(service_->AddCheckpoint({"KK-2", "", 41, 123, Direction::kIn, 0}).error().code,
            ErrorCode::kBadValue);
  EXPECT_EQ(service_->AddCheckpoint({"KK-3", "名称", 91, 123, Direction::kIn, 0}).error().code,
            ErrorCode::kBadValue);
  auto list = service_->Checkpoints();
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0].id, "KK-IN");
  EXPECT_EQ(list[1].direction, Direction::kOut);
  auto found = service_->FindCheckpoint("KK-IN");
  ASSERT_TRUE(found);
  EXPECT_EQ(found->name, "沈海高速鞍山收费站入城卡口");
  EXPECT_DOUBLE_EQ(found->lat, 41.1);
  EXPECT_EQ(found->created_at_ms, kT0);
  EXPECT_FALSE(service_->FindCheckpoint("KK-NONE"));
}

// ---- The live feed ----------------------------------------------------------------------------

TEST_F(CheckpointServiceTest, LongPollWakesOnANewPassage) {
  Passage first = Read("KK-IN", "辽C99999");
  std::promise<Result<PassagePage>> waited;
  std::thread waiter([&] { waited.set_value(service_->WaitForPassages("KK-IN", first.id, 30s)); });
  Passage second = Read("KK-IN", "辽C10001");
  const auto started = std::chrono::steady_clock::now();
  auto future = waited.get_future();
  Result<PassagePage> page = future.get();
  waiter.join();
  EXPECT_LT(std::chrono::steady_clock::now() - started, 10s);
  ASSERT_TRUE(page);
  ASSERT_EQ(page->items.size(), 1u);
  EXPECT_EQ(page->items[0].id, second.id);
  EXPECT_EQ(page->last_id, second.id);
}

TEST_F(CheckpointServiceTest, LongPollTimesOutAndFiltersByCheckpoint) {
  Passage entry = Read("KK-IN", "辽C99999");
  // A passage at another checkpoint does not answer a wait on KK-OUT.
  auto page = service_->WaitForPassages("KK-OUT", 0, 50ms);
  ASSERT_TRUE(page);
  EXPECT_TRUE(page->items.empty());
  EXPECT_EQ(page->last_id, 0);
  auto none = service_->WaitForPassages(std::nullopt, entry.id, 20ms);
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->items.empty());
  EXPECT_EQ(none->last_id, entry.id);
  // Already there: returns at once with everything after.
  auto all = service_->WaitForPassages(std::nullopt, 0, 0ms);
  ASSERT_TRUE(all);
  ASSERT_EQ(all->items.size(), 1u);
}

TEST_F(CheckpointServiceTest, CloseWakesLongPolls) {
  std::promise<Result<PassagePage>> waited;
  std::thread waiter([&] { waited.set_value(service_->WaitForPassages("KK-IN", 0, 60s)); });
  const auto started = std::chrono::steady_clock::now();
  service_->Close();
  Result<PassagePage> page = waited.get_future().get();
  waiter.join();
  EXPECT_LT(std::chrono::steady_clock::now() - started, 30s);
  ASSERT_TRUE(page);
  EXPECT_TRUE(page->items.empty());
  auto closed = service_->Decide(PlateRead{"KK-IN", "辽C10001", kYellow, kT0, {}});
  ASSERT_FALSE(closed);
  EXPECT_EQ(closed.error().code, ErrorCode::kUnsupported);
}

}  // namespace
}  // namespace baotong::checkpoint
