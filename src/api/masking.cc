#include "api/masking.h"

#include <cctype>
#include <cstddef>

namespace baotong::api {
namespace {

// Byte offsets where UTF-8 code points start (continuation bytes are 10xxxxxx). Invalid
// UTF-8 still splits only between bytes that are not continuation bytes, so a masked value is
// never cut inside a character.
std::vector<size_t> CodePointStarts(std::string_view text) {
  std::vector<size_t> starts;
  for (size_t i = 0; i < text.size(); ++i)
    if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80)
      starts.push_back(i);
  if (!text.empty() && (starts.empty() || starts.front() != 0))
    starts.insert(starts.begin(), 0);
  return starts;
}

// Keeps `head` and `tail` characters when the text has exactly `standard_length` characters,
// otherwise at most a quarter at each end.
std::string MaskMiddle(std::string_view text, size_t standard_length, size_t head, size_t tail) {
  const std::vector<size_t> starts = CodePointStarts(text);
  const size_t length = starts.size();
  if (length != standard_length) {
    head = length / 4;
    tail = length / 4;
  }
  std::string masked;
  masked.reserve(text.size());
  const size_t tail_start = length - tail;
  masked.append(text.substr(0, head < length ? starts[head] : text.size()));
  masked.append(tail_start - head, '*');
  if (tail > 0)
    masked.append(text.substr(starts[tail_start]));
  return masked;
}

struct ClassifiedField {
  std::string_view kind;
  std::string_view field;
  FieldClass field_class;
};

// Every field of every record kind, as registry/record_json.cc and RegistryStore::Get write
// them. A new field lands here, or field_classes_test fails.
constexpr ClassifiedField kFieldClasses[] = {
    {"carriers", "credit_code", FieldClass::kReference},
    {"carriers", "name", FieldClass::kText},
    {"carriers", "district", FieldClass::kText},
    {"carriers", "address", FieldClass::kText},
    {"carriers", "business_permit_no", FieldClass::kText},
    {"carriers", "business_permit_valid_until", FieldClass::kReference},
    // A business line on the operating permit; a small company's is often its owner's mobile,
    // which the detector masks.
    {"carriers", "contact_phone", FieldClass::kText},
    {"carriers", "vehicle_count", FieldClass::kReference},

    {"vehicles", "plate", FieldClass::kReference},
    {"vehicles", "plate_color", FieldClass::kReference},
    {"vehicles", "plate_color_name", FieldClass::kReference},
    {"vehicles", "vehicle_class", FieldClass::kReference},
    {"vehicles", "vehicle_class_name", FieldClass::kReference},
    {"vehicles", "carrier_credit_code", FieldClass::kReference},
    {"vehicles", "carrier_name", FieldClass::kText},
    {"vehicles", "district", FieldClass::kText},
    {"vehicles", "vin", FieldClass::kReference},
    {"vehicles", "transport_cert_no", FieldClass::kText},
    {"vehicles", "transport_cert_valid_until", FieldClass::kReference},
    {"vehicles", "insurance_valid_until", FieldClass::kReference},
    {"vehicles", "credential_status", FieldClass::kReference},
    {"vehicles", "credential", FieldClass::kText},

    {"drivers", "id_number", FieldClass::kIdNumber},
    {"drivers", "name", FieldClass::kText},
    {"drivers", "phone", FieldClass::kPhone},
    {"drivers", "licence_class", FieldClass::kReference},
    {"drivers", "licence_valid_until", FieldClass::kReference},
    // 从业资格证号: for most drivers the ID number itself.
    {"drivers", "qualification_cert_no", FieldClass::kIdNumber},
    {"drivers", "qualification_category", FieldClass::kText},
    {"drivers", "qualification_valid_until", FieldClass::kReference},
    {"drivers", "carrier_credit_code", FieldClass::kReference},
    {"drivers", "credential_status", FieldClass::kReference},
    {"drivers", "credential", FieldClass::kText},

    {"terminals", "phone", FieldClass::kDeviceNumber},
    {"terminals", "terminal_id", FieldClass::kText},
    {"terminals", "maker", FieldClass::kText},
    {"terminals", "model", FieldClass::kText},
    {"terminals", "plate", FieldClass::kReference},
    {"terminals", "plate_color", FieldClass::kReference},

    {"health_records", "id", FieldClass::kReference},
    {"health_records", "id_number", FieldClass::kIdNumber},
    {"health_records", "name", FieldClass::kText},
    {"health_records", "kind", FieldClass::kText},
    {"health_records", "result", FieldClass::kHealthResult},
    {"health_records", "tested_at", FieldClass::kReference},
    {"health_records", "valid_until", FieldClass::kReference},

    {"sites", "code", FieldClass::kText},
    {"sites", "name", FieldClass::kText},
    {"sites", "kind", FieldClass::kReference},
    {"sites", "kind_name", FieldClass::kReference},
    {"sites", "district", FieldClass::kText},
    {"sites", "geometry", FieldClass::kReference},
};

// Which field of a record names the company it belongs to (a carrier sees its own unmasked).
std::string_view OwnerField(std::string_view kind) {
  return kind == "carriers" ? "credit_code" : "carrier_credit_code";
}

// A field the table does not know: personal by its name, else text (fail closed).
FieldClass UnknownFieldClass(std::string_view field) {
  if (field == "id_number")
    return FieldClass::kIdNumber;
  if (field == "phone")
    return FieldClass::kPhone;
  if (field == "result")
    return FieldClass::kHealthResult;
  return FieldClass::kText;
}

std::optional<PersonalField> PersonalFieldOf(FieldClass field_class) {
  switch (field_class) {
    case FieldClass::kIdNumber:
      return PersonalField::kIdNumber;
    case FieldClass::kPhone:
      return PersonalField::kPhone;
    case FieldClass::kHealthResult:
      return PersonalField::kHealthResult;
    case FieldClass::kDeviceNumber:
    case FieldClass::kReference:
    case FieldClass::kText:
      return std::nullopt;
  }
  return std::nullopt;
}

// ---- The value detector.

bool IsDigit(char c) {
  return c >= '0' && c <= '9';
}

// A run of ASCII digits in the text (an ID number's final X counts as its last digit).
struct DigitRun {
  size_t begin = 0;
  size_t end = 0;  // exclusive
};

// The digits (and X) of runs first..last, in order.
std::string DigitsOf(std::string_view text, const std::vector<DigitRun>& runs, size_t first,
                     size_t last) {
  std::string digits;
  for (size_t i = first; i <= last; ++i)
    digits.append(text.substr(runs[i].begin, runs[i].end - runs[i].begin));
  return digits;
}

bool LooksLikeIdNumber(std::string_view digits) {
  if (digits.size() != 18)
    return false;
  for (size_t i = 0; i < 17; ++i)
    if (!IsDigit(digits[i]))
      return false;
  if (!IsDigit(digits[17]) && digits[17] != 'X' && digits[17] != 'x')
    return false;
  auto number = [&](size_t at, size_t count) {
    int value = 0;
    for (size_t i = at; i < at + count; ++i)
      value = value * 10 + (digits[i] - '0');
    return value;
  };
  const int year = number(6, 4);
  const int month = number(10, 2);
  const int day = number(12, 2);
  return year >= 1900 && year <= 2099 && month >= 1 && month <= 12 && day >= 1 && day <= 31;
}

// The number of leading digits to keep when `digits` is a mobile number, else 0.
size_t MobileHead(std::string_view digits) {
  for (char c : digits)
    if (!IsDigit(c))
      return 0;
  auto mobile = [](std::string_view number) {
    return number.size() == 11 && number[0] == '1' && number[1] >= '3' && number[1] <= '9';
  };
  if (mobile(digits))
    return 3;
  if (digits.size() == 13 && digits.substr(0, 2) == "86" && mobile(digits.substr(2)))
    return 5;
  return 0;
}

// Replaces the digits of runs first..last, except `head` leading and `tail` trailing ones,
// with '*'.
void MaskRuns(std::string& text, const std::vector<DigitRun>& runs, size_t first, size_t last,
              size_t head, size_t total, size_t tail) {
  size_t index = 0;
  for (size_t i = first; i <= last; ++i) {
    for (size_t at = runs[i].begin; at < runs[i].end; ++at, ++index) {
      if (index >= head && index + tail < total)
        text[at] = '*';
    }
  }
}

std::string Mask(PersonalField field, std::string_view value) {
  switch (field) {
    case PersonalField::kIdNumber:
      return MaskIdNumber(value);
    case PersonalField::kPhone:
      return MaskPhone(value);
    case PersonalField::kHealthResult:
      return MaskHealthResult(value);
  }
  return "***";
}

void MaskField(nlohmann::ordered_json& record, std::string_view name, PersonalField field,
               const Principal& principal, std::optional<std::string_view> record_carrier,
               MaskOutcome& outcome) {
  auto it = record.find(name);
  if (it == record.end() || it->is_null())
    return;
  if (it->is_string() && it->get_ref<const std::string&>().empty())
    return;
  if (SeesUnmasked(principal, field, record_carrier)) {
    outcome.revealed.emplace_back(name);
    return;
  }
  // A non-string value (a number imported by mistake) is hidden whole.
  *it = it->is_string() ? Mask(field, it->get_ref<const std::string&>()) : std::string("***");
  outcome.masked.emplace_back(name);
}

}  // namespace

