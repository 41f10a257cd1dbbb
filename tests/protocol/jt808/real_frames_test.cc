// Published JT/T 808 frames from public test suites (traccar, SmallChi/JT808, go-jt808,
// yezhihao/jt808-server), decoded field by field and re-encoded. The frames, their sources and
// the values they carry are listed in REAL_FRAMES.md next to this file; the ids (A1, C3, ...)
// in the comments refer to its sections, and commits are the first 8 hex digits of the stored
// version REAL_FRAMES.md names.

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "common/bytes.h"
#include "common/error.h"
#include "common/gbk.h"
#include "common/hex.h"
#include "protocol/jt808/codec.h"
#include "protocol/jt808/constants.h"
#include "protocol/jt808/frame.h"
#include "protocol/jt808/header.h"
#include "protocol/jt808/messages.h"
#include "protocol/jt808/parameters.h"

namespace baotong::jt808 {
namespace {

std::vector<uint8_t> Bytes(std::string_view hex) {
  auto bytes = ParseHex(hex);
  EXPECT_TRUE(bytes.has_value()) << hex;
  return bytes ? *bytes : std::vector<uint8_t>{};
}

// Lower-case hex without separators, as ToHex writes it.
std::string Canonical(std::string_view hex) {
  return ToHex(Bytes(hex));
}

std::string Describe(const Error& error) {
  return error.Message();
}

Result<DecodedMessage> DecodeBytes(ByteSpan bytes, const FrameOptions& options = {}) {
  std::vector<uint8_t> scratch(bytes.size());
  auto view = ParseEscapedFrame(bytes, scratch, options);
  if (!view)
    return tl::unexpected(view.error());
  return DecodeMessage(*view);
}

Result<DecodedMessage> Decode(std::string_view hex, const FrameOptions& options = {}) {
  std::vector<uint8_t> bytes = Bytes(hex);
  return DecodeBytes(bytes, options);
}

constexpr FrameOptions kSkipChecksum{.verify_checksum = false};

// UTC epoch milliseconds of a wall-clock time in UTC+8, which is what BCD times in frames hold.
int64_t BeijingMs(int year, unsigned month, unsigned day, int hour, int minute, int second) {
  const std::chrono::sys_days date{std::chrono::year{year} / std::chrono::month{month} /
                                   std::chrono::day{day}};
  const int64_t days = date.time_since_epoch().count();
  return (days * 86400 + hour * 3600 + minute * 60 + second - 8 * 3600) * int64_t{1000};
}

void ExpectHeader(const Header& header, uint16_t msg_id, Version version, std::string_view phone,
                  uint16_t serial, uint16_t body_length) {
  EXPECT_EQ(header.msg_id, msg_id);
  EXPECT_EQ(header.version, version);
  if (Is2019(version)) {
    EXPECT_EQ(header.protocol_version, 1);
  }
  EXPECT_EQ(header.phone.digits(), phone);
  EXPECT_EQ(header.serial, serial);
  EXPECT_EQ(header.body_length, body_length);
  EXPECT_EQ(header.encryption, 0);
  EXPECT_FALSE(header.subpackage.has_value());
}

// Re-encodes `decoded` under its own header with MessageEncoder, checks that decoding the result
// gives back the same header and message, and returns the new frame as lower-case hex.
std::string RoundTrip(const DecodedMessage& decoded) {
  MessageEncoder encoder;
  std::vector<uint8_t> frame;
  auto encoded = encoder.Encode(decoded.header, decoded.message, frame);
  EXPECT_TRUE(encoded.has_value()) << (encoded ? "" : Describe(encoded.error()));
  auto again = DecodeBytes(frame);
  EXPECT_TRUE(again.has_value()) << (again ? "" : Describe(again.error()));
  if (again) {
    EXPECT_EQ(again->header, decoded.header);
    EXPECT_TRUE(again->message == decoded.message) << "re-decoded message differs";
  }
  return ToHex(frame);
}

// Body-level round trip for vectors published as bodies only.
std::string RoundTripBody(const Message& message, Version version) {
  std::vector<uint8_t> body;
  auto encoded = EncodeBody(message, version, body);
  EXPECT_TRUE(encoded.has_value()) << (encoded ? "" : Describe(encoded.error()));
  Version again_version = version;
  auto again = DecodeBody(MessageId(message), again_version, body);
  EXPECT_TRUE(again.has_value()) << (again ? "" : Describe(again.error()));
  if (again) {
    EXPECT_TRUE(*again == message) << "re-decoded body differs";
  }
  return ToHex(body);
}

// A 2011/2013 authentication: the code alone.
Auth AuthCode(std::string code) {
  Auth auth;
  auth.auth_code = std::move(code);
  return auth;
}

AreaLimits SpeedLimit(uint16_t max_speed_kmh, uint8_t duration_s,
                      uint16_t night_max_speed_kmh = 0) {
  AreaLimits limits;
  limits.max_speed_kmh = max_speed_kmh;
  limits.overspeed_duration_s = duration_s;
  limits.night_max_speed_kmh = night_max_speed_kmh;
  return limits;
}

AreaLimits TimeWindow(std::string start, std::string end, AreaLimits limits = {}) {
  limits.start_time = std::move(start);
  limits.end_time = std::move(end);
  return limits;
}

const Parameter* FindParameter(const std::vector<Parameter>& parameters, uint32_t id) {
  for (const Parameter& parameter : parameters) {
    if (parameter.id == id)
      return &parameter;
  }
  return nullptr;
}

// ---------------------------------------------------------------------------------------------
// 0x0200 location reports

// A1: traccar/traccar src/test/java/org/traccar/protocol/HuabaoProtocolDecoderTest.java @ 014cf82a
TEST(RealFramesLocation, TraccarBasicWithOdometerFuelTachograph) {
  constexpr std::string_view kFrame =
      "7E0200002A013833501744001900000000000000C201597FA806CC01580080000000081508180721210104000002"
      "F502020000030200009F7E";
  auto decoded = Decode(kFrame);
  ASSERT_TRUE(decoded.has_value()) << Describe(decoded.error());
  ExpectHeader(decoded->header, msg_id::kLocationReport, Version::k2013, "013833501744", 25, 42);
  const auto& report = std::get<LocationReport>(decoded->message);
  EXPECT_EQ(report.alarm, 0u);
  EXPECT_EQ(report.status, 0xC2u);
  EXPECT_TRUE(report.status & status_bit::kPositioned);
  EXPECT_EQ(report.lat_e6, 22642600);
  EXPECT_EQ(report.lon_e6, 114032984);
  EXPECT_EQ(report.altitude_m, 128);
  EXPECT_EQ(report.speed_dkmh, 0);
  EXPECT_EQ(report.direction, 8);
  EXPECT_EQ(report.time_ms, BeijingMs(2015, 8, 18, 7, 21, 21));
  EXPECT_EQ(report.odometer_hm, 757u);
  EXPECT_EQ(report.fuel_dl, 0);
  EXPECT_EQ(report.tachograph_speed_dkmh, 0);
  EXPECT_FALSE(report.satellites.has_value());
  EXPECT_TRUE(report.other_items.empty());
  EXPECT_TRUE(report.unparsed_tail.empty());
  EXPECT_EQ(RoundTrip(*decoded), Canonical(kFrame));
}

// A2: traccar/traccar src/test/java/org/traccar/protocol/HuabaoProtocolDecoderTest.java @ 014cf82a
TEST(RealFramesLocation, TraccarWestHemisphereWithVendorItem) {
  constexpr std::string_view kFrame =
      "7e0200002e094027587492000a000000010000000a03083db7001329f3000000140000130412164952010400000"
      "012360a0002341502cb0c20085c107e";
  auto decoded = Decode(kFrame);
  ASSERT_TRUE(decoded.has_value()) << Describe(decoded.error());
  ExpectHeader(decoded->header, msg_id::kLocationReport, Version::k2013, "094027587492", 10, 46);
  const auto& report = std::get<LocationReport>(decoded->message);
  EXPECT_EQ(report.alarm, alarm_bit::kEmergency);
  EXPECT_EQ(report.status, 0x0Au);
  EXPECT_TRUE(report.status & status_bit::kWestLongitude);
  EXPECT_FALSE(report.status & status_bit::kSouthLatitude);
  EXPECT_EQ(report.lat_e6, 50871735);
  EXPECT_EQ(report.lon_e6, -1255923);
  EXPECT_EQ(report.altitude_m, 0);
  EXPECT_EQ(report.speed_dkmh, 20);
  EXPECT_EQ(report.direction, 0);
  EXPECT_EQ(report.time_ms, BeijingMs(2013, 4, 12, 16, 49, 52));
  EXPECT_EQ(report.odometer_hm, 0x12u);
  EXPECT_EQ(report.other_items, Bytes("360a0002341502cb0c20085c"));
  EXPECT_TRUE(report.unparsed_tail.empty());
  EXPECT_EQ(RoundTrip(*decoded), Canonical(kFrame));
}

// A3: traccar/traccar src/test/java/org/traccar/protocol/HuabaoProtocolDecoderTest.java @ 014cf82a
TEST(RealFramesLocation, TraccarSouthHemisphereWithZeroPaddingKeptAsTail) {
  constexpr std::string_view kFrame =
      "7e0200002e202000129707001c0000000000001c0601a2f0a8091f0bf00000000000ed2011030317330000000000"
      "00000000780000000018000000267e";
  auto decoded = Decode(kFrame);
  ASSERT_TRUE(decoded.has_value()) << Describe(decoded.error());
  ExpectHeader(decoded->header, msg_id::kLocationReport, Version::k2013, "202000129707", 28, 46);
  const auto& report = std::get<LocationReport>(decoded->message);
  EXPECT_EQ(report.alarm, 0u);
  EXPECT_EQ(report.status, 0x1C06u);
  EXPECT_TRUE(report.status & status_bit::kSouthLatitude);
  EXPECT_TRUE(report.status & status_bit::kOilCircuitCut);
  EXPECT_TRUE(report.status & status_bit::kDoorsLocked);
  EXPECT_EQ(report.lat_e6, -27455656);
  EXPECT_EQ(report.lon_e6, 153029616);
  EXPECT_EQ(report.altitude_m, 0);
  EXPECT_EQ(report.speed_dkmh, 0);
  EXPECT_EQ(report.direction, 237);
  EXPECT_EQ(report.time_ms, BeijingMs(2020, 11, 3, 3, 17, 33));
  // Four empty items with id 0, then an item claiming 120 bytes with 8 left.
  EXPECT_EQ(report.other_items, Bytes("0000 0000 0000 0000"));
  EXPECT_EQ(report.unparsed_tail, Bytes("0078 0000000018000000"));
  EXPECT_FALSE(report.odometer_hm.has_value());
  EXPECT_EQ(RoundTrip(*decoded), Canonical(kFrame));
}

// A4: traccar/traccar src/test/java/org/traccar/protocol/HuabaoProtocolDecoderTest.java @ 014cf82a
TEST(RealFramesLocation, TraccarSouthAndWestHemispheres) {
  constexpr std::string_view kFrame =
      "7e020000220014012499170007000000000000400e012af16f02cbd2ba00000000000015010119425701040000"
      "0077a97e";
  auto decoded = Decode(kFrame);
  ASSERT_TRUE(decoded.has_value()) << Describe(decoded.error());
  ExpectHeader(decoded->header, msg_id::kLocationReport, Version::k2013, "001401249917", 7, 34);
  const auto& report = std::get<LocationReport>(decoded->message);
  EXPECT_EQ(report.alarm, 0u);
  EXPECT_EQ(report.status, 0x400Eu);
  EXPECT_EQ(report.lat_e6, -19591535);
  EXPECT_EQ(report.lon_e6, -46912186);
  EXPECT_EQ(report.altitude_m, 0);
  EXPECT_EQ(report.speed_dkmh, 0);
  EXPECT_EQ(report.direction, 0);
  EXPECT_EQ(report.time_ms, BeijingMs(2015, 1, 1, 19, 42, 57));
  EXPECT_EQ(report.odometer_hm, 119u);
  EXPECT_TRUE(report.other_items.empty());
  EXPECT_EQ(RoundTrip(*decoded), Canonical(kFrame));
}

// A5: traccar/traccar src/test/java/org/traccar/protocol/HuabaoProtocolDecoderTest.java @ 014cf82a
TEST(RealFramesLocation, TraccarIoStatusSignalStrengthSatellites) {
  constexpr std::string_view kFrame =
      "7e0200002c00160128561400020000000000040001005de1f7065c6cef0000000000001701171004420104000"
      "0a9002a02000030011b3101030c7e";
  auto decoded = Decode(kFrame);
  ASSERT_TRUE(decoded.has_value()) << Describe(decoded.error());
  ExpectHeader(decoded->header, msg_id::kLocationReport, Version::k2013, "001601285614", 2, 44);
  const auto& report = std::get<LocationReport>(decoded->message);
  EXPECT_EQ(report.alarm, 0u);
  EXPECT_EQ(report.status, status_bit::kAccOn | status_bit::kUsingGps);
  EXPECT_FALSE(report.status & status_bit::kPositioned);
  EXPECT_EQ(report.lat_e6, 6152695);
  EXPECT_EQ(report.lon_e6, 106720495);
  EXPECT_EQ(report.altitude_m, 0);
  EXPECT_EQ(report.speed_dkmh, 0);
  EXPECT_EQ(report.direction, 0);
  EXPECT_EQ(report.time_ms, BeijingMs(2017, 1, 17, 10, 4, 42));
  EXPECT_EQ(report.odometer_hm, 43264u);
  EXPECT_EQ(report.io_status, 0);
  EXPECT_EQ(report.signal_strength, 27);
  EXPECT_EQ(report.satellites, 3);
  EXPECT_TRUE(report.other_items.empty());
  EXPECT_EQ(RoundTrip(*decoded), Canonical(kFrame));
}

// A5 (sister frame): traccar/traccar src/test/java/org/traccar/protocol/
// HuabaoProtocolDecoderTest.java @ 014cf82a. Status 0x00040007 has the south bit set (the device
// is in Jakarta), and 0x0016 is the altitude, not the speed as REAL_FRAMES.md says.
TEST(RealFramesLocation, TraccarSisterFrameIsSouthOfTheEquator) {
  constexpr std::string_view kFrame =
      "7e0200002c00160128561400030000000000040007005de13c065c6cdb001600000000170117100542010400"
      "00a9002a02000030011b310104e47e";
  auto decoded = Decode(kFrame);
  ASSERT_TRUE(decoded.has_value()) << Describe(decoded.error());
  ExpectHeader(decoded->header, msg_id::kLocationReport, Version::k2013, "001601285614", 3, 44);
  const auto& report = std::get<LocationReport>(decoded->message);
  EXPECT_EQ(report.status, 0x00040007u);
  EXPECT_EQ(report.lat_e6, -6152508);
  EXPECT_EQ(report.lon_e6, 106720475);
  EXPECT_EQ(report.altitude_m, 22);
  EXPECT_EQ(report.speed_dkmh, 0);
  EXPECT_EQ(report.time_ms, BeijingMs(2017, 1, 17, 10, 5, 42));
  EXPECT_EQ(report.odometer_hm, 43264u);
  EXPECT_EQ(report.io_status, 0);
  EXPECT_EQ(report.signal_strength, 27);
  EXPECT_EQ(report.satellites, 4);
  EXPECT_EQ(RoundTrip(*decoded), Canonical(kFrame));
}

// A6: traccar/traccar src/test/java/org/traccar/protocol/HuabaoProtocolDecoderTest.java @ 014cf82a
TEST(RealFramesLocation, TraccarVendorItemsBeforeAndAfterStandardOnes) {
  constexpr std::string_view kFrame =
      "7E0200005C03204187290418C70000000000040003015AFC8D06D134D60000000000002004011006345708000000"
      "0000000000010400000002530901000000000000000030010F310106EB1D000800233030312E3437000A000300"
      "000000000000000005000101A500357E";
  auto decoded = Decode(kFrame);
  ASSERT_TRUE(decoded.has_value()) << Describe(decoded.error());
  ExpectHeader(decoded->header, msg_id::kLocationReport, Version::k2013, "032041872904", 6343, 92);
  const auto& report = std::get<LocationReport>(decoded->message);
  EXPECT_EQ(report.alarm, 0u);
  EXPECT_EQ(report.status, 0x00040003u);
  EXPECT_EQ(report.lat_e6, 22740109);
  EXPECT_EQ(report.lon_e6, 114373846);
  EXPECT_EQ(report.time_ms, BeijingMs(2020, 4, 1, 10, 6, 34));
  EXPECT_EQ(report.odometer_hm, 2u);
  EXPECT_EQ(report.signal_strength, 0x0F);
  EXPECT_EQ(report.satellites, 6);
  // Vendor items in wire order; 0xEB holds the ASCII fuel "001.47".
  EXPECT_EQ(report.other_items,
            Bytes("57080000000000000000 5309010000000000000000 "
                  "EB1D000800233030312E3437000A000300000000000000000005000101A500"));
  EXPECT_TRUE(report.unparsed_tail.empty());
  // Known items are written before vendor ones, so only the message survives the round trip.
  EXPECT_NE(RoundTrip(*decoded), Canonical(kFrame));
}

// A7: traccar/traccar src/test/java/org/traccar/protocol/HuabaoProtocolDecoderTest.java @ 014cf82a
TEST(RealFramesLocation, TraccarAlarmBit17AndVendorItemsFeFf) {
  constexpr std::string_view kFrame =
      "7e02000033421030000018004c000200000004000201556dcb06c4d41d000c00f100fc21011809585301040000"
      "0000fe0140ff0c01cc000000002694000055d87a7e";
  auto decoded = Decode(kFrame);
  ASSERT_TRUE(decoded.has_value()) << Describe(decoded.error());
  ExpectHeader(decoded->header, msg_id::kLocationReport, Version::k2013, "421030000018", 76, 51);
  const auto& report = std::get<LocationReport>(decoded->message);
  EXPECT_EQ(report.alarm, 1u << 17);
  EXPECT_EQ(report.status, 0x00040002u);
  EXPECT_EQ(report.lat_e6, 22375883);
  EXPECT_EQ(report.lon_e6, 113562653);
  EXPECT_EQ(report.altitude_m, 12);
  EXPECT_EQ(report.speed_dkmh, 241);
  EXPECT_EQ(report.direction, 252);
  EXPECT_EQ(report.time_ms, BeijingMs(2021, 1, 18, 9, 58, 53));
  EXPECT_EQ(report.odometer_hm, 0u);
  EXPECT_EQ(report.other_items, Bytes("fe0140 ff0c01cc000000002694000055d8"));
  EXPECT_EQ(RoundTrip(*decoded), Canonical(kFrame));
}

// A8: SmallChi/JT808 src/JT808.Protocol.Test/MessageBody/JT808_0x0200Test.cs (Test6) @ 0eaf9c50
TEST(RealFramesLocation, SmallChiEscapedOdometerAndSignalItems) {
  constexpr std::string_view kFrame =
      "7E0200003C0400216820871D0C00000000000C00C2015B6C6E06C85698001E000000E018091610353701040005"
      "4C7D0102020000030200002504000000002B040000000030011D31010D977E";
  auto decoded = Decode(kFrame);
  ASSERT_TRUE(decoded.has_value()) << Describe(decoded.error());
  ExpectHeader(decoded->header, msg_id::kLocationReport, Version::k2013, "040021682087", 7436, 60);
  const auto& report = std::get<LocationReport>(decoded->message);
  EXPECT_EQ(report.alarm, 0u);
  EXPECT_EQ(report.status, 0x000C00C2u);
  EXPECT_EQ(report.lat_e6, 22768750);
  EXPECT_EQ(report.lon_e6, 113792664);
  EXPECT_EQ(report.altitude_m, 30);
  EXPECT_EQ(report.speed_dkmh, 0);
  EXPECT_EQ(report.direction, 224);
  EXPECT_EQ(report.time_ms, BeijingMs(2018, 9, 16, 10, 35, 37));
  EXPECT_EQ(report.odometer_hm, 0x00054C7Du);  // "00 05 4C 7D 01" on the wire
  EXPECT_EQ(report.fuel_dl, 0);
  EXPECT_EQ(report.tachograph_speed_dkmh, 0);
  EXPECT_EQ(report.signals, 0u);
  EXPECT_EQ(report.analog, 0u);
  EXPECT_EQ(report.signal_strength, 29);
  EXPECT_EQ(report.satellites, 13);
  EXPECT_TRUE(report.other_items.empty());
  EXPECT_EQ(RoundTrip(*decoded), Canonical(kFrame));
}

// A9: SmallChi/JT808 src/JT808.Protocol.Test/MessageBody/JT808_0x0200Test.cs (Demo1/Demo2)
// @ 0eaf9c50
TEST(RealFramesLocation, SmallChiEscapedSerialAndFuel) {
  constexpr std::string_view kFrame =
      "7E02000026123456789012007D02000000010000000200BA7F0E07E4F11C0028003C0000181015101010010400"
      "0000640202007D01137E";
  auto decoded = Decode(kFrame);
  ASSERT_TRUE(decoded.has_value()) << Describe(decoded.error());
  ExpectHeader(decoded->header, msg_id::kLocationReport, Version::k2013, "123456789012", 126, 38);
  const auto& report = std::get<LocationReport>(decoded->message);
  EXPECT_EQ(report.alarm, 1u);
  EXPECT_EQ(report.status, 2u);
  EXPECT_EQ(report.lat_e6, 12222222);
  EXPECT_EQ(report.lon_e6, 132444444);
  EXPECT_EQ(report.altitude_m, 40);
  EXPECT_EQ(report.speed_dkmh, 60);
  EXPECT_EQ(report.direction, 0);
  EXPECT_EQ(report.time_ms, int64_t{1539569410000});  // 2018-10-15 10:10:10 UTC+8
  EXPECT_EQ(report.odometer_hm, 100u);
  EXPECT_EQ(report.fuel_dl, 125);
  EXPECT_EQ(RoundTrip(*decoded), Canonical(kFrame));
}

// A10: SmallChi/JT808 src/JT808.Protocol.Test/MessageBody/JT808_0x0200Test.cs
// (Test_all_attcahids) @ 73584b6b
TEST(RealFramesLocation, SmallChiEveryStandardItem) {
  constexpr std::string_view kFrame =
      "7E0200005C11223344556622B8000000010000000200BA7F0E07E4F11C0028003C000018071510101001040000"
      "00640202003703020038040200011105010000000112060100000001011307000000020022012504000000172A"
      "0200F42B04000000F2300102310105167E";
  auto decoded = Decode(kFrame);
  ASSERT_TRUE(decoded.has_value()) << Describe(decoded.error());
  ExpectHeader(decoded->header, msg_id::kLocationReport, Version::k2013, "112233445566", 8888, 92);
  const auto& report = std::get<LocationReport>(decoded->message);
  EXPECT_EQ(report.alarm, 1u);
  EXPECT_EQ(report.status, 2u);
  EXPECT_EQ(report.lat_e6, 12222222);
  EXPECT_EQ(report.lon_e6, 132444444);
  EXPECT_EQ(report.altitude_m, 40);
  EXPECT_EQ(report.speed_dkmh, 60);
  EXPECT_EQ(report.direction, 0);
  EXPECT_EQ(report.time_ms, BeijingMs(2018, 7, 15, 10, 10, 10));
  EXPECT_EQ(report.odometer_hm, 100u);
  EXPECT_EQ(report.fuel_dl, 55);
  EXPECT_EQ(report.tachograph_speed_dkmh, 56);
  EXPECT_EQ(report.manual_alarm_event_id, 1);
  EXPECT_EQ(report.overspeed_alarm, (OverspeedAlarmItem{.area_type = 1, .area_id = 1}));
  EXPECT_EQ(report.area_alarm, (AreaAlarmItem{.area_type = 1, .area_id = 1, .direction = 1}));
  EXPECT_EQ(report.route_time_alarm,
            (RouteTimeAlarmItem{.section_id = 2, .travel_time_s = 34, .result = 1}));
  EXPECT_EQ(report.signals, 23u);
  EXPECT_EQ(report.io_status, 244);
  EXPECT_EQ(report.analog, 242u);
  EXPECT_EQ(report.signal_strength, 2);
  EXPECT_EQ(report.satellites, 5);
  EXPECT_TRUE(report.other_items.empty());
  EXPECT_EQ(RoundTrip(*decoded), Canonical(kFrame));
}

// A11: cuteLittleDevil/go-jt808 protocol/model/t_0x0200_addition_test.go @ 01bba0df
TEST(RealFramesLocation, GoJt808AllItemsWithTyrePressureAndItem06) {
  constexpr std::string_view kFrame =
      "7e020000800123456789017fff000004000000080006eeb6ad02633df70138000300632007071923590104000000"
      "0b02020016030200210402002c051e37373700000000000000000000000000000000000000000000000000000011"
      "05420000004212064d0000004d4d1307000000580058582504000000632a02000a2b040000001430011e31012806"
      "020001927e";
  auto decoded = Decode(kFrame);
  ASSERT_TRUE(decoded.has_value()) << Describe(decoded.error());
  ExpectHeader(decoded->header, msg_id::kLocationReport, Version::k2013, "012345678901", 32767,
               128);
  const auto& report = std::get<LocationReport>(decoded->message);
  EXPECT_EQ(report.alarm, 1024u);
  EXPECT_EQ(report.status, 2048u);
  // go-jt808 swaps lat and lon; the codec passes the out-of-range latitude through.
  EXPECT_EQ(report.lat_e6, 116307629);
  EXPECT_EQ(report.lon_e6, 40058359);
  EXPECT_EQ(report.altitude_m, 312);
  EXPECT_EQ(report.speed_dkmh, 3);
  EXPECT_EQ(report.direction, 99);
  EXPECT_EQ(report.time_ms, BeijingMs(2020, 7, 7, 19, 23, 59));
  EXPECT_EQ(report.odometer_hm, 11u);
  EXPECT_EQ(report.fuel_dl, 22);
  EXPECT_EQ(report.tachograph_speed_dkmh, 33);
  EXPECT_EQ(report.manual_alarm_event_id, 44);
  EXPECT_EQ(report.overspeed_alarm, (OverspeedAlarmItem{.area_type = 0x42, .area_id = 66}));
  EXPECT_EQ(report.area_alarm,
            (AreaAlarmItem{.area_type = 0x4D, .area_id = 77, .direction = 0x4D}));
  EXPECT_EQ(report.route_time_alarm,
            (RouteTimeAlarmItem{.section_id = 88, .travel_time_s = 0x58, .result = 0x58}));
  EXPECT_EQ(report.signals, 99u);
  EXPECT_EQ(report.io_status, 10);
  EXPECT_EQ(report.analog, 20u);
  EXPECT_EQ(report.signal_strength, 30);
  EXPECT_EQ(report.satellites, 40);
  std::vector<uint8_t> expected_other = Bytes("051e373737");
  expected_other.resize(expected_other.size() + 27, 0);
  const std::vector<uint8_t> item06 = Bytes("06020001");
  expected_other.insert(expected_other.end(), item06.begin(), item06.end());
  EXPECT_EQ(report.other_items, expected_other);
  EXPECT_TRUE(report.unparsed_tail.empty());
  // 0x05 comes before 0x11 on the wire but is written after the known items.
  EXPECT_NE(RoundTrip(*decoded), Canonical(kFrame));
}

// A11 (valid custom item variant): cuteLittleDevil/go-jt808
// protocol/model/t_0x0200_addition_test.go @ 01bba0df
TEST(RealFramesLocation, GoJt808OverspeedWithoutAreaAndCustomItem) {
  constexpr std::string_view kFrame =
      "7E0200007B0123456789017FFF000004000000080006EEB6AD02633DF70138000300632007071923590104000000"
      "0B02020016030200210402002C051E37373700000000000000000000000000000000000000000000000000000011"
      "010012064D0000004D4D1307000000580058582504000000632A02000A2B040000001430011E3101283301207A7"
      "E";
  auto decoded = Decode(kFrame);
  ASSERT_TRUE(decoded.has_value()) << Describe(decoded.error());
  ExpectHeader(decoded->header, msg_id::kLocationReport, Version::k2013, "012345678901", 32767,
               123);
  const auto& report = std::get<LocationReport>(decoded->message);
  EXPECT_EQ(report.overspeed_alarm, (OverspeedAlarmItem{.area_type = 0, .area_id = 0}));
  EXPECT_EQ(report.area_alarm,
            (AreaAlarmItem{.area_type = 0x4D, .area_id = 77, .direction = 0x4D}));
  EXPECT_EQ(report.satellites, 40);
  std::vector<uint8_t> expected_other = Bytes("051e373737");
  expected_other.resize(expected_other.size() + 27, 0);
  const std::vector<uint8_t> item33 = Bytes("330120");
  expected_other.insert(expected_other.end(), item33.begin(), item33.end());
  EXPECT_EQ(report.other_items, expected_other);
  RoundTrip(*decoded);
}

// A12: cuteLittleDevil/go-jt808 protocol/model/parse_test.go @ e434713e
TEST(RealFramesLocation, GoJt808EscapedFlagInsideLatitude) {
  constexpr std::string_view kFrame =
      "7e0200001c0123456789010000000004000000080007203b7d0202633df70138000300632410012359591c7e";
  auto decoded = Decode(kFrame);
  ASSERT_TRUE(decoded.has_value()) << Describe(decoded.error());
  ExpectHeader(decoded->header, msg_id::kLocationReport, Version::k2013, "012345678901", 0, 28);
  const auto& report = std::get<LocationReport>(decoded->message);
  EXPECT_EQ(report.alarm, 1024u);
  EXPECT_EQ(report.status, 2048u);
  EXPECT_EQ(report.lat_e6, 119552894);  // 0x07203B7E
  EXPECT_EQ(report.lon_e6, 40058359);
  EXPECT_EQ(report.altitude_m, 312);
  EXPECT_EQ(report.speed_dkmh, 3);
  EXPECT_EQ(report.direction, 99);
  EXPECT_EQ(report.time_ms, BeijingMs(2024, 10, 1, 23, 59, 59));
  EXPECT_FALSE(report.odometer_hm.has_value());
  EXPECT_TRUE(report.other_items.empty());
  EXPECT_TRUE(report.unparsed_tail.empty());
  EXPECT_EQ(RoundTrip(*decoded), Canonical(kFrame));
}

// A13: SmallChi/JT808 src/JT808.Protocol.Test/MessageBody/JT808_0x0200Test.cs (Test5_4)
// @ 73584b6b. A real device sets the 2019 version bit on a 2013 header.
TEST(RealFramesQuirks, VersionBitOnA2013LocationHeader) {
  constexpr std::string_view kFrame =
      "7e0200406c010030000681090e00000000000c0003026c936f074c794c0004036300d72106251557390104000"
      "00000052801cc00210625155739054145bbc91e4145a2fa1141450000004145bbc8194145a1370a414500000024"
      "0200002a0200002b04000000003001153101125f0a89860418231870850620757e";
  auto decoded = Decode(kFrame);
  ASSERT_TRUE(decoded.has_value()) << Describe(decoded.error());
  ExpectHeader(decoded->header, msg_id::kLocationReport, Version::k2013, "010030000681", 2318, 108);
  const auto& report = std::get<LocationReport>(decoded->message);
  EXPECT_EQ(report.alarm, 0u);
  EXPECT_EQ(report.status, 0x000C0003u);
  EXPECT_EQ(report.lat_e6, 40670063);
  EXPECT_EQ(report.lon_e6, 122452300);
  EXPECT_EQ(report.altitude_m, 4);
  EXPECT_EQ(report.speed_dkmh, 867);
  EXPECT_EQ(report.direction, 215);
  EXPECT_EQ(report.time_ms, BeijingMs(2021, 6, 25, 15, 57, 39));
  EXPECT_EQ(report.odometer_hm, 0u);
  EXPECT_EQ(report.io_status, 0);
  EXPECT_EQ(report.analog, 0u);
  EXPECT_EQ(report.signal_strength, 21);
  EXPECT_EQ(report.satellites, 18);
  EXPECT_EQ(report.other_items,
            Bytes("052801cc00210625155739054145bbc91e4145a2fa1141450000004145bbc8194145a1370a4145"
                  "000000 24020000 5f0a89860418231870850620"));
  // Re-encoded under a plain 2013 header, so only the message survives.
  RoundTrip(*decoded);
}

// ---------------------------------------------------------------------------------------------
// Frames published with wrong check codes

// A14: SmallChi/JT808 src/JT808.Protocol.Test/MessageBody/JT808_0x0200Test.cs
// (Test_Device_AttachInfo1) @ 73584b6b
TEST(RealFramesChecksum, SmallChiTruncatedLastItem) {
  constexpr std::string_view kFrame =
      "7E0200003F011111111111047D0100000000000C00C30161A2AA06BE84A000070000008C21082422494401040056"
      "AF7302020000030200002504000000002B040000000030011B310110FB0200657E";
  auto strict = Decode(kFrame);
  ASSERT_FALSE(strict.has_value());
  EXPECT_EQ(strict.error().code, ErrorCode::kBadChecksum);

  auto decoded = Decode(kFrame, kSkipChecksum);
  ASSERT_TRUE(decoded.has_value()) << Describe(decoded.error());
  ExpectHeader(decoded->header, msg_id::kLocationReport, Version::k2013, "011111111111", 1149, 63);
  const auto& report = std::get<LocationReport>(decoded->message);
  EXPECT_EQ(report.alarm, 0u);
  EXPECT_EQ(report.status, 0x000C00C3u);
  EXPECT_EQ(report.lat_e6, 23175850);
  EXPECT_EQ(report.lon_e6, 113149088);
  EXPECT_EQ(report.altitude_m, 7);
  EXPECT_EQ(report.speed_dkmh, 0);
  EXPECT_EQ(report.direction, 140);
  EXPECT_EQ(report.time_ms, BeijingMs(2021, 8, 24, 22, 49, 44));
  EXPECT_EQ(report.odometer_hm, 0x0056AF73u);
  EXPECT_EQ(report.fuel_dl, 0);
  EXPECT_EQ(report.tachograph_speed_dkmh, 0);
  EXPECT_EQ(report.signals, 0u);
  EXPECT_EQ(report.analog, 0u);
  EXPECT_EQ(report.signal_strength, 0x1B);
  EXPECT_EQ(report.satellites, 0x10);
  EXPECT_TRUE(report.other_items.empty());
  EXPECT_EQ(report.unparsed_tail, Bytes("FB0200"));
  // The same bytes with the check code the frame should have had (0xB5).
  EXPECT_EQ(RoundTrip(*decoded),
            Canonical("7E0200003F011111111111047D0100000000000C00C30161A2AA06BE84A00007000000"
                      "8C21082422494401040056AF7302020000030200002504000000002B040000000030011B"
                      "310110FB0200B57E"));
}

// A15: SmallChi/JT808 "Test8" (file presumably JT808_0x0200Test.cs; commit not recorded in
// REAL_FRAMES.md)
TEST(RealFramesChecksum, SmallChiManyVendorItems) {
  constexpr std::string_view kFrame =
      "7E020000850111111111110AA200000000000C000001F62E8307147C92001E0000001E1101110311520104001"
      "31A3403020000050100060302059007030381202504000000002B04000000F0300117310105E0013DE1080000"
      "00000004BCFDE20400000000E304000007ACE40400000000E50C001300270013002700130027EA0400000000EB"
      "0400000000EE0100F6041450E97E";
  auto strict = Decode(kFrame);
  ASSERT_FALSE(strict.has_value());
  EXPECT_EQ(strict.error().code, ErrorCode::kBadChecksum);

  auto decoded = Decode(kFrame, kSkipChecksum);
  ASSERT_TRUE(decoded.has_value()) << Describe(decoded.error());
  ExpectHeader(decoded->header, msg_id::kLocationReport, Version::k2013, "011111111111", 2722, 133);
  const auto& report = std::get<LocationReport>(decoded->message);
  EXPECT_EQ(report.alarm, 0u);
  EXPECT_EQ(report.status, 0x000C0000u);
  EXPECT_EQ(report.lat_e6, 32910979);
  EXPECT_EQ(report.lon_e6, 118783122);
  EXPECT_EQ(report.altitude_m, 30);
  EXPECT_EQ(report.speed_dkmh, 0);
  EXPECT_EQ(report.direction, 30);
  EXPECT_EQ(report.time_ms, BeijingMs(2011, 1, 11, 3, 11, 52));
  // Six standard items...
  EXPECT_EQ(report.odometer_hm, 0x00131A34u);
  EXPECT_EQ(report.tachograph_speed_dkmh, 0);
  EXPECT_EQ(report.signals, 0u);
  EXPECT_EQ(report.analog, 0xF0u);
  EXPECT_EQ(report.signal_strength, 0x17);
  EXPECT_EQ(report.satellites, 5);
  // ...twelve others (0x05-0x07 with non-standard lengths, 0xE0-0xEE)...
  EXPECT_EQ(report.other_items,
            Bytes("050100 0603020590 0703038120 E0013D E108000000000004BCFD E20400000000 "
                  "E304000007AC E40400000000 E50C001300270013002700130027 EA0400000000 "
                  "EB0400000000 EE0100"));
  // ...and one truncated item.
  EXPECT_EQ(report.unparsed_tail, Bytes("F6041450"));
  RoundTrip(*decoded);
}

// A16: traccar/traccar src/test/java/org/traccar/protocol/HuabaoProtocolDecoderTest.java @ 014cf82a
TEST(RealFramesChecksum, TraccarDeclaredLengthDisagrees) {
  constexpr std::string_view kFrame =
      "7E02000032013511221122000700000000000C000301578CC006CA3A5C0047000000001407231720150104000"
      "0000030011631010BD07E";
  // The body is 40 bytes, not the declared 50: rejected whether or not the check code is read.
  auto strict = Decode(kFrame);
  ASSERT_FALSE(strict.has_value());
  EXPECT_EQ(strict.error().code, ErrorCode::kLengthMismatch);
  auto lenient = Decode(kFrame, kSkipChecksum);
  ASSERT_FALSE(lenient.has_value());
  EXPECT_EQ(lenient.error().code, ErrorCode::kLengthMismatch);
}

// ---------------------------------------------------------------------------------------------
// 0x0704 batch upload

// B1: traccar/traccar src/test/java/org/traccar/protocol/HuabaoProtocolDecoderTest.java @ 014cf82a
TEST(RealFramesBatch, TraccarEightBlindAreaPositions) {
  constexpr std::string_view kFrame =
      "7E0704014301356777777707F5000801002600000000000000030159741206CBFD50017200000001160527090624"
      "01040000001D03020000002600000000000000030159746606CBFD50016B0000000116052709065301040000001D"
      "0302000000260000000000000003015975E406CBFE58013F0000000116052709072701040000001D030200000026"
      "0000000000000003015976DE06CBFF10012E0000000116052709075601040000001D030200000026000000000000"
      "0003015976BC06CBFED0012D0000000116052709083001040000001D0302000000260000000000000003015976FE"
      "06CBFEC001080000000116052709090001040000001D0302000000260000000000000003015976FE06CBFE7800FC"
      "0000000116052709093301040000001D0302000000260000000000000003015977A606CBFF300108000000011605"
      "2709100201040000001D030200001F7E";
  auto decoded = Decode(kFrame);
  ASSERT_TRUE(decoded.has_value()) << Describe(decoded.error());
  ExpectHeader(decoded->header, msg_id::kLocationBatch, Version::k2013, "013567777777", 2037, 323);
  const auto& batch = std::get<LocationBatch>(decoded->message);
  EXPECT_EQ(batch.batch_type, 1);
  ASSERT_EQ(batch.items.size(), 8u);
  for (const LocationReport& item : batch.items) {
    EXPECT_EQ(item.alarm, 0u);
    EXPECT_EQ(item.status, 3u);
    EXPECT_EQ(item.direction, 1);
    EXPECT_EQ(item.odometer_hm, 0x1Du);
    EXPECT_EQ(item.tachograph_speed_dkmh, 0);
    EXPECT_TRUE(item.other_items.empty());
  }
  EXPECT_EQ(batch.items[0].lat_e6, 22639634);
  EXPECT_EQ(batch.items[0].lon_e6, 114031952);
  EXPECT_EQ(batch.items[0].altitude_m, 370);
  EXPECT_EQ(batch.items[0].time_ms, BeijingMs(2016, 5, 27, 9, 6, 24));
  EXPECT_EQ(batch.items[7].lat_e6, 22640550);
  EXPECT_EQ(batch.items[7].lon_e6, 114032432);
  EXPECT_EQ(batch.items[7].altitude_m, 264);
  EXPECT_EQ(batch.items[7].time_ms, BeijingMs(2016, 5, 27, 9, 10, 2));
  EXPECT_EQ(RoundTrip(*decoded), Canonical(kFrame));
}

// B2: traccar/traccar src/test/java/org/traccar/protocol/HuabaoProtocolDecoderTest.java @ 014cf82a
TEST(RealFramesBatch, TraccarFourPositionsWithVendorItem) {
  constexpr std::string_view kFrame =
      "7E070400F30303000002450064000401003A000000000000000301618AC606C31F20000000000029180514202847"
      "010400000000EB16000C00B28986061708003732585700060089FFFFFFFE003A000000000000000301618AE806C3"
      "1EB800000000009F180514202917010400000000EB16000C00B28986061708003732585700060089FFFFFFFE003A"
      "000000000000000301618AE806C31EB800000000009F180514202947010400000000EB16000C00B2898606170800"
      "3732585700060089FFFFFFFE003A000001000000080301618AE806C31EB800000000009F18051420300601040000"
      "0000EB16000C00B28986061708003732585700060089FFFFFFFED77E";
  auto decoded = Decode(kFrame);
  ASSERT_TRUE(decoded.has_value()) << Describe(decoded.error());
  ExpectHeader(decoded->header, msg_id::kLocationBatch, Version::k2013, "030300000245", 100, 243);
  const auto& batch = std::get<LocationBatch>(decoded->message);
  EXPECT_EQ(batch.batch_type, 1);
  ASSERT_EQ(batch.items.size(), 4u);
  for (const LocationReport& item : batch.items) {
    EXPECT_EQ(item.odometer_hm, 0u);
    EXPECT_EQ(item.other_items, Bytes("EB16000C00B28986061708003732585700060089FFFFFFFE"));
  }
  EXPECT_EQ(batch.items[0].alarm, 0u);
  EXPECT_EQ(batch.items[0].status, 3u);
  EXPECT_EQ(batch.items[0].lat_e6, 23169734);
  EXPECT_EQ(batch.items[0].lon_e6, 113450784);
  EXPECT_EQ(batch.items[0].direction, 41);
  EXPECT_EQ(batch.items[0].time_ms, BeijingMs(2018, 5, 14, 20, 28, 47));
  EXPECT_EQ(batch.items[3].alarm, alarm_bit::kPowerOff);
  EXPECT_EQ(batch.items[3].status, 0x803u);
  EXPECT_EQ(batch.items[3].lat_e6, 23169768);
  EXPECT_EQ(batch.items[3].lon_e6, 113450680);
  EXPECT_EQ(batch.items[3].direction, 159);
  EXPECT_EQ(batch.items[3].time_ms, BeijingMs(2018, 5, 14, 20, 30, 6));
  EXPECT_EQ(RoundTrip(*decoded), Canonical(kFrame));
}

// B3: SmallChi/JT808 src/JT808.Protocol.Test/MessageBody/JT808_0x0704Test.cs @ d47b1364
TEST(RealFramesBatch, SmallChiTwoNormalPositions) {
  constexpr std::string_view kFrame =
      "7E0704005311223344556622B80002000026000000010000000200BA7F0E07E4F11C0028003C0000180715101010"
      "010400000064020200370026000000020000000100CB735507E6A323002900360078180715101030010400000060"
      "02020042D47E";
  auto decoded = Decode(kFrame);
  ASSERT_TRUE(decoded.has_value()) << Describe(decoded.error());
  ExpectHeader(decoded->header, msg_id::kLocationBatch, Version::k2013, "112233445566", 8888, 83);
  const auto& batch = std::get<LocationBatch>(decoded->message);
  EXPECT_EQ(batch.batch_type, 0);
  ASSERT_EQ(batch.items.size(), 2u);
  const LocationReport& first = batch.items[0];
  EXPECT_EQ(first.alarm, 1u);
  EXPECT_EQ(first.status, 2u);
  EXPECT_EQ(first.lat_e6, 12222222);
  EXPECT_EQ(first.lon_e6, 132444444);
  EXPECT_EQ(first.altitude_m, 40);
  EXPECT_EQ(first.speed_dkmh, 60);
  EXPECT_EQ(first.direction, 0);
  EXPECT_EQ(first.time_ms, BeijingMs(2018, 7, 15, 10, 10, 10));
  EXPECT_EQ(first.odometer_hm, 100u);
  EXPECT_EQ(first.fuel_dl, 55);
  const LocationReport& second = batch.items[1];
  EXPECT_EQ(second.alarm, 2u);
  EXPECT_EQ(second.status, 1u);
  EXPECT_EQ(second.lat_e6, 13333333);
  EXPECT_EQ(second.lon_e6, 132555555);
  EXPECT_EQ(second.altitude_m, 41);
  EXPECT_EQ(second.speed_dkmh, 54);
  EXPECT_EQ(second.direction, 120);
  EXPECT_EQ(second.time_ms, BeijingMs(2018, 7, 15, 10, 10, 30));
  EXPECT_EQ(second.odometer_hm, 96u);
  EXPECT_EQ(second.fuel_dl, 66);
  EXPECT_EQ(RoundTrip(*decoded), Canonical(kFrame));
}

// B4: cuteLittleDevil/go-jt808 (file and commit not recorded in REAL_FRAMES.md)
TEST(RealFramesBatch, GoJt808EscapedFlagInBothPositions) {
  constexpr std::string_view kFrame =
      "7e0704003f0123456789010000000200001c000004000000080007203b7d0202633df70138000300632410012359"
      "59001c000004000000080007203b7d0202633df7013800030063241001235959b67e";
  auto decoded = Decode(kFrame);
  ASSERT_TRUE(decoded.has_value()) << Describe(decoded.error());
  ExpectHeader(decoded->header, msg_id::kLocationBatch, Version::k2013, "012345678901", 0, 63);
  const auto& batch = std::get<LocationBatch>(decoded->message);
  EXPECT_EQ(batch.batch_type, 0);
  ASSERT_EQ(batch.items.size(), 2u);
  for (const LocationReport& item : batch.items) {
    EXPECT_EQ(item.alarm, 1024u);
    EXPECT_EQ(item.status, 2048u);
    EXPECT_EQ(item.lat_e6, 119552894);
    EXPECT_EQ(item.lon_e6, 40058359);
    EXPECT_EQ(item.altitude_m, 312);
    EXPECT_EQ(item.speed_dkmh, 3);
    EXPECT_EQ(item.direction, 99);
    EXPECT_EQ(item.time_ms, BeijingMs(2024, 10, 1, 23, 59, 59));
  }
  EXPECT_EQ(RoundTrip(*decoded), Canonical(kFrame));
}

// ---------------------------------------------------------------------------------------------
// 0x0100 terminal register

// C1: traccar/traccar src/test/java/org/traccar/protocol/HuabaoProtocolDecoderTest.java @ 014cf82a
TEST(RealFramesRegister, Traccar2011Layout) {
  constexpr std::string_view kFrame =
      "7E01000021013345678906000F002C012F373031313142534A2D4D3742203030303030303001D4C1423838383838"
      "B47E";
  auto decoded = Decode(kFrame);
  ASSERT_TRUE(decoded.has_value()) << Describe(decoded.error());
  ExpectHeader(decoded->header, msg_id::kRegister, Version::k2011, "013345678906", 15, 33);
  const auto& message = std::get<Register>(decoded->message);
  EXPECT_EQ(message.province_id, 44);
  EXPECT_EQ(message.city_id, 303);
  EXPECT_EQ(message.maker_id, "70111");
  EXPECT_EQ(message.terminal_model, "BSJ-M7B ");
  EXPECT_EQ(message.terminal_id, "0000000");
  EXPECT_EQ(message.plate_color, 1);
  EXPECT_EQ(message.plate, "粤B88888");
  EXPECT_EQ(RoundTrip(*decoded), Canonical(kFrame));
}

// C2: traccar/traccar src/test/java/org/traccar/protocol/HuabaoProtocolDecoderTest.java @ 014cf82a
TEST(RealFramesRegister, Traccar2013Layout) {
  constexpr std::string_view kFrame =
      "7E0100002D013511221122000500000000373031303748422D523033474244000000000000000000000032333636"
      "31303402CBD5424136383630387E";
  auto decoded = Decode(kFrame);
  ASSERT_TRUE(decoded.has_value()) << Describe(decoded.error());
  ExpectHeader(decoded->header, msg_id::kRegister, Version::k2013, "013511221122", 5, 45);
  const auto& message = std::get<Register>(decoded->message);
  EXPECT_EQ(message.province_id, 0);
  EXPECT_EQ(message.city_id, 0);
  EXPECT_EQ(message.maker_id, "70107");
  EXPECT_EQ(message.terminal_model, "HB-R03GBD");
  EXPECT_EQ(message.terminal_id, "2366104");
  EXPECT_EQ(message.plate_color, 2);
  EXPECT_EQ(message.plate, "苏BA6860");
  EXPECT_EQ(RoundTrip(*decoded), Canonical(kFrame));
}

// C2 (second frame): traccar/traccar src/test/java/org/traccar/protocol/
// HuabaoProtocolDecoderTest.java @ 014cf82a
TEST(RealFramesRegister, Traccar2013LayoutSecondDevice) {
  constexpr std::string_view kFrame =
      "7e0100002d0141305678720024002c012f373031313142534a2d41362d4244000000000000000000000030353637"
      "38373201d4c14238383838386d7e";
  auto decoded = Decode(kFrame);
  ASSERT_TRUE(decoded.has_value()) << Describe(decoded.error());
  ExpectHeader(decoded->header, msg_id::kRegister, Version::k2013, "014130567872", 36, 45);
  const auto& message = std::get<Register>(decoded->message);
  EXPECT_EQ(message.province_id, 44);
  EXPECT_EQ(message.city_id, 303);
  EXPECT_EQ(message.maker_id, "70111");
  EXPECT_EQ(message.terminal_model, "BSJ-A6-BD");
  EXPECT_EQ(message.terminal_id, "0567872");
  EXPECT_EQ(message.plate_color, 1);
  EXPECT_EQ(message.plate, "粤B88888");
  EXPECT_EQ(RoundTrip(*decoded), Canonical(kFrame));
}

// C3: cuteLittleDevil/go-jt808 protocol/model/parse_test.go @ e434713e
TEST(RealFramesRegister, GoJt808SameValuesIn2011And2013And2019) {
  struct Case {
    std::string_view frame;
    Version version;
    std::string_view phone;
    uint16_t body_length;
    std::string_view model;
  };
  const Case cases[] = {
      {"7e010000200123456789010000001f007363640000007777772e3830382e3736353433323101b2e24131323334a"
       "17e",
       Version::k2011, "012345678901", 32, "www.808."},
      {"7e0100002c0123456789010000001f007363640000007777772e3830382e636f6d0000000000000000003736353"
       "433323101b2e24131323334cc7e",
       Version::k2013, "012345678901", 44, "www.808.com"},
      {"7e0100405301000000000172998417380000001f007363640000000000000000007777772e3830382e636f6d000"
       "0000000000000000000000000000000000037363534333231000000000000000000000000000000000000000000"
       "000001b2e241313233343b7e",
       Version::k2019, "00000000017299841738", 83, "www.808.com"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(ToString(c.version));
    auto decoded = Decode(c.frame);
    ASSERT_TRUE(decoded.has_value()) << Describe(decoded.error());
    ExpectHeader(decoded->header, msg_id::kRegister, c.version, c.phone, 0, c.body_length);
    const auto& message = std::get<Register>(decoded->message);
    EXPECT_EQ(message.province_id, 31);
    EXPECT_EQ(message.city_id, 115);
    EXPECT_EQ(message.maker_id, "cd");
    EXPECT_EQ(message.terminal_model, c.model);
    EXPECT_EQ(message.terminal_id, "7654321");
    EXPECT_EQ(message.plate_color, 1);
    EXPECT_EQ(message.plate, "测A1234");
    EXPECT_EQ(RoundTrip(*decoded), Canonical(c.frame));
  }
}

// C4: SmallChi/JT808 src/JT808.Protocol.Test/MessageBody/JT808_0x0100Test.cs (Test2019_4_1)
// @ 104eb9b3. SmallChi pads with ASCII '0' on the left; the standard pads with NUL, so the
// zeros are part of the text.
TEST(RealFramesRegister, SmallChi2019PaddedWithAsciiZeros) {
  constexpr std::string_view kFrame =
      "7e0100405401000000000222222222220001000000003030304b6f696b6530303230303030303030303030303030"
      "3030303030303030304b6f696b65303032303030303030303030303030303030303030303030304b6f696b653030"
      "3202d4c1413132333436107e";
  auto decoded = Decode(kFrame);
  ASSERT_TRUE(decoded.has_value()) << Describe(decoded.error());
  ExpectHeader(decoded->header, msg_id::kRegister, Version::k2019, "00000000022222222222", 1, 84);
  EXPECT_EQ(decoded->header.phone.WithoutLeadingZeros(), "22222222222");
  const auto& message = std::get<Register>(decoded->message);
  EXPECT_EQ(message.province_id, 0);
  EXPECT_EQ(message.city_id, 0);
  EXPECT_EQ(message.maker_id, "000Koike002");
  EXPECT_EQ(message.terminal_model, std::string(22, '0') + "Koike002");
  EXPECT_EQ(message.terminal_id, std::string(22, '0') + "Koike002");
  EXPECT_EQ(message.plate_color, 2);
  EXPECT_EQ(message.plate, "粤A12346");
  EXPECT_EQ(RoundTrip(*decoded), Canonical(kFrame));
}

// C5: yezhihao/jt808-server jtt808-protocol/src/test/resources/JT808.txt @ 19923451
TEST(RealFramesRegister, YezhihaoLeftPaddedWithNul) {
  constexpr std::string_view k2013 =
      "7e0100002e1234567890127fff001f00730000797a68000000000000007777772e6a74743830382e636e37363534"
      "33323101b2e241383838383838227e";
  constexpr std::string_view k2019 =
      "7e010040550112345678901234567890ffff001f00730000000000000000797a6800000000000000000000000000"
      "000000007777772e6a74743830382e636e0000000000000000000030393837363534333231303938373635343332"
      "3101b2e241383838383838227e";
  auto decoded = Decode(k2013);
  ASSERT_TRUE(decoded.has_value()) << Describe(decoded.error());
  ExpectHeader(decoded->header, msg_id::kRegister, Version::k2013, "123456789012", 32767, 46);
  const auto& message = std::get<Register>(decoded->message);
  EXPECT_EQ(message.province_id, 31);
  EXPECT_EQ(message.city_id, 115);
  EXPECT_EQ(message.maker_id, "yzh");
  EXPECT_EQ(message.terminal_model, "www.jtt808.cn");
  EXPECT_EQ(message.terminal_id, "7654321");
  EXPECT_EQ(message.plate_color, 1);
  EXPECT_EQ(message.plate, "测A888888");
  // Re-encoded with the standard right padding, so only the message survives.
  EXPECT_NE(RoundTrip(*decoded), Canonical(k2013));

  auto decoded2019 = Decode(k2019);
  ASSERT_TRUE(decoded2019.has_value()) << Describe(decoded2019.error());
  ExpectHeader(decoded2019->header, msg_id::kRegister, Version::k2019, "12345678901234567890",
               65535, 85);
  const auto& message2019 = std::get<Register>(decoded2019->message);
  EXPECT_EQ(message2019.province_id, 31);
  EXPECT_EQ(message2019.city_id, 115);
  EXPECT_EQ(message2019.maker_id, "yzh");
  EXPECT_EQ(message2019.terminal_model, "www.jtt808.cn");
  EXPECT_EQ(message2019.terminal_id, "09876543210987654321");
  EXPECT_EQ(message2019.plate_color, 1);
  EXPECT_EQ(message2019.plate, "测A888888");
  EXPECT_NE(RoundTrip(*decoded2019), Canonical(k2019));
}

// ---------------------------------------------------------------------------------------------
// 0x0102 authentication

// D1: traccar/traccar src/test/java/org/traccar/protocol/HuabaoProtocolDecoderTest.java @ 014cf82a
TEST(RealFramesAuth, TraccarDevices) {
  constexpr std::string_view kFirst = "7E0102000E013511221122000661757468656E7469636174696F6E3F7E";
  constexpr std::string_view kSecond =
      "7E010200100940278494700084323031313131303831313333323139369F7E";
  auto first = Decode(kFirst);
  ASSERT_TRUE(first.has_value()) << Describe(first.error());
  ExpectHeader(first->header, msg_id::kAuth, Version::k2013, "013511221122", 6, 14);
  EXPECT_EQ(std::get<Auth>(first->message), AuthCode("authentication"));
  EXPECT_EQ(RoundTrip(*first), Canonical(kFirst));

  auto second = Decode(kSecond);
  ASSERT_TRUE(second.has_value()) << Describe(second.error());
  ExpectHeader(second->header, msg_id::kAuth, Version::k2013, "094027849470", 132, 16);
  EXPECT_EQ(std::get<Auth>(second->message), AuthCode("2011110811332196"));
  EXPECT_EQ(RoundTrip(*second), Canonical(kSecond));
}

// D2: cuteLittleDevil/go-jt808 (file and commit not recorded in REAL_FRAMES.md)
TEST(RealFramesAuth, GoJt808In2013And2019) {
  constexpr std::string_view k2013 = "7e0102000b01234567890100003137323939383431373338b57e";
  constexpr std::string_view k2019 =
      "7e0102402f010000000001729984173800000b313732393938343137333831323334353637383930313233343533"
      "2e372e31350000000000000000000000000000227e";
  auto decoded = Decode(k2013);
  ASSERT_TRUE(decoded.has_value()) << Describe(decoded.error());
  ExpectHeader(decoded->header, msg_id::kAuth, Version::k2013, "012345678901", 0, 11);
  EXPECT_EQ(std::get<Auth>(decoded->message), AuthCode("17299841738"));
  EXPECT_EQ(RoundTrip(*decoded), Canonical(k2013));

  auto decoded2019 = Decode(k2019);
  ASSERT_TRUE(decoded2019.has_value()) << Describe(decoded2019.error());
  ExpectHeader(decoded2019->header, msg_id::kAuth, Version::k2019, "00000000017299841738", 0, 47);
  const auto& auth = std::get<Auth>(decoded2019->message);
  EXPECT_EQ(auth.auth_code, "17299841738");
  EXPECT_EQ(auth.imei, "123456789012345");
  EXPECT_EQ(auth.software_version, "3.7.15");
  EXPECT_EQ(RoundTrip(*decoded2019), Canonical(k2019));
}

// D3: yezhihao/jt808-server jtt808-protocol/src/test/resources/JT808.txt @ 19923451
TEST(RealFramesAuth, Yezhihao2019LongTokenLeftPaddedVersion) {
  constexpr std::string_view kFrame =
      "7e010240500100000000017299841738ffff2c706d59477a47756b4f384b345a356c70494f546738647162336570"
      "7259614842625853504c7464627947383d3132333435363738393031323334350000000000000000000000000000"
      "332e372e3135347e";
  auto decoded = Decode(kFrame);
  ASSERT_TRUE(decoded.has_value()) << Describe(decoded.error());
  ExpectHeader(decoded->header, msg_id::kAuth, Version::k2019, "00000000017299841738", 65535, 80);
  const auto& auth = std::get<Auth>(decoded->message);
  EXPECT_EQ(auth.auth_code, "pmYGzGukO8K4Z5lpIOTg8dqb3eprYaHBbXSPLtdbyG8=");
  EXPECT_EQ(auth.imei, "123456789012345");
  EXPECT_EQ(auth.software_version, "3.7.15");
  // The version is re-encoded right-padded, as the standard has it.
  EXPECT_NE(RoundTrip(*decoded), Canonical(kFrame));
}

// D4: SmallChi/JT808 "Test5_3" (file and commit not recorded in REAL_FRAMES.md). Same device as
// A13: 2019 version bit on a 2013 header. The 2013 fallback reads it.
TEST(RealFramesQuirks, VersionBitOnA2013AuthHeader) {
  constexpr std::string_view kFrame = "7E0102400C01003000068109024A3130303330303030363831857E";
  auto decoded = Decode(kFrame);
  ASSERT_TRUE(decoded.has_value()) << Describe(decoded.error());
  ExpectHeader(decoded->header, msg_id::kAuth, Version::k2013, "010030000681", 2306, 12);
  EXPECT_EQ(std::get<Auth>(decoded->message), AuthCode("J10030000681"));
  RoundTrip(*decoded);
}

// D5: SmallChi/JT808 (file and commit not recorded in REAL_FRAMES.md)
TEST(RealFramesAuth, SmallChi2013) {
  constexpr std::string_view kFrame = "7E010200090123456789003039343536313231313131BE7E";
  auto decoded = Decode(kFrame);
  ASSERT_TRUE(decoded.has_value()) << Describe(decoded.error());
  ExpectHeader(decoded->header, msg_id::kAuth, Version::k2013, "012345678900", 12345, 9);
  EXPECT_EQ(decoded->header.phone.WithoutLeadingZeros(), "12345678900");
  EXPECT_EQ(std::get<Auth>(decoded->message), AuthCode("456121111"));
  EXPECT_EQ(RoundTrip(*decoded), Canonical(kFrame));
}

// ---------------------------------------------------------------------------------------------
// 0x0002 heartbeat, 0x0001 / 0x8001 general replies, 0x8100 register reply

// E1: traccar/traccar src/test/java/org/traccar/protocol/HuabaoProtocolDecoderTest.java @ 014cf82a
TEST(RealFramesHeartbeat, TraccarDevice) {
  constexpr std::string_view kFrame = "7e0002000004304832546500b7ca7e";
  auto decoded = Decode(kFrame);
  ASSERT_TRUE(decoded.has_value()) << Describe(decoded.error());
  ExpectHeader(decoded->header, msg_id::kHeartbeat, Version::k2013, "043048325465", 183, 0);
  EXPECT_TRUE(std::holds_alternative<Heartbeat>(decoded->message));
  EXPECT_EQ(RoundTrip(*decoded), Canonical(kFrame));
}

// E2: cuteLittleDevil/go-jt808 (file and commit not recorded in REAL_FRAMES.md)
TEST(RealFramesHeartbeat, GoJt808In2013And2019) {
  constexpr std::string_view k2013 = "7e0002000001234567890100008a7e";
  constexpr std::string_view k2019 = "7e0002400001000000000172998417380000027e";
  auto decoded = Decode(k2013);
  ASSERT_TRUE(decoded.has_value()) << Describe(decoded.error());
  ExpectHeader(decoded->header, msg_id::kHeartbeat, Version::k2013, "012345678901", 0, 0);
  EXPECT_TRUE(std::holds_alternative<Heartbeat>(decoded->message));
  EXPECT_EQ(RoundTrip(*decoded), Canonical(k2013));

  auto decoded2019 = Decode(k2019);
  ASSERT_TRUE(decoded2019.has_value()) << Describe(decoded2019.error());
  ExpectHeader(decoded2019->header, msg_id::kHeartbeat, Version::k2019, "00000000017299841738", 0,
               0);
  EXPECT_TRUE(std::holds_alternative<Heartbeat>(decoded2019->message));
  EXPECT_EQ(RoundTrip(*decoded2019), Canonical(k2019));
}

// E3: cuteLittleDevil/go-jt808 (file and commit not recorded in REAL_FRAMES.md)
TEST(RealFramesHeartbeat, GoJt808UnescapedCheckCode7d) {
  constexpr std::string_view kFrame = "7e0002000000000000067900007d7e";
  auto decoded = Decode(kFrame);
  ASSERT_TRUE(decoded.has_value()) << Describe(decoded.error());
  ExpectHeader(decoded->header, msg_id::kHeartbeat, Version::k2013, "000000000679", 0, 0);
  EXPECT_TRUE(std::holds_alternative<Heartbeat>(decoded->message));
  // The encoder escapes the check code as the standard requires.
  EXPECT_EQ(RoundTrip(*decoded), "7e0002000000000000067900007d017e");
}

// E4: yezhihao/jt808-server jtt808-protocol/src/test/resources/JT808.txt @ 19923451 (line 1, and
// its 2019 form); the 2013 bytes are also in go-jt808 (file and commit not recorded)
TEST(RealFramesReplies, TerminalGeneralReplyIn2013And2019) {
  constexpr std::string_view k2013 = "7e000100050123456789017fff007b01c803bd7e";
  constexpr std::string_view k2019 = "7e000140050100000000017299841738ffff007b01c803b57e";
  const TerminalGeneralReply expected{{.reply_serial = 123, .reply_msg_id = 0x01C8, .result = 3}};
  auto decoded = Decode(k2013);
  ASSERT_TRUE(decoded.has_value()) << Describe(decoded.error());
  ExpectHeader(decoded->header, msg_id::kTerminalGeneralReply, Version::k2013, "012345678901",
               32767, 5);
  EXPECT_EQ(std::get<TerminalGeneralReply>(decoded->message), expected);
  EXPECT_EQ(std::get<TerminalGeneralReply>(decoded->message).result,
            static_cast<uint8_t>(ReplyResult::kUnsupported));
  EXPECT_EQ(RoundTrip(*decoded), Canonical(k2013));

  auto decoded2019 = Decode(k2019);
  ASSERT_TRUE(decoded2019.has_value()) << Describe(decoded2019.error());
  ExpectHeader(decoded2019->header, msg_id::kTerminalGeneralReply, Version::k2019,
               "00000000017299841738", 65535, 5);
  EXPECT_EQ(std::get<TerminalGeneralReply>(decoded2019->message), expected);
  EXPECT_EQ(RoundTrip(*decoded2019), Canonical(k2019));
}

// E5: cuteLittleDevil/go-jt808 (file and commit not recorded in REAL_FRAMES.md)
TEST(RealFramesReplies, PlatformGeneralReply) {
  constexpr std::string_view kFrame = "7e8001000501234567890100007fff0002008e7e";
  auto decoded = Decode(kFrame);
  ASSERT_TRUE(decoded.has_value()) << Describe(decoded.error());
  ExpectHeader(decoded->header, msg_id::kPlatformGeneralReply, Version::k2013, "012345678901", 0,
               5);
  const PlatformGeneralReply expected{
      {.reply_serial = 32767, .reply_msg_id = msg_id::kHeartbeat, .result = 0}};
  EXPECT_EQ(std::get<PlatformGeneralReply>(decoded->message), expected);
  EXPECT_EQ(RoundTrip(*decoded), Canonical(kFrame));
}

// E6: cuteLittleDevil/go-jt808 (file and commit not recorded), and yezhihao/jt808-server
// jtt808-protocol/src/test/resources/JT808.txt @ 19923451
TEST(RealFramesReplies, RegisterReplies) {
  constexpr std::string_view kGoJt808 =
      "7e8100000e01234567890100000000003132333435363738393031377e";
  constexpr std::string_view kYezhihao =
      "7e8100001e0123456789017fff970c00636877443053453166636877443053453166636877443053453166457e";
  auto decoded = Decode(kGoJt808);
  ASSERT_TRUE(decoded.has_value()) << Describe(decoded.error());
  ExpectHeader(decoded->header, msg_id::kRegisterReply, Version::k2013, "012345678901", 0, 14);
  EXPECT_EQ(std::get<RegisterReply>(decoded->message),
            (RegisterReply{.reply_serial = 0, .result = 0, .auth_code = "12345678901"}));
  EXPECT_EQ(RoundTrip(*decoded), Canonical(kGoJt808));

  auto yezhihao = Decode(kYezhihao);
  ASSERT_TRUE(yezhihao.has_value()) << Describe(yezhihao.error());
  ExpectHeader(yezhihao->header, msg_id::kRegisterReply, Version::k2013, "012345678901", 32767, 30);
  EXPECT_EQ(std::get<RegisterReply>(yezhihao->message),
            (RegisterReply{.reply_serial = 38668,
                           .result = static_cast<uint8_t>(RegisterResult::kOk),
                           .auth_code = "chwD0SE1fchwD0SE1fchwD0SE1f"}));
  EXPECT_EQ(RoundTrip(*yezhihao), Canonical(kYezhihao));
}

// ---------------------------------------------------------------------------------------------
// 0x8103 / 0x8104 / 0x0104 terminal parameters

// F1: SmallChi/JT808 src/JT808.Protocol.Test/MessageBody/JT808_0x8103Test.cs @ 73584b6b
TEST(RealFramesParameters, SmallChiSetOneDword) {
  constexpr std::string_view kFrame = "7E8103000A000123456789000A0100000001040000000A057E";
  auto decoded = Decode(kFrame);
  ASSERT_TRUE(decoded.has_value()) << Describe(decoded.error());
  ExpectHeader(decoded->header, msg_id::kSetParameters, Version::k2013, "000123456789", 10, 10);
  EXPECT_EQ(decoded->header.phone.WithoutLeadingZeros(), "123456789");
  const auto& message = std::get<SetParameters>(decoded->message);
  ASSERT_EQ(message.parameters.size(), 1u);
  EXPECT_EQ(message.parameters[0], DwordParameter(0x0001, 10));
  EXPECT_EQ(ParameterTypeOf(0x0001), ParameterType::kDword);
  EXPECT_EQ(ParameterInteger(message.parameters[0]), 10u);
  EXPECT_EQ(RoundTrip(*decoded), Canonical(kFrame));
}

// F2: SmallChi/JT808 0x8103 test (file and commit not recorded in REAL_FRAMES.md)
TEST(RealFramesParameters, SmallChiSetCanBusIdBytes) {
  constexpr std::string_view kFrame = "7E8103000e0135123443213039010000011008ffffffffffffffffed7E";
  auto decoded = Decode(kFrame);
  ASSERT_TRUE(decoded.has_value()) << Describe(decoded.error());
  ExpectHeader(decoded->header, msg_id::kSetParameters, Version::k2013, "013512344321", 12345, 14);
  const auto& message = std::get<SetParameters>(decoded->message);
  ASSERT_EQ(message.parameters.size(), 1u);
  EXPECT_EQ(message.parameters[0].id, 0x0110u);
  EXPECT_EQ(message.parameters[0].value, std::vector<uint8_t>(8, 0xff));
  EXPECT_EQ(ParameterTypeOf(0x0110), ParameterType::kBytes);
  EXPECT_FALSE(ParameterInteger(message.parameters[0]).has_value());
  EXPECT_EQ(RoundTrip(*decoded), Canonical(kFrame));
}

// F3: SmallChi/JT808 0x8103 body (file and commit not recorded in REAL_FRAMES.md)
TEST(RealFramesParameters, SmallChiSetDwordAndStringBody) {
  constexpr std::string_view kBody = "0200000001040000000A000000130D7777772E62616964752E636F6D";
  Version version = Version::k2013;
  auto message = DecodeBody(msg_id::kSetParameters, version, Bytes(kBody));
  ASSERT_TRUE(message.has_value()) << Describe(message.error());
  const auto& set = std::get<SetParameters>(*message);
  ASSERT_EQ(set.parameters.size(), 2u);
  EXPECT_EQ(set.parameters[0], DwordParameter(0x0001, 10));
  EXPECT_EQ(set.parameters[1].id, 0x0013u);
  EXPECT_EQ(ParameterTypeOf(0x0013), ParameterType::kString);
  EXPECT_EQ(std::string(set.parameters[1].value.begin(), set.parameters[1].value.end()),
            "www.baidu.com");
  EXPECT_EQ(RoundTripBody(*message, version), Canonical(kBody));
}

// F4: cuteLittleDevil/go-jt808 (file and commit not recorded in REAL_FRAMES.md)
TEST(RealFramesParameters, GoJt808Query2019) {
  constexpr std::string_view kFrame = "7e8104400001000000000144199999990003027e";
  auto decoded = Decode(kFrame);
  ASSERT_TRUE(decoded.has_value()) << Describe(decoded.error());
  ExpectHeader(decoded->header, msg_id::kQueryParameters, Version::k2019, "00000000014419999999", 3,
               0);
  EXPECT_TRUE(std::holds_alternative<QueryParameters>(decoded->message));
  EXPECT_EQ(RoundTrip(*decoded), Canonical(kFrame));
}

// F5: cuteLittleDevil/go-jt808 (file and commit not recorded in REAL_FRAMES.md)
TEST(RealFramesParameters, GoJt808Reply2019With91Parameters) {
  constexpr std::string_view kFrame =
      "7E010443A20100000000014419999999000500045B00000001040000000A00000002040000003C00000003040000"
      "000200000004040000003C00000005040000000200000006040000003C000000070400000002000000100B313330"
      "31323334353637300000001105313233343500000012053132333435000000130E3132372E302E302E313A373030"
      "30000000140531323334350000001505313233343500000016053132333435000000170531323334350000001A09"
      "3132372E302E302E310000001B04000004570000001C04000004580000001D093132372E302E302E310000002004"
      "00000000000000210400000000000000220400000000000000230130000000240130000000250130000000260130"
      "0000002704000000000000002804000000000000002904000000000000002C04000003E80000002D04000003E800"
      "00002E04000003E80000002F04000003E800000030040000000A0000003102003C000000320416320A1E00000040"
      "0B3133303132333435363731000000410B3133303132333435363732000000420B31333031323334353637330000"
      "00430B3133303132333435363734000000440B313330313233343536373500000045040000000100000046040000"
      "0000000000470400000000000000480B3133303132333435363738000000490B3133303132333435363739000000"
      "50040000000000000051040000000000000052040000000000000053040000000000000054040000000000000055"
      "040000003C000000560400000014000000570400003840000000580400000708000000590400001C200000005A04"
      "0000012C0000005B0200500000005C0200050000005D02000A0000005E02001E0000006404000000010000006504"
      "0000000100000070040000000100000071040000006F000000720400000070000000730400000071000000740400"
      "00007200000075150003019032000000280003019032000000280005010000007613040000010100000202000003"
      "0300000404000000000077160101000301F43200000028000301F43200000028000500000079032808010000007A"
      "04000000230000007B0232320000007C140500000000000000000000000000000000000000000000800400000024"
      "0000008102000B000000820200660000008308BEA941583030303100000084010100000090010200000091010100"
      "00009201010000009304000000010000009401000000009504000000010000010004000000640000010102138800"
      "00010204000000640000010302138800000110080000000000000101F07E";
  auto decoded = Decode(kFrame);
  ASSERT_TRUE(decoded.has_value()) << Describe(decoded.error());
  ExpectHeader(decoded->header, msg_id::kParametersReply, Version::k2019, "00000000014419999999", 5,
               930);
  const auto& reply = std::get<ParametersReply>(decoded->message);
  EXPECT_EQ(reply.reply_serial, 4);
  ASSERT_EQ(reply.parameters.size(), 91u);
  auto integer = [&](uint32_t id) -> std::optional<uint32_t> {
    const Parameter* parameter = FindParameter(reply.parameters, id);
    if (parameter == nullptr)
      return std::nullopt;
    return ParameterInteger(*parameter);
  };
  auto text = [&](uint32_t id) -> std::string {
    const Parameter* parameter = FindParameter(reply.parameters, id);
    if (parameter == nullptr)
      return "<missing>";
    return std::string(parameter->value.begin(), parameter->value.end());
  };
  EXPECT_EQ(integer(0x0001), 10u);
  EXPECT_EQ(integer(0x0002), 60u);
  EXPECT_EQ(integer(0x0003), 2u);
  EXPECT_EQ(text(0x0010), "13012345670");
  EXPECT_EQ(text(0x0013), "127.0.0.1:7000");
  EXPECT_EQ(integer(0x001B), 1111u);
  EXPECT_EQ(integer(0x001C), 1112u);
  EXPECT_EQ(ParameterTypeOf(0x0031), ParameterType::kWord);
  EXPECT_EQ(FindParameter(reply.parameters, 0x0031)->value.size(), 2u);
  EXPECT_EQ(integer(0x0031), 60u);
  EXPECT_EQ(ParameterTypeOf(0x0032), ParameterType::kBytes);
  EXPECT_EQ(FindParameter(reply.parameters, 0x0032)->value, (std::vector<uint8_t>{22, 50, 10, 30}));
  EXPECT_EQ(integer(0x0055), 60u);
  EXPECT_EQ(integer(0x0056), 20u);
  EXPECT_EQ(integer(0x0057), 14400u);
  EXPECT_EQ(ParameterTypeOf(0x0083), ParameterType::kString);
  EXPECT_EQ(FindParameter(reply.parameters, 0x0083)->value, Bytes("BEA9415830303031"));
  auto plate = GbkToUtf8(FindParameter(reply.parameters, 0x0083)->value);
  ASSERT_TRUE(plate.has_value());
  EXPECT_EQ(*plate, "京AX0001");
  EXPECT_EQ(ParameterTypeOf(0x0084), ParameterType::kByte);
  EXPECT_EQ(integer(0x0084), 1u);
  EXPECT_EQ(ParameterTypeOf(0x0101), ParameterType::kWord);
  EXPECT_EQ(integer(0x0101), 5000u);
  EXPECT_EQ(FindParameter(reply.parameters, 0x0110)->value, Bytes("0000000000000101"));
  // JT/T 1078 and vendor ids are kept raw.
  for (uint32_t id : {0x0075u, 0x0076u, 0x0077u, 0x0079u, 0x007Au, 0x007Bu, 0x007Cu}) {
    EXPECT_FALSE(ParameterTypeOf(id).has_value()) << id;
    EXPECT_NE(FindParameter(reply.parameters, id), nullptr) << id;
  }
  EXPECT_EQ(FindParameter(reply.parameters, 0x0075)->value.size(), 21u);
  EXPECT_EQ(FindParameter(reply.parameters, 0x0076)->value.size(), 19u);
  EXPECT_EQ(FindParameter(reply.parameters, 0x0077)->value.size(), 22u);
  EXPECT_EQ(RoundTrip(*decoded), Canonical(kFrame));
}

// ---------------------------------------------------------------------------------------------
// 0x8300 text

// G1: SmallChi/JT808 (file and commit not recorded in REAL_FRAMES.md)
TEST(RealFramesText, SmallChi2013) {
  constexpr std::string_view kFrame = "7E8300000D012345678900000105736D616C6C63686920353138027E";
  auto decoded = Decode(kFrame);
  ASSERT_TRUE(decoded.has_value()) << Describe(decoded.error());
  ExpectHeader(decoded->header, msg_id::kTextMessage, Version::k2013, "012345678900", 1, 13);
  const auto& text = std::get<TextMessage>(decoded->message);
  EXPECT_EQ(text.flags, 5);
  EXPECT_EQ(text.text, "smallchi 518");
  EXPECT_EQ(RoundTrip(*decoded), Canonical(kFrame));
}

// G2: SmallChi/JT808 (file and commit not recorded in REAL_FRAMES.md)
TEST(RealFramesText, SmallChi2019WithTextType) {
  constexpr std::string_view kFrame =
      "7E8300400E010000000001234567890000010501736D616C6C63686920353138417E";
  auto decoded = Decode(kFrame);
  ASSERT_TRUE(decoded.has_value()) << Describe(decoded.error());
  ExpectHeader(decoded->header, msg_id::kTextMessage, Version::k2019, "00000000012345678900", 1,
               14);
  EXPECT_EQ(std::get<TextMessage>(decoded->message),
            (TextMessage{.flags = 5, .text_type = 1, .text = "smallchi 518"}));
  EXPECT_EQ(RoundTrip(*decoded), Canonical(kFrame));
}

// G3, G4: yezhihao/jt808-server jtt808-protocol/src/test/resources/JT808.txt @ 19923451
TEST(RealFramesText, YezhihaoGbkIn2013And2019) {
  constexpr std::string_view k2013 =
      "7e830000180123456789017fff09b2e2cad43132334034353623616263212e2e2ebde1caf8b17e";
  constexpr std::string_view k2019 =
      "7e830040190100000000017299841738ffff3f01b2e2cad43132334034353623616263212e2e2ebde1caf88f7e";
  auto decoded = Decode(k2013);
  ASSERT_TRUE(decoded.has_value()) << Describe(decoded.error());
  ExpectHeader(decoded->header, msg_id::kTextMessage, Version::k2013, "012345678901", 32767, 24);
  const auto& text = std::get<TextMessage>(decoded->message);
  EXPECT_EQ(text.flags, 0x09);
  EXPECT_EQ(text.text, "测试123@456#abc!...结束");
  EXPECT_EQ(RoundTrip(*decoded), Canonical(k2013));

  auto decoded2019 = Decode(k2019);
  ASSERT_TRUE(decoded2019.has_value()) << Describe(decoded2019.error());
  ExpectHeader(decoded2019->header, msg_id::kTextMessage, Version::k2019, "00000000017299841738",
               65535, 25);
  EXPECT_EQ(std::get<TextMessage>(decoded2019->message),
            (TextMessage{.flags = 0x3F, .text_type = 1, .text = "测试123@456#abc!...结束"}));
  EXPECT_EQ(RoundTrip(*decoded2019), Canonical(k2019));
}

// ---------------------------------------------------------------------------------------------
// 0x8600-0x8605 areas

// H1: SmallChi/JT808 src/JT808.Protocol.Test/MessageBody/JT808_0x8600Test.cs @ 94a9a82b (body only)
TEST(RealFramesAreas, SmallChiCirclesWithConditionalFields2013) {
  constexpr std::string_view kBody =
      "0103000005F200DE075BCD15075BCD15000000C8003CC8000005F30000075BCD15075BCD15000000C8000005F408"
      "A3075BCD15075BCD15000000C8181018000012181019000012003CC8";
  Version version = Version::k2013;
  auto message = DecodeBody(msg_id::kSetCircleAreas, version, Bytes(kBody));
  ASSERT_TRUE(message.has_value()) << Describe(message.error());
  const auto& set = std::get<SetCircleAreas>(*message);
  EXPECT_EQ(set.setting, static_cast<uint8_t>(AreaSetting::kAppend));
  ASSERT_EQ(set.areas.size(), 3u);
  const LatLon center{.lat_e6 = 123456789, .lon_e6 = 123456789};
  for (const CircleArea& area : set.areas) {
    EXPECT_EQ(area.center, center);
    EXPECT_EQ(area.radius_m, 200u);
    EXPECT_TRUE(area.name.empty());
  }
  EXPECT_EQ(set.areas[0].id, 1522u);
  EXPECT_EQ(set.areas[0].attributes, 0x00DE);
  EXPECT_EQ(set.areas[0].limits, SpeedLimit(60, 200));
  EXPECT_EQ(set.areas[1].id, 1523u);
  EXPECT_EQ(set.areas[1].attributes, 0);
  EXPECT_EQ(set.areas[1].limits, AreaLimits{});
  EXPECT_EQ(set.areas[2].id, 1524u);
  EXPECT_EQ(set.areas[2].attributes, 0x08A3);
  EXPECT_EQ(set.areas[2].limits, TimeWindow("181018000012", "181019000012", SpeedLimit(60, 200)));
  EXPECT_EQ(RoundTripBody(*message, version), Canonical(kBody));
}

// H2: SmallChi/JT808 src/JT808.Protocol.Test/MessageBody/JT808_0x8600Test.cs (body only)
TEST(RealFramesAreas, SmallChiCircle2019WithNightSpeedAndName) {
  constexpr std::string_view kBody =
      "0101000005F200DE075BCD15075BCD15000000C8003CC8029A0008536D616C6C436869";
  Version version = Version::k2019;
  auto message = DecodeBody(msg_id::kSetCircleAreas, version, Bytes(kBody));
  ASSERT_TRUE(message.has_value()) << Describe(message.error());
  const auto& set = std::get<SetCircleAreas>(*message);
  EXPECT_EQ(set.setting, static_cast<uint8_t>(AreaSetting::kAppend));
  ASSERT_EQ(set.areas.size(), 1u);
  const CircleArea& area = set.areas[0];
  EXPECT_EQ(area.id, 1522u);
  EXPECT_EQ(area.attributes, 222);
  EXPECT_EQ(area.center, (LatLon{.lat_e6 = 123456789, .lon_e6 = 123456789}));
  EXPECT_EQ(area.radius_m, 200u);
  EXPECT_EQ(area.limits, SpeedLimit(60, 200, 666));
  EXPECT_EQ(area.name, "SmallChi");
  EXPECT_EQ(RoundTripBody(*message, version), Canonical(kBody));
}

// H3, H4: yezhihao/jt808-server jtt808-protocol/src/test/resources/JT808.txt @ 19923451.
// yezhihao writes the time window even though attribute bit 0 is clear, against the standard's
// table ("no such field if bit 0 is 0"); a conforming decoder cannot read these frames.
TEST(RealFramesAreas, YezhihaoCirclesWithUnconditionalTimesAreRejected) {
  constexpr std::string_view k2013 =
      "7e860000a70123456789017fff02050000000100020001e0f30001b6b80000007b20072600000020072623235900"
      "c81e0000000200020001e0f30001b6b80000007b20072600000020072623235900c81e0000000300020001e0f300"
      "01b6b80000007b20072600000020072623235900c81e0000000400020001e0f30001b6b80000007b200726000000"
      "20072623235900c81e0000000500020001e0f30001b6b80000007b20072600000020072623235900c81ec47e";
  constexpr std::string_view k2019 =
      "7e860040e80100000000017299841738ffff02050000000100020001e0f30001b6b80000007b2007260000002007"
      "2623235900c81e00280009b2e2cad4cea7c0b8310000000200020001e0f30001b6b80000007b2007260000002007"
      "2623235900c81e00280009b2e2cad4cea7c0b8320000000300020001e0f30001b6b80000007b2007260000002007"
      "2623235900c81e00280009b2e2cad4cea7c0b8330000000400020001e0f30001b6b80000007b2007260000002007"
      "2623235900c81e00280009b2e2cad4cea7c0b8340000000500020001e0f30001b6b80000007b2007260000002007"
      "2623235900c81e00280009b2e2cad4cea7c0b835cc7e";
  for (std::string_view frame : {k2013, k2019}) {
    std::vector<uint8_t> bytes = Bytes(frame);
    std::vector<uint8_t> scratch(bytes.size());
    auto view = ParseEscapedFrame(bytes, scratch);
    ASSERT_TRUE(view.has_value()) << Describe(view.error());  // the framing itself is fine
    EXPECT_EQ(view->header.msg_id, msg_id::kSetCircleAreas);
    EXPECT_EQ(view->header.serial, Is2019(view->header.version) ? 65535 : 32767);
    auto decoded = DecodeMessage(*view);
    EXPECT_FALSE(decoded.has_value());
  }
}

// H5: yezhihao/jt808-server jtt808-protocol/src/test/resources/JT808.txt @ 19923451
TEST(RealFramesAreas, YezhihaoDeleteCircles) {
  constexpr std::string_view kFrame =
      "7e860100110123456789017fff040000000100000002000000030000ffff9a7e";
  auto decoded = Decode(kFrame);
  ASSERT_TRUE(decoded.has_value()) << Describe(decoded.error());
  ExpectHeader(decoded->header, msg_id::kDeleteCircleAreas, Version::k2013, "012345678901", 32767,
               17);
  EXPECT_EQ(std::get<DeleteAreas>(decoded->message),
            (DeleteAreas{.kind = AreaKind::kCircle, .ids = {1, 2, 3, 65535}}));
  EXPECT_EQ(RoundTrip(*decoded), Canonical(kFrame));
}

// H6: SmallChi/JT808 0x8602 body (file and commit not recorded in REAL_FRAMES.md)
TEST(RealFramesAreas, SmallChiRectangles2013) {
  constexpr std::string_view kBody =
      "0102000005F200DE075BCD13075BCD12075BCD15075BCD14003CC8000005F3000A075BCCBE075BCCBF075BCCBC07"
      "5BCCBD003CC8";
  Version version = Version::k2013;
  auto message = DecodeBody(msg_id::kSetRectangleAreas, version, Bytes(kBody));
  ASSERT_TRUE(message.has_value()) << Describe(message.error());
  const auto& set = std::get<SetRectangleAreas>(*message);
  EXPECT_EQ(set.setting, static_cast<uint8_t>(AreaSetting::kAppend));
  ASSERT_EQ(set.areas.size(), 2u);
  const AreaLimits speed = SpeedLimit(60, 200);
  EXPECT_EQ(set.areas[0].id, 1522u);
  EXPECT_EQ(set.areas[0].attributes, 222);
  EXPECT_EQ(set.areas[0].top_left, (LatLon{.lat_e6 = 123456787, .lon_e6 = 123456786}));
  EXPECT_EQ(set.areas[0].bottom_right, (LatLon{.lat_e6 = 123456789, .lon_e6 = 123456788}));
  EXPECT_EQ(set.areas[0].limits, speed);
  EXPECT_EQ(set.areas[1].id, 1523u);
  EXPECT_EQ(set.areas[1].attributes, 10);
  EXPECT_EQ(set.areas[1].top_left, (LatLon{.lat_e6 = 123456702, .lon_e6 = 123456703}));
  EXPECT_EQ(set.areas[1].bottom_right, (LatLon{.lat_e6 = 123456700, .lon_e6 = 123456701}));
  EXPECT_EQ(set.areas[1].limits, speed);
  EXPECT_EQ(RoundTripBody(*message, version), Canonical(kBody));
}

// H7: yezhihao/jt808-server jtt808-protocol/src/test/resources/JT808.txt @ 19923451. Attribute
// 0x0002 with the time window present anyway (see H3).
TEST(RealFramesAreas, YezhihaoRectanglesWithUnconditionalTimesAreRejected) {
  constexpr std::string_view kFrame =
      "7e860200bb0123456789017fff00050000000100020001e0f30001b6b80001e0f30001b6b8200726000000200726"
      "23235900c81e0000000200020001e0f30001b6b80001e0f30001b6b820072600000020072623235900c81e000000"
      "0300020001e0f30001b6b80001e0f30001b6b820072600000020072623235900c81e0000000400020001e0f30001"
      "b6b80001e0f30001b6b820072600000020072623235900c81e0000000500020001e0f30001b6b80001e0f30001b6"
      "b820072600000020072623235900c81ebe7e";
  std::vector<uint8_t> bytes = Bytes(kFrame);
  std::vector<uint8_t> scratch(bytes.size());
  auto view = ParseEscapedFrame(bytes, scratch);
  ASSERT_TRUE(view.has_value()) << Describe(view.error());
  EXPECT_EQ(view->header.msg_id, msg_id::kSetRectangleAreas);
  EXPECT_EQ(view->header.body_length, 187);
  EXPECT_FALSE(DecodeMessage(*view).has_value());
}

// H8: SmallChi/JT808 0x8604 body (file and commit not recorded in REAL_FRAMES.md)
TEST(RealFramesAreas, SmallChiPolygonWithTimeWindow2013) {
  constexpr std::string_view kBody =
      "000004D200011811200000121811210000120002075BCD15075BCD14075BCCBC075BCCBD";
  Version version = Version::k2013;
  auto message = DecodeBody(msg_id::kSetPolygonArea, version, Bytes(kBody));
  ASSERT_TRUE(message.has_value()) << Describe(message.error());
  const auto& polygon = std::get<SetPolygonArea>(*message);
  EXPECT_EQ(polygon.id, 1234u);
  EXPECT_EQ(polygon.attributes, area_attr::kTimeWindow);
  EXPECT_EQ(polygon.limits, TimeWindow("181120000012", "181121000012"));
  EXPECT_EQ(polygon.vertices, (std::vector<LatLon>{{.lat_e6 = 123456789, .lon_e6 = 123456788},
                                                   {.lat_e6 = 123456700, .lon_e6 = 123456701}}));
  EXPECT_TRUE(polygon.name.empty());
  EXPECT_EQ(RoundTripBody(*message, version), Canonical(kBody));
}

// H9: yezhihao/jt808-server jtt808-protocol/src/test/resources/JT808.txt @ 19923451. Attribute
// 0x0002 with the time window present anyway (see H3).
TEST(RealFramesAreas, YezhihaoPolygonsWithUnconditionalTimesAreRejected) {
  constexpr std::string_view k2013 =
      "7e8604003f0123456789017fff000000030002200707192359200707192359007b3c00050000007b000001590000"
      "007b000001590000007b000001590000007b000001590000007b00000159d57e";
  constexpr std::string_view k2019 =
      "7e860440430100000000017299841738ffff000000030002200707192359200707192359007b3c00050000007b00"
      "0001590000007b000001590000007b000001590000007b000001590000007b0000015900000000a17e";
  for (std::string_view frame : {k2013, k2019}) {
    std::vector<uint8_t> bytes = Bytes(frame);
    std::vector<uint8_t> scratch(bytes.size());
    auto view = ParseEscapedFrame(bytes, scratch);
    ASSERT_TRUE(view.has_value()) << Describe(view.error());
    EXPECT_EQ(view->header.msg_id, msg_id::kSetPolygonArea);
    EXPECT_FALSE(DecodeMessage(*view).has_value());
  }
}

// ---------------------------------------------------------------------------------------------
// 0x0800 / 0x0801 multimedia

// I1: yezhihao/jt808-server jtt808-protocol/src/test/resources/JT808.txt @ 19923451
TEST(RealFramesMultimedia, YezhihaoEvent2019WithEscapedCheckCode) {
  constexpr std::string_view kFrame = "7e080040080100000000017299841738ffff0000007b000007017d017e";
  auto decoded = Decode(kFrame);
  ASSERT_TRUE(decoded.has_value()) << Describe(decoded.error());
  ExpectHeader(decoded->header, msg_id::kMultimediaEvent, Version::k2019, "00000000017299841738",
               65535, 8);
  EXPECT_EQ(
      std::get<MultimediaEvent>(decoded->message),
      (MultimediaEvent{.media_id = 123, .media_type = 0, .format = 0, .event = 7, .channel = 1}));
  EXPECT_EQ(RoundTrip(*decoded), Canonical(kFrame));
}

// I2: yezhihao/jt808-server jtt808-protocol/src/test/resources/JT808.txt @ 19923451
TEST(RealFramesMultimedia, YezhihaoUploadWithLocation2013) {
  constexpr std::string_view kFrame =
      "7e080100290123456789017fff0000007b01020102000004000000080006eeb6ad02633df7013800030063200707"
      "1923590d7b0d7b7b667e";
  auto decoded = Decode(kFrame);
  ASSERT_TRUE(decoded.has_value()) << Describe(decoded.error());
  ExpectHeader(decoded->header, msg_id::kMultimediaUpload, Version::k2013, "012345678901", 32767,
               41);
  const auto& upload = std::get<MultimediaUpload>(decoded->message);
  EXPECT_EQ(
      upload.event,
      (MultimediaEvent{.media_id = 123, .media_type = 1, .format = 2, .event = 1, .channel = 2}));
  EXPECT_EQ(upload.location.alarm, 1024u);
  EXPECT_EQ(upload.location.status, 2048u);
  EXPECT_EQ(upload.location.lat_e6, 116307629);
  EXPECT_EQ(upload.location.lon_e6, 40058359);
  EXPECT_EQ(upload.location.altitude_m, 312);
  EXPECT_EQ(upload.location.speed_dkmh, 3);
  EXPECT_EQ(upload.location.direction, 99);
  EXPECT_EQ(upload.location.time_ms, BeijingMs(2020, 7, 7, 19, 23, 59));
  EXPECT_EQ(upload.data, Bytes("0D7B0D7B7B"));
  EXPECT_EQ(RoundTrip(*decoded), Canonical(kFrame));
}

// I6: SmallChi/JT808 0x0801 body (file and commit not recorded in REAL_FRAMES.md)
TEST(RealFramesMultimedia, SmallChiUploadBody2013) {
  constexpr std::string_view kBody =
      "00000A070000017B000000010000000200BA7F0E07E4F11C0028003C000018111523261001020304";
  Version version = Version::k2013;
  auto message = DecodeBody(msg_id::kMultimediaUpload, version, Bytes(kBody));
  ASSERT_TRUE(message.has_value()) << Describe(message.error());
  const auto& upload = std::get<MultimediaUpload>(*message);
  EXPECT_EQ(upload.event,
            (MultimediaEvent{
                .media_id = 2567, .media_type = 0, .format = 0, .event = 1, .channel = 123}));
  EXPECT_EQ(upload.location.alarm, 1u);
  EXPECT_EQ(upload.location.status, 2u);
  EXPECT_EQ(upload.location.lat_e6, 12222222);
  EXPECT_EQ(upload.location.lon_e6, 132444444);
  EXPECT_EQ(upload.location.altitude_m, 40);
  EXPECT_EQ(upload.location.speed_dkmh, 60);
  EXPECT_EQ(upload.location.direction, 0);
  EXPECT_EQ(upload.location.time_ms, BeijingMs(2018, 11, 15, 23, 26, 10));
  EXPECT_EQ(upload.data, Bytes("01020304"));
  EXPECT_EQ(RoundTripBody(*message, version), Canonical(kBody));
}

// I3 (appendix S16): SmallChi/JT808 src/JT808.Protocol.Test/MessageBody/JT808_0x0801Test.cs
// (Package1) @ 94a9a82b. First of ten packages; published check code 0x1c, computed 0x8e.
TEST(RealFramesSubpackage, SmallChiFirstOfTenJpegPackages) {
  constexpr std::string_view kFrame =
      "7e080123240138123456782031000a00010000271d0000010100000000000c200301d2400a063296a501e1000000"
      "00190104092952ffd8ffc4001f0000010501010101010100000000000000000102030405060708090a0bffc400b5"
      "100002010303020403050504040000017d0101020300041105122131410613516107227114328191a1082342b1c1"
      "1552d1f02433627282090a161718191a25262728292a3435363738393a434445464748494a535455565758595a63"
      "6465666768696a737475767778797a838485868788898a92939495969798999aa2a3a4a5a6a7a8a9aab2b3b4b5b6"
      "b7b8b9bac2c3c4c5c6c7c8c9cad2d3d4d5d6d7d8d9dae1e2e3e4e5e6e7e8e9eaf1f2f3f4f5f6f7f8f9faffc4001f"
      "0100030101010101010101010000000000000102030405060708090a0bffc400b511000201020404030407050404"
      "00010277000102031104052131061241510761711322328108144291a1b1c109233352f0156272d10a162434e125"
      "f11718191a262728292a35363738393a434445464748494a535455565758595a636465666768696a737475767778"
      "797a82838485868788898a92939495969798999aa2a3a4a5a6a7a8a9aab2b3b4b5b6b7b8b9bac2c3c4c5c6c7c8c9"
      "cad2d3d4d5d6d7d8d9dae2e3e4e5e6e7e8e9eaf2f3f4f5f6f7f8f9faffdb00430008060607060508070707090908"
      "0a0c140d0c0b0b0c1912130f141d1a1f1e1d1a1c1c20242e2720222c231c1c2837292c30313434341f27393d3832"
      "3c2e333432ffdb0043010909090c0b0c180d0d1832211c2132323232323232323232323232323232323232323232"
      "32323232323232323232323232323232323232323232323232323232fffe000b4750456e636f646572ffdb004300"
      "0d090a0b0a080d0b0a0b0e0e0d0f13201513121213271c1e17202e2931302e292d2c333a4a3e333646372c2d4057"
      "41464c4e525352323e5a615a50604a51524fffdb0043010e0e0e131113261515264f352d354f4f4f4f4f4f4f4f4f"
      "4f4f4f4f4f4f4f4f4f4f4f4f4f4f4f4f4f4f4f4f4f4f4f4f4f4f4f4f4f4f4f4f4f4f4f4f4f4f4f4f4fffc0001108"
      "00f0014003012100021101031101ffc4001f000001050101010101010000000000000000010203041c7e";
  auto strict = Decode(kFrame);
  ASSERT_FALSE(strict.has_value());
  EXPECT_EQ(strict.error().code, ErrorCode::kBadChecksum);

  auto decoded = Decode(kFrame, kSkipChecksum);
  ASSERT_TRUE(decoded.has_value()) << Describe(decoded.error());
  const Header& header = decoded->header;
  EXPECT_EQ(header.msg_id, msg_id::kMultimediaUpload);
  EXPECT_EQ(header.version, Version::k2013);
  EXPECT_EQ(header.phone.digits(), "013812345678");
  EXPECT_EQ(header.serial, 0x2031);
  EXPECT_EQ(header.body_length, 804);
  EXPECT_EQ(header.encryption, 0);
  EXPECT_EQ(header.subpackage, (Subpackage{.total = 10, .index = 1}));
  // A package of an incomplete message comes back raw, for the reassembler.
  const auto& raw = std::get<RawMessage>(decoded->message);
  EXPECT_EQ(raw.msg_id, msg_id::kMultimediaUpload);
  ASSERT_EQ(raw.body.size(), 804u);

  // The first package starts with the 0x0801 preamble and the JPEG start of image.
  Version version = header.version;
  auto preamble = DecodeBody(msg_id::kMultimediaUpload, version, raw.body);
  ASSERT_TRUE(preamble.has_value()) << Describe(preamble.error());
  const auto& upload = std::get<MultimediaUpload>(*preamble);
  EXPECT_EQ(
      upload.event,
      (MultimediaEvent{.media_id = 10013, .media_type = 0, .format = 0, .event = 1, .channel = 1}));
  EXPECT_EQ(upload.location.alarm, 0u);
  EXPECT_EQ(upload.location.status, 0x000C2003u);
  EXPECT_EQ(upload.location.lat_e6, 30556170);
  EXPECT_EQ(upload.location.lon_e6, 103978661);
  EXPECT_EQ(upload.location.altitude_m, 481);
  EXPECT_EQ(upload.location.time_ms, BeijingMs(2019, 1, 4, 9, 29, 52));
  ASSERT_GE(upload.data.size(), 4u);
  EXPECT_EQ(std::vector<uint8_t>(upload.data.begin(), upload.data.begin() + 4), Bytes("FFD8FFC4"));

  // Re-encoded, it is the published frame with the check code it should have had.
  std::string expected = Canonical(kFrame);
  expected.replace(expected.size() - 4, 2, "8e");
  EXPECT_EQ(RoundTrip(*decoded), expected);
}

// I4: cuteLittleDevil/go-jt808 (file and commit not recorded in REAL_FRAMES.md)
TEST(RealFramesSubpackage, GoJt808SecondOfTwentySix) {
  constexpr std::string_view kFrame = "7E0801200500123456789002DE001A00022808000102537E";
  auto decoded = Decode(kFrame);
  ASSERT_TRUE(decoded.has_value()) << Describe(decoded.error());
  const Header& header = decoded->header;
  EXPECT_EQ(header.msg_id, msg_id::kMultimediaUpload);
  EXPECT_EQ(header.version, Version::k2013);
  EXPECT_EQ(header.phone.digits(), "001234567890");
  EXPECT_EQ(header.serial, 734);
  EXPECT_EQ(header.body_length, 5);
  EXPECT_EQ(header.subpackage, (Subpackage{.total = 26, .index = 2}));
  EXPECT_EQ(std::get<RawMessage>(decoded->message),
            (RawMessage{.msg_id = msg_id::kMultimediaUpload, .body = Bytes("2808000102")}));
  EXPECT_EQ(RoundTrip(*decoded), Canonical(kFrame));

  // The same frame with check code 0x54.
  auto bad = Decode("7E0801200500123456789002DE001A00022808000102547E");
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().code, ErrorCode::kBadChecksum);
  // A body one byte short of the declared 5, and a header cut inside the package fields.
  auto short_body = Decode("7E0801200500123456789002DE001A000228080001517E");
  ASSERT_FALSE(short_body.has_value());
  EXPECT_EQ(short_body.error().code, ErrorCode::kLengthMismatch);
  auto short_header = Decode("7E0801200500123456789002b67E");
  ASSERT_FALSE(short_header.has_value());
  EXPECT_EQ(short_header.error().code, ErrorCode::kTruncated);
}

// I5: cuteLittleDevil/go-jt808 (file and commit not recorded in REAL_FRAMES.md)
TEST(RealFramesMultimedia, GoJt808RsaFlagIsFramedButNotDecoded) {
  constexpr std::string_view kFrame = "7E0801040500123456789002DE001A000221757E";
  std::vector<uint8_t> bytes = Bytes(kFrame);
  std::vector<uint8_t> scratch(bytes.size());
  auto view = ParseEscapedFrame(bytes, scratch);
  ASSERT_TRUE(view.has_value()) << Describe(view.error());
  EXPECT_EQ(view->header.msg_id, msg_id::kMultimediaUpload);
  EXPECT_EQ(view->header.encryption, 1);
  EXPECT_EQ(view->header.phone.digits(), "001234567890");
  EXPECT_EQ(view->header.serial, 734);
  EXPECT_FALSE(view->header.subpackage.has_value());
  EXPECT_EQ(std::vector<uint8_t>(view->body.begin(), view->body.end()), Bytes("001A000221"));
  auto decoded = DecodeMessage(*view);
  ASSERT_FALSE(decoded.has_value());
  EXPECT_EQ(decoded.error().code, ErrorCode::kUnsupported);
  // The frame layer alone re-encodes it byte for byte.
  std::vector<uint8_t> frame_scratch;
  std::vector<uint8_t> out;
  ASSERT_TRUE(AppendFrame(view->header, view->body, frame_scratch, out).has_value());
  EXPECT_EQ(ToHex(out), Canonical(kFrame));
}

// ---------------------------------------------------------------------------------------------
// Framing errors

// J: cuteLittleDevil/go-jt808 protocol/jt808/jt808_test.go @ 04ffc62e
TEST(RealFramesFraming, GoJt808ShortFramesAreTruncated) {
  for (std::string_view frame : {"7e01017e", "7e0100002c0123454a7e"}) {
    auto decoded = Decode(frame);
    ASSERT_FALSE(decoded.has_value()) << frame;
    EXPECT_EQ(decoded.error().code, ErrorCode::kTruncated) << frame;
  }
  // No end flag, and the 2019 version bit set: neither header layout fits.
  auto cut = Decode("7e010040530100");
  ASSERT_FALSE(cut.has_value());
  EXPECT_EQ(cut.error().code, ErrorCode::kTruncated);
}

}  // namespace
}  // namespace baotong::jt808
