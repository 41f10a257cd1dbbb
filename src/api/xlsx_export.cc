#include "api/xlsx_export.h"

#include <unistd.h>
#include <xlsxwriter.h>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace baotong::api {
namespace {

// libxlsxwriter writes only to files: a private temporary one, removed on every path.
class TemporaryFile {
 public:
  TemporaryFile() {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "baotong-export-XXXXXX.xlsx").string();
    int fd = mkstemps(pattern.data(), 5);
    if (fd >= 0) {
      close(fd);
      path_ = pattern;
    }
  }
  ~TemporaryFile() {
    if (!path_.empty()) {
      std::error_code ignored;
      std::filesystem::remove(path_, ignored);
    }
  }
  TemporaryFile(const TemporaryFile&) = delete;
  TemporaryFile& operator=(const TemporaryFile&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace

Result<std::string> RecordsToXlsx(const std::string& sheet_name,
                                  const std::vector<XlsxColumn>& columns,
                                  const std::vector<nlohmann::ordered_json>& records) {
  TemporaryFile file;
  if (file.path().empty())
    return Fail(ErrorCode::kStorage, "cannot create a temporary file for the workbook");
  lxw_workbook* workbook = workbook_new(file.path().c_str());
  if (workbook == nullptr)
    return Fail(ErrorCode::kStorage, "cannot create the workbook");
  lxw_worksheet* sheet = workbook_add_worksheet(workbook, sheet_name.c_str());
  lxw_format* bold = workbook_add_format(workbook);
  format_set_bold(bold);
  for (size_t column = 0; column < columns.size(); ++column) {
    auto col = static_cast<lxw_col_t>(column);
    worksheet_write_string(sheet, 0, col, columns[column].header.c_str(), bold);
    worksheet_set_column(sheet, col, col, 18, nullptr);
  }
  for (size_t index = 0; index < records.size(); ++index) {
    const auto row = static_cast<lxw_row_t>(index + 1);
    const auto& record = records[index];
    for (size_t column = 0; column < columns.size(); ++column) {
      auto col = static_cast<lxw_col_t>(column);
      auto found = record.find(columns[column].key);
      if (found == record.end() || found->is_null())
        continue;
      if (found->is_number()) {
        worksheet_write_number(sheet, row, col, found->get<double>(), nullptr);
      } else {
        const std::string text = found->is_string() ? found->get<std::string>() : found->dump();
        worksheet_write_string(sheet, row, col, text.c_str(), nullptr);
      }
    }
  }
  if (workbook_close(workbook) != LXW_NO_ERROR)
    return Fail(ErrorCode::kStorage, "cannot write the workbook");
  std::ifstream input(file.path(), std::ios::binary);
  std::ostringstream bytes;
  bytes << input.rdbuf();
  if (!input)
    return Fail(ErrorCode::kStorage, "cannot read the workbook back");
  return std::move(bytes).str();
}

}  // namespace baotong::api
