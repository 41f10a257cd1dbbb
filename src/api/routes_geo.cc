// Geography routes: the city's layers read from files (preview, import), drawn on the map (put,
// delete), listed with their versions. Changes need monitor.configure (the zones and rules
// staff); reading the layers needs only a session (the city's geography holds no personal
// data).
#include "api/geography_control.h"
#include "api/route_context.h"

namespace baotong::api {
namespace {

using geodata::LayerKind;

constexpr std::string_view kPrefix = "/api/geo/";

Json VersionJson(const LayerVersion& version) {
  return Json{{"kind", geodata::LayerKindId(version.kind)},
              {"kind_name", geodata::LayerKindName(version.kind)},
              {"version", version.version},
              {"features", version.features},
              {"change", version.change},
              {"changed_by", version.changed_by},
              {"changed_at_ms", version.changed_at_ms}};
}

Json DraftJson(const geodata::LayerDraft& draft, bool with_features) {
  Json errors = Json::array();
  for (const auto& error : draft.errors)
    errors.push_back({{"feature", error.feature}, {"message", error.message}});
  Json body{{"kind", geodata::LayerKindId(draft.kind)},
            {"kind_name", geodata::LayerKindName(draft.kind)},
            {"features_read", draft.features_read},
            {"features_valid", draft.collection["features"].size()},
            {"code_field", draft.code_field},
            {"name_field", draft.name_field},
            {"bbox", draft.bbox ? Json(*draft.bbox) : Json()},
            {"errors", std::move(errors)}};
  if (with_features)
    body["collection"] = draft.collection;
  return body;
}

// The upload's options from the query: kind, file_name, crs (EPSG:n), datum (wgs84, gcj02,
// bd09), encoding, layer, code_field, name_field.
std::optional<GeographyUpload> ReadUpload(const Call& call, Response& error) {
  GeographyUpload upload;
  auto kind = geodata::ParseLayerKind(call.Param("kind").value_or(""));
  if (!kind) {
    error = BadRequest(
        "kind 应为 boundary、districts、towns、communities、sites、checkpoints、routes 或 "
        "restricted (unknown layer kind)");
    return std::nullopt;
  }
  upload.kind = *kind;
  upload.read.file_name = call.Param("file_name").value_or("");
  if (auto crs = call.Param("crs"); crs && !crs->empty())
    upload.read.source_crs = *crs;
  if (auto datum = call.Param("datum"); datum && !datum->empty()) {
    auto parsed = geo::ParseDatum(*datum);
    if (!parsed) {
      error = BadRequest("datum 应为 wgs84、gcj02 或 bd09 (unknown datum)");
      return std::nullopt;
    }
    upload.read.datum = *parsed;
  }
  for (auto [name, target] :
       {std::pair{"encoding", &upload.read.encoding}, std::pair{"layer", &upload.read.layer},
        std::pair{"code_field", &upload.fields.code},
        std::pair{"name_field", &upload.fields.name}}) {
    if (auto value = call.Param(name); value && !value->empty())
      *target = *value;
  }
  if (upload.read.encoding && *upload.read.encoding != "UTF-8" && *upload.read.encoding != "GBK" &&
      *upload.read.encoding != "CP936" && *upload.read.encoding != "GB18030") {
    error = BadRequest("encoding 应为 UTF-8、GBK 或 GB18030 (unknown encoding)");
    return std::nullopt;
  }
  if (call.request.body().empty()) {
    error = BadRequest("文件为空 (the file is empty)");
    return std::nullopt;
  }
  upload.bytes = call.request.body();
  return upload;
}

Response ChangeResponse(const Call& call, const Result<GeographyChange>& change,
                        std::string_view action, std::string_view target) {
  if (!change) {
    if (change.error().code == ErrorCode::kNotFound)
      return NotFound(change.error().Message());
    if (change.error().code == ErrorCode::kUnsupported)
      return ApiError(http::status::conflict, "not_deletable", change.error().Message());
    return Internal(change.error());
  }
  Json body = DraftJson(change->draft, /*with_features=*/false);
  if (change->draft.unreadable)
    return ApiError(http::status::bad_request, "bad_file", change->draft.errors[0].message);
  if (!change->draft.errors.empty())
    return JsonResponse(http::status::unprocessable_entity, body);
  body["version"] = change->version;
  // New cameras' keys, once: the checkpoint console shows them to the operator.
  Json keys = Json::object();
  for (const auto& [id, key] : change->checkpoint_keys)
    keys[id] = key;
  body["checkpoint_keys"] = std::move(keys);
  Json detail{{"kind", geodata::LayerKindId(change->draft.kind)},
              {"version", change->version},
              {"features", change->draft.collection["features"].size()}};
  call.Audit(std::string(action), std::string(target), detail.dump());
  return JsonResponse(http::status::ok, body);
}

}  // namespace

std::optional<Response> RouteGeography(Call& call) {
  if (!call.path.starts_with(kPrefix))
    return std::nullopt;
  GeographyControl* geography = call.services.geography;
  if (!geography)
    return NotFound("未启用地理数据管理 (geography is not served)");
  const http::verb method = call.request.method();
  const std::string_view rest = call.path.substr(kPrefix.size());
  const bool may_change = Allows(call.principal.role, Permission::kMonitorConfigure);

  if ((rest == "preview" || rest == "import") && method == http::verb::post) {
    if (!may_change)
      return Forbidden(call, "修改地理数据");
    Response error;
    auto upload = ReadUpload(call, error);
    if (!upload)
      return error;
    if (rest == "preview") {
      auto draft = geography->Preview(*upload);
      if (!draft)
        return Internal(draft.error());
      if (draft->unreadable)
        return ApiError(http::status::bad_request, "bad_file", draft->errors[0].message);
      return JsonResponse(http::status::ok, DraftJson(*draft, /*with_features=*/true));
    }
    auto change = geography->Import(*upload, call.principal.username, call.now_ms);
    return ChangeResponse(
        call, change, "geo.import",
        std::string(geodata::LayerKindId(upload->kind)) + ":" + upload->read.file_name);
  }
  if (rest == "layers" && method == http::verb::get) {
    auto layers = geography->Layers();
    if (!layers)
      return Internal(layers.error());
    Json list = Json::array();
    for (const auto& version : *layers)
      list.push_back(VersionJson(version));
    return JsonResponse(http::status::ok, Json{{"layers", std::move(list)}});
  }
  if (!rest.starts_with("layers/"))
    return NotFound("没有该地理数据接口 (no such geography route)");
  // layers/{kind}[/versions | /features/{code}]
  std::string_view tail = rest.substr(std::string_view("layers/").size());
  const size_t slash = tail.find('/');
  auto kind = geodata::ParseLayerKind(tail.substr(0, slash));
  if (!kind)
    return NotFound("没有该图层 (no such layer)");
  tail = slash == std::string_view::npos ? std::string_view() : tail.substr(slash + 1);
  // Sites are registry records: only roles that read sites see that layer, as on /api/map/layers.
  if (*kind == LayerKind::kSites && !Allows(call.principal.role, Permission::kReadSites))
    return Forbidden(call, "查看指定场所");
  if (tail.empty() && method == http::verb::get) {
    auto layer = geography->Layer(*kind);
    if (!layer)
      return Internal(layer.error());
    return JsonResponse(http::status::ok, *layer);
  }
  if (tail == "versions" && method == http::verb::get) {
    auto history = geography->History(*kind);
    if (!history)
      return Internal(history.error());
    Json list = Json::array();
    for (const auto& version : *history)
      list.push_back(VersionJson(version));
    return JsonResponse(http::status::ok, Json{{"versions", std::move(list)}});
  }
  if (tail.starts_with("features/") &&
      (method == http::verb::put || method == http::verb::delete_)) {
    if (!may_change)
      return Forbidden(call, "修改地理数据");
    auto code = PercentDecode(tail.substr(std::string_view("features/").size()), false);
    if (!code || code->empty())
      return BadRequest("编码无效 (invalid code)");
    const std::string target = std::string(geodata::LayerKindId(*kind)) + ":" + *code;
    if (method == http::verb::delete_) {
      return ChangeResponse(
          call, geography->DeleteFeature(*kind, *code, call.principal.username, call.now_ms),
          "geo.feature_delete", target);
    }
    Json feature = Json::parse(call.request.body(), nullptr, /*allow_exceptions=*/false);
    if (!feature.is_object() || !feature.contains("properties") ||
        !feature["properties"].is_object())
      return BadRequest("请求体应为 GeoJSON Feature (body must be a GeoJSON Feature)");
    if (feature["properties"].contains("code") && feature["properties"]["code"] != *code)
      return BadRequest("编码不可修改 (a feature's code cannot change)");
    feature["properties"]["code"] = *code;
    return ChangeResponse(
        call, geography->PutFeature(*kind, feature, call.principal.username, call.now_ms),
        "geo.feature_put", target);
  }
  return NotFound("没有该地理数据接口 (no such geography route)");
}

}  // namespace baotong::api
