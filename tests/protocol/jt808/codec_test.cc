// Decoding of bodies, field by field, and the errors bad bodies give.
#include "protocol/jt808/codec.h"

#include <gtest/gtest.h>

#include "common/hex.h"
#include "protocol/jt808/parameters.h"
#include "protocol/jt808/test_messages.h"

namespace baotong::jt808 {
namespace {

std::vector<uint8_t> Bytes(std::string_view hex) {
  return *ParseHex(hex);
}

Result<Message> Decode(uint16_t id, std::string_view body_hex, Version version = Version::k2013) {
  auto body = Bytes(body_hex);
  return DecodeBody(id, version, body);
}

TEST(Location, DecodesFixedPartAndStandardItems) {
  // alarm: emergency; status: ACC, positioned, south, west, full load, door 1 open.
  auto message = Decode(msg_id::kLocationReport,
                        "00000001"  // alarm
                        "0000230f"  // status
                        "0273a4c4"  // lat 41.133252
                        "07546b3c"  // lon 122.972988
                        "0019"
                        "0271"
                        "0057"
                        "220420085000"
                        "010400000457"      // odometer 111.1 km
                        "02020064"          // fuel 10.0 L
                        "1105020000000a"    // overspeed in polygon 10
                        "1206010000000701"  // left circle 7
                        "2b0400020001"      // AD0 1, AD1 2
                        "30011b"
                        "31010e");
  ASSERT_TRUE(message) << message.error().Message();
  const auto& r = std::get<LocationReport>(*message);
  EXPECT_EQ(r.alarm, alarm_bit::kEmergency);
  EXPECT_EQ(r.lat_e6, -41'133'252);
  EXPECT_EQ(r.lon_e6, -122'972'988);
  EXPECT_EQ(LoadStateOf(r.status), LoadState::kFull);
  EXPECT_TRUE(r.status & status_bit::kDoor1Open);
  EXPECT_EQ(r.altitude_m, 25);
  EXPECT_EQ(r.speed_dkmh, 625);
  EXPECT_EQ(r.direction, 87);
  EXPECT_EQ(r.time_ms, 1'650'415'800'000);
  EXPECT_EQ(r.odometer_hm, 1111u);
  EXPECT_EQ(r.fuel_dl, 100);
  ASSERT_TRUE(r.overspeed_alarm);
  EXPECT_EQ(r.overspeed_alarm->area_type, 2);
  EXPECT_EQ(r.overspeed_alarm->area_id, 10u);
  ASSERT_TRUE(r.area_alarm);
  EXPECT_EQ(r.area_alarm->area_id, 7u);
  EXPECT_EQ(r.area_alarm->direction, 1);
  EXPECT_EQ(r.analog, 0x00020001u);
  EXPECT_EQ(r.signal_strength, 27);
  EXPECT_EQ(r.satellites, 14);
  EXPECT_TRUE(r.other_items.empty());
}

TEST(Location, KeepsUnknownItemsAndOddLengthsRaw) {
  auto message = Decode(msg_id::kLocationReport,
                        "00000000000000020000000100000001000000000000220420085000"
                        "e30301020301020005"  // vendor item; odometer with a 2-byte value
                        "3101ff");
  ASSERT_TRUE(message) << message.error().Message();
  const auto& r = std::get<LocationReport>(*message);
  EXPECT_EQ(ToHex(r.other_items),
            "e3030102030102"
            "0005");
  EXPECT_FALSE(r.odometer_hm);
  EXPECT_EQ(r.satellites, 255);
}

TEST(Location, TruncatedFixedPartIsAnError) {
  auto message = Decode(msg_id::kLocationReport, "0000000000000002000000010000");
  ASSERT_FALSE(message);
  EXPECT_EQ(message.error().code, ErrorCode::kTruncated);
}

TEST(Location, BadTimeIsAnError) {
  auto message =
      Decode(msg_id::kLocationReport, "00000000000000020000000100000001000000000000221399085000");
  ASSERT_FALSE(message);
  EXPECT_EQ(message.error().code, ErrorCode::kBadTime);
}

TEST(LocationBatch, RejectsCountsTheBodyCannotHold) {
  auto message = Decode(msg_id::kLocationBatch, "ffff00");
  ASSERT_FALSE(message);
  EXPECT_EQ(message.error().code, ErrorCode::kLengthMismatch);
  auto trailing = Decode(msg_id::kLocationBatch, "000000ff");
  ASSERT_FALSE(trailing);
  EXPECT_EQ(trailing.error().code, ErrorCode::kLengthMismatch);
}

TEST(Register, Reads2013LayoutWithGbkPlate) {
  // province 21 (Liaoning), city 300 (Anshan), maker "BTONG", model "BT-808", id "T000001",
  // colour 2 (yellow), plate 辽C12345.
  auto message = Decode(msg_id::kRegister,
                        "0015012c"
                        "42544f4e47"
                        "42542d3830380000000000000000000000000000"
                        "54303030303031"
                        "02"
                        "c1c9433132333435");
  ASSERT_TRUE(message) << message.error().Message();
  const auto& r = std::get<Register>(*message);
  EXPECT_EQ(r.province_id, 21);
  EXPECT_EQ(r.city_id, 300);
  EXPECT_EQ(r.maker_id, "BTONG");
  EXPECT_EQ(r.terminal_model, "BT-808");
  EXPECT_EQ(r.terminal_id, "T000001");
  EXPECT_EQ(r.plate_color, 2);
  EXPECT_EQ(r.plate, "辽C12345");
}

TEST(Register, TellsThe2011LayoutByLength) {
  Version version = Version::k2013;
  auto body = Bytes(
      "0015012c"
      "42544f4e47"
      "4254383038000000"
      "54303030303031"
      "02"
      "c1c9433132333435");
  auto message = DecodeBody(msg_id::kRegister, version, body);
  ASSERT_TRUE(message) << message.error().Message();
  EXPECT_EQ(version, Version::k2011);
  EXPECT_EQ(std::get<Register>(*message).terminal_model, "BT808");
  EXPECT_EQ(std::get<Register>(*message).plate, "辽C12345");
}

TEST(Register, TooShortIsAnError) {
  Version version = Version::k2019;
  auto body = Bytes("0015012c42544f4e47");
  EXPECT_EQ(DecodeBody(msg_id::kRegister, version, body).error().code, ErrorCode::kTruncated);
}

TEST(Auth, Reads2013And2019) {
  auto v2013 = Decode(msg_id::kAuth, "31323334353637");
  ASSERT_TRUE(v2013);
  EXPECT_EQ(std::get<Auth>(*v2013).auth_code, "1234567");
  auto body = Bytes(
      "0461626364"
      "383631323334353637383930313233"
      "56312e302e300000000000000000000000000000");
  Version version = Version::k2019;
  auto message = DecodeBody(msg_id::kAuth, version, body);
  ASSERT_TRUE(message) << message.error().Message();
  const auto& auth = std::get<Auth>(*message);
  EXPECT_EQ(auth.auth_code, "abcd");
  EXPECT_EQ(auth.imei, "861234567890123");
  EXPECT_EQ(auth.software_version, "V1.0.0");
}

TEST(GeneralReply, DemandsFiveBytes) {
  auto ok = Decode(msg_id::kPlatformGeneralReply, "0019020000");
  ASSERT_TRUE(ok);
  const auto& reply = std::get<PlatformGeneralReply>(*ok);
  EXPECT_EQ(reply.reply_serial, 0x19);
  EXPECT_EQ(reply.reply_msg_id, 0x0200);
  EXPECT_EQ(reply.result, static_cast<uint8_t>(ReplyResult::kOk));
  EXPECT_EQ(Decode(msg_id::kTerminalGeneralReply, "00190200").error().code,
            ErrorCode::kLengthMismatch);
}

TEST(EmptyBodies, MustBeEmpty) {
  EXPECT_TRUE(Decode(msg_id::kHeartbeat, ""));
  EXPECT_EQ(Decode(msg_id::kHeartbeat, "00").error().code, ErrorCode::kLengthMismatch);
}

TEST(TextMessage, Reads2013And2019Layouts) {
  auto v2013 = Decode(msg_id::kTextMessage, "0cc4fad2d1c6abc0eb");  // 您已偏离
  ASSERT_TRUE(v2013) << v2013.error().Message();
  EXPECT_EQ(std::get<TextMessage>(*v2013).flags, 0x0c);
  EXPECT_EQ(std::get<TextMessage>(*v2013).text, "您已偏离");
  auto v2019 = Decode(msg_id::kTextMessage, "0c02c4fad2d1c6abc0eb", Version::k2019);
  ASSERT_TRUE(v2019);
  EXPECT_EQ(std::get<TextMessage>(*v2019).text_type, 2);
  EXPECT_EQ(std::get<TextMessage>(*v2019).text, "您已偏离");
}

TEST(TextMessage, InvalidGbkIsAnError) {
  EXPECT_EQ(Decode(msg_id::kTextMessage, "0cc120").error().code, ErrorCode::kBadEncoding);
}

TEST(Parameters, ReadsTypedValues) {
  auto message = Decode(msg_id::kSetParameters,
                        "03"
                        "00000001040000001e"            // heartbeat 30 s
                        "00000055040000003c"            // max speed 60 km/h
                        "0000008308c1c9433132333435");  // plate
  ASSERT_TRUE(message) << message.error().Message();
  const auto& params = std::get<SetParameters>(*message).parameters;
  ASSERT_EQ(params.size(), 3u);
  EXPECT_EQ(ParameterInteger(params[0]), 30u);
  EXPECT_EQ(ParameterInteger(params[1]), 60u);
  EXPECT_EQ(ParameterTypeOf(params[2].id), ParameterType::kString);
  EXPECT_EQ(ParameterTypeOf(0xf001), std::nullopt);
  EXPECT_EQ(Decode(msg_id::kSetParameters, "05000000010400").error().code,
            ErrorCode::kLengthMismatch);
}

TEST(Areas, ReadsCircleWithTimeWindowAndSpeedLimit2019) {
  auto message = Decode(msg_id::kSetCircleAreas,
                        "01"
                        "01"
                        "00000007"
                        "0003"  // id 7, time window + speed limit
                        "0273a4c4"
                        "07546b3c"
                        "000001f4"  // radius 500 m
                        "220420000000"
                        "221231235959"
                        "003c"
                        "1e"
                        "0028"  // 60 km/h, 30 s, night 40 km/h
                        "0004"
                        "cfdec7f8",  // 限区
                        Version::k2019);
  ASSERT_TRUE(message) << message.error().Message();
  const auto& circle = std::get<SetCircleAreas>(*message).areas.at(0);
  EXPECT_EQ(circle.id, 7u);
  EXPECT_EQ(circle.radius_m, 500u);
  EXPECT_EQ(circle.limits.start_time, "220420000000");
  EXPECT_EQ(circle.limits.max_speed_kmh, 60);
  EXPECT_EQ(circle.limits.overspeed_duration_s, 30);
  EXPECT_EQ(circle.limits.night_max_speed_kmh, 40);
  EXPECT_EQ(circle.name, "限区");
}

TEST(Areas, DeleteCountMustMatchIds) {
  auto message = Decode(msg_id::kDeletePolygonAreas, "020000000100000002");
  ASSERT_TRUE(message);
  EXPECT_EQ(std::get<DeleteAreas>(*message).kind, AreaKind::kPolygon);
  EXPECT_EQ(std::get<DeleteAreas>(*message).ids, (std::vector<uint32_t>{1, 2}));
  EXPECT_EQ(Decode(msg_id::kDeleteCircleAreas, "0200000001").error().code,
            ErrorCode::kLengthMismatch);
}

TEST(Multimedia, ReadsUploadPreambleLocationAndData) {
  auto message = Decode(msg_id::kMultimediaUpload,
                        "0000002a"
                        "00"
                        "00"
                        "04"
                        "01"
                        "00000000000000020273a4c407546b3c001902710057220420085000"
                        "ffd8ffe0");
  ASSERT_TRUE(message) << message.error().Message();
  const auto& upload = std::get<MultimediaUpload>(*message);
  EXPECT_EQ(upload.event.media_id, 42u);
  EXPECT_EQ(upload.event.event, 4);  // door opened
  EXPECT_EQ(upload.location.lat_e6, 41'133'252);
  EXPECT_EQ(ToHex(upload.data), "ffd8ffe0");
}

TEST(ResendSubpackages, CountWidthFollowsVersion) {
  auto v2013 = Decode(msg_id::kResendSubpackages, "00640200020004");
  ASSERT_TRUE(v2013);
  EXPECT_EQ(std::get<ResendSubpackages>(*v2013).package_indexes, (std::vector<uint16_t>{2, 4}));
  auto v2019 = Decode(msg_id::kResendSubpackages, "0064000200020004", Version::k2019);
  ASSERT_TRUE(v2019);
  EXPECT_EQ(std::get<ResendSubpackages>(*v2019).original_serial, 100);
}

TEST(UnknownMessages, ComeBackRaw) {
  auto message = Decode(0x0900, "f00102");
  ASSERT_TRUE(message);
  EXPECT_EQ(std::get<RawMessage>(*message).msg_id, 0x0900);
  EXPECT_EQ(ToHex(std::get<RawMessage>(*message).body), "f00102");
}

TEST(DecodeMessage, RefusesEncryptedBodies) {
  Header header = testing::TestHeader();
  header.encryption = 1;
  auto frame = testing::EncodeFrame(header, Heartbeat{});
  std::vector<uint8_t> scratch(frame.size());
  auto view = ParseEscapedFrame(frame, scratch);
  ASSERT_TRUE(view);
  EXPECT_EQ(DecodeMessage(*view).error().code, ErrorCode::kUnsupported);
}

TEST(Encode, RefusesValuesThatDoNotFit) {
  MessageEncoder encoder;
  std::vector<uint8_t> out;
  Register too_long;
  too_long.maker_id = "TOO-LONG-MAKER";
  EXPECT_EQ(encoder.Encode(testing::TestHeader(), too_long, out).error().code, ErrorCode::kTooLong);
  TextMessage emoji;
  emoji.text = "\U0001F69A";
  EXPECT_EQ(encoder.Encode(testing::TestHeader(), emoji, out).error().code,
            ErrorCode::kBadEncoding);
  LocationReport broken_items = testing::TypicalReport();
  broken_items.other_items = {0xe1, 0x05, 0x00};
  EXPECT_EQ(encoder.Encode(testing::TestHeader(), broken_items, out).error().code,
            ErrorCode::kBadValue);
  EXPECT_TRUE(out.empty());
}

}  // namespace
}  // namespace baotong::jt808

namespace baotong::jt808 {
namespace {

// The gateway reuses one LocationReport for every frame; nothing may leak between reports.
TEST(Location, ReusedReportKeepsNothingFromThePreviousOne) {
  LocationReport full = testing::TypicalReport();
  full.fuel_dl = 10;
  full.area_alarm = AreaAlarmItem{1, 2, 0};
  full.other_items = {0xe1, 0x01, 0xff};
  full.unparsed_tail = {0x00, 0xff, 0x01};
  LocationReport bare;
  bare.time_ms = full.time_ms;
  std::vector<uint8_t> full_body;
  std::vector<uint8_t> bare_body;
  ASSERT_TRUE(EncodeBody(full, Version::k2013, full_body));
  ASSERT_TRUE(EncodeBody(bare, Version::k2013, bare_body));

  LocationReport reused;
  ASSERT_TRUE(DecodeLocationReport(full_body, reused));
  EXPECT_EQ(reused, full);
  ASSERT_TRUE(DecodeLocationReport(bare_body, reused));
  EXPECT_EQ(reused, bare);
}

}  // namespace
}  // namespace baotong::jt808
