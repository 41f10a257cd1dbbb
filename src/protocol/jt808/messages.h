// Message bodies of JT/T 808, as plain values. Field names follow the standard's tables.
// Text fields are UTF-8 here and GBK on the wire. Every struct compares by value, so tests
// can check that encode-then-decode gives back what went in.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "protocol/jt808/constants.h"

namespace baotong::jt808 {

// 0x0001 (terminal) and 0x8001 (platform) general replies share one layout.
struct GeneralReply {
  uint16_t reply_serial = 0;
  uint16_t reply_msg_id = 0;
  uint8_t result = 0;  // ReplyResult
  bool operator==(const GeneralReply&) const = default;
};
struct TerminalGeneralReply : GeneralReply {};  // 0x0001
struct PlatformGeneralReply : GeneralReply {};  // 0x8001

struct Heartbeat {  // 0x0002, empty body
  bool operator==(const Heartbeat&) const = default;
};
struct Logout {  // 0x0003, empty body
  bool operator==(const Logout&) const = default;
};

// 0x0100. Field widths: maker 5/5/11, model 8/20/30, terminal id 7/7/30 bytes in 2011/2013/2019;
// fixed-width strings are right-padded with 0x00 on the wire.
struct Register {
  uint16_t province_id = 0;
  uint16_t city_id = 0;
  std::string maker_id;
  std::string terminal_model;
  std::string terminal_id;
  uint8_t plate_color = 0;  // 0 = no plate: `plate` then holds the VIN
  std::string plate;
  bool operator==(const Register&) const = default;
};

// 0x8100. The auth code is present only when result is kOk.
struct RegisterReply {
  uint16_t reply_serial = 0;
  uint8_t result = 0;  // RegisterResult
  std::string auth_code;
  bool operator==(const RegisterReply&) const = default;
};

// 0x0102. In 2011/2013 the whole body is the auth code; 2019 adds IMEI and software version.
struct Auth {
  std::string auth_code;
  std::string imei;              // 2019: 15 bytes
  std::string software_version;  // 2019: 20 bytes
  bool operator==(const Auth&) const = default;
};

// Item 0x11: where the overspeed happened.
struct OverspeedAlarmItem {
  uint8_t area_type = 0;  // 0 none, 1 circle, 2 rectangle, 3 polygon, 4 route section
  uint32_t area_id = 0;   // absent on the wire when area_type is 0
  bool operator==(const OverspeedAlarmItem&) const = default;
};
// Item 0x12: entering or leaving an area or route.
struct AreaAlarmItem {
  uint8_t area_type = 0;  // 1 circle, 2 rectangle, 3 polygon, 4 route
  uint32_t area_id = 0;
  uint8_t direction = 0;  // 0 in, 1 out
  bool operator==(const AreaAlarmItem&) const = default;
};
// Item 0x13: route section driven too fast or too slow.
struct RouteTimeAlarmItem {
  uint32_t section_id = 0;
  uint16_t travel_time_s = 0;
  uint8_t result = 0;  // 0 too short, 1 too long
  bool operator==(const RouteTimeAlarmItem&) const = default;
};

// 0x0200 body: the fixed 28 bytes plus additional items. Latitude and longitude carry the
// hemisphere from status bits 2/3 as their sign. Items the standard defines are decoded into
// named fields; any other item (vendor items, or a known id with an unexpected length) is kept
// byte for byte in `other_items` as id/length/value triples.
struct LocationReport {
  uint32_t alarm = 0;
  uint32_t status = 0;
  int32_t lat_e6 = 0;  // 1e-6 degrees, negative = south
  int32_t lon_e6 = 0;  // 1e-6 degrees, negative = west
  uint16_t altitude_m = 0;
  uint16_t speed_dkmh = 0;         // 0.1 km/h
  uint16_t direction = 0;          // degrees from north, clockwise
  std::optional<int64_t> time_ms;  // UTC epoch ms; nullopt when the terminal sent zeros

