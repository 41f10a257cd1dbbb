// The JT/T 808 message header in its 2011/2013 and 2019 forms, and the BCD fields it uses.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "common/bytes.h"
#include "common/china_time.h"
#include "common/error.h"

namespace baotong::jt808 {

// 2011 and 2013 share one header; only some body layouts differ (0x0100). 2019 has its own.
enum class Version : uint8_t { k2011, k2013, k2019 };
std::string_view ToString(Version version);
inline bool Is2019(Version version) {
  return version == Version::k2019;
}

// The terminal's phone number as all its BCD digits: 12 in 2011/2013, 20 in 2019. Held inline
// so that decoding a header never allocates.
class Phone {
 public:
  static constexpr size_t kMaxDigits = 20;

  Phone() = default;
  // Fails unless `digits` is 1 to 20 decimal digits.
  static Result<Phone> FromDigits(std::string_view digits);

  std::string_view digits() const { return {digits_.data(), size_}; }
  // Without leading zeros ("012345678900" -> "12345678900"); what SmallChi and traccar key on.
  std::string_view WithoutLeadingZeros() const;
  bool operator==(const Phone& other) const { return digits() == other.digits(); }

 private:
  friend Result<void> DecodePhoneInto(ByteSpan bcd, Phone& phone);
  std::array<char, kMaxDigits> digits_{};
  uint8_t size_ = 0;
};

Result<Phone> DecodePhone(ByteSpan bcd);
// The same, into an existing Phone (the per-frame path avoids copies).
Result<void> DecodePhoneInto(ByteSpan bcd, Phone& phone);
// Writes `phone` as `width` BCD bytes, left-padded with zeros. Fails if it has more digits.
Result<void> EncodePhone(const Phone& phone, size_t width, ByteWriter& out);

// JT/T 808 BCD[6] times are local time in UTC+8. They are converted here, once, to UTC
// epoch milliseconds. An all-zero field (sent by terminals without a fix) is std::nullopt.
Result<std::optional<int64_t>> DecodeBcdTime(ByteSpan bcd6);
// Years outside 2000-2099 cannot be written in YY and fail with kBadTime.
Result<void> EncodeBcdTime(std::optional<int64_t> utc_ms, ByteWriter& out);

struct Subpackage {
  uint16_t total = 0;
  uint16_t index = 0;  // 1-based
  bool operator==(const Subpackage&) const = default;
};

struct Header {
  uint16_t msg_id = 0;
  Version version = Version::k2013;
  uint8_t protocol_version = 1;  // 2019 only: 1 for the first 2019 revision
  uint8_t encryption = 0;        // attribute bits 10-12; 0 = none, 1 = RSA
  uint16_t body_length = 0;      // set by the decoder; the encoder computes it
  Phone phone;
  uint16_t serial = 0;
  std::optional<Subpackage> subpackage;

  bool operator==(const Header&) const = default;
};

// Size of `header` on the wire.
size_t HeaderSize(const Header& header);

// Parses the header at the start of an unescaped frame (without flags or check code).
// On success `header_size` is the number of bytes it took. A 2019 flag whose declared body
// length does not fit is retried as a 2013 header, as some devices set the flag wrongly.
Result<Header> DecodeHeader(ByteSpan frame, size_t& header_size);
// The same, filling `header` in place; used on the per-frame path.
Result<void> ParseHeader(ByteSpan frame, Header& header, size_t& header_size);

// Appends the header with the given body length. Fails for a body over 1023 bytes, an
// encryption value over 3 bits, or a phone with too many digits for the version.
Result<void> EncodeHeader(const Header& header, size_t body_length, ByteWriter& out);

}  // namespace baotong::jt808
