// JSON of the checkpoint records, snake_case as the HTTP API shows them (docs/checkpoints.md),
// and the parsing of camera and operator bodies at the API edge.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <tl/expected.hpp>

#include "checkpoint/checkpoint_service.h"

namespace baotong::checkpoint {

// {"id","name","direction","lat","lon","created_at_ms"}
nlohmann::ordered_json CheckpointJson(const Checkpoint& checkpoint);
// The camera's / scanner's reply: {"passage_id","decision","reason_code","reason",
// "display_text","pass_id","plate","plate_color","checkpoint_id","direction","time_ms"}
nlohmann::ordered_json DecisionJson(const Passage& passage);
// A passage row, every field.
nlohmann::ordered_json PassageJson(const Passage& passage);
// {"items":[passage...],"last_id"}
nlohmann::ordered_json PassagePageJson(const PassagePage& page);
// {"plate","plate_color","entered_at_ms","checkpoint_id","passage_id","pass_id",
//  "valid_until_ms","planned_exit_ms","deadline_ms","in_city_ms","overdue"}
nlohmann::ordered_json InCityJson(const InCityEntry& entry, int64_t now_ms);
// {"total","items":[...]}
nlohmann::ordered_json InCityPageJson(const InCityPage& page, int64_t now_ms);

// Body of POST /api/checkpoints/{id}/plate-reads: {"plate","plate_color","time_ms","image_ref"}
// (plate required; the rest optional). The error is a Chinese message for a 400 reply.
tl::expected<PlateRead, std::string> ParsePlateRead(std::string_view checkpoint_id,
                                                    std::string_view body);
// Body of POST /api/checkpoints/{id}/scans: {"token","time_ms"}.
tl::expected<QrScan, std::string> ParseQrScan(std::string_view checkpoint_id,
                                              std::string_view operator_name,
                                              std::string_view body);
// Body of POST /api/passages/{id}/override: {"decision","reason"}.
tl::expected<Override, std::string> ParseOverride(int64_t passage_id,
                                                  std::string_view operator_name,
                                                  std::string_view body);

}  // namespace baotong::checkpoint
