#include "common/hex.h"

namespace baotong {

int HexDigitValue(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

namespace {

bool IsSeparator(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == ':' || c == '-';
}

}  // namespace

Result<std::vector<uint8_t>> ParseHex(std::string_view text) {
  if (text.starts_with("0x") || text.starts_with("0X"))
    text.remove_prefix(2);
  std::vector<uint8_t> bytes;
  bytes.reserve(text.size() / 2);
  int high = -1;
  for (char c : text) {
    if (IsSeparator(c)) {
      if (high >= 0)
        return Fail(ErrorCode::kBadValue, "odd number of hex digits in a byte");
      continue;
    }
    int value = HexDigitValue(c);
    if (value < 0)
      return Fail(ErrorCode::kBadValue, "not a hex digit");
    if (high < 0) {
      high = value;
    } else {
      bytes.push_back(static_cast<uint8_t>((high << 4) | value));
      high = -1;
    }
  }
  if (high >= 0)
    return Fail(ErrorCode::kBadValue, "odd number of hex digits");
  return bytes;
}

std::string ToHex(ByteSpan bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string text;
  text.reserve(bytes.size() * 2);
  for (uint8_t byte : bytes) {
    text.push_back(kDigits[byte >> 4]);
    text.push_back(kDigits[byte & 0x0f]);
  }
  return text;
}

}  // namespace baotong
