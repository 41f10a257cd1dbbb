// Property tests: any message the codec can encode decodes back to the same message, through
// framing, escaping, the stream splitter and, for large bodies, subpackaging and reassembly.
#include <gtest/gtest.h>

#include <random>

#include "protocol/jt808/codec.h"
#include "protocol/jt808/reassembler.h"
#include "protocol/jt808/test_messages.h"

namespace baotong::jt808 {
namespace {

class Generator {
 public:
  explicit Generator(uint32_t seed) : rng_(seed) {}

  template <typename T>
  T Int(T low, T high) {
    return static_cast<T>(std::uniform_int_distribution<int64_t>(low, high)(rng_));
  }
  template <typename T>
  T Any() {
    return Int<T>(std::numeric_limits<T>::min(), std::numeric_limits<T>::max());
  }
  bool Chance(int percent) { return Int<int>(0, 99) < percent; }

  std::vector<uint8_t> RandomBytes(size_t max) {
    std::vector<uint8_t> bytes(Int<size_t>(0, max));
    for (auto& b : bytes)
      b = Any<uint8_t>();
    return bytes;
  }

  // Text whose GBK form has at most `max_bytes` bytes and no NUL at either end.
  std::string Text(size_t max_bytes) {
    static const std::vector<std::pair<std::string, size_t>> kPieces = {
        {"辽", 2}, {"C", 1}, {"鞍山", 4}, {"货运", 4}, {"1", 1},  {"8", 1},
        {"号", 2}, {"A", 1}, {"z", 1},    {" ", 1},    {"通", 2}, {"证", 2}};
    std::string text;
    size_t bytes = 0;
    size_t wanted = Int<size_t>(0, max_bytes);
    while (true) {
      const auto& [piece, size] = kPieces[Int<size_t>(0, kPieces.size() - 1)];
      if (bytes + size > wanted)
        break;
      text += piece;
      bytes += size;
    }
    return text;
  }

  std::string Digits(size_t count) {
    std::string digits;
    for (size_t i = 0; i < count; ++i)
      digits.push_back(static_cast<char>('0' + Int(0, 9)));
    return digits;
  }

