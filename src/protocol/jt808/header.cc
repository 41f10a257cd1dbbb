#include "protocol/jt808/header.h"

#include <array>
#include <chrono>

#include "protocol/jt808/constants.h"

namespace baotong::jt808 {
namespace {

constexpr uint16_t kLengthMask = 0x03ff;
constexpr uint16_t kEncryptionShift = 10;
constexpr uint16_t kEncryptionMask = 0x7;
constexpr uint16_t kSubpackageBit = 1u << 13;
constexpr uint16_t kVersionBit = 1u << 14;

constexpr size_t kPhoneBytes2013 = 6;
constexpr size_t kPhoneBytes2019 = 10;

// Value of each byte read as two BCD digits, or -1 if either nibble is not a digit. Phones and
// times are decoded for every frame, so a table beats the arithmetic.
constexpr std::array<int8_t, 256> kBcdValue = [] {
  std::array<int8_t, 256> table{};
  for (int byte = 0; byte < 256; ++byte) {
    int high = byte >> 4;
    int low = byte & 0x0f;
    table[byte] = static_cast<int8_t>(high > 9 || low > 9 ? -1 : high * 10 + low);
  }
  return table;
}();

int BcdByte(uint8_t byte) {
  return kBcdValue[byte];
}

// Days from 1970-01-01 to a date in 2000-2099, the only years a BCD YY field can hold. In that
// century every fourth year is a leap year (2000 included), so no division by 100 or 400.
constexpr std::array<int16_t, 12> kDaysBeforeMonth = {0,   31,  59,  90,  120, 151,
                                                      181, 212, 243, 273, 304, 334};
constexpr int64_t kDaysTo2000 = 10957;
constexpr int64_t DaysSinceEpoch(int years_since_2000, int month, int day) {
  const bool leap = years_since_2000 % 4 == 0;
  return kDaysTo2000 + 365 * years_since_2000 + (years_since_2000 + 3) / 4 +
         kDaysBeforeMonth[month - 1] + (leap && month > 2 ? 1 : 0) + day - 1;
}
static_assert(DaysSinceEpoch(0, 1, 1) == 10957);
static_assert(DaysSinceEpoch(0, 3, 1) == 11017);
static_assert(DaysSinceEpoch(22, 4, 20) == 19102);
static_assert(DaysSinceEpoch(24, 2, 29) == 19782);
static_assert(DaysSinceEpoch(99, 12, 31) == 47481);

uint8_t ToBcdByte(int value) {
  return static_cast<uint8_t>(((value / 10) << 4) | (value % 10));
}

// Parses one header layout. Returns kLengthMismatch if the declared body does not fit.
// Fills `header` in place (the hot path must not copy headers around).
Result<void> DecodeHeaderAs(ByteSpan frame, bool as_2019, Header& header, size_t& header_size) {
  ByteReader reader(frame);
  header.subpackage.reset();
  header.protocol_version = 1;
  header.msg_id = reader.U16();
  uint16_t attributes = reader.U16();
  header.body_length = attributes & kLengthMask;
  header.encryption = static_cast<uint8_t>((attributes >> kEncryptionShift) & kEncryptionMask);
  header.version = as_2019 ? Version::k2019 : Version::k2013;
  if (as_2019)
    header.protocol_version = reader.U8();
  ByteSpan phone_bcd = reader.Bytes(as_2019 ? kPhoneBytes2019 : kPhoneBytes2013);
  header.serial = reader.U16();
  if (attributes & kSubpackageBit) {
    Subpackage package;
    package.total = reader.U16();
    package.index = reader.U16();
    header.subpackage = package;
  }
  if (!reader.ok())
    return Fail(ErrorCode::kTruncated, "frame shorter than its header");
  // What follows the header is the body and one check code byte. Checked before the phone, so
  // that a wrong 2019 flag shows up as a length mismatch and the caller retries as 2013.
  if (reader.remaining() != size_t{header.body_length} + 1) {
    return Fail(ErrorCode::kLengthMismatch, "body length in header disagrees with frame size");
  }
  if (auto phone = DecodePhoneInto(phone_bcd, header.phone); !phone)
    return phone;
  header_size = reader.position();
  if (header.subpackage && (header.subpackage->total == 0 || header.subpackage->index == 0 ||
                            header.subpackage->index > header.subpackage->total)) {
    return Fail(ErrorCode::kBadValue, "subpackage index outside 1..total");
  }
  return {};
}

}  // namespace

std::string_view ToString(Version version) {
  switch (version) {
    case Version::k2011:
      return "2011";
    case Version::k2013:
      return "2013";
    case Version::k2019:
      return "2019";
  }
  return "unknown";
}

Result<Phone> Phone::FromDigits(std::string_view digits) {
  if (digits.empty() || digits.size() > kMaxDigits) {
    return Fail(ErrorCode::kBadValue, "phone must have 1 to 20 digits");
  }
  Phone phone;
  for (char c : digits) {
    if (c < '0' || c > '9')
      return Fail(ErrorCode::kBadValue, "phone has a non-digit");
    phone.digits_[phone.size_++] = c;
  }
  return phone;
}

std::string_view Phone::WithoutLeadingZeros() const {
  std::string_view view = digits();
  size_t first = view.find_first_not_of('0');
  return first == std::string_view::npos ? view.substr(view.size()) : view.substr(first);
}

Result<void> DecodePhoneInto(ByteSpan bcd, Phone& phone) {
  if (bcd.size() * 2 > Phone::kMaxDigits)
    return Fail(ErrorCode::kTooLong, "phone over 20 digits");
  // Every frame's header passes here: validate all bytes with one OR of table lookups, then
  // write digit pairs. Index locally, since stores through char* may alias size_.
  int invalid = 0;
  for (uint8_t byte : bcd)
    invalid |= kBcdValue[byte];
  if (invalid < 0)
    return Fail(ErrorCode::kBadBcd, "phone has a non-BCD nibble");
  char* digits = phone.digits_.data();
  for (size_t i = 0; i < bcd.size(); ++i) {
    digits[2 * i] = static_cast<char>('0' + (bcd[i] >> 4));
    digits[2 * i + 1] = static_cast<char>('0' + (bcd[i] & 0x0f));
  }
  phone.size_ = static_cast<uint8_t>(bcd.size() * 2);
  return {};
}

Result<Phone> DecodePhone(ByteSpan bcd) {
  Phone phone;
  if (auto decoded = DecodePhoneInto(bcd, phone); !decoded)
    return tl::unexpected(decoded.error());
  return phone;
}

Result<void> EncodePhone(const Phone& phone, size_t width, ByteWriter& out) {
  std::string_view digits = phone.digits();
  size_t slots = width * 2;
  if (digits.size() > slots) {
    // Leading zeros beyond the field are padding, not part of the number.
    std::string_view stripped = digits.substr(digits.size() - slots);
    if (digits.substr(0, digits.size() - slots).find_first_not_of('0') != std::string_view::npos) {
      return Fail(ErrorCode::kTooLong, "phone has more digits than the header holds");
    }
    digits = stripped;
  }
  size_t padding = slots - digits.size();
  auto digit_at = [&](size_t slot) -> uint8_t {
    return slot < padding ? 0 : static_cast<uint8_t>(digits[slot - padding] - '0');
  };
  for (size_t i = 0; i < width; ++i) {
    out.U8(static_cast<uint8_t>((digit_at(2 * i) << 4) | digit_at(2 * i + 1)));
  }
  return {};
}

Result<std::optional<int64_t>> DecodeBcdTime(ByteSpan bcd6) {
  if (bcd6.size() != 6)
    return Fail(ErrorCode::kTruncated, "BCD time needs 6 bytes");
  int fields[6];
  int any_bits = 0;
  for (size_t i = 0; i < 6; ++i) {
    fields[i] = BcdByte(bcd6[i]);
    if (fields[i] < 0)
      return Fail(ErrorCode::kBadBcd, "time has a non-BCD nibble");
    any_bits |= fields[i];
  }
  if (any_bits == 0)
    return std::optional<int64_t>{};
  // This runs for every position, so the calendar is checked by hand.
  static constexpr uint8_t kDaysInMonth[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const int years_since_2000 = fields[0];
  const int month = fields[1];
  const int day = fields[2];
  const bool leap = years_since_2000 % 4 == 0;
  if (month < 1 || month > 12 || day < 1 ||
      day > kDaysInMonth[month - 1] + (month == 2 && leap ? 1 : 0) || fields[3] > 23 ||
      fields[4] > 59 || fields[5] > 59) {
    return Fail(ErrorCode::kBadTime, "time is not a valid calendar date and time");
  }
  const int64_t local_seconds = DaysSinceEpoch(years_since_2000, month, day) * 86400 +
                                fields[3] * 3600 + fields[4] * 60 + fields[5];
  return std::optional<int64_t>{local_seconds * 1000 - kChinaUtcOffsetMs};
}

Result<void> EncodeBcdTime(std::optional<int64_t> utc_ms, ByteWriter& out) {
  if (!utc_ms) {
    out.Zeros(6);
    return {};
  }
  using namespace std::chrono;
  // Floor to whole seconds, also for times before the epoch.
  int64_t local_ms = *utc_ms + kChinaUtcOffsetMs;
  int64_t local_seconds = local_ms >= 0 ? local_ms / 1000 : -((-local_ms + 999) / 1000);
  int64_t days = local_seconds >= 0 ? local_seconds / 86400 : -((-local_seconds + 86399) / 86400);
  int64_t second_of_day = local_seconds - days * 86400;
  year_month_day date{sys_days{std::chrono::days{days}}};
  int year_value = static_cast<int>(date.year());
  if (year_value < 2000 || year_value > 2099) {
    return Fail(ErrorCode::kBadTime, "BCD time holds years 2000-2099 only");
  }
  out.U8(ToBcdByte(year_value - 2000));
  out.U8(ToBcdByte(static_cast<int>(static_cast<unsigned>(date.month()))));
  out.U8(ToBcdByte(static_cast<int>(static_cast<unsigned>(date.day()))));
  out.U8(ToBcdByte(static_cast<int>(second_of_day / 3600)));
  out.U8(ToBcdByte(static_cast<int>(second_of_day % 3600 / 60)));
  out.U8(ToBcdByte(static_cast<int>(second_of_day % 60)));
  return {};
}

size_t HeaderSize(const Header& header) {
  return (Is2019(header.version) ? kHeaderSize2019 : kHeaderSize2013) +
         (header.subpackage ? kSubpackageFieldsSize : 0);
}

Result<void> ParseHeader(ByteSpan frame, Header& header, size_t& header_size) {
  if (frame.size() < 4)
    return Fail(ErrorCode::kTruncated, "frame shorter than its header");
  uint16_t attributes = static_cast<uint16_t>((frame[2] << 8) | frame[3]);
  if (!(attributes & kVersionBit))
    return DecodeHeaderAs(frame, /*as_2019=*/false, header, header_size);
  auto as_2019 = DecodeHeaderAs(frame, /*as_2019=*/true, header, header_size);
  if (as_2019) {
    if (header.protocol_version == 0) {
      return Fail(ErrorCode::kUnknownVersion, "2019 header with protocol version 0");
    }
    return as_2019;
  }
  if (as_2019.error().code != ErrorCode::kLengthMismatch &&
      as_2019.error().code != ErrorCode::kTruncated) {
    return as_2019;
  }
  // Some devices set the 2019 flag on a 2013 header (see reference §2).
  if (DecodeHeaderAs(frame, /*as_2019=*/false, header, header_size))
    return {};
  return as_2019;  // neither fits: report what is wrong with the layout the flag names
}

Result<Header> DecodeHeader(ByteSpan frame, size_t& header_size) {
  Header header;
  if (auto parsed = ParseHeader(frame, header, header_size); !parsed)
    return tl::unexpected(parsed.error());
  return header;
}

Result<void> EncodeHeader(const Header& header, size_t body_length, ByteWriter& out) {
  if (body_length > kMaxBodyLength) {
    return Fail(ErrorCode::kTooLong, "body over 1023 bytes must be subpackaged");
  }
  if (header.encryption > kEncryptionMask) {
    return Fail(ErrorCode::kBadValue, "encryption takes 3 bits");
  }
  const bool is_2019 = Is2019(header.version);
  uint16_t attributes = static_cast<uint16_t>(body_length) |
                        static_cast<uint16_t>(header.encryption << kEncryptionShift);
  if (header.subpackage)
    attributes |= kSubpackageBit;
  if (is_2019)
    attributes |= kVersionBit;
  out.U16(header.msg_id);
  out.U16(attributes);
  if (is_2019)
    out.U8(header.protocol_version);
  if (auto written = EncodePhone(header.phone, is_2019 ? kPhoneBytes2019 : kPhoneBytes2013, out);
      !written) {
    return written;
  }
  out.U16(header.serial);
  if (header.subpackage) {
    out.U16(header.subpackage->total);
    out.U16(header.subpackage->index);
  }
  return {};
}

}  // namespace baotong::jt808
