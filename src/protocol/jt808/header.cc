#include "protocol/jt808/header.h"

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

// Two BCD digits from one byte, or -1 if either nibble is not a digit.
int BcdByte(uint8_t byte) {
  int high = byte >> 4;
  int low = byte & 0x0f;
  if (high > 9 || low > 9) return -1;
  return high * 10 + low;
}

uint8_t ToBcdByte(int value) { return static_cast<uint8_t>(((value / 10) << 4) | (value % 10)); }

// Parses one header layout. Returns kLengthMismatch if the declared body does not fit.
Result<Header> DecodeHeaderAs(ByteSpan frame, bool as_2019, size_t& header_size) {
  ByteReader reader(frame);
  Header header;
  header.msg_id = reader.U16();
  uint16_t attributes = reader.U16();
  header.body_length = attributes & kLengthMask;
  header.encryption = static_cast<uint8_t>((attributes >> kEncryptionShift) & kEncryptionMask);
  header.version = as_2019 ? Version::k2019 : Version::k2013;
  if (as_2019) header.protocol_version = reader.U8();
  ByteSpan phone_bcd = reader.Bytes(as_2019 ? kPhoneBytes2019 : kPhoneBytes2013);
  header.serial = reader.U16();
  if (attributes & kSubpackageBit) {
    Subpackage package;
    package.total = reader.U16();
    package.index = reader.U16();
    header.subpackage = package;
  }
  if (!reader.ok()) return Fail(ErrorCode::kTruncated, "frame shorter than its header");
  auto phone = DecodePhone(phone_bcd);
  if (!phone) return tl::unexpected(phone.error());
  header.phone = *phone;
  header_size = reader.position();
  // What follows the header is the body and one check code byte.
  if (reader.remaining() != size_t{header.body_length} + 1) {
    return Fail(ErrorCode::kLengthMismatch, "body length in header disagrees with frame size");
  }
  if (header.subpackage &&
      (header.subpackage->total == 0 || header.subpackage->index == 0 ||
       header.subpackage->index > header.subpackage->total)) {
    return Fail(ErrorCode::kBadValue, "subpackage index outside 1..total");
  }
  return header;
}

}  // namespace

std::string_view ToString(Version version) {
  switch (version) {
    case Version::k2011: return "2011";
    case Version::k2013: return "2013";
    case Version::k2019: return "2019";
  }
  return "unknown";
}

Result<Phone> Phone::FromDigits(std::string_view digits) {
  if (digits.empty() || digits.size() > kMaxDigits) {
    return Fail(ErrorCode::kBadValue, "phone must have 1 to 20 digits");
  }
  Phone phone;
  for (char c : digits) {
    if (c < '0' || c > '9') return Fail(ErrorCode::kBadValue, "phone has a non-digit");
    phone.digits_[phone.size_++] = c;
  }
  return phone;
}

std::string_view Phone::WithoutLeadingZeros() const {
  std::string_view view = digits();
  size_t first = view.find_first_not_of('0');
  return first == std::string_view::npos ? view.substr(view.size()) : view.substr(first);
}

Result<Phone> DecodePhone(ByteSpan bcd) {
  if (bcd.size() * 2 > Phone::kMaxDigits) return Fail(ErrorCode::kTooLong, "phone over 20 digits");
  Phone phone;
  for (uint8_t byte : bcd) {
    uint8_t high = byte >> 4;
    uint8_t low = byte & 0x0f;
    if (high > 9 || low > 9) return Fail(ErrorCode::kBadBcd, "phone has a non-BCD nibble");
    phone.digits_[phone.size_++] = static_cast<char>('0' + high);
    phone.digits_[phone.size_++] = static_cast<char>('0' + low);
  }
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
  if (bcd6.size() != 6) return Fail(ErrorCode::kTruncated, "BCD time needs 6 bytes");
  int fields[6];
  bool all_zero = true;
  for (size_t i = 0; i < 6; ++i) {
    fields[i] = BcdByte(bcd6[i]);
    if (fields[i] < 0) return Fail(ErrorCode::kBadBcd, "time has a non-BCD nibble");
    all_zero = all_zero && fields[i] == 0;
  }
  if (all_zero) return std::optional<int64_t>{};
  using namespace std::chrono;
  year_month_day date{year{2000 + fields[0]}, month{static_cast<unsigned>(fields[1])},
                      day{static_cast<unsigned>(fields[2])}};
  if (!date.ok() || fields[3] > 23 || fields[4] > 59 || fields[5] > 59) {
    return Fail(ErrorCode::kBadTime, "time is not a valid calendar date and time");
  }
  int64_t local_seconds = int64_t{sys_days(date).time_since_epoch().count()} * 86400 +
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

Result<Header> DecodeHeader(ByteSpan frame, size_t& header_size) {
  if (frame.size() < 4) return Fail(ErrorCode::kTruncated, "frame shorter than its header");
  uint16_t attributes = static_cast<uint16_t>((frame[2] << 8) | frame[3]);
  if (attributes & kVersionBit) {
    auto header = DecodeHeaderAs(frame, /*as_2019=*/true, header_size);
    if (header) {
      if (header->protocol_version == 0) {
        return Fail(ErrorCode::kUnknownVersion, "2019 header with protocol version 0");
      }
      return header;
    }
    if (header.error().code != ErrorCode::kLengthMismatch &&
        header.error().code != ErrorCode::kTruncated) {
      return header;
    }
    // Some devices set the 2019 flag on a 2013 header (see reference §2).
    auto fallback = DecodeHeaderAs(frame, /*as_2019=*/false, header_size);
    if (fallback) return fallback;
    return Fail(ErrorCode::kUnknownVersion, "version flag set but neither 2019 nor 2013 fits");
  }
  return DecodeHeaderAs(frame, /*as_2019=*/false, header_size);
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
  if (header.subpackage) attributes |= kSubpackageBit;
  if (is_2019) attributes |= kVersionBit;
  out.U16(header.msg_id);
  out.U16(attributes);
  if (is_2019) out.U8(header.protocol_version);
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