  std::optional<uint32_t> odometer_hm;                 // 0x01, 0.1 km
  std::optional<uint16_t> fuel_dl;                     // 0x02, 0.1 L
  std::optional<uint16_t> tachograph_speed_dkmh;       // 0x03, 0.1 km/h
  std::optional<uint16_t> manual_alarm_event_id;       // 0x04
  std::optional<OverspeedAlarmItem> overspeed_alarm;   // 0x11
  std::optional<AreaAlarmItem> area_alarm;             // 0x12
  std::optional<RouteTimeAlarmItem> route_time_alarm;  // 0x13
  std::optional<uint32_t> signals;                     // 0x25, extended vehicle signal bits
  std::optional<uint16_t> io_status;                   // 0x2A
  std::optional<uint32_t> analog;                      // 0x2B, AD0 low word, AD1 high word
  std::optional<uint8_t> signal_strength;              // 0x30
  std::optional<uint8_t> satellites;                   // 0x31
  std::vector<uint8_t> other_items;
  // Bytes from the first item whose length runs past the body to the end: not an error, since
  // real devices send such padding, but kept so that nothing is silently dropped.
  std::vector<uint8_t> unparsed_tail;

  bool operator==(const LocationReport&) const = default;
};

// 0x0704.
struct LocationBatch {
  uint8_t batch_type = 0;  // 0 normal batch, 1 blind-area re-upload
  std::vector<LocationReport> items;
  bool operator==(const LocationBatch&) const = default;
};

struct LocationQuery {  // 0x8201, empty body
  bool operator==(const LocationQuery&) const = default;
};
struct LocationQueryReply {  // 0x0201
  uint16_t reply_serial = 0;
  LocationReport location;
  bool operator==(const LocationQueryReply&) const = default;
};
struct TemporaryTracking {  // 0x8202; interval 0 stops tracking
  uint16_t interval_s = 0;
  uint32_t validity_s = 0;
  bool operator==(const TemporaryTracking&) const = default;
};

// 0x8300. Flag bits (2013): b0 emergency, b2 terminal display, b3 TTS, b4 advertising screen,
// b5 CAN fault code. 2019 adds a text type byte (1 notice, 2 service information).
struct TextMessage {
  uint8_t flags = 0;
  uint8_t text_type = 1;  // 2019 only
  std::string text;
  bool operator==(const TextMessage&) const = default;
};

// One terminal parameter (0x8103 / 0x0104): a DWORD id and its raw value. ParameterType()
// tells how the standard types a known id; parameters.h converts values.
struct Parameter {
  uint32_t id = 0;
  std::vector<uint8_t> value;
  bool operator==(const Parameter&) const = default;
};
struct SetParameters {  // 0x8103
  std::vector<Parameter> parameters;
  bool operator==(const SetParameters&) const = default;
};
struct QueryParameters {  // 0x8104, empty body
  bool operator==(const QueryParameters&) const = default;
};
struct ParametersReply {  // 0x0104
  uint16_t reply_serial = 0;
  std::vector<Parameter> parameters;
  bool operator==(const ParametersReply&) const = default;
};

// Area attribute bits (0x8600-0x8605).
namespace area_attr {
inline constexpr uint16_t kTimeWindow = 1u << 0;
inline constexpr uint16_t kSpeedLimit = 1u << 1;
inline constexpr uint16_t kAlarmDriverOnEnter = 1u << 2;
inline constexpr uint16_t kAlarmPlatformOnEnter = 1u << 3;
inline constexpr uint16_t kAlarmDriverOnExit = 1u << 4;
inline constexpr uint16_t kAlarmPlatformOnExit = 1u << 5;
inline constexpr uint16_t kSouthLatitude = 1u << 6;
inline constexpr uint16_t kWestLongitude = 1u << 7;
inline constexpr uint16_t kNoDoorOpening = 1u << 8;
inline constexpr uint16_t kRadioOffOnEntry = 1u << 14;
inline constexpr uint16_t kDetailedGnssOnEntry = 1u << 15;
}  // namespace area_attr

// Area fields that depend on attribute bits. Times stay as their 12 BCD digits
// ("YYMMDDhhmmss"), since the standard lets zero fields mean "every year/month/day".
struct AreaLimits {
  std::string start_time;            // attr b0
  std::string end_time;              // attr b0
  uint16_t max_speed_kmh = 0;        // attr b1
  uint8_t overspeed_duration_s = 0;  // attr b1
  uint16_t night_max_speed_kmh = 0;  // attr b1, 2019 only
  bool operator==(const AreaLimits&) const = default;
};

struct LatLon {
  uint32_t lat_e6 = 0;  // unsigned on the wire; hemisphere in the area attribute
  uint32_t lon_e6 = 0;
  bool operator==(const LatLon&) const = default;
};

struct CircleArea {
  uint32_t id = 0;
  uint16_t attributes = 0;
  LatLon center;
  uint32_t radius_m = 0;
  AreaLimits limits;
  std::string name;  // 2019 only
  bool operator==(const CircleArea&) const = default;
};
struct RectangleArea {
  uint32_t id = 0;
  uint16_t attributes = 0;
  LatLon top_left;
  LatLon bottom_right;
  AreaLimits limits;
  std::string name;  // 2019 only
  bool operator==(const RectangleArea&) const = default;
};

// Setting type of 0x8600 / 0x8602.
enum class AreaSetting : uint8_t { kUpdate = 0, kAppend = 1, kModify = 2 };

struct SetCircleAreas {  // 0x8600
  uint8_t setting = 0;   // AreaSetting
  std::vector<CircleArea> areas;
  bool operator==(const SetCircleAreas&) const = default;
};
struct SetRectangleAreas {  // 0x8602
  uint8_t setting = 0;
  std::vector<RectangleArea> areas;
  bool operator==(const SetRectangleAreas&) const = default;
};
struct SetPolygonArea {  // 0x8604, one area per message
  uint32_t id = 0;
  uint16_t attributes = 0;
  AreaLimits limits;
  std::vector<LatLon> vertices;
  std::string name;  // 2019 only
  bool operator==(const SetPolygonArea&) const = default;
};

enum class AreaKind : uint8_t { kCircle, kRectangle, kPolygon };
// 0x8601 / 0x8603 / 0x8605. No ids deletes every area of that kind.
struct DeleteAreas {
  AreaKind kind = AreaKind::kCircle;
  std::vector<uint32_t> ids;
  bool operator==(const DeleteAreas&) const = default;
};

// 0x0800 and the preamble of 0x0801.
struct MultimediaEvent {
  uint32_t media_id = 0;
  uint8_t media_type = 0;  // 0 image, 1 audio, 2 video
  uint8_t format = 0;      // 0 JPEG, 1 TIF, 2 MP3, 3 WAV, 4 WMV
  uint8_t event = 0;       // 0 platform command, 1 timed, 2 robbery, 3 collision, 4 door open,
                           // 5 door close, 6 door closed and speed over 20 km/h, 7 distance
  uint8_t channel = 0;
  bool operator==(const MultimediaEvent&) const = default;
};
// 0x0801. `location` holds the 28-byte fixed part only (no additional items on the wire).
struct MultimediaUpload {
  MultimediaEvent event;
  LocationReport location;
  std::vector<uint8_t> data;
  bool operator==(const MultimediaUpload&) const = default;
};

// 0x8003: the platform asks for the subpackages it is missing.
struct ResendSubpackages {
  uint16_t original_serial = 0;  // serial of the first package
  std::vector<uint16_t> package_indexes;
  bool operator==(const ResendSubpackages&) const = default;
};

// A message this codec does not decode (yet): kept whole.
struct RawMessage {
  uint16_t msg_id = 0;
  std::vector<uint8_t> body;
  bool operator==(const RawMessage&) const = default;
};

using Message =
    std::variant<TerminalGeneralReply, PlatformGeneralReply, Heartbeat, Logout, Register,
                 RegisterReply, Auth, LocationReport, LocationBatch, LocationQuery,
                 LocationQueryReply, TemporaryTracking, TextMessage, SetParameters, QueryParameters,
                 ParametersReply, SetCircleAreas, SetRectangleAreas, SetPolygonArea, DeleteAreas,
                 MultimediaEvent, MultimediaUpload, ResendSubpackages, RawMessage>;

// The message id a body is sent under.
uint16_t MessageId(const Message& message);

}  // namespace baotong::jt808
