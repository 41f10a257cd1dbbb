#include "common/error.h"

namespace baotong {

std::string_view ToString(ErrorCode code) {
  switch (code) {
    case ErrorCode::kTruncated:
      return "truncated";
    case ErrorCode::kBadChecksum:
      return "bad_checksum";
    case ErrorCode::kBadEscape:
      return "bad_escape";
    case ErrorCode::kLengthMismatch:
      return "length_mismatch";
    case ErrorCode::kUnknownVersion:
      return "unknown_version";
    case ErrorCode::kFrameTooLong:
      return "frame_too_long";
    case ErrorCode::kBadBcd:
      return "bad_bcd";
    case ErrorCode::kBadTime:
      return "bad_time";
    case ErrorCode::kBadValue:
      return "bad_value";
    case ErrorCode::kBadEncoding:
      return "bad_encoding";
    case ErrorCode::kTooLong:
      return "too_long";
    case ErrorCode::kUnsupported:
      return "unsupported";
    case ErrorCode::kResourceLimit:
      return "resource_limit";
    case ErrorCode::kStorage:
      return "storage";
    case ErrorCode::kNotFound:
      return "not_found";
    case ErrorCode::kConflict:
      return "conflict";
  }
  return "unknown_error";
}

std::string Error::Message() const {
  std::string text(ToString(code));
  if (!detail.empty()) {
    text += ": ";
    text += detail;
  }
  return text;
}

}  // namespace baotong
