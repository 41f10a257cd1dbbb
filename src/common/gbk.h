// GBK <-> UTF-8 conversion. JT/T 808 and most Chinese office exports carry text in GBK;
// everything inside Baotong is UTF-8.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/bytes.h"
#include "common/error.h"

namespace baotong {

// Decodes as GB18030, the superset of GBK, so that the occasional four-byte sequence from a
// newer terminal still comes out right. Plain ASCII takes a fast path without iconv.
Result<std::string> GbkToUtf8(ByteSpan gbk);

// Appends the GBK form of `utf8` to `out`. Fails with kBadEncoding for invalid UTF-8 or for a
// character that GBK cannot represent (terminals only understand GBK).
Result<void> AppendUtf8AsGbk(std::string_view utf8, std::vector<uint8_t>& out);

}  // namespace baotong
