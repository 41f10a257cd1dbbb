// Statistics routes: freight figures (JSON and .xlsx), the overview screen, and economic
// indicators (CSV import, listing, correlation with freight). docs/stats.md defines the figures.
#include "api/route_context.h"
#include "api/xlsx_export.h"
#include "stats/periods.h"
#include "stats/stats_json.h"
#include "stats/stats_service.h"

namespace baotong::api {
namespace {

Response Invalid(const registry::Invalid& invalid) {
  return JsonResponse(
      http::status::bad_request,
      Json{
          {"error", {{"code", "invalid"}, {"message", invalid.message}, {"field", invalid.code}}}});
}

std::optional<stats::FreightQuery> ReadFreightQuery(const Call& call, Response& error) {
  stats::FreightParams params{call.Param("from"), call.Param("to"), call.Param("by"),
                              call.Param("class"), call.Param("cargo")};
  auto query = stats::ParseFreightQuery(params, call.now_ms);
  if (!query) {
    error = Invalid(query.error());
    return std::nullopt;
  }
  return *query;
}

// The freight figures as JSON, or as a workbook when `workbook`.
Response Freight(Call& call, stats::StatsService& service, bool workbook) {
  Response error;
  auto query = ReadFreightQuery(call, error);
  if (!query)
    return error;
  auto report = service.Freight(*query);
  if (!report)
    return Internal(report.error());
  if (!workbook)
    return JsonResponse(http::status::ok, stats::FreightJson(*report));
  const std::vector<XlsxColumn> columns = {{"period", "期间"}, {"figure", "指标"}, {"value", "值"}};
  auto file = RecordsToXlsx("货运统计", columns, stats::FreightRows(*report));
  if (!file)
    return Internal(file.error());
  // Exports leave the platform: each is recorded (aggregates only, no personal data).
  if (!call.Audit("stats.export", std::string(call.target)))
    return AuditUnavailable("暂不提供导出");
  const std::string name = "freight-" + stats::DayLabel(query->from_day) + "-" +
                           stats::DayLabel(query->to_day) + ".xlsx";
  return Attachment(std::move(*file), kXlsxContentType, name);
}

Response ImportIndicators(Call& call, stats::StatsService& service) {
  if (call.request.body().empty())
    return BadRequest("请求体应为 CSV 文本 (body must be CSV text)");
  auto result = service.ImportIndicators(call.request.body(), call.principal.username, call.now_ms);
  if (!result) {
    if (result.error().code == ErrorCode::kBadEncoding)
      return BadRequest("文件编码无法识别，请使用 UTF-8 或 GBK (use UTF-8 or GBK)");
    return Internal(result.error());
  }
  Json body = stats::ImportJson(*result);
  call.Audit("indicators.import", "indicators",
             Json{{"imported", result->imported},
                  {"replaced", result->replaced},
                  {"rejected", result->rejected.size()}}
                 .dump());
  return JsonResponse(http::status::ok, body);
}

Response Correlation(Call& call, stats::StatsService& service) {
  stats::CorrelationQuery query;
  auto indicator = call.Param("indicator");
  if (!indicator || indicator->empty())
    return BadRequest("请指定指标 indicator (indicator is required)");
  query.indicator = *indicator;
  auto series = call.Param("series");
  auto parsed = stats::ParseFreightSeries(series && !series->empty() ? *series : "entries");
  if (!parsed)
    return BadRequest("series 应为 entries、exits 或 tonnage (unknown series)");
  query.series = *parsed;
  if (auto max_lag = call.Param("max_lag"); max_lag && !max_lag->empty()) {
    auto lag = ParseNumber<int>(*max_lag);
    if (!lag || *lag < 0 || *lag > stats::kMaxLagMonths)
      return BadRequest("max_lag 应为 0-12 的整数 (max_lag must be 0-12)");
    query.max_lag = *lag;
  }
  if (auto vehicle_class = call.Param("class"); vehicle_class && !vehicle_class->empty()) {
    query.vehicle_class = registry::ParseVehicleClass(*vehicle_class);
    if (!query.vehicle_class)
      return BadRequest("车辆类型取值无效 (unknown vehicle class)");
  }
  if (auto cargo = call.Param("cargo"); cargo && !cargo->empty())
    query.cargo_category = *cargo;
  auto result = service.Correlate(query, call.now_ms);
  if (!result)
    return Internal(result.error());
  if (!*result)
    return NotFound("没有该指标 (no such indicator)");
  return JsonResponse(http::status::ok, stats::CorrelationJson(**result));
}

}  // namespace

std::optional<Response> RouteStats(Call& call) {
  const std::string_view path = call.path;
  if (!path.starts_with("/api/stats/") && path != "/api/indicators" &&
      !path.starts_with("/api/indicators/"))
    return std::nullopt;
  stats::StatsService* service = call.services.stats;
  if (!service)
    return NotFound("本服务未启用统计 (statistics are not enabled on this server)");
  const auto method = call.request.method();
  const Role role = call.principal.role;

  if (path == "/api/indicators/import" && method == http::verb::post) {
    if (!Allows(role, Permission::kIndicatorsImport))
      return Forbidden(call, "导入经济指标");
    return ImportIndicators(call, *service);
  }
  if (method != http::verb::get)
    return std::nullopt;
  if (!Allows(role, Permission::kStatsRead))
    return Forbidden(call, "查看统计数据");
  if (path == "/api/stats/freight")
    return Freight(call, *service, /*workbook=*/false);
  if (path == "/api/stats/freight.xlsx")
    return Freight(call, *service, /*workbook=*/true);
  if (path == "/api/stats/overview") {
    auto overview = service->TodayOverview(call.now_ms);
    if (!overview)
      return Internal(overview.error());
    return JsonResponse(http::status::ok, stats::OverviewJson(*overview));
  }
  if (path == "/api/indicators") {
    auto indicators = service->Indicators();
    if (!indicators)
      return Internal(indicators.error());
    return JsonResponse(http::status::ok, stats::IndicatorsJson(*indicators));
  }
  if (path == "/api/indicators/correlation")
    return Correlation(call, *service);
  return std::nullopt;
}

}  // namespace baotong::api
