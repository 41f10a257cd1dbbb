// Hex text <-> bytes, for tools, logs and tests.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/bytes.h"
#include "common/error.h"

namespace baotong {

// Accepts upper or lower case; ignores spaces, tabs, newlines, ':' and '-' between bytes,
// and a leading "0x", so captures pasted from tools or documents parse as they are.
Result<std::vector<uint8_t>> ParseHex(std::string_view text);

// 0-15 for a hex digit of either case, -1 for anything else.
int HexDigitValue(char c);

// Lower-case, no separators.
std::string ToHex(ByteSpan bytes);

}  // namespace baotong
