#include "checkpoint/checkpoint_json.h"

#include <gtest/gtest.h>

namespace baotong::checkpoint {
namespace {

Passage SamplePassage() {
  Passage passage;
  passage.id = 42;
  passage.checkpoint_id = "KK-HD-01";
  passage.direction = Direction::kIn;
  passage.plate = "辽C12345";
  passage.plate_color = 2;
  passage.time_ms = 1000;
  passage.verdict = Verdict::kRelease;
  passage.reason_code = "pass.trip.valid";
  passage.reason = "通行证有效";
  passage.display_text = "辽C12345 核验通过 请通行";
  passage.pass_id = 9;
  passage.source = Source::kCamera;
  passage.recorded_at_ms = 1001;
  return passage;
}

TEST(CheckpointJsonTest, DecisionHasTheContractFields) {
  auto json = DecisionJson(SamplePassage());
  EXPECT_EQ(json["passage_id"], 42);
  EXPECT_EQ(json["decision"], "release");
  EXPECT_EQ(json["reason_code"], "pass.trip.valid");
  EXPECT_EQ(json["reason"], "通行证有效");
  EXPECT_EQ(json["display_text"], "辽C12345 核验通过 请通行");
  EXPECT_EQ(json["pass_id"], 9);
  Passage without = SamplePassage();
  without.pass_id.reset();
  without.verdict = Verdict::kTurnBack;
  EXPECT_TRUE(DecisionJson(without)["pass_id"].is_null());
  EXPECT_EQ(DecisionJson(without)["decision"], "turn_back");
}

TEST(CheckpointJsonTest, PassageAndPage) {
  auto json = PassageJson(SamplePassage());
  EXPECT_EQ(json["id"], 42);
  EXPECT_EQ(json["source"], "camera");
  EXPECT_EQ(json["direction"], "in");
  EXPECT_TRUE(json["operator"].is_null());
  EXPECT_TRUE(json["overrides_id"].is_null());
  auto page = PassagePageJson(PassagePage{{SamplePassage()}, 42});
  EXPECT_EQ(page["last_id"], 42);
  EXPECT_EQ(page["items"].size(), 1u);
}

TEST(CheckpointJsonTest, CheckpointAndInCity) {
  auto checkpoint =
      CheckpointJson(Checkpoint{"KK-HD-01", "入城卡口", 41.1, 122.9, Direction::kOut, 5});
  EXPECT_EQ(checkpoint["id"], "KK-HD-01");
  EXPECT_EQ(checkpoint["direction"], "out");
  EXPECT_DOUBLE_EQ(checkpoint["lat"].get<double>(), 41.1);
  InCityEntry entry{"辽C12345", 2, 1000, "KK-HD-01", 42, 9, 5000, 4000};
  auto json = InCityJson(entry, 4500);
  EXPECT_EQ(json["plate"], "辽C12345");
  EXPECT_EQ(json["entered_at_ms"], 1000);
  EXPECT_EQ(json["checkpoint_id"], "KK-HD-01");
  EXPECT_EQ(json["valid_until_ms"], 5000);
  EXPECT_EQ(json["deadline_ms"], 4000);
  EXPECT_EQ(json["in_city_ms"], 3500);
  EXPECT_EQ(json["overdue"], true);
  auto page = InCityPageJson(InCityPage{1, {entry}}, 100);
  EXPECT_EQ(page["total"], 1);
  EXPECT_EQ(page["items"][0]["overdue"], false);
}

TEST(CheckpointJsonTest, ParsesCameraBodies) {
  auto read = ParsePlateRead(
      "KK-1", R"({"plate":"辽C12345","plate_color":2,"time_ms":123,"image_ref":"a.jpg"})");
  ASSERT_TRUE(read) << read.error();
  EXPECT_EQ(read->checkpoint_id, "KK-1");
  EXPECT_EQ(read->plate, "辽C12345");
  EXPECT_EQ(read->plate_color, 2);
  EXPECT_EQ(read->time_ms, 123);
  EXPECT_EQ(read->image_ref, "a.jpg");
  auto minimal = ParsePlateRead("KK-1", R"({"plate":"辽C12345"})");
  ASSERT_TRUE(minimal);
  EXPECT_FALSE(minimal->plate_color);
  EXPECT_EQ(minimal->time_ms, 0);
  EXPECT_FALSE(ParsePlateRead("KK-1", R"({"plate_color":2})"));
  EXPECT_FALSE(ParsePlateRead("KK-1", R"({"plate":"辽C12345","plate_color":"黄"})"));
  EXPECT_FALSE(ParsePlateRead("KK-1", R"({"plate":"辽C12345","plate_color":1000})"));
  EXPECT_FALSE(ParsePlateRead("KK-1", "not json"));
  EXPECT_FALSE(ParsePlateRead("KK-1", "[1]"));
}

TEST(CheckpointJsonTest, ParsesScansAndOverrides) {
  auto scan = ParseQrScan("KK-1", "op", R"({"token":"BT1.x.y"})");
  ASSERT_TRUE(scan);
  EXPECT_EQ(scan->token, "BT1.x.y");
  EXPECT_EQ(scan->operator_name, "op");
  EXPECT_FALSE(ParseQrScan("KK-1", "op", R"({"token":""})"));
  auto change = ParseOverride(5, "op", R"({"decision":"manual_check","reason":"复核"})");
  ASSERT_TRUE(change);
  EXPECT_EQ(change->passage_id, 5);
  EXPECT_EQ(change->verdict, Verdict::kManualCheck);
  EXPECT_EQ(change->reason, "复核");
  EXPECT_FALSE(ParseOverride(5, "op", R"({"decision":"allow","reason":"x"})"));
  EXPECT_FALSE(ParseOverride(5, "op", R"({"decision":"release"})"));
}

}  // namespace
}  // namespace baotong::checkpoint
