#include "registry/csv.h"

#include "common/gbk.h"

namespace baotong::registry {

bool IsValidUtf8(std::string_view bytes) {
  size_t i = 0;
  const size_t n = bytes.size();
  while (i < n) {
    auto byte = static_cast<unsigned char>(bytes[i]);
    if (byte < 0x80) {
      ++i;
      continue;
    }
    size_t length = 0;
    uint32_t point = 0;
    if ((byte & 0xe0) == 0xc0) {
      length = 2;
      point = byte & 0x1f;
    } else if ((byte & 0xf0) == 0xe0) {
      length = 3;
      point = byte & 0x0f;
    } else if ((byte & 0xf8) == 0xf0) {
      length = 4;
      point = byte & 0x07;
    } else {
      return false;
    }
    if (i + length > n)
      return false;
    for (size_t k = 1; k < length; ++k) {
      auto next = static_cast<unsigned char>(bytes[i + k]);
      if ((next & 0xc0) != 0x80)
        return false;
      point = (point << 6) | (next & 0x3f);
    }
    static constexpr uint32_t kMinimum[] = {0, 0, 0x80, 0x800, 0x10000};
    if (point < kMinimum[length] || point > 0x10ffff || (point >= 0xd800 && point <= 0xdfff))
      return false;
    i += length;
  }
  return true;
}

Result<std::string> DecodeUploadedText(std::string_view bytes) {
  if (bytes.substr(0, 3) == "\xEF\xBB\xBF")
    bytes.remove_prefix(3);
  if (IsValidUtf8(bytes))
    return std::string(bytes);
  auto decoded = GbkToUtf8(ByteSpan(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()));
  if (!decoded)
    return Fail(ErrorCode::kBadEncoding, "the file is neither UTF-8 nor GBK");
  return decoded;
}

bool CsvReader::Next(std::vector<std::string>& cells, int64_t& row) {
  if (at_ >= text_.size() || unterminated_quote_)
    return false;
  row = ++row_;
  size_t used = 0;
  auto next_cell = [&]() -> std::string& {
    if (used == cells.size())
      cells.emplace_back();
    std::string& cell = cells[used++];
    cell.clear();
    return cell;
  };
  const size_t n = text_.size();
  while (true) {
    std::string& cell = next_cell();
    if (at_ < n && text_[at_] == '"') {
      // Quoted field: up to the closing quote; "" is one quote; line breaks are content.
      ++at_;
      while (true) {
        size_t quote = text_.find('"', at_);
        if (quote == std::string_view::npos) {
          cell.append(text_.substr(at_));
          at_ = n;
          unterminated_quote_ = true;
          cells.resize(used);
          return true;
        }
        cell.append(text_.substr(at_, quote - at_));
        at_ = quote + 1;
        if (at_ < n && text_[at_] == '"') {
          cell.push_back('"');
          ++at_;
          continue;
        }
        break;
      }
      // Anything between the closing quote and the separator is kept, as spreadsheets do.
      while (at_ < n && text_[at_] != ',' && text_[at_] != '\n' && text_[at_] != '\r')
        cell.push_back(text_[at_++]);
    } else {
      size_t end = text_.find_first_of(",\r\n", at_);
      if (end == std::string_view::npos)
        end = n;
      cell.append(text_.substr(at_, end - at_));
      at_ = end;
    }
    if (at_ < n && text_[at_] == ',') {
      ++at_;
      continue;
    }
    // End of record: CRLF, LF, a lone CR, or the end of the text.
    if (at_ < n && text_[at_] == '\r')
      ++at_;
    if (at_ < n && text_[at_] == '\n')
      ++at_;
    break;
  }
  cells.resize(used);
  return true;
}

void AppendCsvField(std::string_view value, std::string& out) {
  if (value.find_first_of(",\"\r\n") == std::string_view::npos) {
    out.append(value);
    return;
  }
  out.push_back('"');
  for (char c : value) {
    if (c == '"')
      out.push_back('"');
    out.push_back(c);
  }
  out.push_back('"');
}

bool IsBlankRecord(const std::vector<std::string>& cells) {
  for (const auto& cell : cells) {
    if (cell.find_first_not_of(" \t") != std::string::npos)
      return false;
  }
  return true;
}

}  // namespace baotong::registry
