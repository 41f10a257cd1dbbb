#include "pass/checks.h"

#include <algorithm>

#include "registry/credentials.h"

namespace baotong::pass {
namespace {

constexpr int64_t kHourMs = 3600 * 1000;
constexpr int64_t kDayMs = 24 * kHourMs;

void Add(std::vector<Check>& findings, const PassRules& rules, std::string code,
         std::string message, std::optional<int> driver_index = std::nullopt) {
  Outcome outcome = rules.OutcomeOf(code);
  findings.push_back(Check{std::move(code), outcome, std::move(message), driver_index});
}

// A dated certificate against the end of the pass: missing, expired in the window, or fine.
// `who` prefixes the message ("驾驶员张三的"), `name` is the certificate's (驾驶证).
void CheckDate(const std::optional<std::string>& valid_until, int64_t until_ms,
               const std::string& code_prefix, const std::string& who, std::string_view name,
               const PassRules& rules, std::vector<Check>& findings,
               std::optional<int> driver_index = std::nullopt) {
  std::optional<std::string> date =
      valid_until ? registry::NormaliseDate(*valid_until) : std::nullopt;
  if (!date) {
    Add(findings, rules, code_prefix + ".missing",
        who + "未登记" + std::string(name) + "有效期 (" + std::string(name) +
            " validity not registered)",
        driver_index);
    return;
  }
  if (!DateCovers(*date, until_ms)) {
    Add(findings, rules, code_prefix + ".expired_in_window",
        who + std::string(name) + "有效期至" + *date + "，不能覆盖通行期（至" +
            ChinaMinute(until_ms) + "） (expires before the pass ends)",
        driver_index);
  }
}

std::string DriverLabel(const DriverFacts& facts) {
  return "驾驶员" + (facts.driver ? facts.driver->name : facts.id_number);
}

bool IsHazardClass(std::string_view text) {
  // 1-9, optionally a division: "2.1", "6.1".
  if (text.size() == 1)
    return text[0] >= '1' && text[0] <= '9';
  return text.size() == 3 && text[0] >= '1' && text[0] <= '9' && text[1] == '.' && text[2] >= '1' &&
         text[2] <= '9';
}

bool IsUnNumber(std::string_view text) {
  return text.size() == 6 && text.substr(0, 2) == "UN" &&
         std::all_of(text.begin() + 2, text.end(), [](char c) { return c >= '0' && c <= '9'; }) &&
         text.substr(2) != "0000";
}

bool HasDangerousQualification(const registry::Driver& driver) {
  return driver.qualification_category &&
         driver.qualification_category->find("危险货物") != std::string::npos;
}

bool IsPositive(const std::string& result) {
  if (result.find("阳性") != std::string::npos)
    return true;
  std::string lower = result;
  for (char& c : lower) {
    if (c >= 'A' && c <= 'Z')
      c = static_cast<char>(c - 'A' + 'a');
  }
  return lower.find("positive") != std::string::npos;
}

std::string Hours(int64_t ms) {
  return std::to_string(ms / kHourMs);
}

}  // namespace

bool DateCovers(const std::string& valid_until, int64_t until_ms) {
  auto date = registry::NormaliseDate(valid_until);
  if (!date)
    return false;
  int64_t end_ms = registry::ChinaMidnightMs(registry::AddDays(*date, 1));
  return until_ms < end_ms;
}

int64_t HealthReferenceMs(const PassApplication& application, int64_t now_ms) {
  if (application.kind == PassKind::kTrip)
    return application.entry_until_ms;
  return std::max(application.entry_from_ms, now_ms);
}

void CheckWindow(const PassApplication& application, const PassRules& rules, int64_t now_ms,
                 std::vector<Check>& findings) {
  const int64_t from = application.entry_from_ms;
  const int64_t until = application.entry_until_ms;
  if (from >= until) {
    Add(findings, rules, "window.invalid",
        "入城时段的结束时间应晚于开始时间 (entry_until must be after entry_from)");
    return;
  }
  if (application.planned_exit_ms <= from) {
    Add(findings, rules, "window.invalid",
        "计划出城时间应晚于入城开始时间 (planned exit must be after entry_from)");
    return;
  }
  if (until <= now_ms) {
    Add(findings, rules, "window.invalid",
        "入城时段已于" + ChinaMinute(until) + "结束 (the entry window is over)");
    return;
  }
  if (application.kind == PassKind::kTrip) {
    int64_t length = CoverUntilMs(application) - from;
    if (length > rules.max_window_hours * kHourMs) {
      Add(findings, rules, "window.too_long",
          "通行时段" + Hours(length) + "小时，超过" + std::to_string(rules.max_window_hours) +
              "小时上限 (window longer than max_window_hours)");
    }
  } else {
    int64_t length = until - from;
    if (length > rules.standing_max_days * kDayMs) {
      Add(findings, rules, "window.too_long",
          "备案期限" + std::to_string((length + kDayMs - 1) / kDayMs) + "天，超过" +
              std::to_string(rules.standing_max_days) +
              "天上限 (standing registration longer than standing_max_days)");
    }
  }
}

void CheckVehicle(const PassApplication& application, const CheckFacts& facts,
                  const PassRules& rules, std::vector<Check>& findings) {
  const int64_t until = CoverUntilMs(application);
  if (!facts.carrier) {
    Add(findings, rules, "carrier.unknown",
        "运输企业" + application.carrier_credit_code + "未在平台登记 (carrier not registered)");
  } else {
    CheckDate(facts.carrier->business_permit_valid_until, until, "carrier.permit",
              "运输企业" + facts.carrier->name + "的", "道路运输经营许可证", rules, findings);
  }
  if (!facts.vehicle) {
    Add(findings, rules, "vehicle.unknown",
        "车辆" + application.plate + "（" +
            std::string(registry::PlateColorName(application.plate_color)) +
            "）未在平台登记 (vehicle not registered)");
    return;
  }
  const registry::Vehicle& vehicle = *facts.vehicle;
  if (vehicle.carrier_credit_code != application.carrier_credit_code) {
    Add(findings, rules, "carrier.mismatch",
        "车辆" + vehicle.plate + "登记的运输企业为" + vehicle.carrier_credit_code +
            "，与申请企业不符 (the vehicle belongs to another carrier)");
  }
  const std::string who = "车辆" + vehicle.plate + "的";
  CheckDate(vehicle.transport_cert_valid_until, until, "vehicle.transport_cert", who, "道路运输证",
            rules, findings);
  CheckDate(vehicle.insurance_valid_until, until, "vehicle.insurance", who, "交强险", rules,
            findings);
}

void CheckDrivers(const PassApplication& application, const CheckFacts& facts,
                  const PassRules& rules, std::vector<Check>& findings) {
  const int64_t until = CoverUntilMs(application);
  const bool dangerous = application.cargo && application.cargo->dangerous;
  for (size_t i = 0; i < facts.drivers.size(); ++i) {
    const DriverFacts& item = facts.drivers[i];
    const int index = static_cast<int>(i);
    if (!item.driver) {
      Add(findings, rules, "driver.unknown",
          "驾驶员" + item.id_number + "未在平台登记 (driver not registered)", index);
      continue;
    }
    const registry::Driver& driver = *item.driver;
    if (driver.carrier_credit_code != application.carrier_credit_code) {
      // Only the applicant's own drivers; nothing more is said about someone else's.
      Add(findings, rules, "driver.carrier_mismatch",
          DriverLabel(item) +
              "不是申请企业登记的驾驶员 (the driver is not registered to the "
              "applying carrier)",
          index);
      continue;
    }
    const std::string who = DriverLabel(item) + "的";
    CheckDate(driver.licence_valid_until, until, "driver.licence", who, "驾驶证", rules, findings,
              index);
    CheckDate(driver.qualification_valid_until, until, "driver.qualification", who, "从业资格证",
              rules, findings, index);
    if (!facts.vehicle)
      continue;
    for (const auto& reason : registry::DriverFitsVehicle(driver, facts.vehicle->vehicle_class)) {
      if (reason.code == "licence.class") {
        Add(findings, rules, "driver.licence_class",
            DriverLabel(item) + "：" + reason.message + " (licence class does not fit)", index);
      } else if (!dangerous) {
        // With dangerous cargo, cargo.dangerous.qualification says the same.
        Add(findings, rules, "driver.qualification_category",
            DriverLabel(item) + "：" + reason.message + " (qualification category does not fit)",
            index);
      }
    }
  }
}

void CheckCargo(const PassApplication& application, const CheckFacts& facts, const PassRules& rules,
                std::vector<Check>& findings) {
  if (!application.cargo || !application.cargo->dangerous)
    return;
  const Cargo& cargo = *application.cargo;
  if (!cargo.un_number || !IsUnNumber(*cargo.un_number) || !cargo.hazard_class ||
      !IsHazardClass(*cargo.hazard_class)) {
    Add(findings, rules, "cargo.dangerous.un_number",
        "危险货物须填写联合国编号（如UN1203）和危险类别（如3、2.1） (UN number and hazard "
        "class required)");
  }
  if (facts.vehicle && facts.vehicle->vehicle_class != registry::VehicleClass::kHazardous) {
    Add(findings, rules, "cargo.dangerous.vehicle",
        "车辆" + facts.vehicle->plate + "为" +
            std::string(registry::VehicleClassName(facts.vehicle->vehicle_class)) +
            "，不能运输危险货物 (dangerous goods need a hazardous-goods vehicle)");
  }
  for (size_t i = 0; i < facts.drivers.size(); ++i) {
    const DriverFacts& item = facts.drivers[i];
    if (item.driver && item.driver->carrier_credit_code == application.carrier_credit_code &&
        !HasDangerousQualification(*item.driver)) {
      Add(findings, rules, "cargo.dangerous.qualification",
          DriverLabel(item) +
              "无危险货物道路运输从业资格 (driver lacks the dangerous-goods qualification)",
          static_cast<int>(i));
    }
  }
  if (application.route_id) {
    if (facts.route && !facts.route->allows_hazardous) {
      Add(findings, rules, "cargo.dangerous.route",
          "路线" + facts.route->name + "不允许危险货物通行 (route closed to dangerous goods)");
    }
  } else {
    Add(findings, rules, "cargo.dangerous.route_unverified",
        application.waypoints.empty()
            ? "危险货物未选择发布路线，需人工核对 (no published route: check by hand)"
            : "危险货物按自定途经点行驶，需人工核对路线 (waypoints: check the route by hand)");
  }
}

void CheckHealth(const PassApplication& application, const CheckFacts& facts,
                 const PassRules& rules, int64_t now_ms, std::vector<Check>& findings) {
  if (!rules.health_required)
    return;
  const int64_t reference = HealthReferenceMs(application, now_ms);
  const int64_t validity = int64_t{rules.health_validity_hours} * kHourMs;
  for (size_t i = 0; i < facts.drivers.size(); ++i) {
    const DriverFacts& item = facts.drivers[i];
    const int index = static_cast<int>(i);
    if (!item.driver)
      continue;  // driver.unknown already says so
    if (item.driver->carrier_credit_code != application.carrier_credit_code)
      continue;  // driver.carrier_mismatch: nothing about another carrier's driver
    if (!item.newest_health) {
      Add(findings, rules, "health.missing", DriverLabel(item) + "无健康记录 (no health record)",
          index);
      continue;
    }
    const registry::HealthRecord& record = *item.newest_health;
    if (IsPositive(record.result)) {
      Add(findings, rules, "health.positive",
          DriverLabel(item) + "于" + ChinaMinute(record.tested_at) + "的" + record.kind + "结果为" +
              record.result + " (latest result positive)",
          index);
    } else if (record.tested_at + validity < reference) {
      Add(findings, rules, "health.stale",
          DriverLabel(item) + "的" + record.kind + "于" + ChinaMinute(record.tested_at) + "，至" +
              ChinaMinute(reference) + "已超过" + std::to_string(rules.health_validity_hours) +
              "小时 (health record too old)",
          index);
    }
  }
}

void CheckDestination(const PassApplication& application, const CheckFacts& facts,
                      const PassRules& rules, std::vector<Check>& findings) {
  for (const auto& site : facts.sites) {
    if (!site.known) {
      Add(findings, rules, "site.unknown",
          "目的地场所" + site.code + "不存在 (no such designated site)");
    }
  }
  if (application.route_id && !facts.route) {
    Add(findings, rules, "route.unknown",
        "路线" + *application.route_id + "不是已发布的货运路线 (no such published route)");
  }
}

std::vector<Check> RunChecks(const PassApplication& application, const CheckFacts& facts,
                             const PassRules& rules, int64_t now_ms) {
  std::vector<Check> findings;
  CheckWindow(application, rules, now_ms, findings);
  CheckVehicle(application, facts, rules, findings);
  CheckDrivers(application, facts, rules, findings);
  CheckCargo(application, facts, rules, findings);
  CheckHealth(application, facts, rules, now_ms, findings);
  CheckDestination(application, facts, rules, findings);
  return findings;
}

bool IsHealthFinding(std::string_view code) {
  return code.starts_with("health.");
}

Check ShownCheck(const Check& check, const std::vector<std::string>& driver_names,
                 bool reads_health_results) {
  if (reads_health_results || !IsHealthFinding(check.code))
    return check;
  std::string who = "驾驶员";
  if (check.driver_index && static_cast<size_t>(*check.driver_index) < driver_names.size())
    who += driver_names[static_cast<size_t>(*check.driver_index)];
  return Check{std::string(kHealthNotQualified), check.outcome,
               who + "的健康记录不符合要求 (the driver's health record does not qualify)",
               check.driver_index};
}

PassStatus StatusAfterChecks(const std::vector<Check>& findings, const PassRules& rules) {
  Outcome worst = Outcome::kOk;
  for (const auto& finding : findings)
    worst = std::max(worst, finding.outcome);
  switch (worst) {
    case Outcome::kReject:
      return PassStatus::kRejected;
    case Outcome::kReview:
      return PassStatus::kPendingReview;
    case Outcome::kOk:
      break;
  }
  return rules.auto_approve ? PassStatus::kApproved : PassStatus::kPendingReview;
}

}  // namespace baotong::pass
