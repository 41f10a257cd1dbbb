#include "app/jt808_command.h"

#include <gtest/gtest.h>

#include <sstream>

#include "app/jt808_json.h"
#include "common/hex.h"
#include "protocol/jt808/codec.h"

namespace baotong::app {
namespace {

using jt808::Header;

std::vector<Json> Lines(const std::string& text) {
  std::vector<Json> lines;
  std::istringstream stream(text);
  for (std::string line; std::getline(stream, line);)
    lines.push_back(Json::parse(line));
  return lines;
}

std::string Encode(const Header& header, const jt808::Message& message) {
  jt808::MessageEncoder encoder;
  std::vector<uint8_t> frame;
  EXPECT_TRUE(encoder.Encode(header, message, frame));
  return ToHex(frame);
}

Header TestHeader(jt808::Version version = jt808::Version::k2013) {
  Header header;
  header.version = version;
  header.phone = *jt808::Phone::FromDigits(version == jt808::Version::k2019 ? "00000000013912345678"
                                                                            : "013912345678");
  header.serial = 9;
  return header;
}

TEST(Jt808Decode, PrintsLocationInTheDocumentedSchema) {
  // A real device's frame from traccar's HuabaoProtocolDecoderTest (south latitude, Brisbane).
  std::ostringstream out;
  int code = RunJt808Decode(
      {"7e0200002e202000129707001c0000000000001c0601a2f0a8091f0bf00000000000ed20110303173300000000"
       "0000000000780000000018000000267e"},
      {}, out);
  EXPECT_EQ(code, 0);
  auto lines = Lines(out.str());
  ASSERT_EQ(lines.size(), 1u);
  const Json& frame = lines[0];
  EXPECT_EQ(frame["msg_id"], 0x0200);
  EXPECT_EQ(frame["version"], "2013");
  EXPECT_EQ(frame["phone"], "202000129707");
  EXPECT_EQ(frame["serial"], 28);
  EXPECT_TRUE(frame["subpackage"].is_null());
  const Json& body = frame["body"];
  EXPECT_EQ(body["status"], 0x1c06);
  EXPECT_DOUBLE_EQ(body["lat"].get<double>(), -27.455656);
  EXPECT_DOUBLE_EQ(body["lon"].get<double>(), 153.029616);
  EXPECT_EQ(body["direction"], 237);
  EXPECT_EQ(body["time"], "2020-11-03T03:17:33+08:00");
  EXPECT_TRUE(body.contains("extras"));
}

TEST(Jt808Decode, ExtrasUseNaturalUnitsAndHexForUnknownItems) {
  jt808::LocationReport report;
  report.status = jt808::status_bit::kPositioned;
  report.lat_e6 = 41'108'500;
  report.lon_e6 = 122'994'300;
  report.speed_dkmh = 625;
  report.time_ms = 1'650'415'800'000;
  report.odometer_hm = 1234;
  report.fuel_dl = 455;
  report.tachograph_speed_dkmh = 600;
  report.other_items = {0xe1, 0x02, 0xbe, 0xef};
  std::ostringstream out;
  ASSERT_EQ(RunJt808Decode({Encode(TestHeader(), report)}, {}, out), 0);
  Json body = Lines(out.str()).at(0)["body"];
  EXPECT_DOUBLE_EQ(body["speed_kmh"].get<double>(), 62.5);
  EXPECT_EQ(body["time"], "2022-04-20T08:50:00+08:00");
  EXPECT_DOUBLE_EQ(body["extras"]["0x01"].get<double>(), 123.4);
  EXPECT_DOUBLE_EQ(body["extras"]["0x02"].get<double>(), 45.5);
  EXPECT_DOUBLE_EQ(body["extras"]["0x03"].get<double>(), 60.0);
  EXPECT_EQ(body["extras"]["0xE1"], "beef");
}

TEST(Jt808Decode, BatchHasItems) {
  jt808::LocationBatch batch;
  batch.items.resize(3);
  for (auto& item : batch.items)
    item.time_ms = 1'650'415'800'000;
  std::ostringstream out;
  ASSERT_EQ(RunJt808Decode({Encode(TestHeader(), batch)}, {}, out), 0);
  Json frame = Lines(out.str()).at(0);
  EXPECT_EQ(frame["msg_id"], 0x0704);
  EXPECT_EQ(frame["body"]["items"].size(), 3u);
}

TEST(Jt808Decode, RegisterAndAuthUseSnakeCaseNames2019) {
  jt808::Register reg;
  reg.province_id = 21;
  reg.city_id = 300;
  reg.maker_id = "BAOTONG";
  reg.terminal_model = "BT-808";
  reg.terminal_id = "T1";
  reg.plate_color = 2;
  reg.plate = "辽C12345";
  jt808::Auth auth{"code", "861234567890123", "V1.0"};
  std::ostringstream out;
  auto header = TestHeader(jt808::Version::k2019);
  ASSERT_EQ(RunJt808Decode({Encode(header, reg), Encode(header, auth)}, {}, out), 0);
  auto lines = Lines(out.str());
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0]["version"], "2019");
  EXPECT_EQ(lines[0]["phone"], "00000000013912345678");
  EXPECT_EQ(lines[0]["body"]["plate"], "辽C12345");
  EXPECT_EQ(lines[0]["body"]["maker_id"], "BAOTONG");
  EXPECT_EQ(lines[1]["body"]["imei"], "861234567890123");
}

