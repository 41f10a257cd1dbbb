// CSV as office software writes it (RFC 4180): fields separated by commas, quoted with double
// quotes when they hold commas, quotes (doubled) or line breaks; lines end in LF or CRLF.
// Also: text encodings of the files people upload (UTF-8 with or without BOM, or GBK).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"

namespace baotong::registry {

// Whether `bytes` is well-formed UTF-8 (no overlong forms, no surrogates).
bool IsValidUtf8(std::string_view bytes);

// The text of an uploaded file as UTF-8: a UTF-8 BOM is dropped; bytes that are not valid
// UTF-8 are decoded as GB18030 (a superset of GBK, what Excel writes on Chinese Windows).
// Fails with kBadEncoding when neither works.
Result<std::string> DecodeUploadedText(std::string_view bytes);

class CsvReader {
 public:
  // `text` must outlive the reader.
  explicit CsvReader(std::string_view text) : text_(text) {}

  // Reads the next record into `cells` (reusing its strings). `row` becomes the record's
  // number as a spreadsheet counts rows: 1 for the first record, an empty line counting as a
  // row of its own, a quoted line break not starting a new one. Returns false at the end.
  // An unterminated quote sets unterminated_quote() and ends the input.
  bool Next(std::vector<std::string>& cells, int64_t& row);

  bool unterminated_quote() const { return unterminated_quote_; }

  // Share of the text read so far, 0 to 1 (an import's progress).
  double FractionRead() const {
    return text_.empty() ? 1.0 : static_cast<double>(at_) / static_cast<double>(text_.size());
  }

 private:
  std::string_view text_;
  size_t at_ = 0;
  int64_t row_ = 0;
  bool unterminated_quote_ = false;
};

// One CSV field, quoted when it needs to be.
void AppendCsvField(std::string_view value, std::string& out);

// True when every cell is empty (such records are skipped).
bool IsBlankRecord(const std::vector<std::string>& cells);

}  // namespace baotong::registry
