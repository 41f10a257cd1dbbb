// Checkpoint routes: camera plate reads (by API key), operator QR scans, the passage feed,
// overrides, the vehicles in the city.
#include <atomic>
#include <limits>
#include <set>
#include <utility>

#include "api/route_context.h"
#include "checkpoint/checkpoint_json.h"
#include "checkpoint/checkpoint_service.h"

namespace baotong::api {
namespace {

// Long-polls hold a server thread while they wait; at most this many wait at once, the rest
// answer at once (the page polls again after a pause).
constexpr int kMaxWaitingPolls = 4;
constexpr int64_t kMaxWaitMs = 25'000;
std::atomic<int> g_waiting_polls{0};

Response FromCheckpointError(const Error& error) {
  switch (error.code) {
    case ErrorCode::kNotFound:
      return NotFound("没有该卡口或记录 (no such checkpoint or passage)");
    case ErrorCode::kConflict:
      return ApiError(http::status::conflict, "conflict",
                      "该记录已被改判 (the passage was overridden already)");
    case ErrorCode::kBadValue:
      return BadRequest(error.Message());
    default:
      return Internal(error);
  }
}

Response DecisionResponse(const Result<checkpoint::Passage>& passage) {
  if (!passage)
    return FromCheckpointError(passage.error());
  return JsonResponse(http::status::ok, checkpoint::DecisionJson(*passage));
}

Response Passages(Call& call, std::string_view checkpoint_id) {
  auto& service = *call.services.checkpoints;
  if (!service.FindCheckpoint(checkpoint_id))
    return NotFound("没有该卡口 (no such checkpoint)");
  int64_t after = 0;
  if (auto text = call.Param("after")) {
    auto value = ParseNumber<int64_t>(*text);
    if (!value || *value < 0)
      return BadRequest("after 应为非负整数 (after must be a whole number)");
    after = *value;
  }
  int64_t wait_ms = 0;
  if (auto text = call.Param("wait_ms")) {
    auto value = ParseNumber<int64_t>(*text);
    if (!value || *value < 0)
      return BadRequest("wait_ms 应为非负整数 (wait_ms must be a whole number)");
    wait_ms = std::min(*value, kMaxWaitMs);
  }
  if (g_waiting_polls.fetch_add(1) >= kMaxWaitingPolls)
    wait_ms = 0;
  auto page = service.WaitForPassages(checkpoint_id, after, std::chrono::milliseconds(wait_ms));
  g_waiting_polls.fetch_sub(1);
  if (!page)
    return Internal(page.error());
  return JsonResponse(http::status::ok, checkpoint::PassagePageJson(*page));
}

// The vehicles (plate, colour) of a district: a vehicle's district is its carrier's, kept on
// the registry's vehicle rows.
Result<std::set<std::pair<std::string, int>>> DistrictVehicles(const Call& call,
                                                               const std::string& district) {
  std::set<std::pair<std::string, int>> vehicles;
  auto listed = ForEachInScope(
      call, registry::Kind::kVehicles, {district, std::nullopt}, [&](const Json& vehicle) {
        vehicles.emplace(vehicle.value("plate", ""), vehicle.value("plate_color", 0));
      });
  if (!listed)
    return tl::unexpected(listed.error());
  return vehicles;
}

Response InCity(Call& call) {
  Response error;
  auto paging = ReadPaging(call, 50, 1000, error);
  if (!paging)
    return error;
  auto& service = *call.services.checkpoints;
  const auto& district = call.principal.district;
  if (!district) {
    return JsonResponse(
        http::status::ok,
        checkpoint::InCityPageJson(service.InCity(call.now_ms, paging->offset, paging->limit),
                                   call.now_ms));
  }
  // A district sees the vehicles of its district only (those of its carriers); a vehicle the
  // registry does not know belongs to no district.
  auto vehicles = DistrictVehicles(call, *district);
  if (!vehicles)
    return Internal(vehicles.error());
  auto keep = [&](const checkpoint::InCityEntry& entry) {
    if (entry.plate_color)
      return vehicles->contains({entry.plate, *entry.plate_color});
    auto same_plate = vehicles->lower_bound({entry.plate, std::numeric_limits<int>::min()});
    return same_plate != vehicles->end() && same_plate->first == entry.plate;
  };
  return JsonResponse(
      http::status::ok,
      checkpoint::InCityPageJson(service.InCity(call.now_ms, paging->offset, paging->limit, keep),
                                 call.now_ms));
}

}  // namespace

std::optional<Response> RouteCamera(Call& call) {
  constexpr std::string_view kCheckpoints = "/api/checkpoints/";
  constexpr std::string_view kPlateReads = "/plate-reads";
  const std::string_view path = call.path;
  if (call.services.checkpoints == nullptr || !path.starts_with(kCheckpoints) ||
      !path.ends_with(kPlateReads) || call.request.method() != http::verb::post ||
      path.size() <= kCheckpoints.size() + kPlateReads.size())
    return std::nullopt;
  const std::string_view checkpoint_id =
      path.substr(kCheckpoints.size(), path.size() - kCheckpoints.size() - kPlateReads.size());
  auto key = call.request.find("X-Api-Key");
  if (key == call.request.end() ||
      !call.services.checkpoints->VerifyApiKey(
          checkpoint_id, std::string_view(key->value().data(), key->value().size()))) {
    return ApiError(http::status::unauthorized, "bad_api_key",
                    "卡口接口密钥无效 (missing or wrong X-Api-Key for this checkpoint)");
  }
  auto read = checkpoint::ParsePlateRead(checkpoint_id, call.request.body());
  if (!read)
    return BadRequest(read.error());
  return DecisionResponse(call.services.checkpoints->Decide(*read));
}

std::optional<Response> RouteCheckpoints(Call& call) {
  if (call.services.checkpoints == nullptr)
    return std::nullopt;
  auto& service = *call.services.checkpoints;
  const std::string_view path = call.path;
  const auto method = call.request.method();
  const bool is_get = method == http::verb::get;
  const Role role = call.principal.role;
  if (path == "/api/checkpoints" && is_get) {
    if (!Allows(role, Permission::kCheckpointOperate) && !Allows(role, Permission::kInCityRead))
      return Forbidden(call, "查看卡口");
    Json items = Json::array();
    for (const auto& checkpoint : service.Checkpoints())
      items.push_back(checkpoint::CheckpointJson(checkpoint));
    return JsonResponse(http::status::ok, Json{{"items", std::move(items)}});
  }
  if (path == "/api/in-city" && is_get) {
    if (!Allows(role, Permission::kInCityRead))
      return Forbidden(call, "查看在城车辆");
    return InCity(call);
  }
  constexpr std::string_view kPassages = "/api/passages/";
  constexpr std::string_view kOverride = "/override";
  if (path.starts_with(kPassages) && path.ends_with(kOverride) && method == http::verb::post) {
    if (!Allows(role, Permission::kCheckpointOperate))
      return Forbidden(call, "改判");
    auto id = ParseNumber<int64_t>(
        path.substr(kPassages.size(), path.size() - kPassages.size() - kOverride.size()));
    if (!id)
      return BadRequest("记录编号应为整数 (passage id must be a number)");
    auto change = checkpoint::ParseOverride(*id, call.principal.username, call.request.body());
    if (!change)
      return BadRequest(change.error());
    auto passage = service.ApplyOverride(*change);
    if (!passage)
      return FromCheckpointError(passage.error());
    call.Audit("checkpoint.override", "passages/" + std::to_string(*id),
               Json{{"decision", checkpoint::ToString(passage->verdict)},
                    {"reason", change->reason},
                    {"plate", passage->plate},
                    {"new_passage_id", passage->id}}
                   .dump());
    return JsonResponse(http::status::ok, checkpoint::DecisionJson(*passage));
  }
  constexpr std::string_view kCheckpoints = "/api/checkpoints/";
  if (!path.starts_with(kCheckpoints))
    return std::nullopt;
  const std::string_view rest = path.substr(kCheckpoints.size());
  const size_t slash = rest.find('/');
  if (slash == std::string_view::npos)
    return std::nullopt;
  const std::string_view checkpoint_id = rest.substr(0, slash);
  const std::string_view action = rest.substr(slash + 1);
  if (action == "passages" && is_get) {
    if (!Allows(role, Permission::kCheckpointOperate))
      return Forbidden(call, "查看卡口通行记录");
    return Passages(call, checkpoint_id);
  }
  if (action == "scans" && method == http::verb::post) {
    if (!Allows(role, Permission::kCheckpointOperate))
      return Forbidden(call, "卡口扫码");
    auto scan =
        checkpoint::ParseQrScan(checkpoint_id, call.principal.username, call.request.body());
    if (!scan)
      return BadRequest(scan.error());
    return DecisionResponse(service.Decide(*scan));
  }
  return std::nullopt;
}

}  // namespace baotong::api
