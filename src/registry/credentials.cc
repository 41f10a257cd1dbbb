#include "registry/credentials.h"

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>

#include "common/china_time.h"

namespace baotong::registry {
namespace {

// Howard Hinnant's days_from_civil / civil_from_days.
int64_t DaysFromCivil(int year, int month, int day) {
  year -= month <= 2;
  const int64_t era = (year >= 0 ? year : year - 399) / 400;
  const int64_t yoe = year - era * 400;
  const int64_t doy = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

struct Civil {
  int year;
  int month;
  int day;
};

Civil CivilFromDays(int64_t days) {
  days += 719468;
  const int64_t era = (days >= 0 ? days : days - 146096) / 146097;
  const int64_t doe = days - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  const int64_t day = doy - (153 * mp + 2) / 5 + 1;
  const int64_t month = mp < 10 ? mp + 3 : mp - 9;
  return Civil{static_cast<int>(yoe + era * 400 + (month <= 2)), static_cast<int>(month),
               static_cast<int>(day)};
}

bool IsCalendarDate(int year, int month, int day) {
  static constexpr std::array<int, 12> kDays = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (month < 1 || month > 12 || day < 1)
    return false;
  bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  return day <= kDays[static_cast<size_t>(month - 1)] + (month == 2 && leap ? 1 : 0);
}

std::string FormatDate(int year, int month, int day) {
  char buffer[16];
  std::snprintf(buffer, sizeof buffer, "%04d-%02d-%02d", year, month, day);
  return buffer;
}

// Digits of `text` as a number; non-digits count as 0 (callers pass normalised dates, and a
// malformed one must not throw).
int DigitsOf(std::string_view text) {
  int value = 0;
  for (char c : text)
    value = value * 10 + (c >= '0' && c <= '9' ? c - '0' : 0);
  return value;
}

int64_t DaysOf(std::string_view date) {
  if (date.size() < 10)
    return 0;
  return DaysFromCivil(DigitsOf(date.substr(0, 4)), DigitsOf(date.substr(5, 2)),
                       DigitsOf(date.substr(8, 2)));
}

// Reads up to `max_digits` digits at `at`; -1 when there is none.
int ReadNumber(std::string_view text, size_t& at, size_t max_digits) {
  int value = 0;
  size_t start = at;
  while (at < text.size() && at - start < max_digits && text[at] >= '0' && text[at] <= '9')
    value = value * 10 + (text[at++] - '0');
  return at == start ? -1 : value;
}

bool Skip(std::string_view text, size_t& at, std::string_view what) {
  if (text.substr(at, what.size()) != what)
    return false;
  at += what.size();
  return true;
}

struct ItemSpec {
  std::string_view name;  // 道路运输证
  std::string_view code;  // transport_cert
};

void AddItem(CredentialReport& report, const ItemSpec& spec,
             const std::optional<std::string>& valid_until, std::string_view today,
             int expiring_within_days) {
  CredentialItem item;
  item.name = std::string(spec.name);
  item.status = DateStatus(valid_until, today, expiring_within_days);
  item.valid_until = valid_until;
  std::string name(spec.name);
  switch (item.status) {
    case CredentialStatus::kValid:
      item.message = name + "有效，有效期至" + *valid_until;
      break;
    case CredentialStatus::kExpiring: {
      int left = DaysBetween(today, *valid_until);
      item.message = name + "将于" + *valid_until + "到期（剩余" + std::to_string(left) + "天）";
      break;
    }
    case CredentialStatus::kMissing:
      item.message = "未登记" + name + "有效期";
      break;
    case CredentialStatus::kExpired:
      item.message = name + "已于" + *valid_until + "过期";
      break;
  }
  if (item.status != CredentialStatus::kValid) {
    report.reasons.push_back(CredentialReason{
        std::string(spec.code) + "." + std::string(CredentialStatusId(item.status)), item.message});
  }
  report.status = std::max(report.status, item.status);
  report.items.push_back(std::move(item));
}

bool OneOf(std::string_view value, std::initializer_list<std::string_view> options) {
  return std::find(options.begin(), options.end(), value) != options.end();
}

}  // namespace

std::optional<std::string> NormaliseDate(std::string_view text) {
  while (!text.empty() && text.front() == ' ')
    text.remove_prefix(1);
  while (!text.empty() && text.back() == ' ')
    text.remove_suffix(1);
  size_t at = 0;
  int year = 0;
  int month = 0;
  int day = 0;
  if (text.size() >= 8 &&
      std::all_of(text.begin(), text.begin() + 8, [](char c) { return c >= '0' && c <= '9'; })) {
    year = ReadNumber(text, at, 4);
    month = ReadNumber(text, at, 2);
    day = ReadNumber(text, at, 2);
  } else {
    year = ReadNumber(text, at, 4);
    if (at != 4)
      return std::nullopt;
    std::string_view separator;
    for (std::string_view candidate : {"-", "/", ".", "年"}) {
      if (Skip(text, at, candidate)) {
        separator = candidate;
        break;
      }
    }
    if (separator.empty())
      return std::nullopt;
    month = ReadNumber(text, at, 2);
    if (!Skip(text, at, separator == "年" ? "月" : separator))
      return std::nullopt;
    day = ReadNumber(text, at, 2);
    if (separator == "年")
      Skip(text, at, "日");
  }
  if (at < text.size()) {
    // A time of day may follow after a space or 'T'; anything else is not a date.
    if (text[at] != ' ' && text[at] != 'T')
      return std::nullopt;
  }
  if (year < 1900 || year > 2199 || !IsCalendarDate(year, month, day))
    return std::nullopt;
  return FormatDate(year, month, day);
}

std::string AddDays(std::string_view date, int days) {
  Civil civil = CivilFromDays(DaysOf(date) + days);
  return FormatDate(civil.year, civil.month, civil.day);
}

int DaysBetween(std::string_view from, std::string_view to) {
  return static_cast<int>(DaysOf(to) - DaysOf(from));
}

std::string TodayInChina() {
  auto now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                    std::chrono::system_clock::now().time_since_epoch())
                    .count();
  int64_t local_ms = now_ms + kChinaUtcOffsetMs;
  int64_t days = local_ms >= 0 ? local_ms / 86400000 : (local_ms - 86399999) / 86400000;
  Civil civil = CivilFromDays(days);
  return FormatDate(civil.year, civil.month, civil.day);
}

int DateNumber(std::string_view date) {
  if (date.size() < 10)
    return 0;
  return DigitsOf(date.substr(0, 4)) * 10000 + DigitsOf(date.substr(5, 2)) * 100 +
         DigitsOf(date.substr(8, 2));
}

int64_t ChinaMidnightMs(std::string_view date) {
  return DaysOf(date) * 86400000 - kChinaUtcOffsetMs;
}

std::string_view CredentialStatusId(CredentialStatus status) {
  switch (status) {
    case CredentialStatus::kValid:
      return "valid";
    case CredentialStatus::kExpiring:
      return "expiring";
    case CredentialStatus::kMissing:
      return "missing";
    case CredentialStatus::kExpired:
      return "expired";
  }
  return "";
}

std::string_view CredentialStatusName(CredentialStatus status) {
  switch (status) {
    case CredentialStatus::kValid:
      return "有效";
    case CredentialStatus::kExpiring:
      return "即将到期";
    case CredentialStatus::kMissing:
      return "缺失";
    case CredentialStatus::kExpired:
      return "已过期";
  }
  return "";
}

std::optional<CredentialStatus> ParseCredentialStatus(std::string_view id) {
  for (auto status : {CredentialStatus::kValid, CredentialStatus::kExpiring,
                      CredentialStatus::kMissing, CredentialStatus::kExpired}) {
    if (CredentialStatusId(status) == id)
      return status;
  }
  return std::nullopt;
}

CredentialStatus DateStatus(const std::optional<std::string>& valid_until, std::string_view today,
                            int expiring_within_days) {
  if (!valid_until || valid_until->empty())
    return CredentialStatus::kMissing;
  // Normalised dates compare as strings.
  if (*valid_until < today)
    return CredentialStatus::kExpired;
  if (*valid_until <= AddDays(today, expiring_within_days))
    return CredentialStatus::kExpiring;
  return CredentialStatus::kValid;
}

CredentialReport VehicleCredentials(const Vehicle& vehicle, const Carrier* carrier,
                                    std::string_view today, int expiring_within_days) {
  return VehicleCredentials(
      vehicle, carrier ? carrier->business_permit_valid_until : std::optional<std::string>(), today,
      expiring_within_days);
}

CredentialReport VehicleCredentials(const Vehicle& vehicle,
                                    const std::optional<std::string>& business_permit_valid_until,
                                    std::string_view today, int expiring_within_days) {
  CredentialReport report;
  AddItem(report, {"道路运输证", "transport_cert"}, vehicle.transport_cert_valid_until, today,
          expiring_within_days);
  AddItem(report, {"交强险", "insurance"}, vehicle.insurance_valid_until, today,
          expiring_within_days);
  AddItem(report, {"经营许可证", "business_permit"}, business_permit_valid_until, today,
          expiring_within_days);
  return report;
}

CredentialReport DriverCredentials(const Driver& driver, std::string_view today,
                                   int expiring_within_days) {
  CredentialReport report;
  AddItem(report, {"驾驶证", "licence"}, driver.licence_valid_until, today, expiring_within_days);
  AddItem(report, {"从业资格证", "qualification"}, driver.qualification_valid_until, today,
          expiring_within_days);
  return report;
}

std::vector<CredentialReason> DriverFitsVehicle(const Driver& driver, VehicleClass vehicle_class) {
  std::vector<CredentialReason> reasons;
  const std::string category = driver.qualification_category.value_or("");
  std::string_view licence = driver.licence_class;
  std::string class_name(VehicleClassName(vehicle_class));
  auto refuse = [&](std::string code, std::string message) {
    reasons.push_back(CredentialReason{std::move(code), std::move(message)});
  };
  switch (vehicle_class) {
    case VehicleClass::kHazardous:
      if (category.find("危险货物") == std::string_view::npos) {
        refuse("qualification.category", "驾驶危险货物运输车需要危险货物道路运输驾驶员从业资格");
      }
      if (!OneOf(licence, {"A1", "A2", "B2"}))
        refuse("licence.class", "准驾车型" + driver.licence_class + "不能驾驶" + class_name);
      break;
    case VehicleClass::kHeavyTruck:
      if (!OneOf(licence, {"A1", "A2", "B2"}))
        refuse("licence.class", "准驾车型" + driver.licence_class + "不能驾驶" + class_name);
      break;
    case VehicleClass::kTruck:
      if (!OneOf(licence, {"A1", "A2", "B1", "B2", "C1"}))
        refuse("licence.class", "准驾车型" + driver.licence_class + "不能驾驶" + class_name);
      break;
    case VehicleClass::kTourBus:
    case VehicleClass::kLineBus:
      if (category.find("旅客") == std::string_view::npos) {
        refuse("qualification.category", "驾驶" + class_name + "需要道路旅客运输驾驶员从业资格");
      }
      if (!OneOf(licence, {"A1", "B1"}))
        refuse("licence.class", "准驾车型" + driver.licence_class + "不能驾驶" + class_name);
      break;
  }
  return reasons;
}

}  // namespace baotong::registry
