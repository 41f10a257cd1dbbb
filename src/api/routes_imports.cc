// Import routes: start an import, follow it, download its rejected rows; templates.
#include "api/import_jobs.h"
#include "api/route_context.h"

namespace baotong::api {
namespace {

using registry::Kind;

Response CsvResponse(std::string body, std::string_view file_name) {
  return Attachment(std::move(body), "text/csv; charset=utf-8", file_name);
}

bool MayImport(const Principal& principal, Kind kind) {
  return ImportScopeFor(principal).AllowsKind(kind);
}

Response StartImport(Call& call) {
  auto kind_name = call.Param("kind");
  auto kind = kind_name ? registry::ParseKind(*kind_name) : std::nullopt;
  if (!kind)
    return BadRequest(
        "kind 无效 (kind must be carriers, vehicles, drivers, terminals, "
        "health_records or sites)");
  if (!MayImport(call.principal, *kind))
    return Forbidden(call, "导入" + std::string(registry::KindChineseName(*kind)));
  std::optional<registry::ImportFormat> format;
  if (auto text = call.Param("format"); text && !text->empty()) {
    format = registry::ParseImportFormat(*text);
    if (!format)
      return BadRequest("format 应为 csv、json 或 xlsx (format must be csv, json or xlsx)");
  }
  if (call.request.body().empty())
    return BadRequest("导入文件为空 (the file is empty)");
  ImportJobs::Request request;
  request.kind = *kind;
  request.format = format;
  request.file_name = call.Param("file_name").value_or("");
  request.bytes = call.request.body();
  request.principal = call.principal;
  request.client_address = std::string(call.client_address);
  auto id = call.services.imports.Start(std::move(request));
  if (!id) {
    if (id.error().code == ErrorCode::kResourceLimit)
      return ApiError(http::status::too_many_requests, "imports_busy",
                      "已有导入正在进行，请稍后再试 (imports are running, try again shortly)");
    return Internal(id.error());
  }
  return JsonResponse(http::status::accepted, Json{{"id", *id}});
}

// The import `id_text` names, if the caller may see it: everyone with imports.read, and
// whoever started it.
std::optional<registry::ImportRecord> VisibleImport(const Call& call, std::string_view id_text,
                                                    Response& error) {
  auto id = ParseNumber<int64_t>(id_text);
  if (!id) {
    error = BadRequest("导入编号应为整数 (import id must be a number)");
    return std::nullopt;
  }
  auto record = call.services.imports.log().Get(*id);
  if (!record) {
    error = Internal(record.error());
    return std::nullopt;
  }
  if (!*record) {
    error = NotFound("没有该导入记录 (no such import)");
    return std::nullopt;
  }
  if (!Allows(call.principal.role, Permission::kImportsRead) &&
      (*record)->user != call.principal.username) {
    error = Forbidden(call, "查看该导入记录");
    return std::nullopt;
  }
  return std::move(**record);
}

Response ImportStatus(Call& call, std::string_view id_text) {
  Response error;
  auto record = VisibleImport(call, id_text, error);
  if (!record)
    return error;
  Json body = registry::ImportRecordJson(*record, /*with_rejections=*/true);
  if (auto progress = call.services.imports.Running(record->id)) {
    body["rows_done"] = progress->done;
    body["rows_total"] = progress->total;
  }
  return JsonResponse(http::status::ok, body);
}

Response Rejections(Call& call, std::string_view id_text) {
  Response error;
  auto record = VisibleImport(call, id_text, error);
  if (!record)
    return error;
  auto csv = call.services.imports.log().RejectionsCsv(record->id);
  if (!csv)
    return Internal(csv.error());
  if (!*csv)
    return NotFound("没有该导入记录 (no such import)");
  return CsvResponse(std::move(**csv), "rejections-" + std::to_string(record->id) + ".csv");
}

Response ImportListing(Call& call) {
  if (!Allows(call.principal.role, Permission::kImportsRead))
    return Forbidden(call, "查看导入记录");
  Response error;
  auto paging = ReadPaging(call, 20, 200, error);
  if (!paging)
    return error;
  auto list = call.services.imports.log().List(paging->offset, paging->limit);
  if (!list)
    return Internal(list.error());
  Json items = Json::array();
  for (const auto& record : list->items) {
    Json item = registry::ImportRecordJson(record, /*with_rejections=*/false);
    if (auto progress = call.services.imports.Running(record.id)) {
      item["rows_done"] = progress->done;
      item["rows_total"] = progress->total;
    }
    items.push_back(std::move(item));
  }
  return JsonResponse(http::status::ok, Json{{"total", list->total},
                                             {"offset", paging->offset},
                                             {"limit", paging->limit},
                                             {"items", std::move(items)}});
}

}  // namespace

std::optional<Response> RouteImports(Call& call) {
  const std::string_view path = call.path;
  const auto method = call.request.method();
  constexpr std::string_view kImports = "/api/imports";
  if (path == kImports) {
    if (method == http::verb::post)
      return StartImport(call);
    if (method == http::verb::get)
      return ImportListing(call);
    return std::nullopt;
  }
  if (path.starts_with("/api/imports/") && method == http::verb::get) {
    std::string_view rest = path.substr(kImports.size() + 1);
    constexpr std::string_view kRejections = "/rejections.csv";
    if (rest.ends_with(kRejections))
      return Rejections(call, rest.substr(0, rest.size() - kRejections.size()));
    return ImportStatus(call, rest);
  }
  constexpr std::string_view kTemplates = "/api/import-templates/";
  if (path.starts_with(kTemplates) && path.ends_with(".csv") && method == http::verb::get) {
    std::string_view name = path.substr(kTemplates.size());
    auto kind = registry::ParseKind(name.substr(0, name.size() - 4));
    if (!kind)
      return NotFound("没有该类登记信息 (no such registry kind)");
    if (!MayImport(call.principal, *kind))
      return Forbidden(call, "下载导入模板");
    return CsvResponse(registry::ImportTemplateCsv(*kind),
                       std::string(registry::KindName(*kind)) + "-template.csv");
  }
  return std::nullopt;
}

}  // namespace baotong::api
