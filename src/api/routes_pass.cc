// Entry-pass routes: apply, list, read, review, revoke, the QR code, the public key, the
// published routes and a destination site's expected arrivals.
#include <algorithm>
#include <set>

#include "api/masking.h"
#include "api/route_context.h"
#include "api/sealed_keys.h"
#include "geo/geometry.h"
#include "pass/pass_store.h"
#include "pass/qr.h"
#include "registry/credentials.h"
#include "registry/validation.h"

namespace baotong::api {

namespace {

// A pass as one principal sees it, and whether that shows drivers' ID numbers unmasked (such a
// read is audited).
struct RenderedPass {
  Json json;
  bool reveals_id_numbers = false;
};

RenderedPass RenderPass(const pass::PassApplication& application, const Principal& principal,
                        int64_t now_ms) {
  RenderedPass rendered{pass::ApplicationJson(application, now_ms)};
  Json& json = rendered.json;
  // Health findings tell a driver's result: rendered whole only for those who read results.
  const bool reads_health = SeesUnmasked(principal, PersonalField::kHealthResult, std::nullopt);
  Json checks = Json::array();
  for (const auto& check : application.checks)
    checks.push_back(
        pass::CheckJson(pass::ShownCheck(check, application.driver_names, reads_health)));
  json["checks"] = std::move(checks);
  // The keys pages link to the drivers' records with: sealed where the number shows masked.
  Json driver_keys = Json::array();
  if (SeesUnmasked(principal, PersonalField::kIdNumber, application.carrier_credit_code)) {
    rendered.reveals_id_numbers = !application.driver_id_numbers.empty();
    driver_keys = application.driver_id_numbers;
  } else {
    for (auto& id_number : json["driver_id_numbers"])
      id_number = MaskIdNumber(id_number.get<std::string>());
    json["masked"] = Json::array({"driver_id_numbers"});
    for (const auto& id_number : application.driver_id_numbers)
      driver_keys.push_back(SealKey(id_number));
  }
  json["driver_keys"] = std::move(driver_keys);
  // Check messages, notes and cargo text may quote an ID number or a phone (issue 13).
  for (auto& member :
       MaskPersonalNumbersFor(json, {"checks", "review", "revocation", "cargo", "origin"},
                              principal, application.carrier_credit_code))
    json["masked"].push_back(std::move(member));
  return rendered;
}

}  // namespace

Json PassJson(const pass::PassApplication& application, const Principal& principal,
              int64_t now_ms) {
  return RenderPass(application, principal, now_ms).json;
}

namespace {

// A read of passes with unmasked ID numbers is recorded before they leave (docs/roles.md); if
// the audit log cannot take the entry, they do not leave.
std::optional<Response> AuditPassReveal(const Call& call, std::string target,
                                        const std::vector<int64_t>& pass_ids) {
  if (pass_ids.empty())
    return std::nullopt;
  Json ids = Json::array();
  for (size_t i = 0; i < pass_ids.size() && i < 200; ++i)
    ids.push_back(pass_ids[i]);
  Json detail{{"records", pass_ids.size()}, {"pass_ids", std::move(ids)}};
  if (!call.Audit("pass.read", std::move(target), detail.dump()))
    return ApiError(http::status::service_unavailable, "audit_unavailable",
                    "审计日志不可用，暂不提供个人信息 (audit log unavailable)");
  return std::nullopt;
}

Response FromPassError(const Error& error) {
  switch (error.code) {
    case ErrorCode::kNotFound:
      return NotFound("没有该通行证 (no such pass)");
    case ErrorCode::kConflict:
      return ApiError(http::status::conflict, "conflict",
                      "通行证当前状态不允许此操作 (not allowed in the pass's current state)");
    default:
      return Internal(error);
  }
}

// The pass `id_text` names, if the caller may see it: carriers only their own.
std::optional<pass::PassApplication> VisiblePass(const Call& call, std::string_view id_text,
                                                 Response& error) {
  auto id = ParseNumber<int64_t>(id_text);
  if (!id) {
    error = BadRequest("通行证编号应为整数 (pass id must be a number)");
    return std::nullopt;
  }
  auto found = call.services.passes->Get(*id);
  if (!found) {
    error = Internal(found.error());
    return std::nullopt;
  }
  const auto& carrier = call.principal.carrier_credit_code;
  if (!*found || (carrier && (*found)->carrier_credit_code != *carrier)) {
    error = NotFound("没有该通行证 (no such pass)");
    return std::nullopt;
  }
  return std::move(**found);
}

// Staff applying on a carrier's behalf may leave the carrier blank: it is the one the vehicle
// is registered to, as the form promises. For a vehicle the registry does not know, the refusal
// says what to fill in.
std::optional<Response> FillCarrierFromVehicle(const Call& call, Json& body) {
  const auto* given = body.contains("carrier_credit_code") ? &body["carrier_credit_code"] : nullptr;
  const auto blank = [](const Json& value) {
    if (value.is_null())
      return true;
    if (!value.is_string())
      return false;
    const auto& text = value.get_ref<const std::string&>();
    return text.find_first_not_of(" \t\r\n") == std::string::npos;
  };
  if (given && !blank(*given))
    return std::nullopt;
  auto plate = registry::NormalisePlate(
      body.contains("plate") && body["plate"].is_string() ? body["plate"].get<std::string>() : "");
  const bool color_given = body.contains("plate_color") && body["plate_color"].is_number_integer();
  if (!plate || !color_given)
    return std::nullopt;  // the request's own checks say what is wrong
  auto color = registry::ParsePlateColor(body["plate_color"].get<int>());
  if (!color)
    return std::nullopt;
  auto vehicle = call.services.registry.FindVehicle(*plate, *color);
  if (!vehicle)
    return Internal(vehicle.error());
  if (!*vehicle)
    return ApiError(http::status::bad_request, "carrier_credit_code",
                    "车辆" + *plate +
                        "未在平台登记，请填写运输企业的统一社会信用代码 (the vehicle is not "
                        "registered: carrier_credit_code is required)");
  body["carrier_credit_code"] = (*vehicle)->carrier_credit_code;
  return std::nullopt;
}

Response Apply(Call& call) {
  Json body = Json::parse(call.request.body(), nullptr, /*allow_exceptions=*/false);
  if (!body.is_object())
    return BadRequest("请求体应为 JSON 对象 (body must be a JSON object)");
  // Pages send a driver's record key; for a role that sees ID numbers masked it is sealed.
  if (body.contains("driver_id_numbers") && body["driver_id_numbers"].is_array()) {
    for (auto& driver : body["driver_id_numbers"]) {
      if (driver.is_string() && IsSealedKey(driver.get<std::string>())) {
        auto unsealed = UnsealKey(driver.get<std::string>());
        if (!unsealed)
          return BadRequest("驾驶员编号无效或已过期 (bad or expired driver key)");
        driver = *unsealed;
      }
    }
  }
  const auto& carrier = call.principal.carrier_credit_code;
  if (carrier) {
    // A carrier applies for its own fleet only.
    if (body.contains("carrier_credit_code") && body["carrier_credit_code"] != *carrier)
      return Forbidden(call, "为其他企业申请通行证");
    body["carrier_credit_code"] = *carrier;
  } else if (auto filled = FillCarrierFromVehicle(call, body)) {
    return std::move(*filled);
  }
  auto parsed = pass::ParseApplicationRequest(body, registry::DateNumber(registry::TodayInChina()));
  if (!parsed)
    return ApiError(http::status::bad_request, parsed.error().code, parsed.error().message);
  parsed->applicant = call.principal.username;
  parsed->applicant_role = std::string(RoleId(call.principal.role));
  // A carrier names only its own vehicle and drivers; the refusal is one and the same whether a
  // record is missing or another company's, and says nothing about it (issue 13).
  auto stored = call.services.passes->Create(
      std::move(*parsed), call.now_ms, pass::CreateOptions{.own_fleet_only = carrier.has_value()});
  if (!stored && stored.error().code == ErrorCode::kNotFound && carrier) {
    return ApiError(http::status::unprocessable_entity, "not_in_fleet",
                    "车辆和驾驶员须为本企业在平台登记的车辆和驾驶员 (the vehicle and every driver "
                    "must be registered to your company)");
  }
  if (!stored)
    return Internal(stored.error());
  call.Audit("pass.apply", "passes/" + std::to_string(stored->id),
             Json{{"plate", stored->plate},
                  {"status", pass::PassStatusId(stored->status)},
                  {"checks", stored->checks.size()}}
                 .dump());
  return JsonResponse(http::status::created, PassJson(*stored, call.principal, call.now_ms));
}

Response ListPasses(Call& call) {
  Response error;
  auto paging = ReadPaging(call, 50, pass::kMaxPassListLimit, error);
  if (!paging)
    return error;
  pass::PassListQuery query;
  query.status = call.Param("status").value_or("");
  if (!query.status.empty() && query.status != "expired" && !pass::ParsePassStatus(query.status))
    return BadRequest("status 无效 (unknown status)");
  query.plate = call.Param("plate").value_or("");
  query.carrier_credit_code = call.principal.carrier_credit_code;
  if (auto kind = call.Param("kind"); kind && !kind->empty()) {
    query.kind = pass::ParsePassKind(*kind);
    if (!query.kind)
      return BadRequest("kind 应为 trip 或 standing");
  }
  query.offset = paging->offset;
  query.limit = paging->limit;
  query.now_ms = call.now_ms;
  auto page = call.services.passes->List(query);
  if (!page)
    return Internal(page.error());
  Json items = Json::array();
  std::vector<int64_t> revealed;
  for (const auto& application : page->items) {
    RenderedPass rendered = RenderPass(application, call.principal, call.now_ms);
    items.push_back(std::move(rendered.json));
    if (rendered.reveals_id_numbers)
      revealed.push_back(application.id);
  }
  if (auto refused = AuditPassReveal(call, std::string(call.target), revealed))
    return std::move(*refused);
  return JsonResponse(http::status::ok, Json{{"total", page->total},
                                             {"offset", paging->offset},
                                             {"limit", paging->limit},
                                             {"items", std::move(items)}});
}

// approve | reject | revoke of one pass, with `body`'s comment or reason: the single route and
// each pass of a batch approval go through here, so each decision is checked and audited alike.
Response DecideOne(Call& call, std::string_view id_text, std::string_view action,
                   const Json& body) {
  auto id = ParseNumber<int64_t>(id_text);
  if (!id)
    return BadRequest("通行证编号应为整数 (pass id must be a number)");
  const char* field = action == "revoke" ? "reason" : "comment";
  std::string text = body.value(field, "");
  if (action != "approve" && text.empty())
    return BadRequest(action == "revoke" ? "撤销须填写原因 (a revocation needs a reason)"
                                         : "驳回须填写意见 (a rejection needs a comment)");
  auto& passes = *call.services.passes;
  const std::string by = call.principal.username;
  Result<pass::PassApplication> decided =
      action == "approve"  ? passes.Approve(*id, by, text, call.now_ms)
      : action == "reject" ? passes.Reject(*id, by, text, call.now_ms)
                           : passes.Revoke(*id, by, text, call.now_ms);
  if (!decided)
    return FromPassError(decided.error());
  call.Audit("pass." + std::string(action), "passes/" + std::to_string(*id),
             Json{{field, text}, {"plate", decided->plate}}.dump());
  return JsonResponse(http::status::ok, PassJson(*decided, call.principal, call.now_ms));
}

Json RequestObject(const Call& call) {
  return Json::parse(call.request.body().empty() ? "{}" : call.request.body(), nullptr,
                     /*allow_exceptions=*/false);
}

Response Decide(Call& call, std::string_view id_text, std::string_view action) {
  Json body = RequestObject(call);
  if (!body.is_object())
    return BadRequest("请求体应为 JSON 对象 (body must be a JSON object)");
  return DecideOne(call, id_text, action, body);
}

constexpr size_t kMaxBulkApprovals = 200;

// POST /api/passes/bulk-approve {"ids": [...], "note"}: approves many applications with one
// comment. Each goes through the single route's approval (state check, audit); one that is not
// pending review (its checks rejected it, or it was decided already) stays as it is, and the
// answer lists every id's result.
Response BulkApprove(Call& call) {
  Json body = RequestObject(call);
  if (!body.is_object())
    return BadRequest("请求体应为 JSON 对象 (body must be a JSON object)");
  Json note = body.contains("note") ? body["note"] : Json("");
  if (note.is_null())
    note = "";
  if (!note.is_string())
    return BadRequest("note 应为文本 (note must be a string)");
  const auto ids = body.find("ids");
  if (ids == body.end() || !ids->is_array() || ids->empty() || ids->size() > kMaxBulkApprovals)
    return BadRequest("ids 应为 1 至 200 个通行证编号 (ids: 1 to 200 pass ids)");
  std::vector<int64_t> unique_ids;
  for (const auto& id : *ids) {
    if (!id.is_number_integer())
      return BadRequest("通行证编号应为整数 (pass ids are integers)");
    if (std::find(unique_ids.begin(), unique_ids.end(), id.get<int64_t>()) == unique_ids.end())
      unique_ids.push_back(id.get<int64_t>());
  }
  const Json one_body{{"comment", note}};
  Json results = Json::array();
  int succeeded = 0;
  for (int64_t id : unique_ids) {
    Response one = DecideOne(call, std::to_string(id), "approve", one_body);
    Json answer = Json::parse(one.body(), nullptr, /*allow_exceptions=*/false);
    const bool ok = one.result() == http::status::ok;
    succeeded += ok ? 1 : 0;
    Json result{{"id", id}, {"ok", ok}, {"status", one.result_int()}};
    if (ok && answer.is_object())
      result["pass"] = std::move(answer);
    else if (answer.is_object() && answer.contains("error"))
      result["error"] = std::move(answer["error"]);
    results.push_back(std::move(result));
  }
  return JsonResponse(http::status::ok,
                      Json{{"succeeded", succeeded},
                           {"failed", static_cast<int>(unique_ids.size()) - succeeded},
                           {"results", std::move(results)}});
}

Response Qr(Call& call, std::string_view id_text, bool png) {
  Response error;
  auto application = VisiblePass(call, id_text, error);
  if (!application)
    return error;
  if (application->status != pass::PassStatus::kApproved || !application->token)
    return ApiError(http::status::conflict, "not_approved",
                    "通行证未通过审核，没有二维码 (only approved passes have a QR code)");
  Response response{http::status::ok, 11};
  response.set(http::field::cache_control, "no-store");
  if (png) {
    auto image = pass::QrPng(*application->token);
    if (!image)
      return Internal(image.error());
    response.set(http::field::content_type, "image/png");
    response.body().assign(image->begin(), image->end());
  } else {
    auto image = pass::QrSvg(*application->token);
    if (!image)
      return Internal(image.error());
    response.set(http::field::content_type, "image/svg+xml");
    response.body() = std::move(*image);
  }
  return response;
}

Response Arrivals(Call& call, std::string_view encoded_code) {
  auto code = PercentDecode(encoded_code, false);
  if (!code || code->empty())
    return BadRequest("场所编码无效 (bad site code)");
  // The site must be one the caller may see (a district: its own district's).
  auto site = call.services.registry.Get(
      registry::Kind::kSites, *code,
      registry::Scope{call.principal.district, call.principal.carrier_credit_code});
  if (!site)
    return Internal(site.error());
  if (!*site)
    return NotFound("没有该场所 (no such site)");
  auto arrivals = call.services.passes->Arrivals(*code, call.now_ms, 24 * 3600 * 1000);
  if (!arrivals)
    return Internal(arrivals.error());
  // A carrier sees its own passes among the arrivals, not other companies' trucks and drivers.
  if (const auto& carrier = call.principal.carrier_credit_code) {
    std::erase_if(*arrivals, [&](const pass::Arrival& arrival) {
      return arrival.pass->carrier_credit_code != *carrier;
    });
  }
  // Where a vehicle is (and so whether it is on site or overdue) only for roles that read
  // positions, and for scoped roles only for the terminals they may follow on the map.
  const bool reads_positions = Allows(call.principal.role, Permission::kPositionsRead);
  std::optional<std::set<std::string>> followed;
  if (reads_positions) {
    auto visible = VisibleTerminals(call);
    if (!visible)
      return Internal(visible.error());
    followed = std::move(*visible);
  }
  // Where each expected vehicle is: its terminal's newest position in the last 15 minutes,
  // inside the site's geometry (a point site counts 100 m around it) means on site.
  std::vector<geo::Shape> shapes;
  if ((*site)->contains("geometry")) {
    if (auto parsed = geo::ShapesFromGeoJson((**site)["geometry"].dump(), 100); parsed)
      shapes = std::move(*parsed);
  }
  auto plates = call.services.terminal_plates->Get(call.services.registry, call.now_ms);
  if (!plates)
    return Internal(plates.error());
  const auto& terminal_of_plate = (*plates)->terminal_of_plate;
  constexpr int64_t kRecentMs = 15 * 60 * 1000;
  Json items = Json::array();
  int64_t on_the_way = 0;
  int64_t on_site = 0;
  int64_t overdue = 0;
  int64_t unlocated = 0;
  for (const auto& arrival : *arrivals) {
    Json item = pass::ArrivalJson(arrival);
    const auto terminal = terminal_of_plate.find(arrival.pass->plate);
    const bool locatable = reads_positions && (!followed || (terminal != terminal_of_plate.end() &&
                                                             followed->contains(terminal->second)));
    if (!locatable) {
      // Not the caller's to know where it is: neither its position nor on site or overdue.
      item["on_site"] = nullptr;
      item["overdue"] = nullptr;
      ++unlocated;
      items.push_back(std::move(item));
      continue;
    }
    bool here = false;
    if (terminal != terminal_of_plate.end() && !shapes.empty()) {
      auto track = call.services.track.Replay(terminal->second, call.now_ms - kRecentMs,
                                              call.now_ms + 60'000, track::kMaxReplayLimit);
      if (track && !track->empty()) {
        const auto& last = track->back();
        const geo::LatLon where{last.lat_e6 / 1e6, last.lon_e6 / 1e6};
        here = std::any_of(shapes.begin(), shapes.end(),
                           [&](const geo::Shape& shape) { return geo::Contains(shape, where); });
        item["last_position"] =
            Json{{"lat", where.lat}, {"lon", where.lon}, {"device_time_ms", last.device_time_ms}};
      }
    }
    const bool past_exit = arrival.pass->planned_exit_ms < call.now_ms;
    item["on_site"] = here;
    item["overdue"] = past_exit && !here;
    if (here)
      ++on_site;
    else if (past_exit)
      ++overdue;
    else if (arrival.phase != pass::ArrivalPhase::kUpcoming)
      ++on_the_way;
    items.push_back(std::move(item));
  }
  return JsonResponse(http::status::ok, Json{{"site", **site},
                                             {"counts", Json{{"expected", arrivals->size()},
                                                             {"on_the_way", on_the_way},
                                                             {"on_site", on_site},
                                                             {"overdue", overdue},
                                                             {"unlocated", unlocated}}},
                                             {"items", std::move(items)}});
}

}  // namespace

std::optional<Response> RoutePasses(Call& call) {
  if (call.services.passes == nullptr)
    return std::nullopt;
  const std::string_view path = call.path;
  const auto method = call.request.method();
  const bool is_get = method == http::verb::get;
  const Role role = call.principal.role;
  if (path == "/api/routes" && is_get) {
    auto routes = call.services.passes->Routes();
    if (!routes)
      return Internal(routes.error());
    return JsonResponse(http::status::ok, pass::RoutesFeatureCollection(*routes));
  }
  if (path == "/api/passes/public-key" && is_get) {
    return JsonResponse(
        http::status::ok,
        Json{{"algorithm", "Ed25519"},
             {"token_prefix", "BT1."},
             {"public_key", call.services.passes->signing_key().PublicKeyBase64()}});
  }
  constexpr std::string_view kSites = "/api/sites/";
  constexpr std::string_view kArrivals = "/arrivals";
  if (path.starts_with(kSites) && path.ends_with(kArrivals) && is_get) {
    if (!Allows(role, Permission::kReadSites))
      return Forbidden(call, "查看场所");
    return Arrivals(call,
                    path.substr(kSites.size(), path.size() - kSites.size() - kArrivals.size()));
  }
  constexpr std::string_view kPasses = "/api/passes";
  if (path == kPasses) {
    if (method == http::verb::post) {
      if (!Allows(role, Permission::kPassesApply))
        return Forbidden(call, "申请通行证");
      return Apply(call);
    }
    if (is_get) {
      if (!Allows(role, Permission::kPassesRead))
        return Forbidden(call, "查看通行证");
      return ListPasses(call);
    }
    return std::nullopt;
  }
  if (path == "/api/passes/bulk-approve") {
    if (method != http::verb::post)
      return std::nullopt;
    if (!Allows(role, Permission::kPassesReview))
      return Forbidden(call, "审核通行证");
    return BulkApprove(call);
  }
  if (!path.starts_with("/api/passes/"))
    return std::nullopt;
  std::string_view rest = path.substr(kPasses.size() + 1);
  const size_t slash = rest.find('/');
  const std::string_view id = rest.substr(0, slash);
  const std::string_view action = slash == std::string_view::npos ? "" : rest.substr(slash + 1);
  if (is_get && (action.empty() || action == "qr.svg" || action == "qr.png")) {
    if (!Allows(role, Permission::kPassesRead))
      return Forbidden(call, "查看通行证");
    if (!action.empty())
      return Qr(call, id, action == "qr.png");
    Response error;
    auto application = VisiblePass(call, id, error);
    if (!application)
      return error;
    RenderedPass shown = RenderPass(*application, call.principal, call.now_ms);
    if (shown.reveals_id_numbers) {
      if (auto refused =
              AuditPassReveal(call, "passes/" + std::to_string(application->id), {application->id}))
        return std::move(*refused);
    }
    return JsonResponse(http::status::ok, shown.json);
  }
  if (method == http::verb::post &&
      (action == "approve" || action == "reject" || action == "revoke")) {
    if (!Allows(role, Permission::kPassesReview))
      return Forbidden(call, "审核通行证");
    return Decide(call, id, action);
  }
  return std::nullopt;
}

}  // namespace baotong::api
