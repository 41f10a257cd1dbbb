#include "registry/validation.h"

#include <algorithm>
#include <array>
#include <cctype>

namespace baotong::registry {
namespace {

constexpr std::string_view kCreditCodeCharset = "0123456789ABCDEFGHJKLMNPQRTUWXY";

tl::unexpected<Invalid> Refuse(std::string code, std::string message) {
  return tl::unexpected<Invalid>(Invalid{std::move(code), std::move(message)});
}

bool IsLeapYear(int year) {
  return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
}

bool IsCalendarDate(int year, int month, int day) {
  static constexpr std::array<int, 12> kDays = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (month < 1 || month > 12 || day < 1)
    return false;
  return day <= kDays[static_cast<size_t>(month - 1)] + (month == 2 && IsLeapYear(year) ? 1 : 0);
}

int Digits(std::string_view text) {
  int value = 0;
  for (char c : text)
    value = value * 10 + (c - '0');
  return value;
}

// Code points of UTF-8 text; empty on invalid UTF-8.
std::u32string DecodeUtf8(std::string_view text) {
  std::u32string out;
  for (size_t i = 0; i < text.size();) {
    auto byte = static_cast<unsigned char>(text[i]);
    size_t length = byte < 0x80           ? 1
                    : (byte >> 5) == 0x6  ? 2
                    : (byte >> 4) == 0xe  ? 3
                    : (byte >> 3) == 0x1e ? 4
                                          : 0;
    if (length == 0 || i + length > text.size())
      return {};
    char32_t point = length == 1 ? byte : byte & (0x7f >> length);
    for (size_t k = 1; k < length; ++k) {
      auto next = static_cast<unsigned char>(text[i + k]);
      if ((next & 0xc0) != 0x80)
        return {};
      point = (point << 6) | (next & 0x3f);
    }
    out.push_back(point);
    i += length;
  }
  return out;
}

void AppendUtf8(char32_t point, std::string& out) {
  if (point < 0x80) {
    out.push_back(static_cast<char>(point));
  } else if (point < 0x800) {
    out.push_back(static_cast<char>(0xc0 | (point >> 6)));
    out.push_back(static_cast<char>(0x80 | (point & 0x3f)));
  } else if (point < 0x10000) {
    out.push_back(static_cast<char>(0xe0 | (point >> 12)));
    out.push_back(static_cast<char>(0x80 | ((point >> 6) & 0x3f)));
    out.push_back(static_cast<char>(0x80 | (point & 0x3f)));
  } else {
    out.push_back(static_cast<char>(0xf0 | (point >> 18)));
    out.push_back(static_cast<char>(0x80 | ((point >> 12) & 0x3f)));
    out.push_back(static_cast<char>(0x80 | ((point >> 6) & 0x3f)));
    out.push_back(static_cast<char>(0x80 | (point & 0x3f)));
  }
}

// Letters on plates and in credit codes leave out those that look like digits.
bool IsPlateLetter(char32_t c) {
  return c >= U'A' && c <= U'Z' && c != U'I' && c != U'O';
}
bool IsDigit(char32_t c) {
  return c >= U'0' && c <= U'9';
}

}  // namespace

char IdNumberCheckCharacter(std::string_view first17) {
  // ISO 7064 MOD 11-2: weights 2^(17-i) mod 11.
  static constexpr std::array<int, 17> kWeights = {7, 9, 10, 5,  8, 4, 2, 1, 6,
                                                   3, 7, 9,  10, 5, 8, 4, 2};
  static constexpr char kCheck[] = "10X98765432";
  int sum = 0;
  for (size_t i = 0; i < 17 && i < first17.size(); ++i)
    sum += (first17[i] - '0') * kWeights[i];
  return kCheck[sum % 11];
}

char CreditCodeCheckCharacter(std::string_view first17) {
  static constexpr std::array<int, 17> kWeights = {1,  3,  9,  27, 19, 26, 16, 17, 20,
                                                   29, 25, 13, 8,  24, 10, 30, 28};
  int sum = 0;
  for (size_t i = 0; i < 17 && i < first17.size(); ++i) {
    size_t at = kCreditCodeCharset.find(first17[i]);
    sum += static_cast<int>(at == std::string_view::npos ? 0 : at) * kWeights[i];
  }
  return kCreditCodeCharset[static_cast<size_t>((31 - sum % 31) % 31)];
}

Checked<std::string> NormaliseIdNumber(std::string_view text, int today_yyyymmdd) {
  std::string id(text);
  if (id.size() == 18 && id[17] == 'x')
    id[17] = 'X';
  if (id.size() != 18) {
    return Refuse("id_number.length", "身份证号应为18位 (an ID number has 18 characters)");
  }
  if (!std::all_of(id.begin(), id.begin() + 17, [](char c) { return c >= '0' && c <= '9'; }) ||
      !((id[17] >= '0' && id[17] <= '9') || id[17] == 'X')) {
    return Refuse("id_number.characters",
                  "身份证号前17位应为数字，末位为数字或X (17 digits, then a digit or X)");
  }
  if (id[0] < '1' || id[0] > '8') {
    return Refuse("id_number.region", "身份证号地址码无效 (the region code starts with 1-8)");
  }
  int year = Digits(std::string_view(id).substr(6, 4));
  int month = Digits(std::string_view(id).substr(10, 2));
  int day = Digits(std::string_view(id).substr(12, 2));
  if (year < 1900 || !IsCalendarDate(year, month, day) ||
      Digits(std::string_view(id).substr(6, 8)) > today_yyyymmdd) {
    return Refuse("id_number.birth_date",
                  "身份证号出生日期无效 (the birth date is not a real date)");
  }
  char expected = IdNumberCheckCharacter(std::string_view(id).substr(0, 17));
  if (id[17] != expected) {
    return Refuse(
        "id_number.check_digit",
        std::string("身份证号校验码错误 (the check character should be ") + expected + ")");
  }
  return id;
}

Checked<std::string> NormaliseCreditCode(std::string_view text) {
  constexpr std::string_view kCharset = kCreditCodeCharset;
  std::string code(text);
  std::transform(code.begin(), code.end(), code.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  if (code.size() != 18) {
    return Refuse("credit_code.length",
                  "统一社会信用代码应为18位 (a unified social credit code has 18 characters)");
  }
  std::array<int, 18> values{};
  for (size_t i = 0; i < 18; ++i) {
    size_t at = kCharset.find(code[i]);
    if (at == std::string_view::npos) {
      return Refuse("credit_code.characters",
                    "统一社会信用代码含无效字符 (only 0-9 and A-Y without I, O, S, V, Z)");
    }
    values[i] = static_cast<int>(at);
  }
  if (std::string_view("123456789ABCDEFGY").find(code[0]) == std::string_view::npos) {
    return Refuse("credit_code.authority",
                  "登记管理部门代码无效 (the registration authority code is 1-9, A-G or Y)");
  }
  if (!std::all_of(code.begin() + 2, code.begin() + 8,
                   [](char c) { return c >= '0' && c <= '9'; })) {
    return Refuse("credit_code.region", "行政区划码应为6位数字 (the division code is 6 digits)");
  }
  const char check = CreditCodeCheckCharacter(std::string_view(code).substr(0, 17));
  if (code[17] != check) {
    return Refuse(
        "credit_code.check_character",
        std::string("统一社会信用代码校验码错误 (the check character should be ") + check + ")");
  }
  return code;
}

Checked<std::string> NormalisePlate(std::string_view text) {
  static const std::u32string kProvinces =
      U"京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼";
  std::u32string plate;
  for (char32_t c : DecodeUtf8(text)) {
    if (c == U' ' || c == U'·' || c == U'.' || c == U'-')
      continue;
    plate.push_back(c >= U'a' && c <= U'z' ? c - U'a' + U'A' : c);
  }
  if (plate.empty())
    return Refuse("plate.empty", "车牌号为空 (the plate is empty)");
  if (kProvinces.find(plate[0]) == std::u32string::npos) {
    return Refuse("plate.province", "车牌号首字应为省份简称 (the plate starts with a province)");
  }
  if (plate.size() < 2 || !(plate[1] >= U'A' && plate[1] <= U'Z')) {
    return Refuse("plate.authority", "车牌号第二位应为发牌机关字母 (then a letter)");
  }
  std::u32string rest = plate.substr(2);
  auto all = [&](size_t from, size_t to, auto predicate) {
    return std::all_of(rest.begin() + static_cast<ptrdiff_t>(from),
                       rest.begin() + static_cast<ptrdiff_t>(to), predicate);
  };
  auto plate_char = [](char32_t c) { return IsDigit(c) || IsPlateLetter(c); };
  bool valid = false;
  if (rest.size() == 5) {
    valid = all(0, 5, plate_char);  // ordinary
  } else if (rest.size() == 6) {
    // New energy: small vehicles D/A/B/C/E (electric) or F/G/H/J/K (hybrid) first, then a
    // letter or digit and four digits; large vehicles five digits then D or F.
    static const std::u32string kSmall = U"DABCEFGHJK";
    bool small =
        kSmall.find(rest[0]) != std::u32string::npos && plate_char(rest[1]) && all(2, 6, IsDigit);
    bool large = all(0, 5, IsDigit) && (rest[5] == U'D' || rest[5] == U'F');
    valid = small || large;
  }
  if (!valid && rest.size() == 5 && (rest[4] == U'挂' || rest[4] == U'学' || rest[4] == U'警')) {
    valid = all(0, 4, plate_char);  // trailer, driving school, police
  }
  if (!valid) {
    return Refuse("plate.format",
                  "车牌号格式无效 (5 letters/digits after the letter, or 6 for new energy)");
  }
  std::string out;
  for (char32_t c : plate)
    AppendUtf8(c, out);
  return out;
}

Checked<PlateColor> ParsePlateColor(int code) {
  switch (code) {
    case 0:
    case 1:
    case 2:
    case 3:
    case 4:
    case 5:
    case 9:
      return static_cast<PlateColor>(code);
    default:
      return Refuse(
          "plate_color.code",
          "车牌颜色代码无效 (0 none, 1 blue, 2 yellow, 3 black, 4 white, 5 green, 9 other)");
  }
}

Checked<std::string> NormaliseLicenceClass(std::string_view text) {
  static constexpr std::array<std::string_view, 17> kClasses = {"A1", "A2", "A3", "B1", "B2", "C1",
                                                                "C2", "C3", "C4", "C5", "C6", "D",
                                                                "E",  "F",  "M",  "N",  "P"};
  std::string value(text);
  std::transform(value.begin(), value.end(), value.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  if (std::find(kClasses.begin(), kClasses.end(), value) == kClasses.end()) {
    return Refuse("licence_class.unknown", "准驾车型无效 (A1 A2 A3 B1 B2 C1-C6 D E F M N P)");
  }
  return value;
}

}  // namespace baotong::registry
