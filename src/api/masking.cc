#include "api/masking.h"

#include <array>
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

struct KindFields {
  std::string_view kind;
  std::array<std::pair<std::string_view, PersonalField>, 2> fields;
  size_t count;
};

constexpr KindFields kPersonalFields[] = {
    {"drivers", {{{"id_number", PersonalField::kIdNumber}, {"phone", PersonalField::kPhone}}}, 2},
    {"health_records",
     {{{"id_number", PersonalField::kIdNumber}, {"result", PersonalField::kHealthResult}}},
     2},
    {"carriers", {}, 0},
    {"vehicles", {}, 0},
    {"terminals", {}, 0},
    {"sites", {}, 0},
};

constexpr std::pair<std::string_view, PersonalField> kUnknownKindFields[] = {
    {"id_number", PersonalField::kIdNumber},
    {"phone", PersonalField::kPhone},
    {"result", PersonalField::kHealthResult},
};

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
  if (auto it = record.find("carrier_credit_code"); it != record.end() && it->is_string())
    carrier = it->get<std::string>();
  std::optional<std::string_view> carrier_view;
  if (carrier)
    carrier_view = *carrier;

  const KindFields* known = nullptr;
  for (const KindFields& entry : kPersonalFields)
    if (entry.kind == kind)
      known = &entry;
  if (known != nullptr) {
    for (size_t i = 0; i < known->count; ++i)
      MaskField(record, known->fields[i].first, known->fields[i].second, principal, carrier_view,
                outcome);
  } else {
    for (const auto& [name, field] : kUnknownKindFields)
      MaskField(record, name, field, principal, carrier_view, outcome);
  }
  record["masked"] = outcome.masked;
  return outcome;
}

}  // namespace baotong::api
