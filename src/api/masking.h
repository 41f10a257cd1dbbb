// Masking of personal data (个人信息脱敏) in registry records, by role.
//
// Personal fields are a person's ID number, a person's mobile phone and a health (nucleic acid)
// test result. Not personal, and never masked: a company's contact phone (carriers.contact_phone
// is a business line published on the operating permit), a terminal's phone (the SIM number of
// a device), plates, VINs, names of companies and sites. Who sees what unmasked is in
// docs/roles.md.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/roles.h"

namespace baotong::api {

enum class PersonalField : uint8_t { kIdNumber, kPhone, kHealthResult };

// Masking keeps the length in characters (UTF-8 code points) and replaces the middle with '*'.
// An 18-character ID number keeps its 6-character region and last 4:
//   "210302198507150011" -> "210302********0011".
// An 11-character mobile number keeps 3 and 4: "13912345678" -> "139****5678".
// Anything else keeps at most a quarter of its characters at each end (so at most half is
// shown), and fewer than 4 characters are masked whole. "" stays "".
std::string MaskIdNumber(std::string_view id_number);
std::string MaskPhone(std::string_view phone);
// Always "***" (a result has too few values for partial masking to hide anything).
std::string MaskHealthResult(std::string_view result);

// Whether `principal` sees `field` of a record unmasked. `record_carrier` is the credit code
// of the carrier the record belongs to (drivers.carrier_credit_code), if any: a carrier sees
// its own drivers' ID numbers and phones.
bool SeesUnmasked(const Principal& principal, PersonalField field,
                  std::optional<std::string_view> record_carrier);

struct MaskOutcome {
  std::vector<std::string> masked;    // field names that were masked (also in record["masked"])
  std::vector<std::string> revealed;  // personal fields left unmasked and not empty
  // True when the response shows personal data unmasked: the caller writes an audit entry.
  bool RevealsPersonalData() const { return !revealed.empty(); }
};

// Masks a record of registry `kind` ("drivers", "health_records", ...) in place for
// `principal` and sets record["masked"] to the masked field names (an empty array when none).
// Personal fields by kind: drivers id_number, phone; health_records id_number, result. Other
// known kinds have none. For an unknown kind every id_number, phone and result field is treated
// as personal (fail closed). Null and empty values are left as they are and not listed.
MaskOutcome MaskRecord(nlohmann::ordered_json& record, std::string_view kind,
                       const Principal& principal);

}  // namespace baotong::api
