#include "registry/importer.h"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <unordered_map>
#include <unordered_set>

#include "common/china_time.h"
#include "common/clock.h"
#include "geodata/vector_file.h"
#include "registry/credentials.h"
#include "registry/csv.h"
#include "registry/record_json.h"

namespace baotong::registry {
namespace {

using nlohmann::ordered_json;

// ---- Column tables. The order of each table is the order of its enum below.

constexpr ColumnSpec kCarrierColumns[] = {
    {"credit_code", "统一社会信用代码", "信用代码|企业信用代码", true, "18位统一社会信用代码",
     "91210300MA0QC4KX6U"},
    {"name", "企业名称", "名称|业户名称", true, "文本", "鞍山市铁东区顺达运输有限公司"},
    {"district", "所属区县", "区县|所在区县", true, "区县名称", "铁东区"},
    {"address", "地址", "企业地址|经营地址", false, "文本", "铁东区解放东路1号"},
    {"business_permit_no", "经营许可证号", "道路运输经营许可证号|许可证号", false, "文本",
     "辽交运管许可鞍字210302000001号"},
    {"business_permit_valid_until", "经营许可证有效期至",
     "道路运输经营许可证有效期至|许可证有效期至", false, "日期", "2027-06-30"},
    {"contact_phone", "联系电话", "电话", false, "电话号码", "0412-5551234"},
};
enum CarrierColumn {
  kCarrierCreditCode,
  kCarrierName,
  kCarrierDistrict,
  kCarrierAddress,
  kCarrierPermitNo,
  kCarrierPermitValidUntil,
  kCarrierPhone
};

constexpr ColumnSpec kVehicleColumns[] = {
    {"plate", "车牌号码", "车牌号", true, "车牌号（含新能源号牌）", "辽C12345"},
    {"plate_color", "车牌颜色", "车牌颜色代码", true, "颜色名称或代码（1蓝 2黄 3黑 4白 5绿 9其他）",
     "黄色"},
    {"vehicle_class", "车辆类型", "车辆类别", true,
     "旅游客车/班线客车/危险货物运输车/重型货车/普通货车", "重型货车"},
    {"carrier_credit_code", "统一社会信用代码", "所属企业信用代码|企业信用代码", true,
     "所属运输企业的18位统一社会信用代码", "91210300MA0QC4KX6U"},
    {"vin", "车辆识别代号", "VIN|车架号", false, "17位字母数字（不含I、O、Q）",
     "LFWSRXRJ2J1E00001"},
    {"transport_cert_no", "道路运输证号", "运输证号", false, "文本", "辽交运管鞍字210302000001号"},
    {"transport_cert_valid_until", "道路运输证有效期至", "运输证有效期至", false, "日期",
     "2027-03-31"},
    {"insurance_valid_until", "交强险到期日期", "交强险有效期至", false, "日期", "2026-12-31"},
};
enum VehicleColumn {
  kVehiclePlate,
  kVehiclePlateColor,
  kVehicleClass,
  kVehicleCarrier,
  kVehicleVin,
  kVehicleCertNo,
  kVehicleCertValidUntil,
  kVehicleInsuranceValidUntil
};

constexpr ColumnSpec kDriverColumns[] = {
    {"id_number", "身份证号", "身份证号码|公民身份号码", true, "18位身份证号",
     "210302198507150011"},
    {"name", "姓名", "驾驶员姓名", true, "文本", "张伟"},
    {"phone", "手机号", "手机号码|联系电话", false, "电话号码", "13900000001"},
    {"licence_class", "准驾车型", "驾驶证准驾车型", true, "A1 A2 A3 B1 B2 C1…", "A2"},
    {"licence_valid_until", "驾驶证有效期至", "驾驶证到期日期", false, "日期", "2030-07-15"},
    {"qualification_cert_no", "从业资格证号", "资格证号", false, "文本", "210302198507150011"},
    {"qualification_category", "从业资格类别", "资格类别", false, "文本", "道路货物运输驾驶员"},
    {"qualification_valid_until", "从业资格证有效期至", "资格证有效期至", false, "日期",
     "2028-05-31"},
    {"carrier_credit_code", "所属企业信用代码", "统一社会信用代码|企业信用代码", false,
     "所属运输企业的18位统一社会信用代码", "91210300MA0QC4KX6U"},
};
enum DriverColumn {
  kDriverIdNumber,
  kDriverName,
  kDriverPhone,
  kDriverLicenceClass,
  kDriverLicenceValidUntil,
  kDriverQualificationNo,
  kDriverQualificationCategory,
  kDriverQualificationValidUntil,
  kDriverCarrier
};

constexpr ColumnSpec kTerminalColumns[] = {
    {"phone", "终端手机号", "SIM卡号|终端SIM卡号", true, "1-20位数字", "013900000001"},
    {"terminal_id", "终端ID", "终端编号", false, "文本", "T000001"},
    {"maker", "制造商", "制造商ID|生产厂家", false, "文本", "70111"},
    {"model", "终端型号", "型号", false, "文本", "BT-808"},
    {"plate", "车牌号码", "车牌号", false, "所装车辆的车牌号", "辽C12345"},
    {"plate_color", "车牌颜色", "车牌颜色代码", false, "颜色名称或代码（填写车牌号码时必填）",
     "黄色"},
};
enum TerminalColumn {
  kTerminalPhone,
  kTerminalId,
  kTerminalMaker,
  kTerminalModel,
  kTerminalPlate,
  kTerminalPlateColor
};

constexpr ColumnSpec kHealthColumns[] = {
    {"id_number", "身份证号", "身份证号码|公民身份号码", true, "18位身份证号",
     "210302198507150011"},
    {"name", "姓名", "", true, "文本", "张伟"},
    {"kind", "检测类型", "检测项目|类型", true, "文本", "核酸检测"},
    {"result", "检测结果", "结果", true, "文本", "阴性"},
    {"tested_at", "检测时间", "采样时间", true, "日期时间（北京时间）或毫秒时间戳",
     "2026-11-25 08:30"},
    {"valid_until", "有效期至", "", false, "日期", "2026-11-27"},
};
enum HealthColumn {
  kHealthIdNumber,
  kHealthName,
  kHealthKind,
  kHealthResult,
  kHealthTestedAt,
  kHealthValidUntil
};

constexpr ColumnSpec kSiteColumns[] = {
    {"code", "场所编码", "编码", true, "文本（唯一）", "ZD-0001"},
    {"name", "场所名称", "名称", true, "文本", "鞍钢西门装货点"},
    {"kind", "场所类型", "类型", true, "装货点/卸货点/服务区/物流园区", "装货点"},
    {"district", "所属区县", "区县", true, "区县名称", "铁西区"},
    {"geometry", "位置范围", "GeoJSON", false,
     "GeoJSON几何对象（Point或Polygon）；或填写经度、纬度",
     R"({"type":"Point","coordinates":[122.95,41.12]})"},
    {"lon", "经度", "", false, "小数（与纬度一起代替位置范围）", "122.95"},
    {"lat", "纬度", "", false, "小数", "41.12"},
};
enum SiteColumn {
  kSiteCode,
  kSiteName,
  kSiteKind,
  kSiteDistrict,
  kSiteGeometry,
  kSiteLon,
  kSiteLat
};

constexpr int64_t kChunkRows = 1000;
constexpr size_t kMaxTextBytes = 500;

std::string_view Trim(std::string_view text) {
  static constexpr std::string_view kSpace = " \t\r\n";
  size_t begin = text.find_first_not_of(kSpace);
  if (begin == std::string_view::npos)
    return {};
  // Full-width spaces (U+3000) at either end, as Chinese input methods type them.
  size_t end = text.find_last_not_of(kSpace);
  text = text.substr(begin, end - begin + 1);
  while (text.substr(0, 3) == "\xE3\x80\x80")
    text.remove_prefix(3);
  while (text.size() >= 3 && text.substr(text.size() - 3) == "\xE3\x80\x80")
    text.remove_suffix(3);
  return text;
}

bool AllDigits(std::string_view text) {
  return !text.empty() &&
         std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

std::optional<PlateColor> ParsePlateColorText(std::string_view text) {
  if (AllDigits(text) && text.size() <= 2) {
    auto color = ParsePlateColor(std::stoi(std::string(text)));
    return color ? std::optional<PlateColor>(*color) : std::nullopt;
  }
  struct Name {
    std::string_view name;
    PlateColor color;
  };
  // 渐变绿 (small new-energy) and 黄绿 (large new-energy) are both green (5) in JT/T 808.
  static constexpr Name kNames[] = {
      {"蓝色", PlateColor::kBlue},      {"蓝", PlateColor::kBlue},
      {"黄色", PlateColor::kYellow},    {"黄", PlateColor::kYellow},
      {"黑色", PlateColor::kBlack},     {"黑", PlateColor::kBlack},
      {"白色", PlateColor::kWhite},     {"白", PlateColor::kWhite},
      {"绿色", PlateColor::kGreen},     {"绿", PlateColor::kGreen},
      {"渐变绿色", PlateColor::kGreen}, {"渐变绿", PlateColor::kGreen},
      {"黄绿色", PlateColor::kGreen},   {"黄绿", PlateColor::kGreen},
      {"其他", PlateColor::kOther},     {"未上牌", PlateColor::kNone},
  };
  for (const auto& entry : kNames) {
    if (entry.name == text)
      return entry.color;
  }
  return std::nullopt;
}

std::optional<VehicleClass> ParseVehicleClassText(std::string_view text) {
  if (auto value = ParseVehicleClass(text))
    return value;
  struct Alias {
    std::string_view name;
    VehicleClass value;
  };
  static constexpr Alias kAliases[] = {
      {"旅游包车", VehicleClass::kTourBus},
      {"客运班车", VehicleClass::kLineBus},
      {"危险品运输车", VehicleClass::kHazardous},
      {"危货车", VehicleClass::kHazardous},
      {"危险货物运输车辆", VehicleClass::kHazardous},
      {"重型货车", VehicleClass::kHeavyTruck},
      {"货车", VehicleClass::kTruck},
      {"普通货运车辆", VehicleClass::kTruck},
  };
  for (const auto& alias : kAliases) {
    if (alias.name == text)
      return alias.value;
  }
  return std::nullopt;
}

// A time as people write it: epoch ms (13 digits), or a date with an optional time of day in
// China time (or with Z / +08:00).
std::optional<int64_t> ParseTime(std::string_view text) {
  if (AllDigits(text) && text.size() == 13) {
    int64_t ms = 0;
    std::from_chars(text.data(), text.data() + text.size(), ms);
    return ms;
  }
  size_t split = text.find_first_of(" T");
  auto date = NormaliseDate(text.substr(0, split));
  if (!date)
    return std::nullopt;
  int64_t ms = ChinaMidnightMs(*date);
  if (split == std::string_view::npos)
    return ms;
  std::string_view time = Trim(text.substr(split + 1));
  int64_t offset_ms = kChinaUtcOffsetMs;
  if (!time.empty() && time.back() == 'Z') {
    offset_ms = 0;
    time.remove_suffix(1);
  } else if (size_t sign = time.find_first_of("+-"); sign != std::string_view::npos) {
    std::string_view zone = time.substr(sign + 1);
    int hours = 0;
    int minutes = 0;
    if (zone.size() == 5 && zone[2] == ':' && AllDigits(zone.substr(0, 2)) &&
        AllDigits(zone.substr(3, 2))) {
      hours = std::stoi(std::string(zone.substr(0, 2)));
      minutes = std::stoi(std::string(zone.substr(3, 2)));
    } else if (zone.size() == 4 && AllDigits(zone)) {
      hours = std::stoi(std::string(zone.substr(0, 2)));
      minutes = std::stoi(std::string(zone.substr(2, 2)));
    } else {
      return std::nullopt;
    }
    offset_ms = (hours * 60 + minutes) * 60000LL * (time[sign] == '-' ? -1 : 1);
    time = time.substr(0, sign);
  }
  // H:MM or HH:MM, optionally :SS and a fraction (ignored).
  int parts[3] = {0, 0, 0};
  int count = 0;
  size_t at = 0;
  while (count < 3) {
    size_t start = at;
    int value = 0;
    while (at < time.size() && time[at] >= '0' && time[at] <= '9' && at - start < 2)
      value = value * 10 + (time[at++] - '0');
    if (at == start)
      return std::nullopt;
    parts[count++] = value;
    if (at < time.size() && time[at] == ':') {
      ++at;
      continue;
    }
    break;
  }
  if (at < time.size() && time[at] == '.') {
    ++at;
    while (at < time.size() && time[at] >= '0' && time[at] <= '9')
      ++at;
  }
  if (at != time.size() || count < 2 || parts[0] > 23 || parts[1] > 59 || parts[2] > 59)
    return std::nullopt;
  return ms + kChinaUtcOffsetMs - offset_ms + ((parts[0] * 60LL + parts[1]) * 60 + parts[2]) * 1000;
}

// Contact phone numbers: digits with optional '+', '-' and spaces; 7-20 digits.
std::optional<std::string> NormalisePhone(std::string_view text) {
  std::string phone;
  int digits = 0;
  for (char c : text) {
    if (c == ' ')
      continue;
    if (c >= '0' && c <= '9')
      ++digits;
    else if (c != '-' && c != '+')
      return std::nullopt;
    phone.push_back(c);
  }
  if (digits < 7 || digits > 20)
    return std::nullopt;
  return phone;
}

std::optional<std::string> NormaliseVin(std::string_view text) {
  std::string vin;
  for (char c : text) {
    char upper = (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c;
    bool ok = (upper >= '0' && upper <= '9') ||
              (upper >= 'A' && upper <= 'Z' && upper != 'I' && upper != 'O' && upper != 'Q');
    if (!ok)
      return std::nullopt;
    vin.push_back(upper);
  }
  if (vin.size() != 17)
    return std::nullopt;
  return vin;
}

// The header row mapped onto a kind's columns.
struct HeaderMap {
  std::vector<int> cell_of;          // per column spec: index in the record, -1 if absent
  std::vector<std::string> headers;  // per column spec: the header text as in the file
};

bool HeaderMatches(const ColumnSpec& spec, std::string_view header) {
  if (header == spec.header)
    return true;
  if (header.size() == spec.field.size() &&
      std::equal(header.begin(), header.end(), spec.field.begin(),
                 [](char a, char b) { return std::tolower(static_cast<unsigned char>(a)) == b; }))
    return true;
  std::string_view aliases = spec.aliases;
  while (!aliases.empty()) {
    size_t bar = aliases.find('|');
    if (aliases.substr(0, bar) == header)
      return true;
    if (bar == std::string_view::npos)
      break;
    aliases.remove_prefix(bar + 1);
  }
  return false;
}

tl::expected<HeaderMap, ImportError> MapHeader(Kind kind, const std::vector<std::string>& cells,
                                               std::vector<std::string>& warnings) {
  std::span<const ColumnSpec> specs = ImportColumns(kind);
  HeaderMap map;
  map.cell_of.assign(specs.size(), -1);
  map.headers.resize(specs.size());
  std::vector<std::string> unknown;
  for (size_t cell = 0; cell < cells.size(); ++cell) {
    std::string_view header = Trim(cells[cell]);
    if (header.empty())
      continue;
    bool known = false;
    for (size_t i = 0; i < specs.size(); ++i) {
      if (!HeaderMatches(specs[i], header))
        continue;
      known = true;
      if (map.cell_of[i] < 0) {
        map.cell_of[i] = static_cast<int>(cell);
        map.headers[i] = std::string(header);
      } else {
        warnings.push_back("列“" + std::string(header) + "”重复，只使用第一列 (duplicate column)");
      }
      break;
    }
    if (!known)
      unknown.push_back(std::string(header));
  }
  if (!unknown.empty()) {
    std::string list;
    for (const auto& name : unknown)
      list += (list.empty() ? "" : "、") + name;
    warnings.push_back("未识别的列已忽略：" + list + " (unknown columns ignored)");
  }
  std::string missing;
  for (size_t i = 0; i < specs.size(); ++i) {
    if (map.headers[i].empty())
      map.headers[i] = std::string(specs[i].header);
    if (specs[i].required && map.cell_of[i] < 0)
      missing += (missing.empty() ? "" : "、") + std::string(specs[i].header);
  }
  if (kind == Kind::kSites && map.cell_of[kSiteGeometry] < 0 &&
      (map.cell_of[kSiteLon] < 0 || map.cell_of[kSiteLat] < 0)) {
    missing += (missing.empty() ? "" : "、") + std::string("位置范围（或经度和纬度）");
  }
  if (!missing.empty()) {
    return tl::unexpected(ImportError{ErrorCode::kBadValue,
                                      "缺少必填列：" + missing + " (required columns missing)"});
  }
  return map;
}

// Reads one data row's cells by column, collecting the row's rejections.
class RowReader {
 public:
  RowReader(const HeaderMap& map, std::vector<Rejection>& rejections)
      : map_(map), rejections_(rejections) {}

  void Start(const std::vector<std::string>* cells, int64_t row) {
    cells_ = cells;
    row_ = row;
    ok_ = true;
  }
  bool ok() const { return ok_; }
  int64_t row() const { return row_; }
  const std::string& Header(int column) const { return map_.headers[static_cast<size_t>(column)]; }

  std::string_view Cell(int column) {
    int index = map_.cell_of[static_cast<size_t>(column)];
    if (index < 0 || static_cast<size_t>(index) >= cells_->size())
      return {};
    std::string_view value = Trim((*cells_)[static_cast<size_t>(index)]);
    if (value.size() > kMaxTextBytes) {
      Reject(column, "内容过长（最多500字节）(too long)");
      return {};
    }
    return value;
  }

  void Reject(int column, std::string reason) {
    ok_ = false;
    rejections_.push_back(Rejection{row_, Header(column), std::move(reason)});
  }

  std::string Required(int column) {
    std::string_view value = Cell(column);
    if (value.empty() && !AlreadyRejected(column))
      Reject(column, "必填项为空 (required)");
    return std::string(value);
  }

  std::optional<std::string> Optional(int column) {
    std::string_view value = Cell(column);
    if (value.empty())
      return std::nullopt;
    return std::string(value);
  }

  std::optional<std::string> Date(int column) {
    std::string_view value = Cell(column);
    if (value.empty())
      return std::nullopt;
    auto date = NormaliseDate(value);
    if (!date) {
      Reject(column, "日期格式错误：“" + std::string(value) +
                         "”（应为2026-01-05、2026/1/5、20260105或2026年1月5日）(bad date)");
    }
    return date;
  }

  template <typename T>
  T Check(int column, Checked<T> checked, T fallback = {}) {
    if (!checked) {
      Reject(column, checked.error().message);
      return fallback;
    }
    return std::move(*checked);
  }

 private:
  // Whether this cell was just rejected (too long): "required" is not added on top.
  bool AlreadyRejected(int column) const {
    return !rejections_.empty() && rejections_.back().row == row_ &&
           rejections_.back().column == Header(column);
  }
  const HeaderMap& map_;
  std::vector<Rejection>& rejections_;
  const std::vector<std::string>* cells_ = nullptr;
  int64_t row_ = 0;
  bool ok_ = true;
};

// What every row parser shares: today's date, the references it checks and whose records the
// import may write.
struct Context {
  RegistryStore& store;
  int today_number;
  std::unordered_map<std::string, std::string> carriers;  // credit code -> district, as stored
  const ImportScope& scope;
};

void CheckCarrier(RowReader& reader, Context& context, int column, const std::string& code) {
  if (!code.empty() && reader.ok() && !context.carriers.contains(code)) {
    reader.Reject(column,
                  "所属企业" + code + "不在登记库中，请先导入运输企业 (carrier not registered)");
  }
}

PlateColor ReadPlateColor(RowReader& reader, int column) {
  std::string_view text = reader.Cell(column);
  if (text.empty()) {
    reader.Reject(column, "必填项为空 (required)");
    return PlateColor::kYellow;
  }
  auto color = ParsePlateColorText(text);
  if (!color) {
    reader.Reject(column, "车牌颜色无效：“" + std::string(text) +
                              "”（蓝色/黄色/黑色/白色/绿色/黄绿色/其他，或代码1-5、9）");
    return PlateColor::kYellow;
  }
  return *color;
}

void ReadPhone(RowReader& reader, int column, std::optional<std::string>& out) {
  std::string_view text = reader.Cell(column);
  if (text.empty())
    return;
  out = NormalisePhone(text);
  if (!out)
    reader.Reject(column, "电话号码格式错误：“" + std::string(text) + "” (bad phone number)");
}

Carrier ParseCarrier(RowReader& reader, Context&) {
  Carrier carrier;
  std::string code = reader.Required(kCarrierCreditCode);
  if (!code.empty())
    carrier.credit_code = reader.Check(kCarrierCreditCode, NormaliseCreditCode(code));
  carrier.name = reader.Required(kCarrierName);
  carrier.district = reader.Required(kCarrierDistrict);
  carrier.address = reader.Optional(kCarrierAddress);
  carrier.business_permit_no = reader.Optional(kCarrierPermitNo);
  carrier.business_permit_valid_until = reader.Date(kCarrierPermitValidUntil);
  ReadPhone(reader, kCarrierPhone, carrier.contact_phone);
  return carrier;
}

Vehicle ParseVehicle(RowReader& reader, Context& context) {
  Vehicle vehicle;
  std::string plate = reader.Required(kVehiclePlate);
  if (!plate.empty())
    vehicle.plate = reader.Check(kVehiclePlate, NormalisePlate(plate));
  vehicle.plate_color = ReadPlateColor(reader, kVehiclePlateColor);
  std::string_view klass = reader.Cell(kVehicleClass);
  if (klass.empty()) {
    reader.Reject(kVehicleClass, "必填项为空 (required)");
  } else if (auto value = ParseVehicleClassText(klass)) {
    vehicle.vehicle_class = *value;
  } else {
    reader.Reject(kVehicleClass, "车辆类型无效：“" + std::string(klass) +
                                     "”（旅游客车/班线客车/危险货物运输车/重型货车/普通货车）");
  }
  std::string carrier = reader.Required(kVehicleCarrier);
  if (!carrier.empty()) {
    vehicle.carrier_credit_code = reader.Check(kVehicleCarrier, NormaliseCreditCode(carrier));
    CheckCarrier(reader, context, kVehicleCarrier, vehicle.carrier_credit_code);
  }
  if (std::string_view vin = reader.Cell(kVehicleVin); !vin.empty()) {
    vehicle.vin = NormaliseVin(vin);
    if (!vehicle.vin)
      reader.Reject(kVehicleVin, "车辆识别代号应为17位字母或数字（不含I、O、Q）(bad VIN)");
  }
  vehicle.transport_cert_no = reader.Optional(kVehicleCertNo);
  vehicle.transport_cert_valid_until = reader.Date(kVehicleCertValidUntil);
  vehicle.insurance_valid_until = reader.Date(kVehicleInsuranceValidUntil);
  return vehicle;
}

Driver ParseDriver(RowReader& reader, Context& context) {
  Driver driver;
  std::string id = reader.Required(kDriverIdNumber);
  if (!id.empty())
    driver.id_number = reader.Check(kDriverIdNumber, NormaliseIdNumber(id, context.today_number));
  driver.name = reader.Required(kDriverName);
  ReadPhone(reader, kDriverPhone, driver.phone);
  std::string licence = reader.Required(kDriverLicenceClass);
  if (!licence.empty())
    driver.licence_class = reader.Check(kDriverLicenceClass, NormaliseLicenceClass(licence));
  driver.licence_valid_until = reader.Date(kDriverLicenceValidUntil);
  driver.qualification_cert_no = reader.Optional(kDriverQualificationNo);
  driver.qualification_category = reader.Optional(kDriverQualificationCategory);
  driver.qualification_valid_until = reader.Date(kDriverQualificationValidUntil);
  if (auto carrier = reader.Optional(kDriverCarrier)) {
    driver.carrier_credit_code = reader.Check(kDriverCarrier, NormaliseCreditCode(*carrier));
    CheckCarrier(reader, context, kDriverCarrier, *driver.carrier_credit_code);
  }
  return driver;
}

Terminal ParseTerminal(RowReader& reader, Context& context) {
  Terminal terminal;
  std::string phone = reader.Required(kTerminalPhone);
  phone.erase(std::remove(phone.begin(), phone.end(), ' '), phone.end());
  if (!phone.empty() && (!AllDigits(phone) || phone.size() > 20))
    reader.Reject(kTerminalPhone, "终端手机号应为1-20位数字 (1-20 digits)");
  terminal.phone = phone;
  terminal.terminal_id = reader.Optional(kTerminalId);
  terminal.maker = reader.Optional(kTerminalMaker);
  terminal.model = reader.Optional(kTerminalModel);
  if (auto plate = reader.Optional(kTerminalPlate)) {
    terminal.plate = reader.Check(kTerminalPlate, NormalisePlate(*plate));
    terminal.plate_color = ReadPlateColor(reader, kTerminalPlateColor);
    if (reader.ok()) {
      auto exists = context.store.VehicleExists(*terminal.plate, *terminal.plate_color);
      if (exists && !*exists) {
        reader.Reject(kTerminalPlate, "车辆" + *terminal.plate + "（" +
                                          std::string(PlateColorName(*terminal.plate_color)) +
                                          "）不在登记库中，请先导入车辆 (vehicle not registered)");
      }
    }
  } else if (!reader.Cell(kTerminalPlateColor).empty()) {
    reader.Reject(kTerminalPlate, "填写车牌颜色时须填写车牌号码 (plate needed)");
  }
  return terminal;
}

HealthRecord ParseHealthRecord(RowReader& reader, Context& context) {
  HealthRecord record;
  std::string id = reader.Required(kHealthIdNumber);
  if (!id.empty())
    record.id_number = reader.Check(kHealthIdNumber, NormaliseIdNumber(id, context.today_number));
  record.name = reader.Required(kHealthName);
  record.kind = reader.Required(kHealthKind);
  record.result = reader.Required(kHealthResult);
  std::string tested_at = reader.Required(kHealthTestedAt);
  if (!tested_at.empty()) {
    if (auto ms = ParseTime(tested_at)) {
      record.tested_at = *ms;
    } else {
      reader.Reject(kHealthTestedAt, "检测时间格式错误：“" + tested_at +
                                         "”（应为2026-11-25 08:30或毫秒时间戳）(bad time)");
    }
  }
  record.valid_until = reader.Date(kHealthValidUntil);
  return record;
}

Site ParseSite(RowReader& reader, Context&) {
  Site site;
  site.code = reader.Required(kSiteCode);
  site.name = reader.Required(kSiteName);
  std::string_view kind = reader.Cell(kSiteKind);
  if (kind.empty()) {
    reader.Reject(kSiteKind, "必填项为空 (required)");
  } else if (auto value = ParseSiteKind(kind)) {
    site.kind = *value;
  } else {
    reader.Reject(kSiteKind,
                  "场所类型无效：“" + std::string(kind) + "”（装货点/卸货点/服务区/物流园区）");
  }
  site.district = reader.Required(kSiteDistrict);
  if (std::string_view geometry = reader.Cell(kSiteGeometry); !geometry.empty()) {
    site.geometry = reader.Check(kSiteGeometry, NormaliseGeometry(geometry));
    return site;
  }
  std::string_view lon = reader.Cell(kSiteLon);
  std::string_view lat = reader.Cell(kSiteLat);
  if (lon.empty() || lat.empty()) {
    reader.Reject(kSiteGeometry, "须填写位置范围（GeoJSON）或经度和纬度 (geometry needed)");
    return site;
  }
  std::string point =
      "{\"type\":\"Point\",\"coordinates\":[" + std::string(lon) + "," + std::string(lat) + "]}";
  site.geometry = reader.Check(kSiteGeometry, NormaliseGeometry(point));
  return site;
}

std::string KeyOf(const Carrier& r) {
  return r.credit_code;
}
std::string KeyOf(const Vehicle& r) {
  return VehicleKey(r.plate, r.plate_color);
}
std::string KeyOf(const Driver& r) {
  return r.id_number;
}
std::string KeyOf(const Terminal& r) {
  return r.phone;
}
std::string KeyOf(const HealthRecord& r) {
  return r.id_number + '\x1f' + r.kind + '\x1f' + std::to_string(r.tested_at);
}
std::string KeyOf(const Site& r) {
  return r.code;
}

// The stored record a row would replace, by the row's key. Health records have no stored
// record that matters here (they are neither merged nor owned); sites are read as JSON.
Result<std::optional<Carrier>> FindStored(RegistryStore& store, const Carrier& record) {
  return store.FindCarrier(record.credit_code);
}
Result<std::optional<Vehicle>> FindStored(RegistryStore& store, const Vehicle& record) {
  return store.FindVehicle(record.plate, record.plate_color);
}
Result<std::optional<Driver>> FindStored(RegistryStore& store, const Driver& record) {
  return store.FindDriver(record.id_number);
}
Result<std::optional<Terminal>> FindStored(RegistryStore& store, const Terminal& record) {
  return store.FindTerminal(record.phone);
}
// Named only in StoredRecord's Value type (health rows never read a stored record).
[[maybe_unused]] Result<std::optional<HealthRecord>> FindStored(RegistryStore&,
                                                                const HealthRecord&) {
  return std::nullopt;
}
Result<std::optional<nlohmann::ordered_json>> FindStored(RegistryStore& store, const Site& record) {
  return store.Get(Kind::kSites, record.code);
}

// The stored record one row would replace, read at most once and only when asked for: both
// KeepAbsent and the scope check need it, and drivers' and terminals' reads decrypt.
template <typename Record>
class StoredRecord {
 public:
  using Value = typename decltype(FindStored(std::declval<RegistryStore&>(),
                                             std::declval<const Record&>()))::value_type;

  // `record` is the row's record; its key must not change while this is in use.
  StoredRecord(RegistryStore& store, const Record& record) : store_(store), record_(record) {}

  // nullopt inside: no such record stored.
  Result<const Value*> Get() {
    if (!value_) {
      auto found = FindStored(store_, record_);
      if (!found)
        return tl::unexpected(found.error());
      value_ = std::move(*found);
    }
    return &*value_;
  }

 private:
  RegistryStore& store_;
  const Record& record_;
  std::optional<Value> value_;  // nullopt: not read yet
};

// Optional columns the file does not have keep their stored values: a file of plates and
// insurance dates must not wipe the VINs. (An empty cell in a column that is present does
// clear the value.)
template <typename Record, typename Copy>
Result<void> KeepAbsent(Record& record, const HeaderMap& header, StoredRecord<Record>& stored,
                        Copy copy) {
  bool any_absent = false;
  for (int cell : header.cell_of)
    any_absent = any_absent || cell < 0;
  if (!any_absent)
    return {};
  auto found = stored.Get();
  if (!found)
    return tl::unexpected(found.error());
  const auto& value = **found;
  if (!value)
    return {};
  for (size_t column = 0; column < header.cell_of.size(); ++column) {
    if (header.cell_of[column] < 0)
      copy(static_cast<int>(column), *value, record);
  }
  return {};
}

Result<void> KeepAbsent(const HeaderMap& header, Carrier& record, StoredRecord<Carrier>& stored) {
  return KeepAbsent(record, header, stored, [](int column, const Carrier& from, Carrier& to) {
    switch (column) {
      case kCarrierAddress:
        to.address = from.address;
        break;
      case kCarrierPermitNo:
        to.business_permit_no = from.business_permit_no;
        break;
      case kCarrierPermitValidUntil:
        to.business_permit_valid_until = from.business_permit_valid_until;
        break;
      case kCarrierPhone:
        to.contact_phone = from.contact_phone;
        break;
      default:
        break;
    }
  });
}

Result<void> KeepAbsent(const HeaderMap& header, Vehicle& record, StoredRecord<Vehicle>& stored) {
  return KeepAbsent(record, header, stored, [](int column, const Vehicle& from, Vehicle& to) {
    switch (column) {
      case kVehicleVin:
        to.vin = from.vin;
        break;
      case kVehicleCertNo:
        to.transport_cert_no = from.transport_cert_no;
        break;
      case kVehicleCertValidUntil:
        to.transport_cert_valid_until = from.transport_cert_valid_until;
        break;
      case kVehicleInsuranceValidUntil:
        to.insurance_valid_until = from.insurance_valid_until;
        break;
      default:
        break;
    }
  });
}

Result<void> KeepAbsent(const HeaderMap& header, Driver& record, StoredRecord<Driver>& stored) {
  return KeepAbsent(record, header, stored, [](int column, const Driver& from, Driver& to) {
    switch (column) {
      case kDriverPhone:
        to.phone = from.phone;
        break;
      case kDriverLicenceValidUntil:
        to.licence_valid_until = from.licence_valid_until;
        break;
      case kDriverQualificationNo:
        to.qualification_cert_no = from.qualification_cert_no;
        break;
      case kDriverQualificationCategory:
        to.qualification_category = from.qualification_category;
        break;
      case kDriverQualificationValidUntil:
        to.qualification_valid_until = from.qualification_valid_until;
        break;
      case kDriverCarrier:
        to.carrier_credit_code = from.carrier_credit_code;
        break;
      default:
        break;
    }
  });
}

Result<void> KeepAbsent(const HeaderMap& header, Terminal& record, StoredRecord<Terminal>& stored) {
  return KeepAbsent(record, header, stored, [](int column, const Terminal& from, Terminal& to) {
    switch (column) {
      case kTerminalId:
        to.terminal_id = from.terminal_id;
        break;
      case kTerminalMaker:
        to.maker = from.maker;
        break;
      case kTerminalModel:
        to.model = from.model;
        break;
      case kTerminalPlate:
        to.plate = from.plate;
        to.plate_color = from.plate_color;
        break;
      default:
        break;
    }
  });
}

// Health records have one optional column (valid_until) and sites' optional columns are
// alternatives for the geometry: the file's row is the whole record.
Result<void> KeepAbsent(const HeaderMap&, HealthRecord&, StoredRecord<HealthRecord>&) {
  return {};
}
Result<void> KeepAbsent(const HeaderMap&, Site&, StoredRecord<Site>&) {
  return {};
}

// The column a duplicate is reported against: the key's first column.
constexpr int kKeyColumn = 0;

// ---- Scope: whose records a row may write.

// The company and district a record belongs to (either may be unknown).
struct Owner {
  std::optional<std::string> carrier;
  std::optional<std::string> district;
};

Owner OwnerOfCarrierCode(const Context& context, const std::optional<std::string>& code) {
  Owner owner{code, std::nullopt};
  if (code) {
    if (auto found = context.carriers.find(*code); found != context.carriers.end())
      owner.district = found->second;
  }
  return owner;
}

bool InScope(const ImportScope& scope, const Owner& owner) {
  if (scope.carrier_credit_code &&
      (scope.carrier_credit_code->empty() || owner.carrier != scope.carrier_credit_code))
    return false;
  if (scope.district && (scope.district->empty() || owner.district != scope.district))
    return false;
  return true;
}

// "本企业" or "本区县": what the scope is, in the words of a rejection.
std::string ScopeWords(const ImportScope& scope) {
  if (scope.carrier_credit_code)
    return "本企业（" + *scope.carrier_credit_code + "）";
  return "本区县（" + scope.district.value_or("") + "）";
}

std::string OutsideNewReason(const ImportScope& scope, Kind kind) {
  return "超出导入范围：只能导入" + ScopeWords(scope) + "的" + std::string(KindChineseName(kind)) +
         "记录，本行未导入 (outside this account's scope: only its own " +
         (scope.carrier_credit_code ? "company's" : "district's") + " records)";
}

std::string OutsideStoredReason(const ImportScope& scope, Kind kind) {
  return "超出导入范围：该" + std::string(KindChineseName(kind)) + "已登记且不属于" +
         ScopeWords(scope) +
         "，不能修改或转入；如需变更请联系交通运输局 (already registered "
         "outside this account's scope: it cannot be changed or moved here)";
}

// Where the record belongs, as it would be written and as stored now (nullopt: not stored).
struct Owners {
  int column = kKeyColumn;  // the column a rejection of the new owner is reported against
  Owner written;
  std::optional<Owner> stored;
};

Result<Owners> OwnersOf(Context& context, const Carrier& record,
                        StoredRecord<Carrier>& stored_record) {
  Owners owners{context.scope.carrier_credit_code ? kCarrierCreditCode : kCarrierDistrict,
                Owner{record.credit_code, record.district}, std::nullopt};
  auto read = stored_record.Get();
  if (!read)
    return tl::unexpected(read.error());
  const auto& stored = **read;
  if (stored)
    owners.stored = Owner{stored->credit_code, stored->district};
  return owners;
}

Result<Owners> OwnersOf(Context& context, const Vehicle& record,
                        StoredRecord<Vehicle>& stored_record) {
  Owners owners{kVehicleCarrier, OwnerOfCarrierCode(context, record.carrier_credit_code),
                std::nullopt};
  auto read = stored_record.Get();
  if (!read)
    return tl::unexpected(read.error());
  const auto& stored = **read;
  if (stored)
    owners.stored = OwnerOfCarrierCode(context, stored->carrier_credit_code);
  return owners;
}

Result<Owners> OwnersOf(Context& context, const Driver& record,
                        StoredRecord<Driver>& stored_record) {
  Owners owners{kDriverCarrier, OwnerOfCarrierCode(context, record.carrier_credit_code),
                std::nullopt};
  auto read = stored_record.Get();
  if (!read)
    return tl::unexpected(read.error());
  const auto& stored = **read;
  if (stored)
    owners.stored = OwnerOfCarrierCode(context, stored->carrier_credit_code);
  return owners;
}

// A terminal belongs to the company of the vehicle it is fitted to; an unfitted one to nobody.
Result<Owner> OwnerOfFitting(Context& context, const std::optional<std::string>& plate,
                             const std::optional<PlateColor>& color) {
  if (!plate)
    return Owner{};
  auto vehicle = context.store.FindVehicle(*plate, color.value_or(PlateColor::kYellow));
  if (!vehicle)
    return tl::unexpected(vehicle.error());
  if (!*vehicle)
    return Owner{};
  return OwnerOfCarrierCode(context, (*vehicle)->carrier_credit_code);
}

Result<Owners> OwnersOf(Context& context, const Terminal& record,
                        StoredRecord<Terminal>& stored_record) {
  auto written = OwnerOfFitting(context, record.plate, record.plate_color);
  if (!written)
    return tl::unexpected(written.error());
  Owners owners{kTerminalPlate, std::move(*written), std::nullopt};
  auto read = stored_record.Get();
  if (!read)
    return tl::unexpected(read.error());
  const auto& stored = **read;
  if (stored) {
    auto stored_owner = OwnerOfFitting(context, stored->plate, stored->plate_color);
    if (!stored_owner)
      return tl::unexpected(stored_owner.error());
    owners.stored = std::move(*stored_owner);
  }
  return owners;
}

// Health records belong to a person, not to a company or a district: only city-wide
// importers (卫健委, the administrators) write them.
Result<Owners> OwnersOf(Context&, const HealthRecord&, StoredRecord<HealthRecord>&) {
  return Owners{kKeyColumn, Owner{}, std::nullopt};
}

Result<Owners> OwnersOf(Context&, const Site& record, StoredRecord<Site>& stored_record) {
  Owners owners{kSiteDistrict, Owner{std::nullopt, record.district}, std::nullopt};
  auto read = stored_record.Get();
  if (!read)
    return tl::unexpected(read.error());
  const auto& stored = **read;
  if (stored) {
    const auto& district = (*stored)["district"];
    owners.stored =
        Owner{std::nullopt,
              district.is_string() ? std::optional(district.get<std::string>()) : std::nullopt};
  }
  return owners;
}

template <typename Record>
constexpr Kind KindOf();
template <>
constexpr Kind KindOf<Carrier>() {
  return Kind::kCarriers;
}
template <>
constexpr Kind KindOf<Vehicle>() {
  return Kind::kVehicles;
}
template <>
constexpr Kind KindOf<Driver>() {
  return Kind::kDrivers;
}
template <>
constexpr Kind KindOf<Terminal>() {
  return Kind::kTerminals;
}
template <>
constexpr Kind KindOf<HealthRecord>() {
  return Kind::kHealthRecords;
}
template <>
constexpr Kind KindOf<Site>() {
  return Kind::kSites;
}

// Rejects the row when the record it would write, or the stored record it would replace, is
// outside the importer's scope. Runs inside the import's write transaction (BEGIN IMMEDIATE),
// so nothing can change the stored owner between this check and the write.
template <typename Record>
Result<void> CheckScope(Context& context, RowReader& reader, const Record& record,
                        StoredRecord<Record>& stored) {
  if (context.scope.CityWide())
    return {};
  auto owners = OwnersOf(context, record, stored);
  if (!owners)
    return tl::unexpected(owners.error());
  if (owners->stored && !InScope(context.scope, *owners->stored)) {
    reader.Reject(kKeyColumn, OutsideStoredReason(context.scope, KindOf<Record>()));
  } else if (!InScope(context.scope, owners->written)) {
    reader.Reject(owners->column, OutsideNewReason(context.scope, KindOf<Record>()));
  }
  return {};
}

// Rows of the file, from CSV or JSON, as cells under a header.
class RowSource {
 public:
  virtual ~RowSource() = default;
  virtual bool Next(std::vector<std::string>& cells, int64_t& row) = 0;
  // Share of the input read so far, 0 to 1.
  virtual double FractionRead() const = 0;
};

class CsvSource : public RowSource {
 public:
  explicit CsvSource(std::string_view text) : reader_(text) {}
  bool Next(std::vector<std::string>& cells, int64_t& row) override {
    while (reader_.Next(cells, row)) {
      if (!IsBlankRecord(cells))
        return true;
    }
    return false;
  }
  bool unterminated_quote() const { return reader_.unterminated_quote(); }
  double FractionRead() const override { return reader_.FractionRead(); }

 private:
  CsvReader reader_;
};

class JsonSource : public RowSource {
 public:
  JsonSource(const nlohmann::json& array, std::vector<std::string> keys)
      : array_(array), keys_(std::move(keys)) {}
  bool Next(std::vector<std::string>& cells, int64_t& row) override {
    if (next_ >= array_.size())
      return false;
    const auto& object = array_[next_++];
    row = static_cast<int64_t>(next_);
    cells.assign(keys_.size(), std::string());
    for (size_t i = 0; i < keys_.size(); ++i) {
      auto found = object.find(keys_[i]);
      if (found == object.end() || found->is_null())
        continue;
      if (found->is_string())
        cells[i] = found->get<std::string>();
      else if (found->is_boolean())
        cells[i] = found->get<bool>() ? "true" : "false";
      else
        cells[i] = found->dump();
    }
    return true;
  }
  double FractionRead() const override {
    return array_.empty() ? 1.0 : static_cast<double>(next_) / static_cast<double>(array_.size());
  }

 private:
  const nlohmann::json& array_;
  std::vector<std::string> keys_;
  size_t next_ = 0;
};

tl::unexpected<ImportError> ImportFailure(ErrorCode code, std::string message) {
  return tl::unexpected(ImportError{code, std::move(message)});
}

template <typename Record, typename Parse>
tl::expected<void, ImportError> ImportRows(RowSource& source, const HeaderMap& header,
                                           Context& context, Parse parse,
                                           const ImportOptions& options, int64_t now_ms,
                                           ImportResult& result,
                                           std::vector<Record>* accepted_out) {
  std::vector<Record> chunk;
  chunk.reserve(kChunkRows);
  std::unordered_map<std::string, int64_t> seen;
  std::vector<std::string> cells;
  RowReader reader(header, result.rejections);
  int64_t rows_done = 0;
  auto flush = [&]() -> tl::expected<void, ImportError> {
    if (chunk.empty())
      return {};
    auto outcomes = context.store.Upsert(std::span<Record>(chunk), now_ms);
    if (!outcomes) {
      return ImportFailure(
          ErrorCode::kStorage,
          "写入登记库失败：" + context.store.database().LastMessage() + " (storage error)");
    }
    UpsertCounts counts;
    counts.Add(*outcomes);
    result.inserted += counts.inserted;
    result.updated += counts.updated;
    result.unchanged += counts.unchanged;
    result.accepted += static_cast<int64_t>(chunk.size());
    if (accepted_out)
      accepted_out->insert(accepted_out->end(), chunk.begin(), chunk.end());
    chunk.clear();
    return {};
  };
  int64_t row = 0;
  while (source.Next(cells, row)) {
    ++rows_done;
    reader.Start(&cells, row);
    Record record = parse(reader, context);
    if (reader.ok()) {
      auto [at, inserted] = seen.try_emplace(KeyOf(record), row);
      if (!inserted) {
        reader.Reject(kKeyColumn, "与第" + std::to_string(at->second) + "行的记录重复（同一" +
                                      reader.Header(kKeyColumn) +
                                      "），本行未导入 (duplicate of an earlier row)");
      }
    }
    if (reader.ok()) {
      StoredRecord<Record> stored(context.store, record);
      if (auto kept = KeepAbsent(header, record, stored); !kept) {
        return ImportFailure(
            ErrorCode::kStorage,
            "读取登记库失败：" + context.store.database().LastMessage() + " (storage error)");
      }
      // After KeepAbsent: the record exactly as it would be written.
      if (auto checked = CheckScope(context, reader, record, stored); !checked) {
        return ImportFailure(
            ErrorCode::kStorage,
            "读取登记库失败：" + context.store.database().LastMessage() + " (storage error)");
      }
    }
    if (reader.ok())
      chunk.push_back(std::move(record));
    else
      ++result.rejected;
    if (static_cast<int64_t>(chunk.size()) >= kChunkRows || rows_done % kChunkRows == 0) {
      if (auto flushed = flush(); !flushed)
        return flushed;
      if (options.cancel && options.cancel->load())
        return ImportFailure(ErrorCode::kConflict, "导入已取消 (cancelled)");
      if (options.on_progress) {
        // The total is known only at the end: estimate it from how much of the input is read.
        const double read = source.FractionRead();
        const auto estimate =
            read > 0 ? static_cast<int64_t>(static_cast<double>(rows_done) / read) : rows_done;
        options.on_progress(rows_done, std::max(rows_done, estimate));
      }
    }
  }
  if (auto flushed = flush(); !flushed)
    return flushed;
  result.rows_total = rows_done;
  if (options.on_progress)
    options.on_progress(rows_done, rows_done);
  return {};
}

// The rows of an .xlsx sheet (geodata::ReadSpreadsheet), numbered as the sheet numbers them.
class TableSource : public RowSource {
 public:
  explicit TableSource(geodata::Table table) : table_(std::move(table)) {}
  bool Next(std::vector<std::string>& cells, int64_t& row) override {
    if (next_ >= table_.rows.size())
      return false;
    cells = std::move(table_.rows[next_]);
    row = table_.row_numbers[next_];
    ++next_;
    return true;
  }
  double FractionRead() const override {
    return table_.rows.empty()
               ? 1.0
               : static_cast<double>(next_) / static_cast<double>(table_.rows.size());
  }

 private:
  geodata::Table table_;
  size_t next_ = 0;
};

}  // namespace

bool ImportScope::AllowsKind(Kind kind) const {
  return !kinds || std::find(kinds->begin(), kinds->end(), kind) != kinds->end();
}

std::optional<ImportFormat> ParseImportFormat(std::string_view name) {
  if (name == "csv")
    return ImportFormat::kCsv;
  if (name == "json")
    return ImportFormat::kJson;
  if (name == "xlsx")
    return ImportFormat::kXlsx;
  return std::nullopt;
}

std::span<const ColumnSpec> ImportColumns(Kind kind) {
  switch (kind) {
    case Kind::kCarriers:
      return kCarrierColumns;
    case Kind::kVehicles:
      return kVehicleColumns;
    case Kind::kDrivers:
      return kDriverColumns;
    case Kind::kTerminals:
      return kTerminalColumns;
    case Kind::kHealthRecords:
      return kHealthColumns;
    case Kind::kSites:
      return kSiteColumns;
  }
  return {};
}

std::string ImportTemplateCsv(Kind kind) {
  std::string csv = "\xEF\xBB\xBF";
  bool first = true;
  for (const auto& spec : ImportColumns(kind)) {
    if (!first)
      csv += ',';
    first = false;
    AppendCsvField(spec.header, csv);
  }
  csv += "\r\n";
  return csv;
}

ordered_json ImportResultJson(const ImportResult& result) {
  ordered_json rejections = ordered_json::array();
  for (const auto& rejection : result.rejections) {
    rejections.push_back(
        {{"row", rejection.row}, {"column", rejection.column}, {"reason", rejection.reason}});
  }
  return ordered_json{{"kind", KindName(result.kind)}, {"rows_total", result.rows_total},
                      {"accepted", result.accepted},   {"inserted", result.inserted},
                      {"updated", result.updated},     {"unchanged", result.unchanged},
                      {"rejected", result.rejected},   {"rejections", std::move(rejections)},
                      {"warnings", result.warnings}};
}

tl::expected<ImportResult, ImportError> Import(RegistryStore& store, Kind kind,
                                               std::string_view bytes,
                                               const ImportOptions& options) {
  if (!options.scope.AllowsKind(kind)) {
    return ImportFailure(ErrorCode::kUnsupported, "无权导入" + std::string(KindChineseName(kind)) +
                                                      " (this account may not import " +
                                                      std::string(KindName(kind)) + ")");
  }
  ImportResult result;
  result.kind = kind;
  // An .xlsx workbook (a ZIP container) is read through GDAL's XLSX driver; its rows then go
  // the CSV's way.
  std::optional<geodata::Table> workbook;
  if (options.format == ImportFormat::kXlsx || (!options.format && geodata::LooksLikeZip(bytes))) {
    auto table = geodata::ReadSpreadsheet(bytes);
    if (!table)
      return ImportFailure(ErrorCode::kBadValue, std::move(table.error().message));
    workbook = std::move(*table);
    bytes = {};
  }
  auto text = DecodeUploadedText(bytes);
  if (!text) {
    return ImportFailure(ErrorCode::kBadEncoding,
                         "文件编码无法识别，请保存为UTF-8或GBK编码的CSV (unknown encoding)");
  }
  std::string_view content = *text;
  ImportFormat format =
      workbook ? ImportFormat::kXlsx : options.format.value_or(ImportFormat::kCsv);
  if (!options.format && !workbook) {
    size_t first = content.find_first_not_of(" \t\r\n");
    if (first != std::string_view::npos && content[first] == '[')
      format = ImportFormat::kJson;
  }

  // The rows and their header.
  std::vector<std::string> header_cells;
  std::unique_ptr<RowSource> source;
  std::unique_ptr<CsvSource> csv_source;
  nlohmann::json array;
  if (format == ImportFormat::kXlsx) {
    if (workbook->header.empty())
      return ImportFailure(ErrorCode::kBadValue, "工作簿为空，没有表头行 (empty workbook)");
    header_cells = workbook->header;
    source = std::make_unique<TableSource>(std::move(*workbook));
  } else if (format == ImportFormat::kCsv) {
    auto csv = std::make_unique<CsvSource>(content);
    int64_t row = 0;
    if (!csv->Next(header_cells, row))
      return ImportFailure(ErrorCode::kBadValue, "文件为空，没有表头行 (empty file)");
    source = std::move(csv);
  } else {
    array = nlohmann::json::parse(content, nullptr, false);
    if (array.is_discarded() || !array.is_array()) {
      return ImportFailure(ErrorCode::kBadValue,
                           "JSON格式错误：应为对象数组 (a JSON array of objects expected)");
    }
    // Keys may be English field names or Chinese headers, mixed between objects: each is
    // mapped onto its column's field name, so that both land in the same column.
    std::span<const ColumnSpec> specs = ImportColumns(kind);
    std::unordered_set<std::string> known;
    for (size_t i = 0; i < array.size(); ++i) {
      if (!array[i].is_object()) {
        return ImportFailure(ErrorCode::kBadValue, "JSON格式错误：第" + std::to_string(i + 1) +
                                                       "个元素不是对象 (not an object)");
      }
      nlohmann::json canonical = nlohmann::json::object();
      for (auto& item : array[i].items()) {
        std::string name = item.key();
        for (const auto& spec : specs) {
          if (HeaderMatches(spec, name)) {
            name = std::string(spec.field);
            break;
          }
        }
        if (known.insert(name).second)
          header_cells.push_back(name);
        canonical[name] = std::move(item.value());
      }
      array[i] = std::move(canonical);
    }
    result.rows_total = static_cast<int64_t>(array.size());
    if (array.empty())
      return result;
    source = std::make_unique<JsonSource>(array, header_cells);
  }
  auto header = MapHeader(kind, header_cells, result.warnings);
  if (!header)
    return tl::unexpected(header.error());

  std::string today = TodayInChina();
  if (!options.today.empty()) {
    auto given = NormaliseDate(options.today);
    if (!given)
      return ImportFailure(ErrorCode::kBadValue, "today must be a YYYY-MM-DD date");
    today = *given;
  }
  Context context{store, DateNumber(today), {}, options.scope};

  // Everything below reads and writes in one write transaction: the references and owners a
  // row is checked against cannot change before it is written.
  auto transaction = store::Transaction::Begin(store.database());
  if (!transaction) {
    return ImportFailure(ErrorCode::kStorage,
                         "登记库正忙或不可写：" + store.database().LastMessage());
  }
  if (kind == Kind::kVehicles || kind == Kind::kDrivers || !options.scope.CityWide()) {
    auto codes = store.database().Prepare("SELECT credit_code, district FROM carriers");
    if (!codes)
      return ImportFailure(ErrorCode::kStorage, "读取登记库失败 (storage error)");
    while (true) {
      auto row = codes->Step();
      if (!row)
        return ImportFailure(ErrorCode::kStorage, "读取登记库失败 (storage error)");
      if (!*row)
        break;
      context.carriers.emplace(codes->Text(0), codes->Text(1));
    }
  }
  const int64_t now_ms = options.now_ms != 0 ? options.now_ms : NowMs();
  std::vector<Terminal> terminals;
  tl::expected<void, ImportError> imported;
  switch (kind) {
    case Kind::kCarriers:
      imported = ImportRows<Carrier>(*source, *header, context, ParseCarrier, options, now_ms,
                                     result, nullptr);
      break;
    case Kind::kVehicles:
      imported = ImportRows<Vehicle>(*source, *header, context, ParseVehicle, options, now_ms,
                                     result, nullptr);
      break;
    case Kind::kDrivers:
      imported = ImportRows<Driver>(*source, *header, context, ParseDriver, options, now_ms, result,
                                    nullptr);
      break;
    case Kind::kTerminals:
      imported = ImportRows<Terminal>(*source, *header, context, ParseTerminal, options, now_ms,
                                      result, options.on_terminals ? &terminals : nullptr);
      break;
    case Kind::kHealthRecords:
      imported = ImportRows<HealthRecord>(*source, *header, context, ParseHealthRecord, options,
                                          now_ms, result, nullptr);
      break;
    case Kind::kSites:
      imported =
          ImportRows<Site>(*source, *header, context, ParseSite, options, now_ms, result, nullptr);
      break;
  }
  if (!imported)
    return tl::unexpected(imported.error());
  if (format == ImportFormat::kCsv && static_cast<const CsvSource&>(*source).unterminated_quote()) {
    return ImportFailure(ErrorCode::kBadValue, "CSV格式错误：引号没有闭合（第" +
                                                   std::to_string(result.rows_total + 1) +
                                                   "行附近）(unterminated quote)");
  }
  if (auto committed = transaction->Commit(); !committed) {
    return ImportFailure(ErrorCode::kStorage,
                         "写入登记库失败：" + store.database().LastMessage() + " (commit failed)");
  }
  if (options.on_terminals && !terminals.empty()) {
    if (auto provisioned = options.on_terminals(terminals); !provisioned) {
      result.warnings.push_back("终端已导入，但同步到接入网关失败：" +
                                provisioned.error().Message());
    }
  }
  return result;
}

// ---- The import log.

Result<int64_t> ImportLog::Start(Kind kind, std::string_view file_name, std::string_view user,
                                 std::string_view department, int64_t now_ms) {
  auto insert = database_.Prepare(
      "INSERT INTO imports(kind, file_name, user, department, started_at_ms, status) "
      "VALUES(?, ?, ?, ?, ?, 'running')");
  if (!insert)
    return tl::unexpected(insert.error());
  insert->Bind(1, KindName(kind))
      .Bind(2, file_name)
      .Bind(3, user)
      .Bind(4, department)
      .Bind(5, now_ms);
  if (auto ran = insert->Run(); !ran)
    return tl::unexpected(ran.error());
  return database_.LastInsertRowId();
}

Result<void> ImportLog::Finish(int64_t id, const ImportResult& result, int64_t now_ms) {
  auto transaction = store::Transaction::Begin(database_);
  if (!transaction)
    return tl::unexpected(transaction.error());
  auto update = database_.Prepare(
      "UPDATE imports SET status = 'done', finished_at_ms = ?2, rows_total = ?3, accepted = ?4, "
      "inserted = ?5, updated = ?6, unchanged = ?7, rejected = ?8, warnings = ?9 WHERE id = ?1");
  if (!update)
    return tl::unexpected(update.error());
  update->Bind(1, id)
      .Bind(2, now_ms)
      .Bind(3, result.rows_total)
      .Bind(4, result.accepted)
      .Bind(5, result.inserted)
      .Bind(6, result.updated)
      .Bind(7, result.unchanged)
      .Bind(8, result.rejected)
      .Bind(9, std::string_view(nlohmann::json(result.warnings).dump()));
  if (auto ran = update->Run(); !ran)
    return tl::unexpected(ran.error());
  auto insert = database_.Prepare(
      "INSERT INTO import_rejections(import_id, seq, row, column_name, reason) "
      "VALUES(?, ?, ?, ?, ?)");
  if (!insert)
    return tl::unexpected(insert.error());
  int64_t seq = 0;
  for (const auto& rejection : result.rejections) {
    insert->Bind(1, id)
        .Bind(2, seq++)
        .Bind(3, rejection.row)
        .Bind(4, std::string_view(rejection.column))
        .Bind(5, std::string_view(rejection.reason));
    auto ran = insert->Run();
    insert->Reset();
    if (!ran)
      return tl::unexpected(ran.error());
  }
  return transaction->Commit();
}

Result<void> ImportLog::Fail(int64_t id, std::string_view error, int64_t now_ms) {
  auto update = database_.Prepare(
      "UPDATE imports SET status = 'failed', finished_at_ms = ?2, error = ?3 WHERE id = ?1");
  if (!update)
    return tl::unexpected(update.error());
  return update->Bind(1, id).Bind(2, now_ms).Bind(3, error).Run();
}

Result<int64_t> ImportLog::FailInterrupted(int64_t now_ms) {
  auto update = database_.Prepare(
      "UPDATE imports SET status = 'failed', finished_at_ms = ?1, "
      "error = '导入因服务重启而中断 (interrupted by a restart)' WHERE status = 'running'");
  if (!update)
    return tl::unexpected(update.error());
  if (auto ran = update->Bind(1, now_ms).Run(); !ran)
    return tl::unexpected(ran.error());
  return database_.Changes();
}

namespace {

constexpr const char* kImportColumns =
    "id, kind, file_name, user, department, started_at_ms, finished_at_ms, status, rows_total, "
    "accepted, inserted, updated, unchanged, rejected, warnings, error";

ImportRecord ReadImport(const store::Statement& row) {
  ImportRecord record;
  record.id = row.Int(0);
  record.kind = ParseKind(row.Text(1)).value_or(Kind::kVehicles);
  record.counts.kind = record.kind;
  record.file_name = row.Text(2);
  record.user = row.Text(3);
  record.department = row.Text(4);
  record.started_at_ms = row.Int(5);
  record.finished_at_ms = row.OptionalInt(6);
  record.status = row.Text(7);
  record.counts.rows_total = row.Int(8);
  record.counts.accepted = row.Int(9);
  record.counts.inserted = row.Int(10);
  record.counts.updated = row.Int(11);
  record.counts.unchanged = row.Int(12);
  record.counts.rejected = row.Int(13);
  if (auto warnings = row.OptionalText(14)) {
    auto parsed = nlohmann::json::parse(*warnings, nullptr, false);
    if (parsed.is_array()) {
      for (const auto& warning : parsed) {
        if (warning.is_string())
          record.counts.warnings.push_back(warning.get<std::string>());
      }
    }
  }
  record.error = row.OptionalText(15);
  return record;
}

}  // namespace

ordered_json ImportRecordJson(const ImportRecord& record, bool with_rejections) {
  const ImportResult& counts = record.counts;
  ordered_json json{
      {"id", record.id},
      {"kind", KindName(record.kind)},
      {"kind_name", KindChineseName(record.kind)},
      {"file_name", record.file_name},
      {"status", record.status},
      {"rows_total", counts.rows_total},
      {"rows_done", record.status == "running" ? 0 : counts.rows_total},
      {"accepted", counts.accepted},
      {"inserted", counts.inserted},
      {"updated", counts.updated},
      {"unchanged", counts.unchanged},
      {"rejected", counts.rejected},
      {"user", record.user},
      {"department", record.department},
      {"started_at", record.started_at_ms},
      {"finished_at",
       record.finished_at_ms ? ordered_json(*record.finished_at_ms) : ordered_json(nullptr)},
      {"warnings", counts.warnings},
  };
  if (record.error)
    json["error"] = *record.error;
  if (with_rejections) {
    ordered_json rejections = ordered_json::array();
    for (const auto& rejection : counts.rejections) {
      rejections.push_back(
          {{"row", rejection.row}, {"column", rejection.column}, {"reason", rejection.reason}});
    }
    json["rejections"] = std::move(rejections);
  }
  return json;
}

Result<ImportList> ImportLog::List(int64_t offset, int64_t limit) {
  ImportList list;
  auto count = database_.Prepare("SELECT COUNT(*) FROM imports");
  if (!count)
    return tl::unexpected(count.error());
  if (auto row = count->Step(); !row)
    return tl::unexpected(row.error());
  list.total = count->Int(0);
  auto select = database_.Prepare(std::string("SELECT ") + kImportColumns +
                                  " FROM imports ORDER BY id DESC LIMIT ? OFFSET ?");
  if (!select)
    return tl::unexpected(select.error());
  select->Bind(1, std::clamp<int64_t>(limit, 0, kMaxListLimit))
      .Bind(2, std::max<int64_t>(offset, 0));
  while (true) {
    auto row = select->Step();
    if (!row)
      return tl::unexpected(row.error());
    if (!*row)
      return list;
    list.items.push_back(ReadImport(*select));
  }
}

Result<std::optional<ImportRecord>> ImportLog::Get(int64_t id, int64_t max_rejections) {
  auto select =
      database_.Prepare(std::string("SELECT ") + kImportColumns + " FROM imports WHERE id = ?");
  if (!select)
    return tl::unexpected(select.error());
  select->Bind(1, id);
  auto row = select->Step();
  if (!row)
    return tl::unexpected(row.error());
  if (!*row)
    return std::nullopt;
  ImportRecord record = ReadImport(*select);
  auto rejections = database_.Prepare(
      "SELECT row, column_name, reason FROM import_rejections WHERE import_id = ? ORDER BY seq "
      "LIMIT ?");
  if (!rejections)
    return tl::unexpected(rejections.error());
  rejections->Bind(1, id).Bind(2, max_rejections);
  while (true) {
    auto next = rejections->Step();
    if (!next)
      return tl::unexpected(next.error());
    if (!*next)
      break;
    record.counts.rejections.push_back(
        Rejection{rejections->Int(0), rejections->Text(1), rejections->Text(2)});
  }
  return record;
}

Result<std::optional<std::string>> ImportLog::RejectionsCsv(int64_t id) {
  auto exists = database_.Prepare("SELECT 1 FROM imports WHERE id = ?");
  if (!exists)
    return tl::unexpected(exists.error());
  exists->Bind(1, id);
  auto found = exists->Step();
  if (!found)
    return tl::unexpected(found.error());
  if (!*found)
    return std::nullopt;
  auto select = database_.Prepare(
      "SELECT row, column_name, reason FROM import_rejections WHERE import_id = ? ORDER BY seq");
  if (!select)
    return tl::unexpected(select.error());
  select->Bind(1, id);
  std::string csv = "\xEF\xBB\xBF行号,列,原因\r\n";
  while (true) {
    auto row = select->Step();
    if (!row)
      return tl::unexpected(row.error());
    if (!*row)
      return csv;
    csv += std::to_string(select->Int(0));
    csv += ',';
    AppendCsvField(select->Text(1), csv);
    csv += ',';
    AppendCsvField(select->Text(2), csv);
    csv += "\r\n";
  }
}

}  // namespace baotong::registry
