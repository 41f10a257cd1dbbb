// Error values used across Baotong. Parsers of outside input return these instead of throwing,
// so a hostile byte stream can never unwind through a server loop.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <tl/expected.hpp>

namespace baotong {

enum class ErrorCode : uint8_t {
  kTruncated,       // input ended before a field it promised
  kBadChecksum,     // JT/T 808 XOR check code does not match
  kBadEscape,       // 0x7d followed by something other than 0x01 / 0x02
  kLengthMismatch,  // a declared length disagrees with the bytes present
  kUnknownVersion,  // header version that no supported revision defines
  kFrameTooLong,    // frame over the configured limit
  kBadBcd,          // a BCD nibble above 9
  kBadTime,         // a date or time outside the calendar
  kBadValue,        // a field holds a value the standard does not allow
  kBadEncoding,     // text that cannot be converted between GBK and UTF-8
  kTooLong,         // a value does not fit the field it must be written into
  kUnsupported,     // a message or feature this codec does not handle
  kResourceLimit,   // a bound on memory or count was reached
  kStorage,         // the database failed (disk, lock, constraint)
  kNotFound,        // a record asked for by key does not exist
  kConflict,        // a change that contradicts what is stored (e.g. a duplicate key)
};

std::string_view ToString(ErrorCode code);

// `detail` must point to storage that outlives the error (a string literal), so that
// creating and copying an Error never allocates on a hot path.
struct Error {
  ErrorCode code;
  std::string_view detail;

  // "bad_checksum: computed 0x12, frame says 0x34"-style text for logs and tools.
  std::string Message() const;
  bool operator==(const Error&) const = default;
};

template <typename T>
using Result = tl::expected<T, Error>;

inline tl::unexpected<Error> Fail(ErrorCode code, std::string_view detail) {
  return tl::unexpected<Error>(Error{code, detail});
}

}  // namespace baotong
