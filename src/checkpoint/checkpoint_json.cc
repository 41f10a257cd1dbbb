#include "checkpoint/checkpoint_json.h"

namespace baotong::checkpoint {
namespace {

using nlohmann::json;
using nlohmann::ordered_json;

template <typename T>
ordered_json OrNull(const std::optional<T>& value) {
  if (!value)
    return nullptr;
  return *value;
}

// Parses a JSON object body; nlohmann throws on bad input, which stops here.
tl::expected<json, std::string> ParseObject(std::string_view body) {
  json parsed = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded() || !parsed.is_object())
    return tl::unexpected(std::string("请求体必须是 JSON 对象 (body must be a JSON object)"));
  return parsed;
}

// An optional integer field; an error message when present but not an integer.
tl::expected<std::optional<int64_t>, std::string> OptionalInteger(const json& body,
                                                                  std::string_view key) {
  auto found = body.find(key);
  if (found == body.end() || found->is_null())
    return std::optional<int64_t>();
  if (!found->is_number_integer())
    return tl::unexpected("字段 " + std::string(key) + " 必须是整数");
  return std::optional<int64_t>(found->get<int64_t>());
}

tl::expected<std::optional<std::string>, std::string> OptionalString(const json& body,
                                                                     std::string_view key) {
  auto found = body.find(key);
  if (found == body.end() || found->is_null())
    return std::optional<std::string>();
  if (!found->is_string())
    return tl::unexpected("字段 " + std::string(key) + " 必须是字符串");
  return std::optional<std::string>(found->get<std::string>());
}

}  // namespace

ordered_json CheckpointJson(const Checkpoint& checkpoint) {
  return ordered_json{{"id", checkpoint.id},
                      {"name", checkpoint.name},
                      {"direction", ToString(checkpoint.direction)},
                      {"lat", checkpoint.lat},
                      {"lon", checkpoint.lon},
                      {"created_at_ms", checkpoint.created_at_ms}};
}

ordered_json DecisionJson(const Passage& passage) {
  return ordered_json{{"passage_id", passage.id},
                      {"decision", ToString(passage.verdict)},
                      {"reason_code", passage.reason_code},
                      {"reason", passage.reason},
                      {"display_text", passage.display_text},
                      {"pass_id", OrNull(passage.pass_id)},
                      {"plate", passage.plate},
                      {"plate_color", OrNull(passage.plate_color)},
                      {"checkpoint_id", passage.checkpoint_id},
                      {"direction", ToString(passage.direction)},
                      {"time_ms", passage.time_ms}};
}

ordered_json PassageJson(const Passage& passage) {
  return ordered_json{{"id", passage.id},
                      {"checkpoint_id", passage.checkpoint_id},
                      {"direction", ToString(passage.direction)},
                      {"plate", passage.plate},
                      {"plate_color", OrNull(passage.plate_color)},
                      {"time_ms", passage.time_ms},
                      {"decision", ToString(passage.verdict)},
                      {"reason_code", passage.reason_code},
                      {"reason", passage.reason},
                      {"display_text", passage.display_text},
                      {"pass_id", OrNull(passage.pass_id)},
                      {"source", ToString(passage.source)},
                      {"operator", OrNull(passage.operator_name)},
                      {"image_ref", OrNull(passage.image_ref)},
                      {"overrides_id", OrNull(passage.overrides_id)},
                      {"entered_at_ms", OrNull(passage.entered_at_ms)},
                      {"entry_checkpoint_id", OrNull(passage.entry_checkpoint_id)},
                      {"pass_valid_until_ms", OrNull(passage.pass_valid_until_ms)},
                      {"planned_exit_ms", OrNull(passage.planned_exit_ms)},
                      {"recorded_at_ms", passage.recorded_at_ms}};
}

ordered_json PassagePageJson(const PassagePage& page) {
  ordered_json items = ordered_json::array();
  for (const Passage& passage : page.items)
    items.push_back(PassageJson(passage));
  return ordered_json{{"items", std::move(items)}, {"last_id", page.last_id}};
}

