// Listings as Excel workbooks (.xlsx, via libxlsxwriter), the format municipal staff work in.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/error.h"

namespace baotong::api {

struct XlsxColumn {
  std::string key;     // field of the JSON record
  std::string header;  // column title, e.g. "车牌号码"
};

// One sheet: a bold header row, then one row per record; numbers stay numbers, strings and
// everything else are written as text (ID numbers must not become floating point), null is
// an empty cell. Returns the workbook's bytes.
Result<std::string> RecordsToXlsx(const std::string& sheet_name,
                                  const std::vector<XlsxColumn>& columns,
                                  const std::vector<nlohmann::ordered_json>& records);

}  // namespace baotong::api