std::string MaskIdNumber(std::string_view id_number) {
  return MaskMiddle(id_number, 18, 6, 4);
}

std::string MaskPhone(std::string_view phone) {
  return MaskMiddle(phone, 11, 3, 4);
}

std::string MaskHealthResult(std::string_view result) {
  return result.empty() ? std::string() : std::string("***");
}

bool SeesUnmasked(const Principal& principal, PersonalField field,
                  std::optional<std::string_view> record_carrier) {
  const bool own_record = principal.role == Role::kCarrier && principal.carrier_credit_code &&
                          !principal.carrier_credit_code->empty() && record_carrier &&
                          *record_carrier == *principal.carrier_credit_code;
  switch (field) {
    case PersonalField::kIdNumber:
    case PersonalField::kPhone:
      switch (principal.role) {
        case Role::kAdmin:
        case Role::kTransport:
        case Role::kPolice:
        case Role::kHealth:
          return true;
        case Role::kCarrier:
          return own_record;
        case Role::kDistrict:
        case Role::kCheckpoint:
          return false;
      }
      return false;
    case PersonalField::kHealthResult:
      return principal.role == Role::kHealth;
  }
  return false;
}

MaskOutcome MaskRecord(nlohmann::ordered_json& record, std::string_view kind,
                       const Principal& principal) {
  MaskOutcome outcome;
  if (!record.is_object())
    return outcome;
  std::optional<std::string> carrier;
  if (auto it = record.find(OwnerField(kind)); it != record.end() && it->is_string())
    carrier = it->get<std::string>();
  std::optional<std::string_view> carrier_view;
  if (carrier)
    carrier_view = *carrier;
  // Whoever sees this record's ID numbers masked also gets numbers in its text masked.
  const bool detect = !SeesUnmasked(principal, PersonalField::kIdNumber, carrier_view) ||
                      !SeesUnmasked(principal, PersonalField::kPhone, carrier_view);

  std::vector<std::string> names;
  for (const auto& item : record.items())
    names.push_back(item.key());
  for (const std::string& name : names) {
    if (name == "masked")
      continue;
    const FieldClass field_class = ClassifyField(kind, name).value_or(UnknownFieldClass(name));
    if (auto personal = PersonalFieldOf(field_class)) {
      MaskField(record, name, *personal, principal, carrier_view, outcome);
    } else if (field_class == FieldClass::kText && detect) {
      if (MaskPersonalNumbersIn(record[name]))
        outcome.masked.push_back(name);
    }
  }
  record["masked"] = outcome.masked;
  return outcome;
}

