// JSON form of decoded JT/T 808 messages, as printed by `baotong jt808 decode`.
// The schema is documented in docs/jt808-decode.md.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>

#include "protocol/jt808/codec.h"

namespace baotong::app {

using Json = nlohmann::ordered_json;

Json LocationToJson(const jt808::LocationReport& report);
Json BodyToJson(const jt808::Message& message);
// The whole frame: msg_id, version, phone, serial, subpackage, body.
Json MessageToJson(const jt808::DecodedMessage& decoded);

}  // namespace baotong::app