  LocationReport Location(bool with_items) {
    LocationReport r;
    r.alarm = Any<uint32_t>();
    // Hemisphere bits follow the coordinate signs on encode, so leave them to the sign.
    r.status = Any<uint32_t>() & ~(status_bit::kSouthLatitude | status_bit::kWestLongitude);
    r.lat_e6 = Int<int32_t>(-90'000'000, 90'000'000);
    r.lon_e6 = Int<int32_t>(-180'000'000, 180'000'000);
    if (r.lat_e6 < 0)
      r.status |= status_bit::kSouthLatitude;
    if (r.lon_e6 < 0)
      r.status |= status_bit::kWestLongitude;
    r.altitude_m = Any<uint16_t>();
    r.speed_dkmh = Any<uint16_t>();
    r.direction = Int<uint16_t>(0, 359);
    if (Chance(95)) {
      // Whole seconds between 2001 and 2098.
      r.time_ms = Int<int64_t>(978'307'200, 4'070'908'800) * 1000;
    }
    if (!with_items)
      return r;
    if (Chance(50))
      r.odometer_hm = Any<uint32_t>();
    if (Chance(50))
      r.fuel_dl = Any<uint16_t>();
    if (Chance(50))
      r.tachograph_speed_dkmh = Any<uint16_t>();
    if (Chance(30))
      r.manual_alarm_event_id = Any<uint16_t>();
    if (Chance(30)) {
      uint8_t type = Int<uint8_t>(0, 4);
      r.overspeed_alarm = OverspeedAlarmItem{type, type == 0 ? 0 : Any<uint32_t>()};
    }
    if (Chance(30))
      r.area_alarm = AreaAlarmItem{Int<uint8_t>(1, 4), Any<uint32_t>(), Int<uint8_t>(0, 1)};
    if (Chance(30)) {
      r.route_time_alarm = RouteTimeAlarmItem{Any<uint32_t>(), Any<uint16_t>(), Int<uint8_t>(0, 1)};
    }
    if (Chance(50))
      r.signals = Any<uint32_t>();
    if (Chance(50))
      r.io_status = Any<uint16_t>();
    if (Chance(50))
      r.analog = Any<uint32_t>();
    if (Chance(50))
      r.signal_strength = Any<uint8_t>();
    if (Chance(50))
      r.satellites = Any<uint8_t>();
    // Vendor items, never a standard id.
    int others = Int(0, 3);
    for (int i = 0; i < others; ++i) {
      uint8_t id = Int<uint8_t>(0xe1, 0xff);
      auto value = RandomBytes(12);
      r.other_items.push_back(id);
      r.other_items.push_back(static_cast<uint8_t>(value.size()));
      r.other_items.insert(r.other_items.end(), value.begin(), value.end());
    }
    if (Chance(10)) {
      // An item that claims more bytes than follow, as padded real-device frames do.
      r.unparsed_tail = {0x00, 0xff};
      auto rest = RandomBytes(10);
      r.unparsed_tail.insert(r.unparsed_tail.end(), rest.begin(), rest.end());
    }
    return r;
  }

  AreaLimits Limits(uint16_t attributes, bool night_speed) {
    AreaLimits limits;
    if (attributes & area_attr::kTimeWindow) {
      limits.start_time = Digits(12);
      limits.end_time = Digits(12);
    }
    if (attributes & area_attr::kSpeedLimit) {
      limits.max_speed_kmh = Any<uint16_t>();
      limits.overspeed_duration_s = Any<uint8_t>();
      if (night_speed)
        limits.night_max_speed_kmh = Any<uint16_t>();
    }
    return limits;
  }

  LatLon Point() { return LatLon{Int<uint32_t>(0, 90'000'000), Int<uint32_t>(0, 180'000'000)}; }

  std::vector<Parameter> Parameters() {
    std::vector<Parameter> parameters(Int<size_t>(0, 30));
    for (auto& p : parameters)
      p = Parameter{Any<uint32_t>(), RandomBytes(16)};
    return parameters;
  }

  Message AnyMessage(Version version) {
    const bool v2019 = Is2019(version);
    switch (Int(0, 23)) {
      case 0:
        return TerminalGeneralReply{{Any<uint16_t>(), Any<uint16_t>(), Int<uint8_t>(0, 3)}};
      case 1:
        return PlatformGeneralReply{{Any<uint16_t>(), Any<uint16_t>(), Int<uint8_t>(0, 4)}};
      case 2:
        return Heartbeat{};
      case 3:
        return Logout{};
      case 4: {
        Register m;
        m.province_id = Any<uint16_t>();
        m.city_id = Any<uint16_t>();
        m.maker_id = Text(v2019 ? 11 : 5);
        m.terminal_model = Text(v2019 ? 30 : version == Version::k2011 ? 8 : 20);
        m.terminal_id = Text(v2019 ? 30 : 7);
        m.plate_color = Int<uint8_t>(0, 5);
        m.plate = Text(version == Version::k2011 ? 11 : 17);
        return m;
      }
      case 5:
        return RegisterReply{Any<uint16_t>(), Int<uint8_t>(0, 4), Text(20)};
      case 6: {
        Auth m;
        m.auth_code = Text(v2019 ? 60 : 40);
        if (v2019) {
          m.imei = Digits(Int<size_t>(0, 15));
          m.software_version = Text(20);
        }
        return m;
      }
      case 7:
        return Location(true);
      case 8: {
        LocationBatch m;
        m.batch_type = Int<uint8_t>(0, 1);
        m.items.resize(Int<size_t>(0, 40));
        for (auto& item : m.items)
          item = Location(true);
        return m;
      }
      case 9:
        return LocationQuery{};
      case 10:
        return LocationQueryReply{Any<uint16_t>(), Location(true)};
      case 11:
        return TemporaryTracking{Any<uint16_t>(), Any<uint32_t>()};
      case 12: {
        TextMessage m;
        m.flags = Any<uint8_t>();
        if (v2019)
          m.text_type = Int<uint8_t>(1, 2);
        m.text = Text(400);
        return m;
      }
      case 13:
        return SetParameters{Parameters()};
      case 14:
        return QueryParameters{};
      case 15:
        return ParametersReply{Any<uint16_t>(), Parameters()};
      case 16: {
        SetCircleAreas m;
        m.setting = Int<uint8_t>(0, 2);
        m.areas.resize(Int<size_t>(0, 20));
        for (auto& a : m.areas) {
          a.id = Any<uint32_t>();
          a.attributes = Any<uint16_t>();
          a.center = Point();
          a.radius_m = Any<uint32_t>();
          a.limits = Limits(a.attributes, v2019);
          if (v2019)
            a.name = Text(20);
        }
        return m;
      }
      case 17: {
        SetRectangleAreas m;
        m.setting = Int<uint8_t>(0, 2);
        m.areas.resize(Int<size_t>(0, 20));
        for (auto& a : m.areas) {
          a.id = Any<uint32_t>();
          a.attributes = Any<uint16_t>();
          a.top_left = Point();
          a.bottom_right = Point();
          a.limits = Limits(a.attributes, v2019);
          if (v2019)
            a.name = Text(20);
        }
        return m;
      }
      case 18: {
        SetPolygonArea m;
        m.id = Any<uint32_t>();
        m.attributes = Any<uint16_t>();
        m.limits = Limits(m.attributes, /*night_speed=*/false);
        if (v2019 && (m.attributes & area_attr::kSpeedLimit)) {
          m.limits.night_max_speed_kmh = Any<uint16_t>();
        }
        m.vertices.resize(Int<size_t>(0, 200));
        for (auto& v : m.vertices)
          v = Point();
        if (v2019)
          m.name = Text(20);
        return m;
      }
      case 19: {
        DeleteAreas m;
        m.kind = static_cast<AreaKind>(Int(0, 2));
        m.ids.resize(Int<size_t>(0, 125));
        for (auto& id : m.ids)
          id = Any<uint32_t>();
        return m;
      }
      case 20:
        return MultimediaEvent{Any<uint32_t>(), Int<uint8_t>(0, 2), Int<uint8_t>(0, 4),
                               Int<uint8_t>(0, 7), Any<uint8_t>()};
      case 21: {
        MultimediaUpload m;
        m.event = MultimediaEvent{Any<uint32_t>(), 0, 0, Int<uint8_t>(0, 7), 1};
        m.location = Location(false);
        m.data = RandomBytes(3000);
        return m;
      }
      case 22: {
        ResendSubpackages m;
        m.original_serial = Any<uint16_t>();
        m.package_indexes.resize(Int<size_t>(0, v2019 ? 400 : 255));
        for (auto& i : m.package_indexes)
          i = Any<uint16_t>();
        return m;
      }
      default:
        return RawMessage{0x0900, RandomBytes(100)};
    }
  }

 private:
  std::mt19937 rng_;
};

// Sends the message the way a peer would (one frame, or subpackages when it is too large),
// through the splitter, and returns what the receiving side decodes.
Result<DecodedMessage> SendAndReceive(const Header& header, const Message& message,
                                      MessageEncoder& encoder) {
  std::vector<std::vector<uint8_t>> frames(1);
  if (auto done = encoder.Encode(header, message, frames[0]); !done) {
    if (done.error().code != ErrorCode::kTooLong)
      return tl::unexpected(done.error());
    auto parts = encoder.EncodeSubpackaged(header, message, 512);
    if (!parts)
      return tl::unexpected(parts.error());
    frames = std::move(*parts);
  }
  FrameSplitter splitter;
  Reassembler reassembler;
  std::optional<Result<DecodedMessage>> received;
  for (const auto& frame : frames) {
    splitter.Feed(frame, [&](Result<ByteSpan> bytes) {
      if (!bytes) {
        received = tl::unexpected(bytes.error());
        return;
      }
      auto parsed = ParseFrame(*bytes);
      if (!parsed) {
        received = tl::unexpected(parsed.error());
        return;
      }
      if (!parsed->header.subpackage) {
        received = DecodeMessage(*parsed);
        return;
      }
      auto whole = reassembler.Add(parsed->header, parsed->body, 0);
      if (!whole) {
        received = tl::unexpected(whole.error());
      } else if (*whole) {
        received = DecodeMessage(FrameView{(*whole)->header, (*whole)->body});
      }
    });
  }
  if (!received)
    return Fail(ErrorCode::kTruncated, "nothing decoded");
  return *received;
}

class RoundTrip : public ::testing::TestWithParam<Version> {};

TEST_P(RoundTrip, RandomMessagesComeBackEqual) {
  const Version version = GetParam();
  Generator generator(20220420 + static_cast<uint32_t>(version));
  MessageEncoder encoder;
  for (int i = 0; i < 3000; ++i) {
    Message message = generator.AnyMessage(version);
    Header header = testing::TestHeader(generator.Any<uint16_t>(), version);
    header.protocol_version = Is2019(version) ? generator.Int<uint8_t>(1, 255) : 1;
    auto received = SendAndReceive(header, message, encoder);
    ASSERT_TRUE(received) << "message " << i << " id " << MessageId(message) << ": "
                          << received.error().Message();
    ASSERT_EQ(received->message, message) << "message " << i << " id " << MessageId(message);
    EXPECT_EQ(received->header.msg_id, MessageId(message));
    EXPECT_EQ(received->header.phone, header.phone);
    // 2011 only differs from 2013 in the register body, where the decoder tells them apart.
    if (std::holds_alternative<Register>(message) || version != Version::k2011) {
      EXPECT_EQ(received->header.version, version);
    }
  }
}

INSTANTIATE_TEST_SUITE_P(AllVersions, RoundTrip,
                         ::testing::Values(Version::k2011, Version::k2013, Version::k2019),
                         [](const ::testing::TestParamInfo<Version>& version_info) {
                           std::string name(ToString(version_info.param));
                           return name.insert(0, 1, 'v');
                         });

TEST(RoundTrip, TypicalReportIsByteStable) {
  auto frame = testing::EncodeFrame(testing::TestHeader(42), testing::TypicalReport());
  std::vector<uint8_t> scratch(frame.size());
  auto view = ParseEscapedFrame(frame, scratch);
  ASSERT_TRUE(view);
  auto decoded = DecodeMessage(*view);
  ASSERT_TRUE(decoded);
  EXPECT_EQ(testing::EncodeFrame(decoded->header, decoded->message), frame);
}

}  // namespace
}  // namespace baotong::jt808
