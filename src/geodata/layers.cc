#include "geodata/layers.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <set>

#include "geo/china_datums.h"

namespace baotong::geodata {
namespace {

using Json = nlohmann::ordered_json;

constexpr double kDefaultCorridorM = 500;

std::string Lower(std::string_view text) {
  std::string lower(text);
  for (char& c : lower)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return lower;
}

// The first attribute whose name is one of `names` (ASCII compared without case).
std::optional<std::string> FindField(const Json& attributes,
                                     std::initializer_list<std::string_view> names) {
  for (std::string_view wanted : names) {
    for (const auto& [key, value] : attributes.items()) {
      if (Lower(key) == Lower(wanted))
        return key;
    }
  }
  return std::nullopt;
}

const std::initializer_list<std::string_view> kCodeNames = {
    "code", "adcode", "xzqdm",        "qhdm",     "gb",       "id",       "代码",
    "编码", "编号",   "行政区划代码", "区划代码", "卡口编号", "路线编号", "场所编码"};
const std::initializer_list<std::string_view> kNameNames = {
    "name",       "xzqmc",    "qhmc",     "mc",       "title",    "名称",
    "行政区名称", "区划名称", "乡镇名称", "卡口名称", "路线名称", "场所名称"};

std::string Text(const Json& value) {
  if (value.is_string())
    return value.get<std::string>();
  if (value.is_number_integer())
    return std::to_string(value.get<int64_t>());
  if (value.is_number())
    return std::to_string(value.get<double>());
  if (value.is_boolean())
    return value.get<bool>() ? "true" : "false";
  return "";
}

std::string Trim(std::string text) {
  const size_t first = text.find_first_not_of(" \t\r\n");
  if (first == std::string::npos)
    return "";
  const size_t last = text.find_last_not_of(" \t\r\n");
  return text.substr(first, last - first + 1);
}

std::optional<std::string> AttributeText(const Json& attributes,
                                         std::initializer_list<std::string_view> names) {
  auto field = FindField(attributes, names);
  if (!field)
    return std::nullopt;
  std::string text = Trim(Text(attributes[*field]));
  if (text.empty())
    return std::nullopt;
  return text;
}

bool IsValidCode(std::string_view code) {
  return !code.empty() && code.size() <= 64 && std::all_of(code.begin(), code.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
  });
}

bool AllDigits(std::string_view text) {
  return !text.empty() &&
         std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// Official division codes: 6 digits for a county, 9 (or 12 with trailing zeros) for a 乡镇,
// 12 for a 村/社区; the unit above is the code's prefix.
std::string ParentCode(LayerKind kind, const std::string& code) {
  if (!AllDigits(code))
    return "";
  switch (kind) {
    case LayerKind::kDistricts:
      return code.size() >= 6 ? code.substr(0, 4) + "00" : "";
    case LayerKind::kTowns:
      return code.size() >= 9 ? code.substr(0, 6) : "";
    case LayerKind::kCommunities:
      return code.size() >= 12 ? code.substr(0, 9) : "";
    default:
      return "";
  }
}

std::optional<bool> ParseFlag(std::string_view text) {
  const std::string value = Lower(text);
  if (value == "1" || value == "true" || value == "yes" || value == "y" || value == "是" ||
      value == "允许" || value == "可")
    return true;
  if (value == "0" || value == "false" || value == "no" || value == "n" || value == "否" ||
      value == "禁止" || value == "不允许" || value.empty())
    return false;
  return std::nullopt;
}

std::optional<std::string> ParseDirection(std::string_view text) {
  const std::string value = Lower(text);
  for (std::string_view in : {"in", "inbound", "进", "入", "进城", "入城", "进京", "入口"}) {
    if (value == in)
      return "in";
  }
  for (std::string_view out : {"out", "outbound", "出", "出城", "出口"}) {
    if (value == out)
      return "out";
  }
  return std::nullopt;
}

std::optional<double> ParseNumber(const Json& value) {
  if (value.is_number())
    return value.get<double>();
  if (!value.is_string())
    return std::nullopt;
  const std::string text = Trim(value.get<std::string>());
  char* end = nullptr;
  const double number = std::strtod(text.c_str(), &end);
  if (text.empty() || end != text.c_str() + text.size() || !std::isfinite(number))
    return std::nullopt;
  return number;
}

// Every [lon, lat] of a GeoJSON coordinates array; false when one is malformed.
bool ForEachPosition(const Json& coordinates, const std::function<void(double, double)>& visit) {
  if (!coordinates.is_array())
    return false;
  if (!coordinates.empty() && coordinates[0].is_number()) {
    if (coordinates.size() < 2 || !coordinates[1].is_number())
      return false;
    visit(coordinates[0].get<double>(), coordinates[1].get<double>());
    return true;
  }
  for (const auto& child : coordinates) {
    if (!ForEachPosition(child, visit))
      return false;
  }
  return true;
}

bool AllowsType(LayerKind kind, std::string_view type) {
  const bool area = type == "Polygon" || type == "MultiPolygon";
  switch (kind) {
    case LayerKind::kBoundary:
    case LayerKind::kDistricts:
    case LayerKind::kRestricted:
      return area;
    case LayerKind::kTowns:
    case LayerKind::kCommunities:
      return area || type == "Point";  // a list of centres is a start
    case LayerKind::kSites:
      return type == "Polygon" || type == "Point";
    case LayerKind::kCheckpoints:
      return type == "Point";
    case LayerKind::kRoutes:
      return type == "LineString";
  }
  return false;
}

std::string_view ExpectedShapes(LayerKind kind) {
  switch (kind) {
    case LayerKind::kBoundary:
    case LayerKind::kDistricts:
    case LayerKind::kRestricted:
      return "面（Polygon/MultiPolygon）";
    case LayerKind::kTowns:
    case LayerKind::kCommunities:
      return "面或点";
    case LayerKind::kSites:
      return "点或单个面";
    case LayerKind::kCheckpoints:
      return "点（Point）";
    case LayerKind::kRoutes:
      return "线（LineString）";
  }
  return "";
}

std::string GeometryTypeName(std::string_view type) {
  if (type == "Point" || type == "MultiPoint")
    return "点";
  if (type == "LineString" || type == "MultiLineString")
    return "线";
  if (type == "Polygon" || type == "MultiPolygon")
    return "面";
  return "几何集合";
}

// The feature's shape checked and reduced to what the layer stores (a one-part multi shape
// becomes its part).
GeoResult<Json> CheckGeometry(LayerKind kind, Json geometry) {
  if (!geometry.is_object() || !geometry.contains("type"))
    return Refuse("缺少几何图形 (no geometry)");
  std::string type = geometry.value("type", "");
  if ((type == "MultiPolygon" || type == "MultiLineString" || type == "MultiPoint") &&
      geometry["coordinates"].is_array() && geometry["coordinates"].size() == 1 &&
      !AllowsType(kind, type)) {
    type = type.substr(5);
    geometry = Json{{"type", type}, {"coordinates", geometry["coordinates"][0]}};
  }
  if (!AllowsType(kind, type)) {
    return Refuse(std::string(LayerKindName(kind)) + "应为" + std::string(ExpectedShapes(kind)) +
                  "，此要素为" + GeometryTypeName(type) + " (wrong geometry type " + type + ")");
  }
  bool in_china = true;
  size_t positions = 0;
  if (!ForEachPosition(geometry["coordinates"],
                       [&](double lon, double lat) {
                         ++positions;
                         in_china = in_china && !geo::OutOfChina({lat, lon});
                       }) ||
      positions == 0) {
    return Refuse("坐标格式错误 (malformed coordinates)");
  }
  if (!in_china) {
    return Refuse(
        "坐标超出中国范围：文件可能使用投影坐标而未声明坐标系，请指定坐标系（如 "
        "EPSG:4527） (coordinates outside China: declare the file's crs)");
  }
  if (type == "LineString" && positions < 2)
    return Refuse("路线至少需要两个点 (a route needs two points)");
  return geometry;
}

// The kind's own properties from a feature's attributes (file fields or drawn properties).
GeoResult<void> AddKindProperties(LayerKind kind, const Json& attributes, Json& properties) {
  switch (kind) {
    case LayerKind::kDistricts:
    case LayerKind::kTowns:
    case LayerKind::kCommunities: {
      std::string parent =
          AttributeText(attributes, {"parent", "上级代码", "所属区县代码", "district_code"})
              .value_or(ParentCode(kind, properties["code"].get<std::string>()));
      if (!parent.empty())
        properties["parent"] = parent;
      break;
    }
    case LayerKind::kSites:
      properties["site_kind"] =
          AttributeText(attributes, {"site_kind", "kind", "类型", "场所类型"}).value_or("");
      properties["district"] =
          AttributeText(attributes, {"district", "区县", "所属区县"}).value_or("");
      break;
    case LayerKind::kCheckpoints: {
      auto text = AttributeText(attributes, {"direction", "方向", "dir", "进出"});
      auto direction = text ? ParseDirection(*text) : std::nullopt;
      if (!direction) {
        return Refuse("卡口方向应为“进城”或“出城” (direction must be in or out)");
      }
      properties["direction"] = *direction;
      break;
    }
    case LayerKind::kRoutes: {
      double corridor = kDefaultCorridorM;
      if (auto field =
              FindField(attributes, {"corridor_m", "corridor", "走廊宽度", "宽度", "半宽"});
          field && !attributes[*field].is_null() && !Text(attributes[*field]).empty()) {
        auto number = ParseNumber(attributes[*field]);
        if (!number || *number < 10 || *number > 5000) {
          return Refuse("走廊宽度应为10至5000米 (corridor_m must be 10-5000)");
        }
        corridor = *number;
      }
      properties["corridor_m"] = corridor;
      bool hazardous = false;
      if (auto field =
              FindField(attributes, {"hazardous", "危化", "危险品", "允许危化", "危化品"})) {
        const Json& value = attributes[*field];
        auto flag = value.is_boolean() ? std::optional(value.get<bool>()) : ParseFlag(Text(value));
        if (!flag)
          return Refuse("是否允许危化品应为“是”或“否” (hazardous: yes/no)");
        hazardous = *flag;
      }
      properties["hazardous"] = hazardous;
      break;
    }
    case LayerKind::kRestricted:
      if (auto field = FindField(attributes, {"speed_limit_kmh", "限速"});
          field && !attributes[*field].is_null() && !Text(attributes[*field]).empty()) {
        auto number = ParseNumber(attributes[*field]);
        if (!number || *number < 5 || *number > 150)
          return Refuse("限速应为5至150公里/小时 (speed limit 5-150 km/h)");
        properties["speed_limit_kmh"] = *number;
      }
      break;
    case LayerKind::kBoundary:
      break;
  }
  return {};
}

GeoResult<Json> Normalise(LayerKind kind, const Json& attributes, const Json& geometry,
                          const std::optional<std::string>& code_field,
                          const std::optional<std::string>& name_field) {
  auto checked = CheckGeometry(kind, geometry);
  if (!checked)
    return tl::unexpected(checked.error());
  std::string code =
      code_field && attributes.contains(*code_field) ? Trim(Text(attributes[*code_field])) : "";
  std::string name =
      name_field && attributes.contains(*name_field) ? Trim(Text(attributes[*name_field])) : "";
  if (kind == LayerKind::kBoundary) {
    if (code.empty())
      code = "city";
    if (name.empty())
      name = "市界";
  }
  if (code.empty())
    return Refuse("缺少编码 (no code)");
  if (!IsValidCode(code)) {
    return Refuse("编码“" + code +
                  "”无效：只能含字母、数字、下划线和连字符，至多64位 (invalid code)");
  }
  if (name.empty())
    return Refuse("缺少名称 (no name)");
  if (name.size() > 200)
    return Refuse("名称过长 (name too long)");
  Json properties{{"layer", FeatureLayerId(kind)}, {"code", code}, {"name", name}};
  if (auto ok = AddKindProperties(kind, attributes, properties); !ok)
    return tl::unexpected(ok.error());
  return Json{{"type", "Feature"}, {"properties", std::move(properties)}, {"geometry", *checked}};
}

}  // namespace

std::string_view LayerKindId(LayerKind kind) {
  switch (kind) {
    case LayerKind::kBoundary:
      return "boundary";
    case LayerKind::kDistricts:
      return "districts";
    case LayerKind::kTowns:
      return "towns";
    case LayerKind::kCommunities:
      return "communities";
    case LayerKind::kSites:
      return "sites";
    case LayerKind::kCheckpoints:
      return "checkpoints";
    case LayerKind::kRoutes:
      return "routes";
    case LayerKind::kRestricted:
      return "restricted";
  }
  return "";
}

std::string_view LayerKindName(LayerKind kind) {
  switch (kind) {
    case LayerKind::kBoundary:
      return "市界";
    case LayerKind::kDistricts:
      return "区县";
    case LayerKind::kTowns:
      return "乡镇（街道）";
    case LayerKind::kCommunities:
      return "村（社区）";
    case LayerKind::kSites:
      return "指定场所";
    case LayerKind::kCheckpoints:
      return "卡口";
    case LayerKind::kRoutes:
      return "货运通行路线";
    case LayerKind::kRestricted:
      return "管控区域";
  }
  return "";
}

std::optional<LayerKind> ParseLayerKind(std::string_view id) {
  for (LayerKind kind : kAllLayerKinds) {
    if (LayerKindId(kind) == id)
      return kind;
  }
  return std::nullopt;
}

std::string_view FeatureLayerId(LayerKind kind) {
  switch (kind) {
    case LayerKind::kBoundary:
      return "boundary";
    case LayerKind::kDistricts:
      return "district";
    case LayerKind::kTowns:
      return "town";
    case LayerKind::kCommunities:
      return "community";
    case LayerKind::kSites:
      return "site";
    case LayerKind::kCheckpoints:
      return "checkpoint";
    case LayerKind::kRoutes:
      return "route";
    case LayerKind::kRestricted:
      return "restricted";
  }
  return "";
}

bool ReplacesWholeLayer(LayerKind kind) {
  return kind == LayerKind::kBoundary || kind == LayerKind::kDistricts ||
         kind == LayerKind::kTowns || kind == LayerKind::kCommunities;
}

LayerDraft DraftLayer(LayerKind kind, const VectorFile& file, const FieldMapping& mapping) {
  LayerDraft draft;
  draft.kind = kind;
  draft.features_read = file.features.size();
  draft.collection = Json{{"type", "FeatureCollection"}, {"features", Json::array()}};
  if (file.features.empty()) {
    draft.errors.push_back({0, "文件中没有要素 (the file has no features)"});
    return draft;
  }
  // The fields are those of the first feature that has them (a KML's folders may differ).
  auto field = [&](const std::optional<std::string>& given,
                   std::initializer_list<std::string_view> names) -> std::optional<std::string> {
    if (given)
      return given;
    for (const auto& feature : file.features) {
      if (auto found = FindField(feature.attributes, names))
        return found;
    }
    return std::nullopt;
  };
  const auto code_field = field(mapping.code, kCodeNames);
  const auto name_field = field(mapping.name, kNameNames);
  draft.code_field = code_field.value_or("");
  draft.name_field = name_field.value_or("");
  if (!code_field && kind != LayerKind::kBoundary) {
    draft.errors.push_back(
        {0, "未找到编码字段，请指定（code_field） (no code attribute found: name it)"});
    return draft;
  }
  if (!name_field && kind != LayerKind::kBoundary) {
    draft.errors.push_back(
        {0, "未找到名称字段，请指定（name_field） (no name attribute found: name it)"});
    return draft;
  }
  std::set<std::string> codes;
  double west = 180, south = 90, east = -180, north = -90;
  for (const auto& feature : file.features) {
    if (!feature.geometry_problem.empty()) {
      draft.errors.push_back({feature.number, feature.geometry_problem});
      continue;
    }
    auto normalised = Normalise(kind, feature.attributes, feature.geometry, code_field, name_field);
    if (!normalised) {
      draft.errors.push_back({feature.number, normalised.error().message});
      continue;
    }
    const std::string code = (*normalised)["properties"]["code"].get<std::string>();
    if (!codes.insert(code).second) {
      draft.errors.push_back({feature.number, "编码“" + code + "”重复 (duplicate code)"});
      continue;
    }
    ForEachPosition((*normalised)["geometry"]["coordinates"], [&](double lon, double lat) {
      west = std::min(west, lon);
      east = std::max(east, lon);
      south = std::min(south, lat);
      north = std::max(north, lat);
    });
    draft.collection["features"].push_back(std::move(*normalised));
  }
  if (!draft.collection["features"].empty())
    draft.bbox = std::array<double, 4>{west, south, east, north};
  return draft;
}

LayerDraft UnreadableLayer(LayerKind kind, std::string reason) {
  LayerDraft draft;
  draft.kind = kind;
  draft.collection = Json{{"type", "FeatureCollection"}, {"features", Json::array()}};
  draft.errors.push_back({0, std::move(reason)});
  draft.unreadable = true;
  return draft;
}

GeoResult<nlohmann::ordered_json> NormaliseFeature(LayerKind kind, const nlohmann::json& feature) {
  if (!feature.is_object() || feature.value("type", "") != "Feature" ||
      !feature.contains("properties") || !feature["properties"].is_object())
    return Refuse("应为 GeoJSON Feature (a GeoJSON Feature expected)");
  const Json properties = feature["properties"];
  const Json geometry = feature.contains("geometry") ? Json(feature["geometry"]) : Json();
  return Normalise(kind, properties, geometry, std::string("code"), std::string("name"));
}

}  // namespace baotong::geodata
