// Masking of personal data (个人信息脱敏) in registry records, by role.
//
// Personal fields are a person's ID number, a person's mobile phone and a health (nucleic acid)
// test result. Not personal, and never masked: a company's contact phone (carriers.contact_phone
// is a business line published on the operating permit), a terminal's phone (the SIM number of
// a device), plates, VINs, names of companies and sites. Who sees what unmasked is in
// docs/roles.md.
#pragma once

#include <initializer_list>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/roles.h"

namespace baotong::api {

enum class PersonalField : uint8_t { kIdNumber, kPhone, kHealthResult };

// How a field of a registry record is shown (issue 13). Every field of every record kind is in
// one table (ClassifyField); tests/api/field_classes_test.cc fails on a field that is not, so a
// new field must be classified before it ships. The classification is the rule; the value
// detector (MaskPersonalNumbersIn) is the safety net for text that quotes a number.
enum class FieldClass : uint8_t {
  // A person's ID number, or a number that often is one: 从业资格证号 is the ID number for most
  // drivers, and a driving licence's number is the ID number in China. Masked as an ID number.
  kIdNumber,
  kPhone,         // a person's phone (own or an emergency contact): masked as a phone
  kHealthResult,  // a test result: only 卫健委 sees it
  kDeviceNumber,  // a terminal's SIM number: a device's, never masked
  // Validated codes, keys, dates, enums, counts and geometry that identify companies, vehicles
  // and sites (credit codes, plates, VINs): never a person's, never masked.
  kReference,
  // Anything else (names, addresses, districts, permit numbers, nested check results): shown,
  // but a value that looks like an ID number or a mobile number is masked for whoever sees
  // ID numbers masked.
  kText,
};

// The class of `field` in a record of registry `kind` ("drivers", ...); nullopt for a field or
// kind the table does not know (MaskRecord then treats it as kText, and id_number, phone and
// result by their names).
std::optional<FieldClass> ClassifyField(std::string_view kind, std::string_view field);

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
// Each field is masked by its ClassifyField class: personal fields (drivers id_number, phone,
// qualification_cert_no; health_records id_number, result) by SeesUnmasked, kText fields by the
// value detector when the principal sees this record's ID numbers masked. A field the table
// does not know is kText, or personal when named id_number, phone or result (fail closed).
// Null and empty values are left as they are and not listed.
MaskOutcome MaskRecord(nlohmann::ordered_json& record, std::string_view kind,
                       const Principal& principal);

// The value detector. Masks, inside `text`, every number that looks like a mainland ID number
// (17 digits and a digit or X, with a birth date that could be one: 19xx/20xx, month 01-12,
// day 01-31) as MaskIdNumber does, and every mobile number (11 digits 1[3-9]..., optionally
// after 86, digits optionally grouped by single spaces or hyphens) as MaskPhone does; the
// grouping characters stay. Returns whether anything was masked. Old 15-digit ID numbers
// (withdrawn 2013) and landlines are not detected.
bool MaskPersonalNumbersIn(std::string& text);
// The detector over every string inside `value` (objects and arrays, recursively; keys stay).
bool MaskPersonalNumbersIn(nlohmann::ordered_json& value);
// For free-text fields outside registry records (pass check messages, alarm notes): applies
// the detector to each named member of `object` unless `principal` sees ID numbers of
// `record_carrier`'s records unmasked. Returns the names of the members it changed.
std::vector<std::string> MaskPersonalNumbersFor(nlohmann::ordered_json& object,
                                                std::initializer_list<std::string_view> members,
                                                const Principal& principal,
                                                std::optional<std::string_view> record_carrier);

}  // namespace baotong::api
