// Named constants of JT/T 808: message ids, alarm and status bits, additional-item ids.
// Bit meanings follow JT/T 808-2013 tables 24/25 and the 2019 revision; see
// shared/reference/jt808.md §5 for where revisions and vendors differ.
#pragma once

#include <cstdint>

namespace baotong::jt808 {

namespace msg_id {
inline constexpr uint16_t kTerminalGeneralReply = 0x0001;
inline constexpr uint16_t kHeartbeat = 0x0002;
inline constexpr uint16_t kLogout = 0x0003;
inline constexpr uint16_t kRegister = 0x0100;
inline constexpr uint16_t kAuth = 0x0102;
inline constexpr uint16_t kParametersReply = 0x0104;
inline constexpr uint16_t kLocationReport = 0x0200;
inline constexpr uint16_t kLocationQueryReply = 0x0201;
inline constexpr uint16_t kLocationBatch = 0x0704;
inline constexpr uint16_t kMultimediaEvent = 0x0800;
inline constexpr uint16_t kMultimediaUpload = 0x0801;

inline constexpr uint16_t kPlatformGeneralReply = 0x8001;
inline constexpr uint16_t kResendSubpackages = 0x8003;
inline constexpr uint16_t kRegisterReply = 0x8100;
inline constexpr uint16_t kSetParameters = 0x8103;
inline constexpr uint16_t kQueryParameters = 0x8104;
inline constexpr uint16_t kLocationQuery = 0x8201;
inline constexpr uint16_t kTemporaryTracking = 0x8202;
inline constexpr uint16_t kTextMessage = 0x8300;
inline constexpr uint16_t kSetCircleAreas = 0x8600;
inline constexpr uint16_t kDeleteCircleAreas = 0x8601;
inline constexpr uint16_t kSetRectangleAreas = 0x8602;
inline constexpr uint16_t kDeleteRectangleAreas = 0x8603;
inline constexpr uint16_t kSetPolygonArea = 0x8604;
inline constexpr uint16_t kDeletePolygonAreas = 0x8605;
}  // namespace msg_id

// Result byte of 0x0001 / 0x8001.
enum class ReplyResult : uint8_t {
  kOk = 0,
  kFailed = 1,
  kBadMessage = 2,
  kUnsupported = 3,
  kAlarmConfirmed = 4,  // 0x8001 only
};

// Result byte of 0x8100.
enum class RegisterResult : uint8_t {
  kOk = 0,
  kVehicleAlreadyRegistered = 1,
  kNoSuchVehicle = 2,
  kTerminalAlreadyRegistered = 3,
  kNoSuchTerminal = 4,
};

// Alarm flag DWORD of 0x0200.
namespace alarm_bit {
inline constexpr uint32_t kEmergency = 1u << 0;
inline constexpr uint32_t kOverspeed = 1u << 1;
inline constexpr uint32_t kFatigue = 1u << 2;
inline constexpr uint32_t kDangerWarning = 1u << 3;
inline constexpr uint32_t kGnssModuleFault = 1u << 4;
inline constexpr uint32_t kGnssAntennaCut = 1u << 5;
inline constexpr uint32_t kGnssAntennaShort = 1u << 6;
inline constexpr uint32_t kPowerUnderVoltage = 1u << 7;
inline constexpr uint32_t kPowerOff = 1u << 8;
inline constexpr uint32_t kDisplayFault = 1u << 9;
inline constexpr uint32_t kTtsFault = 1u << 10;
inline constexpr uint32_t kCameraFault = 1u << 11;
inline constexpr uint32_t kIcCardReaderFault = 1u << 12;
inline constexpr uint32_t kOverspeedWarning = 1u << 13;
inline constexpr uint32_t kFatigueWarning = 1u << 14;
inline constexpr uint32_t kDailyDrivingExceeded = 1u << 18;
inline constexpr uint32_t kOvertimeParking = 1u << 19;
inline constexpr uint32_t kAreaInOut = 1u << 20;
inline constexpr uint32_t kRouteInOut = 1u << 21;
inline constexpr uint32_t kRouteSectionTime = 1u << 22;
inline constexpr uint32_t kRouteDeviation = 1u << 23;
inline constexpr uint32_t kVssFault = 1u << 24;
inline constexpr uint32_t kFuelAbnormal = 1u << 25;
inline constexpr uint32_t kStolen = 1u << 26;
inline constexpr uint32_t kIllegalIgnition = 1u << 27;
inline constexpr uint32_t kIllegalDisplacement = 1u << 28;
inline constexpr uint32_t kCollision = 1u << 29;
inline constexpr uint32_t kRollover = 1u << 30;
inline constexpr uint32_t kIllegalDoorOpen = 1u << 31;
}  // namespace alarm_bit

// Status flag DWORD of 0x0200.
namespace status_bit {
inline constexpr uint32_t kAccOn = 1u << 0;
inline constexpr uint32_t kPositioned = 1u << 1;
inline constexpr uint32_t kSouthLatitude = 1u << 2;
inline constexpr uint32_t kWestLongitude = 1u << 3;
inline constexpr uint32_t kOutOfService = 1u << 4;
inline constexpr uint32_t kCoordinatesEncrypted = 1u << 5;
inline constexpr uint32_t kLoadMask = 3u << 8;  // see LoadState
inline constexpr uint32_t kOilCircuitCut = 1u << 10;
inline constexpr uint32_t kElectricCircuitCut = 1u << 11;
inline constexpr uint32_t kDoorsLocked = 1u << 12;
inline constexpr uint32_t kDoor1Open = 1u << 13;  // front door
inline constexpr uint32_t kDoor2Open = 1u << 14;  // middle door
inline constexpr uint32_t kDoor3Open = 1u << 15;  // rear door
inline constexpr uint32_t kDoor4Open = 1u << 16;  // driver's door
inline constexpr uint32_t kDoor5Open = 1u << 17;  // custom door
inline constexpr uint32_t kAnyDoorOpen =
    kDoor1Open | kDoor2Open | kDoor3Open | kDoor4Open | kDoor5Open;
inline constexpr uint32_t kUsingGps = 1u << 18;
inline constexpr uint32_t kUsingBeidou = 1u << 19;
inline constexpr uint32_t kUsingGlonass = 1u << 20;
inline constexpr uint32_t kUsingGalileo = 1u << 21;
}  // namespace status_bit

// Bits 8-9 of the status DWORD.
enum class LoadState : uint8_t { kEmpty = 0, kHalf = 1, kReserved = 2, kFull = 3 };
inline LoadState LoadStateOf(uint32_t status) {
  return static_cast<LoadState>((status & status_bit::kLoadMask) >> 8);
}

// Additional-item ids of 0x0200 that the codec decodes into named fields.
namespace item_id {
inline constexpr uint8_t kOdometer = 0x01;            // DWORD, 0.1 km
inline constexpr uint8_t kFuel = 0x02;                // WORD, 0.1 L
inline constexpr uint8_t kTachographSpeed = 0x03;     // WORD, 0.1 km/h
inline constexpr uint8_t kManualAlarmEventId = 0x04;  // WORD
inline constexpr uint8_t kOverspeedAlarm = 0x11;      // BYTE [+ DWORD]
inline constexpr uint8_t kAreaAlarm = 0x12;           // BYTE + DWORD + BYTE
inline constexpr uint8_t kRouteTimeAlarm = 0x13;      // DWORD + WORD + BYTE
inline constexpr uint8_t kSignals = 0x25;             // DWORD
inline constexpr uint8_t kIoStatus = 0x2A;            // WORD
inline constexpr uint8_t kAnalog = 0x2B;              // DWORD
inline constexpr uint8_t kSignalStrength = 0x30;      // BYTE
inline constexpr uint8_t kSatellites = 0x31;          // BYTE
}  // namespace item_id

// Sizes fixed by the standard.
inline constexpr size_t kMaxBodyLength = 1023;  // 10 bits of the attributes WORD
inline constexpr size_t kHeaderSize2013 = 12;
inline constexpr size_t kHeaderSize2019 = 17;
inline constexpr size_t kSubpackageFieldsSize = 4;  // total WORD + index WORD
inline constexpr size_t kLocationFixedSize = 28;
// Largest unescaped frame (between the flags): 2019 header with package fields, the largest
// body, the check code.
inline constexpr size_t kMaxUnescapedFrame =
    kHeaderSize2019 + kSubpackageFieldsSize + kMaxBodyLength + 1;

}  // namespace baotong::jt808
