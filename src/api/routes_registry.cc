// Registry routes: listings, records, Excel exports, the map's layers, imports.
#include <spdlog/spdlog.h>

#include <algorithm>

#include "api/import_jobs.h"
#include "api/masking.h"
#include "api/route_context.h"
#include "api/sealed_keys.h"
#include "api/xlsx_export.h"
#include "common/china_time.h"
#include "registry/map_layers.h"

namespace baotong::api {
namespace {

using registry::Kind;

constexpr int64_t kMaxExportRows = 100'000;

registry::Scope ScopeOf(const Principal& principal) {
  return registry::Scope{principal.district, principal.carrier_credit_code};
}

// The key a record is known by in URLs and the audit log.
std::string RecordKey(Kind kind, const Json& record) {
  switch (kind) {
    case Kind::kCarriers:
      return record.value("credit_code", "");
    case Kind::kVehicles:
      return record.value("plate", "") + "-" + std::to_string(record.value("plate_color", 0));
    case Kind::kDrivers:
      return record.value("id_number", "");
    case Kind::kTerminals:
      return record.value("phone", "");
    case Kind::kHealthRecords:
      return std::to_string(record.value("id", int64_t{0}));
    case Kind::kSites:
      return record.value("code", "");
  }
  return "";
}

// Columns of an Excel export: what a listing shows, in Chinese.
std::vector<XlsxColumn> ExportColumns(Kind kind) {
  switch (kind) {
    case Kind::kCarriers:
      return {{"credit_code", "统一社会信用代码"},
              {"name", "企业名称"},
              {"district", "所属区县"},
              {"address", "地址"},
              {"business_permit_no", "道路运输经营许可证号"},
              {"business_permit_valid_until", "经营许可证有效期至"},
              {"contact_phone", "联系电话"},
              {"vehicle_count", "车辆数"}};
    case Kind::kVehicles:
      return {{"plate", "车牌号码"},
              {"plate_color_name", "车牌颜色"},
              {"vehicle_class_name", "车辆类型"},
              {"carrier_name", "所属企业"},
              {"carrier_credit_code", "统一社会信用代码"},
              {"district", "所属区县"},
              {"vin", "车辆识别代号"},
              {"transport_cert_no", "道路运输证号"},
              {"transport_cert_valid_until", "道路运输证有效期至"},
              {"insurance_valid_until", "交强险到期日期"},
              {"credential_status_name", "证照状态"}};
    case Kind::kDrivers:
      return {{"name", "姓名"},
              {"id_number", "身份证号"},
              {"phone", "手机号"},
              {"licence_class", "准驾车型"},
              {"licence_valid_until", "驾驶证有效期至"},
              {"qualification_cert_no", "从业资格证号"},
              {"qualification_category", "从业资格类别"},
              {"qualification_valid_until", "从业资格证有效期至"},
              {"carrier_credit_code", "所属企业信用代码"},
              {"credential_status_name", "证照状态"}};
    case Kind::kTerminals:
      return {{"phone", "终端手机号"}, {"terminal_id", "终端ID"}, {"maker", "制造商"},
              {"model", "终端型号"},   {"plate", "车牌号码"},     {"plate_color", "车牌颜色代码"}};
    case Kind::kHealthRecords:
      return {{"name", "姓名"},   {"id_number", "身份证号"},      {"kind", "类别"},
              {"result", "结果"}, {"tested_at_text", "检测时间"}, {"valid_until", "有效期至"}};
    case Kind::kSites:
      return {{"code", "场所编码"},
              {"name", "场所名称"},
              {"kind_name", "类型"},
              {"district", "所属区县"}};
  }
  return {};
}

// The key pages link with: sealed when the record shows its own key field masked.
std::string LinkKey(Kind kind, const Json& masked_record, std::string key) {
  const auto& masked = masked_record.value("masked", Json::array());
  const bool key_masked = kind == Kind::kDrivers &&
                          std::find(masked.begin(), masked.end(), "id_number") != masked.end();
  return key_masked ? SealKey(key) : key;
}

// Fills in the display fields an export shows but the listing leaves to the page.
void AddDisplayFields(Json& record) {
  if (record.contains("credential_status") && record["credential_status"].is_string()) {
    auto status = registry::ParseCredentialStatus(record["credential_status"].get<std::string>());
    if (status)
      record["credential_status_name"] = registry::CredentialStatusName(*status);
  }
  if (record.contains("tested_at") && record["tested_at"].is_number_integer())
    record["tested_at_text"] = FormatChinaTime(record["tested_at"].get<int64_t>());
}

// Reads the listing filters shared by the page and the export.
std::optional<registry::ListQuery> ReadListQuery(const Call& call, Kind kind, Response& error) {
  registry::ListQuery query;
  query.scope = ScopeOf(call.principal);
  query.q = call.Param("q").value_or("");
  if (auto status = call.Param("status"); status && !status->empty()) {
    if (kind != Kind::kVehicles && kind != Kind::kDrivers) {
      error =
          BadRequest("只有车辆和驾驶员可按证照状态筛选 (status applies to vehicles and drivers)");
      return std::nullopt;
    }
    query.status = registry::ParseCredentialStatus(*status);
    if (!query.status) {
      error = BadRequest("status 应为 valid、expiring、expired 或 missing");
      return std::nullopt;
    }
  }
  if (auto vehicle_class = call.Param("vehicle_class"); vehicle_class && !vehicle_class->empty()) {
    query.vehicle_class = registry::ParseVehicleClass(*vehicle_class);
    if (!query.vehicle_class || kind != Kind::kVehicles) {
      error = BadRequest("vehicle_class 无效 (unknown vehicle class, or not a vehicle listing)");
      return std::nullopt;
    }
  }
  if (auto district = call.Param("district"); district && !district->empty())
    query.district = *district;
  return query;
}

// Masks every record for the caller; returns the keys of records shown with personal data.
std::vector<std::string> MaskAll(std::vector<Json>& records, Kind kind,
                                 const Principal& principal) {
  std::vector<std::string> revealed;
  for (auto& record : records) {
    std::string key = RecordKey(kind, record);
    if (MaskRecord(record, registry::KindName(kind), principal).RevealsPersonalData())
      revealed.push_back(key);
    record["key"] = LinkKey(kind, record, std::move(key));
  }
  return revealed;
}

// A read of unmasked personal data is recorded before the data leave; if the audit log cannot
// take the entry, the data do not leave.
std::optional<Response> AuditReveal(const Call& call, std::string action, std::string target,
                                    const std::vector<std::string>& revealed) {
  if (revealed.empty())
    return std::nullopt;
  Json keys = Json::array();
  for (size_t i = 0; i < revealed.size() && i < 200; ++i)
    keys.push_back(revealed[i]);
  Json detail{{"records", revealed.size()}, {"keys", std::move(keys)}};
  if (!call.Audit(std::move(action), std::move(target), detail.dump()))
    return AuditUnavailable();
  return std::nullopt;
}

// Issue 13 item 4: a role that sees ID numbers or phones masked may look a record up by the
// whole value (the store matches them no other way), and such a lookup is in the audit log
// before the answer leaves. `matched` is what the store reports q equalled.
std::optional<Response> AuditMaskedLookup(const Call& call, Kind kind,
                                          const std::vector<std::string>& matched) {
  Json fields = Json::array();
  const auto own_carrier = ScopeOf(call.principal).carrier_credit_code;
  for (const auto& field : matched) {
    const PersonalField personal =
        field == "phone" ? PersonalField::kPhone : PersonalField::kIdNumber;
    // A carrier's listing holds only its own records, whose fields it sees unmasked.
    if (!SeesUnmasked(call.principal, personal,
                      own_carrier ? std::optional<std::string_view>(*own_carrier) : std::nullopt))
      fields.push_back(field);
  }
  if (fields.empty())
    return std::nullopt;
  Json detail{{"kind", registry::KindName(kind)}, {"matched_fields", std::move(fields)}};
  if (!call.Audit("registry.lookup_masked", std::string(call.target), detail.dump()))
    return AuditUnavailable("暂不提供按身份证号或电话查询");
  return std::nullopt;
}

Response List(Call& call, Kind kind) {
  Response error;
  auto paging = ReadPaging(call, 50, registry::kMaxListLimit, error);
  if (!paging)
    return error;
  auto query = ReadListQuery(call, kind, error);
  if (!query)
    return error;
  query->offset = paging->offset;
  query->limit = paging->limit;
  auto page = call.services.registry.List(kind, *query);
  if (!page)
    return Internal(page.error());
  auto revealed = MaskAll(page->items, kind, call.principal);
  if (auto refused = AuditReveal(call, "registry.read", std::string(call.target), revealed))
    return std::move(*refused);
  if (auto refused = AuditMaskedLookup(call, kind, page->q_matched_personal))
    return std::move(*refused);
  Json items = Json::array();
  for (auto& item : page->items)
    items.push_back(std::move(item));
  return JsonResponse(http::status::ok, Json{{"total", page->total},
                                             {"offset", paging->offset},
                                             {"limit", paging->limit},
                                             {"items", std::move(items)}});
}

Response Export(Call& call, Kind kind) {
  if (!Allows(call.principal.role, Permission::kRegistryExport))
    return Forbidden(call, "导出数据");
  Response error;
  auto query = ReadListQuery(call, kind, error);
  if (!query)
    return error;
  std::vector<Json> records;
  query->limit = registry::kMaxListLimit;
  for (query->offset = 0;; query->offset += query->limit) {
    auto page = call.services.registry.List(kind, *query);
    if (!page)
      return Internal(page.error());
    if (page->total > kMaxExportRows) {
      return BadRequest(
          "导出超过10万行，请缩小筛选范围 (more than 100,000 rows: narrow the filters)");
    }
    for (auto& item : page->items)
      records.push_back(std::move(item));
    if (query->offset + query->limit >= page->total)
      break;
  }
  auto revealed = MaskAll(records, kind, call.principal);
  for (auto& record : records)
    AddDisplayFields(record);
  auto workbook =
      RecordsToXlsx(std::string(registry::KindChineseName(kind)), ExportColumns(kind), records);
  if (!workbook)
    return Internal(workbook.error());
  // Every export is recorded, with or without personal data: it leaves the platform.
  Json detail{{"records", records.size()}, {"personal_records", revealed.size()}};
  if (!call.Audit("registry.export", std::string(call.target), detail.dump()))
    return AuditUnavailable("暂不提供导出");
  return Attachment(std::move(*workbook), kXlsxContentType,
                    std::string(registry::KindName(kind)) + ".xlsx");
}

Response Detail(Call& call, Kind kind, std::string_view encoded_key) {
  auto key = PercentDecode(encoded_key, false);
  if (key && IsSealedKey(*key))
    key = UnsealKey(*key);
  if (!key || key->empty())
    return BadRequest("记录编号无效或已过期 (bad or expired record key)");
  auto record = call.services.registry.Get(kind, *key, ScopeOf(call.principal));
  if (!record)
    return Internal(record.error());
  if (!*record)
    return NotFound("没有该记录 (no such record)");
  Json& value = **record;
  if (MaskRecord(value, registry::KindName(kind), call.principal).RevealsPersonalData()) {
    if (auto refused = AuditReveal(call, "registry.read",
                                   std::string(registry::KindName(kind)) + "/" + *key, {*key}))
      return std::move(*refused);
  }
  value["key"] = LinkKey(kind, value, *key);
  return JsonResponse(http::status::ok, value);
}

// The city's geography (boundary, districts, routes, zones) holds no personal data: every
// signed-in user reads it, so every role's map (协查 for 卫健委, the checkpoint's) has the city
// under it. Sites come with it for roles that read sites, scoped as their listing is.
Response MapLayers(Call& call) {
  auto layers = registry::MapLayerFeatures(call.services.registry.database());
  if (!layers)
    return Internal(layers.error());
  if (!Allows(call.principal.role, Permission::kReadSites))
    return JsonResponse(http::status::ok, *layers);
  auto sites = call.services.registry.SiteFeatures(ScopeOf(call.principal));
  if (!sites)
    return Internal(sites.error());
  for (auto& feature : *sites)
    (*layers)["features"].push_back(std::move(feature));
  return JsonResponse(http::status::ok, *layers);
}

}  // namespace

std::optional<Response> RouteRegistry(Call& call) {
  const std::string_view path = call.path;
  const bool is_get = call.request.method() == http::verb::get;
  const Role role = call.principal.role;
  if (path == "/api/map/layers" && is_get)
    return MapLayers(call);
  constexpr std::string_view kRegistry = "/api/registry/";
  if (path.starts_with(kRegistry) && is_get) {
    std::string_view rest = path.substr(kRegistry.size());
    const size_t slash = rest.find('/');
    auto kind = registry::ParseKind(rest.substr(0, slash));
    if (!kind)
      return NotFound("没有该类登记信息 (no such registry kind)");
    auto read = ReadPermission(registry::KindName(*kind));
    if (!read || !Allows(role, *read))
      return Forbidden(call, "查看" + std::string(registry::KindChineseName(*kind)));
    if (slash == std::string_view::npos)
      return List(call, *kind);
    std::string_view key = rest.substr(slash + 1);
    if (key == "export.xlsx")
      return Export(call, *kind);
    return Detail(call, *kind, key);
  }
  return RouteImports(call);
}

}  // namespace baotong::api
