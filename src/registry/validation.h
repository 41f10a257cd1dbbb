// Validation of the identifiers departments share, as the national standards define them.
// Each check returns nothing on success or an error that names what is wrong, in Chinese
// first, so that an import can report it per row and a page can show it as it is.
#pragma once

#include <string>
#include <string_view>

#include "common/error.h"

namespace baotong::registry {

// Why a value was refused: a stable code for programs and a message for people.
struct Invalid {
  std::string code;     // e.g. "id_number.check_digit"
  std::string message;  // e.g. "身份证号校验码错误 (check digit should be X)"
  bool operator==(const Invalid&) const = default;
};

template <typename T>
using Checked = tl::expected<T, Invalid>;

// 18-digit citizen ID number (公民身份号码, GB 11643-1999): 6-digit region whose first digit is
// 1-8, a real birth date from 1900 on and not in the future, 3-digit sequence, and the ISO
// 7064 MOD 11-2 check character (0-9 or X; a lower-case x is accepted and normalised).
// `today_yyyymmdd` bounds the birth date (pass the current date in China).
Checked<std::string> NormaliseIdNumber(std::string_view text, int today_yyyymmdd);

// The check characters of the two standards, from the first 17 characters (digits for an ID
// number; the GB 32100 charset for a credit code), for generating test and demo data.
char IdNumberCheckCharacter(std::string_view first17);
char CreditCodeCheckCharacter(std::string_view first17);

// 统一社会信用代码 (GB 32100-2015): 18 characters from 0-9 and A-Y without I, O, S, V, Z;
// registration authority code 1-9, A-G or Y; a 6-digit administrative division; and the
// MOD 31 check character. Lower-case letters are accepted and normalised.
Checked<std::string> NormaliseCreditCode(std::string_view text);

// Motor vehicle plate (GA 36): a province abbreviation, the issuing authority's letter, and
// five characters (letters without I and O, digits), or six for new-energy vehicles (a small
// vehicle's starts with D/F/A-K, a large vehicle's ends with D or F), or the special suffixes
// 挂 (trailer), 学 (driving school), 警 (police). UTF-8 in, upper-cased, spaces and dots
// ("辽C·12345") removed.
Checked<std::string> NormalisePlate(std::string_view text);

// Plate colour codes as JT/T 808 and JT/T 415 use them.
enum class PlateColor : uint8_t {
  kNone = 0,  // not yet registered: the vehicle is identified by its VIN
  kBlue = 1,
  kYellow = 2,
  kBlack = 3,
  kWhite = 4,
  kGreen = 5,
  kOther = 9,
};
Checked<PlateColor> ParsePlateColor(int code);

// Driving licence classes (准驾车型, GA/T 947 and the 2021 road traffic regulations): A1 A2 A3
// B1 B2 C1 C2 C3 C4 C5 C6 D E F M N P.
Checked<std::string> NormaliseLicenceClass(std::string_view text);

}  // namespace baotong::registry