ordered_json InCityJson(const InCityEntry& entry, int64_t now_ms) {
  return ordered_json{{"plate", entry.plate},
                      {"plate_color", OrNull(entry.plate_color)},
                      {"entered_at_ms", entry.entered_at_ms},
                      {"checkpoint_id", entry.checkpoint_id},
                      {"passage_id", entry.passage_id},
                      {"pass_id", OrNull(entry.pass_id)},
                      {"valid_until_ms", OrNull(entry.valid_until_ms)},
                      {"planned_exit_ms", OrNull(entry.planned_exit_ms)},
                      {"deadline_ms", OrNull(entry.DeadlineMs())},
                      {"in_city_ms", std::max<int64_t>(0, now_ms - entry.entered_at_ms)},
                      {"overdue", entry.Overdue(now_ms)}};
}

ordered_json InCityPageJson(const InCityPage& page, int64_t now_ms) {
  ordered_json items = ordered_json::array();
  for (const InCityEntry& entry : page.items)
    items.push_back(InCityJson(entry, now_ms));
  return ordered_json{{"total", page.total}, {"items", std::move(items)}};
}

tl::expected<PlateRead, std::string> ParsePlateRead(std::string_view checkpoint_id,
                                                    std::string_view body) {
  auto parsed = ParseObject(body);
  if (!parsed)
    return tl::unexpected(parsed.error());
  PlateRead read;
  read.checkpoint_id = checkpoint_id;
  auto plate = OptionalString(*parsed, "plate");
  if (!plate)
    return tl::unexpected(plate.error());
  if (!*plate)
    return tl::unexpected(std::string("缺少字段 plate (plate is required)"));
  read.plate = std::move(**plate);
  auto color = OptionalInteger(*parsed, "plate_color");
  if (!color)
    return tl::unexpected(color.error());
  if (*color) {
    if (**color < 0 || **color > 255)
      return tl::unexpected(std::string("车牌颜色代码无效 (plate_color)"));
    read.plate_color = static_cast<int>(**color);
  }
  auto time = OptionalInteger(*parsed, "time_ms");
  if (!time)
    return tl::unexpected(time.error());
  read.time_ms = time->value_or(0);
  auto image = OptionalString(*parsed, "image_ref");
  if (!image)
    return tl::unexpected(image.error());
  read.image_ref = std::move(*image);
  return read;
}

tl::expected<QrScan, std::string> ParseQrScan(std::string_view checkpoint_id,
                                              std::string_view operator_name,
                                              std::string_view body) {
  auto parsed = ParseObject(body);
  if (!parsed)
    return tl::unexpected(parsed.error());
  QrScan scan;
  scan.checkpoint_id = checkpoint_id;
  scan.operator_name = operator_name;
  auto token = OptionalString(*parsed, "token");
  if (!token)
    return tl::unexpected(token.error());
  if (!*token || (*token)->empty())
    return tl::unexpected(std::string("缺少字段 token (token is required)"));
  scan.token = std::move(**token);
  auto time = OptionalInteger(*parsed, "time_ms");
  if (!time)
    return tl::unexpected(time.error());
  scan.time_ms = time->value_or(0);
  return scan;
}

tl::expected<Override, std::string> ParseOverride(int64_t passage_id,
                                                  std::string_view operator_name,
                                                  std::string_view body) {
  auto parsed = ParseObject(body);
  if (!parsed)
    return tl::unexpected(parsed.error());
  Override change;
  change.passage_id = passage_id;
  change.operator_name = operator_name;
  auto decision = OptionalString(*parsed, "decision");
  if (!decision)
    return tl::unexpected(decision.error());
  auto verdict = *decision ? ParseVerdict(**decision) : std::nullopt;
  if (!verdict)
    return tl::unexpected(
        std::string("decision 必须是 release、turn_back 或 manual_check (decision)"));
  change.verdict = *verdict;
  auto reason = OptionalString(*parsed, "reason");
  if (!reason)
    return tl::unexpected(reason.error());
  if (!*reason || (*reason)->empty())
    return tl::unexpected(std::string("请填写改判理由 (reason is required)"));
  change.reason = std::move(**reason);
  return change;
}

}  // namespace baotong::checkpoint
