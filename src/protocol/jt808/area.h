// Area settings 0x8600-0x8605 (circle, rectangle, polygon; set and delete).
// Layouts follow the standard's tables (reference §8); the tests check them against SmallChi's
// conforming bodies. Optional fields are present exactly when their attribute bit says so.
#pragma once

#include <vector>

#include "common/bytes.h"
#include "common/error.h"
#include "protocol/jt808/header.h"
#include "protocol/jt808/messages.h"

namespace baotong::jt808 {

Result<SetCircleAreas> DecodeSetCircleAreas(ByteSpan body, Version version);
Result<void> EncodeSetCircleAreas(const SetCircleAreas& message, Version version,
                                  std::vector<uint8_t>& out);
Result<SetRectangleAreas> DecodeSetRectangleAreas(ByteSpan body, Version version);
Result<void> EncodeSetRectangleAreas(const SetRectangleAreas& message, Version version,
                                     std::vector<uint8_t>& out);
Result<SetPolygonArea> DecodeSetPolygonArea(ByteSpan body, Version version);
Result<void> EncodeSetPolygonArea(const SetPolygonArea& message, Version version,
                                  std::vector<uint8_t>& out);
Result<DeleteAreas> DecodeDeleteAreas(ByteSpan body, AreaKind kind);
Result<void> EncodeDeleteAreas(const DeleteAreas& message, std::vector<uint8_t>& out);

}  // namespace baotong::jt808
