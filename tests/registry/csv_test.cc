#include "registry/csv.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace baotong::registry {
namespace {

struct Record {
  int64_t row;
  std::vector<std::string> cells;
  bool operator==(const Record&) const = default;
};

std::vector<Record> ReadAll(std::string_view text, bool* unterminated = nullptr) {
  CsvReader reader(text);
  std::vector<Record> records;
  std::vector<std::string> cells;
  int64_t row = 0;
  while (reader.Next(cells, row))
    records.push_back(Record{row, cells});
  if (unterminated)
    *unterminated = reader.unterminated_quote();
  return records;
}

using Cells = std::vector<std::string>;

TEST(CsvReader, ReadsPlainRecordsWithAndWithoutTrailingNewline) {
  EXPECT_EQ(ReadAll("a,b\n1,2\n"), (std::vector<Record>{{1, {"a", "b"}}, {2, {"1", "2"}}}));
  EXPECT_EQ(ReadAll("a,b\n1,2"), (std::vector<Record>{{1, {"a", "b"}}, {2, {"1", "2"}}}));
  EXPECT_TRUE(ReadAll("").empty());
}

TEST(CsvReader, CrlfAndEmptyFields) {
  EXPECT_EQ(ReadAll("a,,c\r\n,2,\r\n"),
            (std::vector<Record>{{1, {"a", "", "c"}}, {2, {"", "2", ""}}}));
}

TEST(CsvReader, QuotedFieldsWithCommasQuotesAndNewlines) {
  auto records = ReadAll("\"辽C,12345\",\"他说\"\"好\"\"\",\"第一行\r\n第二行\"\r\nnext,row\r\n");
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0].cells, (Cells{"辽C,12345", "他说\"好\"", "第一行\r\n第二行"}));
  // A line break inside quotes does not start a spreadsheet row.
  EXPECT_EQ(records[1], (Record{2, {"next", "row"}}));
}

TEST(CsvReader, EmptyLinesCountAsRowsButHoldNothing) {
  auto records = ReadAll("h\n\n1\n");
  ASSERT_EQ(records.size(), 3u);
  EXPECT_TRUE(IsBlankRecord(records[1].cells));
  EXPECT_EQ(records[2], (Record{3, {"1"}}));
}

TEST(CsvReader, RaggedRowsKeepTheirOwnWidth) {
  auto records = ReadAll("a,b,c\n1\n1,2,3,4\n");
  EXPECT_EQ(records[1].cells, Cells{"1"});
  EXPECT_EQ(records[2].cells, (Cells{"1", "2", "3", "4"}));
}

TEST(CsvReader, ReportsAnUnterminatedQuote) {
  bool unterminated = false;
  auto records = ReadAll("a,\"b\n1,2\n", &unterminated);
  EXPECT_TRUE(unterminated);
  ASSERT_EQ(records.size(), 1u);
}

TEST(CsvWriter, QuotesOnlyWhenNeeded) {
  std::string out;
  AppendCsvField("plain", out);
  out += ',';
  AppendCsvField("a,\"b\"\n", out);
  EXPECT_EQ(out, "plain,\"a,\"\"b\"\"\n\"");
}

TEST(DecodeUploadedText, StripsTheBomAndKeepsUtf8) {
  EXPECT_EQ(*DecodeUploadedText("\xEF\xBB\xBF车牌号码"), "车牌号码");
  EXPECT_EQ(*DecodeUploadedText("车牌号码"), "车牌号码");
}

TEST(DecodeUploadedText, DecodesGbkBytes) {
  // "车牌号码,车牌颜色\r\n辽C12345,黄色" as Excel saves it on Chinese Windows.
  const std::string gbk =
      "\xb3\xb5\xc5\xc6\xba\xc5\xc2\xeb,\xb3\xb5\xc5\xc6\xd1\xd5\xc9\xab\r\n"
      "\xc1\xc9"
      "C12345,\xbb\xc6\xc9\xab";
  EXPECT_FALSE(IsValidUtf8(gbk));
  auto text = DecodeUploadedText(gbk);
  ASSERT_TRUE(text);
  EXPECT_EQ(*text, "车牌号码,车牌颜色\r\n辽C12345,黄色");
}

TEST(IsValidUtf8, RefusesOverlongAndTruncatedSequences) {
  EXPECT_TRUE(IsValidUtf8("ascii 中文 😀"));
  EXPECT_FALSE(IsValidUtf8("\xC0\xAF"));      // overlong '/'
  EXPECT_FALSE(IsValidUtf8("\xE4\xB8"));      // truncated
  EXPECT_FALSE(IsValidUtf8("\xED\xA0\x80"));  // surrogate
}

TEST(CsvReader, ReportsHowMuchOfTheTextItHasRead) {
  CsvReader reader("ab\ncd\n");
  std::vector<std::string> cells;
  int64_t row = 0;
  EXPECT_DOUBLE_EQ(reader.FractionRead(), 0.0);
  ASSERT_TRUE(reader.Next(cells, row));
  EXPECT_DOUBLE_EQ(reader.FractionRead(), 0.5);
  ASSERT_TRUE(reader.Next(cells, row));
  EXPECT_DOUBLE_EQ(reader.FractionRead(), 1.0);
  EXPECT_DOUBLE_EQ(CsvReader("").FractionRead(), 1.0);
}

}  // namespace
}  // namespace baotong::registry
