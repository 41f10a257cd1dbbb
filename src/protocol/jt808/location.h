// 0x0200 location bodies, used on their own and inside 0x0201, 0x0704 and 0x0801.
#pragma once

#include <vector>

#include "common/bytes.h"
#include "common/error.h"
#include "protocol/jt808/messages.h"

namespace baotong::jt808 {

// Decodes the 28-byte fixed part and, if `with_items`, the additional items that follow up to
// the end of `reader`. Resets `out` first but keeps the capacity of out.other_items.
Result<void> ReadLocation(ByteReader& reader, bool with_items, LocationReport& out);

// Appends the fixed part and, if `with_items`, the additional items. The hemisphere bits of the
// status word are set from the signs of lat/lon (and kept if already set).
Result<void> WriteLocation(const LocationReport& report, bool with_items,
                           std::vector<uint8_t>& out);

Result<LocationBatch> DecodeLocationBatch(ByteSpan body);
Result<void> EncodeLocationBatch(const LocationBatch& batch, std::vector<uint8_t>& out);

}  // namespace baotong::jt808
