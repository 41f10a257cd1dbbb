// Terminal parameters (0x8103 / 0x8104 / 0x0104): how the standard types each known id.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "common/bytes.h"
#include "common/error.h"
#include "protocol/jt808/messages.h"

namespace baotong::jt808 {

enum class ParameterType : uint8_t { kByte, kWord, kDword, kString, kBytes };

// The type the standard (2013 table 12, with the 2019 additions) gives `id`, or nullopt for
// ids it does not define (vendor parameters), which are kept as raw bytes.
std::optional<ParameterType> ParameterTypeOf(uint32_t id);

// Reads `count` id/length/value entries.
Result<std::vector<Parameter>> ReadParameters(ByteReader& reader, size_t count);
// Writes a BYTE count and the entries.
Result<void> WriteParameters(const std::vector<Parameter>& parameters, std::vector<uint8_t>& out);

// Integer value of a BYTE/WORD/DWORD parameter; nullopt if the value length does not fit.
std::optional<uint32_t> ParameterInteger(const Parameter& parameter);
Parameter DwordParameter(uint32_t id, uint32_t value);

}  // namespace baotong::jt808