TEST(Jt808Decode, SubpackagesAreShownAndReassembled) {
  jt808::MultimediaUpload upload;
  upload.location.time_ms = 1'650'415'800'000;
  upload.data.assign(1500, 0xab);
  jt808::MessageEncoder encoder;
  auto frames = encoder.EncodeSubpackaged(TestHeader(), upload, 1000);
  ASSERT_TRUE(frames);
  ASSERT_EQ(frames->size(), 2u);
  std::ostringstream out;
  ASSERT_EQ(RunJt808Decode({ToHex((*frames)[1]), ToHex((*frames)[0])}, {}, out), 0);
  auto lines = Lines(out.str());
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0]["subpackage"]["index"], 2);
  EXPECT_EQ(lines[0]["subpackage"]["total"], 2);
  EXPECT_EQ(lines[2]["reassembled_from_packages"], 2);
  EXPECT_EQ(lines[2]["body"]["data_size"], 1500);
}

TEST(Jt808Decode, SeveralFramesInOneArgumentAndNoFlags) {
  std::string heartbeat = Encode(TestHeader(), jt808::Heartbeat{});
  std::string without_flags = heartbeat.substr(2, heartbeat.size() - 4);
  std::ostringstream out;
  EXPECT_EQ(RunJt808Decode({heartbeat + heartbeat, without_flags}, {}, out), 0);
  EXPECT_EQ(Lines(out.str()).size(), 3u);
}

TEST(Jt808Decode, ErrorsPrintJsonAndFail) {
  std::string frame = Encode(TestHeader(), jt808::Heartbeat{});
  std::string bad_check = frame;
  bad_check[bad_check.size() - 4] = bad_check[bad_check.size() - 4] == '0' ? '1' : '0';
  for (const std::string& input :
       {bad_check, std::string("7e00"), std::string("zz"), std::string("7e7d037e")}) {
    std::ostringstream out;
    EXPECT_EQ(RunJt808Decode({input}, {}, out), 1) << input;
    auto lines = Lines(out.str());
    ASSERT_EQ(lines.size(), 1u) << input;
    EXPECT_TRUE(lines[0].contains("error")) << input;
    EXPECT_EQ(lines[0].size(), 1u) << input;
  }
  std::ostringstream lenient;
  EXPECT_EQ(RunJt808Decode({bad_check}, {.verify_checksum = false}, lenient), 0);
}

}  // namespace
}  // namespace baotong::app
