#include "pass/rules.h"

#include <algorithm>
#include <array>
#include <set>

namespace baotong::pass {
namespace {

constexpr std::array<ReasonCode, 29> kReasonCodes = {{
    {"vehicle.unknown", Outcome::kReject, "车辆未在平台登记"},
    {"carrier.unknown", Outcome::kReject, "运输企业未在平台登记"},
    {"carrier.mismatch", Outcome::kReject, "车辆不属于申请企业"},
    {"driver.unknown", Outcome::kReject, "驾驶员未在平台登记"},
    {"driver.carrier_mismatch", Outcome::kReject, "驾驶员不属于申请企业"},
    {"vehicle.transport_cert.expired_in_window", Outcome::kReject, "道路运输证在通行期内过期"},
    {"vehicle.transport_cert.missing", Outcome::kReview, "未登记道路运输证有效期"},
    {"vehicle.insurance.expired_in_window", Outcome::kReject, "交强险在通行期内过期"},
    {"vehicle.insurance.missing", Outcome::kReview, "未登记交强险有效期"},
    {"carrier.permit.expired_in_window", Outcome::kReject, "道路运输经营许可证在通行期内过期"},
    {"carrier.permit.missing", Outcome::kReview, "未登记经营许可证有效期"},
    {"driver.licence.expired_in_window", Outcome::kReject, "驾驶证在通行期内过期"},
    {"driver.licence.missing", Outcome::kReview, "未登记驾驶证有效期"},
    {"driver.qualification.expired_in_window", Outcome::kReject, "从业资格证在通行期内过期"},
    {"driver.qualification.missing", Outcome::kReview, "未登记从业资格证有效期"},
    {"driver.licence_class", Outcome::kReject, "准驾车型与车辆不符"},
    {"driver.qualification_category", Outcome::kReject, "从业资格类别与车辆不符"},
    {"cargo.dangerous.vehicle", Outcome::kReject, "危险货物须由危险货物运输车运输"},
    {"cargo.dangerous.qualification", Outcome::kReject, "驾驶员无危险货物运输从业资格"},
    {"cargo.dangerous.route", Outcome::kReject, "所选路线不允许危险货物通行"},
    {"cargo.dangerous.route_unverified", Outcome::kReview, "危险货物按途经点行驶，需人工核对路线"},
    {"cargo.dangerous.un_number", Outcome::kReject, "危险货物缺少或填错联合国编号、危险类别"},
    {"health.missing", Outcome::kReview, "驾驶员无健康记录"},
    {"health.stale", Outcome::kReject, "驾驶员健康记录超过有效时长"},
    {"health.positive", Outcome::kReject, "驾驶员最近一次检测结果为阳性"},
    {"window.invalid", Outcome::kReject, "通行时段无效"},
    {"window.too_long", Outcome::kReject, "通行时段或备案期限过长"},
    {"site.unknown", Outcome::kReject, "目的地场所不存在"},
    {"route.unknown", Outcome::kReject, "路线不存在"},
}};

bool CheckKeys(const toml::table& table, const std::set<std::string_view>& allowed,
               std::string_view section, std::string& message) {
  for (const auto& [key, node] : table) {
    if (!allowed.contains(key.str())) {
      message = "unknown key " + std::string(section) + "." + std::string(key.str());
      return false;
    }
  }
  return true;
}

bool ReadBool(const toml::table& table, std::string_view key, bool& target, std::string& message) {
  const toml::node* node = table.get(key);
  if (!node)
    return true;
  // is_boolean first: value<bool>() also converts integers.
  if (node->is_boolean()) {
    target = node->value<bool>().value_or(target);
    return true;
  }
  message = "pass." + std::string(key) + " must be true or false";
  return false;
}

bool ReadInt(const toml::table& table, std::string_view key, int low, int high, int& target,
             std::string& message) {
  const toml::node* node = table.get(key);
  if (!node)
    return true;
  if (!node->is_integer()) {
    message = "pass." + std::string(key) + " must be a whole number";
    return false;
  }
  int64_t value = node->value<int64_t>().value_or(0);
  if (value < low || value > high) {
    message = "pass." + std::string(key) + " must be between " + std::to_string(low) + " and " +
              std::to_string(high);
    return false;
  }
  target = static_cast<int>(value);
  return true;
}

}  // namespace

std::span<const ReasonCode> ReasonCodes() {
  return kReasonCodes;
}

bool IsReasonCode(std::string_view code) {
  return std::any_of(kReasonCodes.begin(), kReasonCodes.end(),
                     [&](const ReasonCode& reason) { return reason.code == code; });
}

Outcome PassRules::OutcomeOf(std::string_view code) const {
  if (auto found = outcomes.find(code); found != outcomes.end())
    return found->second;
  for (const auto& reason : kReasonCodes) {
    if (reason.code == code)
      return reason.default_outcome;
  }
  return Outcome::kReview;  // a code the catalogue misses: a person decides
}

Result<PassRules> ParsePassRules(const toml::table* table, std::string& message) {
  PassRules rules;
  if (!table)
    return rules;
  const auto invalid = [] { return Fail(ErrorCode::kBadValue, "invalid [pass] configuration"); };
  if (!CheckKeys(*table,
                 {"auto_approve", "health_required", "health_validity_hours", "health_kinds",
                  "max_window_hours", "standing_max_days", "outcomes"},
                 "pass", message))
    return invalid();
  if (!ReadBool(*table, "auto_approve", rules.auto_approve, message) ||
      !ReadBool(*table, "health_required", rules.health_required, message) ||
      !ReadInt(*table, "health_validity_hours", 1, 8760, rules.health_validity_hours, message) ||
      !ReadInt(*table, "max_window_hours", 1, 8760, rules.max_window_hours, message) ||
      !ReadInt(*table, "standing_max_days", 1, 366, rules.standing_max_days, message))
    return invalid();
  if (const toml::node* node = table->get("health_kinds")) {
    const toml::array* kinds = node->as_array();
    if (!kinds) {
      message = "pass.health_kinds must be an array of strings";
      return invalid();
    }
    rules.health_kinds.clear();
    for (const auto& kind : *kinds) {
      auto text = kind.is_string() ? kind.value<std::string>() : std::nullopt;
      if (!text || text->empty()) {
        message = "pass.health_kinds must be an array of non-empty strings";
        return invalid();
      }
      rules.health_kinds.push_back(*text);
    }
    if (rules.health_kinds.empty() && rules.health_required) {
      message = "pass.health_kinds is empty while pass.health_required is true";
      return invalid();
    }
  }
  if (const toml::node* node = table->get("outcomes")) {
    const toml::table* outcomes = node->as_table();
    if (!outcomes) {
      message = "pass.outcomes must be a table";
      return invalid();
    }
    for (const auto& [key, value] : *outcomes) {
      std::string code(key.str());
      if (!IsReasonCode(code)) {
        message = "unknown key pass.outcomes." + code +
                  " (not a reason code; quote codes: \"health.stale\" = \"review\")";
        return invalid();
      }
      auto text = value.is_string() ? value.value<std::string>() : std::nullopt;
      auto outcome = text ? ParseOutcome(*text) : std::nullopt;
      if (!outcome) {
        message = "pass.outcomes." + code + " must be \"ok\", \"review\" or \"reject\"";
        return invalid();
      }
      rules.outcomes[code] = *outcome;
    }
  }
  return rules;
}

}  // namespace baotong::pass