std::optional<FieldClass> ClassifyField(std::string_view kind, std::string_view field) {
  for (const ClassifiedField& entry : kFieldClasses) {
    if (entry.kind == kind && entry.field == field)
      return entry.field_class;
  }
  return std::nullopt;
}

bool MaskPersonalNumbersIn(std::string& text) {
  std::vector<DigitRun> runs;
  for (size_t at = 0; at < text.size();) {
    if (!IsDigit(text[at])) {
      ++at;
      continue;
    }
    DigitRun run{at, at};
    while (run.end < text.size() && IsDigit(text[run.end]))
      ++run.end;
    // An ID number's check character X, when no letter or digit follows it.
    if (run.end < text.size() && (text[run.end] == 'X' || text[run.end] == 'x') &&
        (run.end + 1 == text.size() ||
         !std::isalnum(static_cast<unsigned char>(text[run.end + 1]))))
      ++run.end;
    runs.push_back(run);
    at = run.end;
  }
  bool changed = false;
  for (size_t first = 0; first < runs.size();) {
    size_t matched_last = runs.size();
    // Groups of digits joined by one space or hyphen: "139 1234 5678", "139-1234-5678".
    for (size_t last = first; last < runs.size() && last < first + 5; ++last) {
      if (last > first) {
        const size_t gap = runs[last].begin - runs[last - 1].end;
        const char joiner = text[runs[last - 1].end];
        if (gap != 1 || (joiner != ' ' && joiner != '-'))
          break;
      }
      const std::string digits = DigitsOf(text, runs, first, last);
      if (LooksLikeIdNumber(digits)) {
        MaskRuns(text, runs, first, last, 6, digits.size(), 4);
        matched_last = last;
        break;
      }
      if (size_t head = MobileHead(digits); head > 0) {
        MaskRuns(text, runs, first, last, head, digits.size(), 4);
        matched_last = last;
        break;
      }
      if (digits.size() > 18)
        break;
    }
    if (matched_last < runs.size()) {
      changed = true;
      first = matched_last + 1;
    } else {
      ++first;
    }
  }
  return changed;
}

bool MaskPersonalNumbersIn(nlohmann::ordered_json& value) {
  if (value.is_string())
    return MaskPersonalNumbersIn(value.get_ref<std::string&>());
  bool changed = false;
  if (value.is_object() || value.is_array()) {
    for (auto& item : value)
      changed = MaskPersonalNumbersIn(item) || changed;
  }
  return changed;
}

std::vector<std::string> MaskPersonalNumbersFor(nlohmann::ordered_json& object,
                                                std::initializer_list<std::string_view> members,
                                                const Principal& principal,
                                                std::optional<std::string_view> record_carrier) {
  std::vector<std::string> changed;
  if (!object.is_object() || (SeesUnmasked(principal, PersonalField::kIdNumber, record_carrier) &&
                              SeesUnmasked(principal, PersonalField::kPhone, record_carrier)))
    return changed;
  for (std::string_view member : members) {
    auto it = object.find(member);
    if (it != object.end() && MaskPersonalNumbersIn(*it))
      changed.emplace_back(member);
  }
  return changed;
}

}  // namespace baotong::api
