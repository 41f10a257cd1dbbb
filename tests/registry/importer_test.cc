#include "registry/importer.h"

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <vector>

#include "geodata/geodata_test_files.h"
#include "registry/csv.h"
#include "registry_fixture.h"

namespace baotong::registry {
namespace {

using testing::CreditCode;
using testing::IdNumber;

constexpr std::string_view kToday = "2026-11-26";

class ImporterTest : public testing::RegistryTest {
 protected:
  tl::expected<ImportResult, ImportError> Run(Kind kind, std::string_view bytes,
                                              ImportOptions options = {}) {
    options.today = std::string(kToday);
    return Import(*store_, kind, bytes, options);
  }
  ImportResult MustRun(Kind kind, std::string_view bytes, ImportOptions options = {}) {
    auto result = Run(kind, bytes, std::move(options));
    EXPECT_TRUE(result) << (result ? "" : result.error().message);
    return result ? *result : ImportResult{};
  }
  void ImportCarriers() {
    std::string csv = "统一社会信用代码,企业名称,所属区县,经营许可证有效期至\n" + CreditCode(1) +
                      ",顺达运输,铁东区,2030-01-01\n" + CreditCode(2) +
                      ",安达物流,铁西区,2030/6/30\n";
    ImportResult result = MustRun(Kind::kCarriers, csv);
    ASSERT_EQ(result.inserted, 2);
  }
  std::string VehiclesCsv() {
    return "车牌号码,车牌颜色,车辆类型,统一社会信用代码,车辆识别代号,道路运输证号,"
           "道路运输证有效期至,交强险到期日期\r\n"
           "辽C12345,黄色,重型货车," +
           CreditCode(1) +
           ",lfwsrxrj2j1e00001,辽交运鞍字001号,2027/3/31,20261231\r\n"
           "辽C·D12345,5,危险货物运输车," +
           CreditCode(2) + ",,,2027年1月5日,2027-01-05\r\n";
  }
};

TEST_F(ImporterTest, ImportsVehiclesWithEveryValueForm) {
  ImportCarriers();
  ImportResult result = MustRun(Kind::kVehicles, VehiclesCsv());
  EXPECT_EQ(result.rows_total, 2);
  EXPECT_EQ(result.accepted, 2);
  EXPECT_EQ(result.inserted, 2);
  EXPECT_EQ(result.rejected, 0);
  EXPECT_TRUE(result.warnings.empty());
  auto first = store_->FindVehicle("辽C12345", PlateColor::kYellow);
  ASSERT_TRUE(first && *first);
  EXPECT_EQ((*first)->vin, "LFWSRXRJ2J1E00001");
  EXPECT_EQ((*first)->transport_cert_valid_until, "2027-03-31");
  EXPECT_EQ((*first)->insurance_valid_until, "2026-12-31");
  auto second = store_->FindVehicle("辽CD12345", PlateColor::kGreen);
  ASSERT_TRUE(second && *second);
  EXPECT_EQ((*second)->vehicle_class, VehicleClass::kHazardous);
  EXPECT_EQ((*second)->transport_cert_valid_until, "2027-01-05");
  EXPECT_FALSE((*second)->vin);
}

TEST_F(ImporterTest, ReimportChangesNothingAndChangedRowsAreUpdated) {
  ImportCarriers();
  MustRun(Kind::kVehicles, VehiclesCsv());
  ImportResult again = MustRun(Kind::kVehicles, VehiclesCsv());
  EXPECT_EQ(again.inserted, 0);
  EXPECT_EQ(again.updated, 0);
  EXPECT_EQ(again.unchanged, 2);

  std::string changed = VehiclesCsv();
  changed.replace(changed.find("20261231"), 8, "20271231");
  ImportResult updated = MustRun(Kind::kVehicles, changed);
  EXPECT_EQ(updated.inserted, 0);
  EXPECT_EQ(updated.updated, 1);
  EXPECT_EQ(updated.unchanged, 1);
  EXPECT_EQ((*store_->FindVehicle("辽C12345", PlateColor::kYellow))->insurance_valid_until,
            "2027-12-31");
}

TEST_F(ImporterTest, ColumnsAbsentFromTheFileKeepTheirValues) {
  ImportCarriers();
  MustRun(Kind::kVehicles, VehiclesCsv());
  // Only the insurance date: the VIN and the certificate stay; an empty cell in a present
  // column clears.
  std::string csv =
      "车牌号码,车牌颜色,车辆类型,统一社会信用代码,交强险到期日期,道路运输证号\n"
      "辽C12345,黄色,重型货车," +
      CreditCode(1) + ",2028-01-01,\n";
  ImportResult result = MustRun(Kind::kVehicles, csv);
  EXPECT_EQ(result.updated, 1);
  auto vehicle = store_->FindVehicle("辽C12345", PlateColor::kYellow);
  ASSERT_TRUE(vehicle && *vehicle);
  EXPECT_EQ((*vehicle)->insurance_valid_until, "2028-01-01");
  EXPECT_EQ((*vehicle)->vin, "LFWSRXRJ2J1E00001");
  EXPECT_EQ((*vehicle)->transport_cert_valid_until, "2027-03-31");
  EXPECT_FALSE((*vehicle)->transport_cert_no);
}

TEST_F(ImporterTest, RejectsRowsWithRowColumnAndReason) {
  ImportCarriers();
  std::string csv = "车牌号码,车牌颜色,车辆类型,统一社会信用代码,交强险到期日期\n" +
                    std::string("辽C12345,黄色,重型货车,") + CreditCode(1) + ",2026-12-31\n" +
                    "京Z1234,紫色,重型货车," + CreditCode(1) + ",2026-02-30\n" +  // row 3
                    "\n" +                                                        // row 4
                    "辽C54321,黄色,拖拉机," + CreditCode(9) + ",\n" +             // row 5
                    "辽C12345,2,普通货车," + CreditCode(1) + ",\n" +              // row 6
                    "辽C99999,,普通货车,\n";                                      // row 7
  ImportResult result = MustRun(Kind::kVehicles, csv);
  EXPECT_EQ(result.rows_total, 5);
  EXPECT_EQ(result.accepted, 1);
  EXPECT_EQ(result.rejected, 4);
  auto has = [&](int64_t row, std::string_view column, std::string_view reason_part) {
    for (const auto& rejection : result.rejections) {
      if (rejection.row == row && rejection.column == column &&
          rejection.reason.find(reason_part) != std::string::npos)
        return true;
    }
    return false;
  };
  EXPECT_TRUE(has(3, "车牌号码", "车牌号格式无效"));
  EXPECT_TRUE(has(3, "车牌颜色", "车牌颜色无效"));
  EXPECT_TRUE(has(3, "交强险到期日期", "日期格式错误"));
  EXPECT_TRUE(has(5, "车辆类型", "车辆类型无效"));
  EXPECT_TRUE(has(6, "车牌号码", "与第2行的记录重复"));
  EXPECT_TRUE(has(7, "车牌颜色", "必填项为空"));
  EXPECT_TRUE(has(7, "统一社会信用代码", "必填项为空"));
  // The unknown carrier is reported only once the code itself is valid.
  std::string good_code_bad_reference = "车牌号码,车牌颜色,车辆类型,统一社会信用代码\n" +
                                        std::string("辽C54321,黄色,普通货车,") + CreditCode(9) +
                                        "\n";
  ImportResult reference = MustRun(Kind::kVehicles, good_code_bad_reference);
  ASSERT_EQ(reference.rejections.size(), 1u);
  EXPECT_EQ(reference.rejections[0].row, 2);
  EXPECT_NE(reference.rejections[0].reason.find("不在登记库中"), std::string::npos);
}

TEST_F(ImporterTest, ExcelWorkbooksGiveTheSameRowReports) {
  ImportCarriers();
  const auto dir =
      std::filesystem::temp_directory_path() / ("baotong-xlsx-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  // The same rows as a department's workbook: row 3 is blank, row 4 has an unknown type.
  const std::string book = geodata::testing::Workbook(
      dir, {"车牌号码", "车牌颜色", "车辆类型", "统一社会信用代码", "交强险到期日期"},
      {{"辽C12345", "黄色", "重型货车", CreditCode(1), "2026-12-31"},
       {"", "", "", "", ""},
       {"辽C54321", "黄色", "拖拉机", CreditCode(1), ""}});
  std::filesystem::remove_all(dir);
  ImportResult result = MustRun(Kind::kVehicles, book);  // detected from the ZIP signature
  EXPECT_EQ(result.rows_total, 2);
  EXPECT_EQ(result.accepted, 1);
  ASSERT_EQ(result.rejections.size(), 1u);
  EXPECT_EQ(result.rejections[0].row, 4);
  EXPECT_EQ(result.rejections[0].column, "车辆类型");
  // The credit code keeps its digits (cells are read as text, not numbers).
  auto vehicle = store_->FindVehicle("辽C12345", PlateColor::kYellow);
  ASSERT_TRUE(vehicle && *vehicle);
  EXPECT_EQ((*vehicle)->carrier_credit_code, CreditCode(1));
  ImportOptions as_xlsx;
  as_xlsx.format = ImportFormat::kXlsx;
  EXPECT_FALSE(Run(Kind::kVehicles, "车牌号码\n辽C1\n", as_xlsx));
}

TEST_F(ImporterTest, MissingRequiredColumnFailsAndUnknownColumnsWarn) {
  auto failed = Run(Kind::kVehicles, "车牌号码,车辆类型\n辽C12345,重型货车\n");
  ASSERT_FALSE(failed);
  EXPECT_NE(failed.error().message.find("缺少必填列：车牌颜色、统一社会信用代码"),
            std::string::npos);
  EXPECT_EQ(*store_->Count(Kind::kVehicles), 0);

  ImportCarriers();
  std::string csv =
      "车牌号码,车牌颜色,车辆类型,统一社会信用代码,备注,颜色\n辽C12345,黄色,重型货车," +
      CreditCode(1) + ",x,y\n";
  ImportResult result = MustRun(Kind::kVehicles, csv);
  EXPECT_EQ(result.inserted, 1);
  ASSERT_EQ(result.warnings.size(), 1u);
  EXPECT_NE(result.warnings[0].find("备注、颜色"), std::string::npos);
}

TEST_F(ImporterTest, GbkFileWithBomlessHeaderAndRaggedRows) {
  ImportCarriers();
  // 车牌号码,车牌颜色,车辆类型,统一社会信用代码 / 辽C12345,黄色,重型货车,<code> in GBK.
  std::string gbk =
      "\xb3\xb5\xc5\xc6\xba\xc5\xc2\xeb,\xb3\xb5\xc5\xc6\xd1\xd5\xc9\xab,"
      "\xb3\xb5\xc1\xbe\xc0\xe0\xd0\xcd,"
      "\xcd\xb3\xd2\xbb\xc9\xe7\xbb\xe1\xd0\xc5\xd3\xc3\xb4\xfa\xc2\xeb\r\n"
      "\xc1\xc9"
      "C12345,\xbb\xc6\xc9\xab,\xd6\xd8\xd0\xcd\xbb\xf5\xb3\xb5," +
      CreditCode(1) + "\r\n\xc1\xc9" + "C22222\r\n";  // ragged: one cell only
  ImportResult result = MustRun(Kind::kVehicles, gbk);
  EXPECT_EQ(result.inserted, 1);
  EXPECT_EQ(result.rejected, 1);
  EXPECT_TRUE(*store_->VehicleExists("辽C12345", PlateColor::kYellow));
}

TEST_F(ImporterTest, UnterminatedQuoteFailsTheImport) {
  ImportCarriers();
  std::string csv = "车牌号码,车牌颜色,车辆类型,统一社会信用代码\n\"辽C12345,黄色,重型货车," +
                    CreditCode(1) + "\n";
  auto result = Run(Kind::kVehicles, csv);
  ASSERT_FALSE(result);
  EXPECT_NE(result.error().message.find("引号没有闭合"), std::string::npos);
  EXPECT_EQ(*store_->Count(Kind::kVehicles), 0);
}

TEST_F(ImporterTest, JsonArraysByEnglishOrChineseKeys) {
  ImportCarriers();
  std::string json = R"([{"plate":"辽C12345","plate_color":2,"vehicle_class":"heavy_truck",
    "carrier_credit_code":")" +
                     CreditCode(1) + R"(","insurance_valid_until":"2027-01-01"},
    {"车牌号码":"辽C12346","车牌颜色":"黄色","车辆类型":"普通货车","统一社会信用代码":")" +
                     CreditCode(2) + R"(","vin":null},
    {"plate":"bad","plate_color":2,"vehicle_class":"truck","carrier_credit_code":")" +
                     CreditCode(2) + R"("}])";
  ImportResult result = MustRun(Kind::kVehicles, json);
  EXPECT_EQ(result.inserted, 2);
  ASSERT_EQ(result.rejected, 1);
  EXPECT_EQ(result.rejections[0].row, 3);  // the third object
  EXPECT_EQ(result.rejections[0].column, "plate");

  auto malformed = Run(Kind::kVehicles, "[{\"plate\": ");
  ASSERT_FALSE(malformed);
  EXPECT_NE(malformed.error().message.find("JSON"), std::string::npos);
  ImportOptions as_csv;
  as_csv.format = ImportFormat::kCsv;
  EXPECT_FALSE(Run(Kind::kVehicles, "[1]", as_csv));  // no such header
}

TEST_F(ImporterTest, EachKindsColumns) {
  ImportCarriers();
  auto carrier = store_->FindCarrier(CreditCode(2));
  ASSERT_TRUE(carrier && *carrier);
  EXPECT_EQ((*carrier)->business_permit_valid_until, "2030-06-30");
  EXPECT_EQ((*carrier)->district, "铁西区");

  std::string drivers =
      "身份证号,姓名,手机号,准驾车型,驾驶证有效期至,从业资格证号,从业资格类别,"
      "从业资格证有效期至,所属企业信用代码\n" +
      IdNumber(1) +
      ",张伟,139 0000 0001,a2,2030-07-15,Q1,危险货物道路运输驾驶员,"
      "2028-05-31," +
      CreditCode(1) + "\n" + IdNumber(2) + ",李强,12ab,Z9,,,,,\n";  // bad phone, bad licence class
  ImportResult driver_result = MustRun(Kind::kDrivers, drivers);
  EXPECT_EQ(driver_result.inserted, 1);
  EXPECT_EQ(driver_result.rejections.size(), 2u);
  auto driver = store_->FindDriver(IdNumber(1));
  ASSERT_TRUE(driver && *driver);
  EXPECT_EQ((*driver)->licence_class, "A2");
  EXPECT_EQ((*driver)->phone, "13900000001");
  EXPECT_EQ((*driver)->carrier_credit_code, CreditCode(1));

  MustRun(Kind::kVehicles, VehiclesCsv());
  std::string terminals =
      "终端手机号,终端ID,制造商,终端型号,车牌号码,车牌颜色\n"
      "013900000001,T1,70111,BT-808,辽C12345,黄色\n"
      "013900000002,T2,,,辽C77777,黄色\n"  // no such vehicle
      "0139000000x3,T3,,,,\n";             // not digits
  std::vector<Terminal> provisioned;
  ImportOptions options;
  options.on_terminals = [&](std::span<const Terminal> accepted) -> Result<void> {
    provisioned.assign(accepted.begin(), accepted.end());
    return {};
  };
  ImportResult terminal_result = MustRun(Kind::kTerminals, terminals, options);
  EXPECT_EQ(terminal_result.inserted, 1);
  EXPECT_EQ(terminal_result.rejected, 2);
  ASSERT_EQ(provisioned.size(), 1u);
  EXPECT_EQ(provisioned[0].phone, "013900000001");
  EXPECT_EQ(provisioned[0].plate_color, PlateColor::kYellow);

  std::string health = "身份证号,姓名,检测类型,检测结果,检测时间,有效期至\n" + IdNumber(1) +
                       ",张伟,核酸检测,阴性,2026-11-25 08:30,2026-11-27\n" + IdNumber(1) +
                       ",张伟,核酸检测,阴性,1795566600000,\n" + IdNumber(1) +
                       ",张伟,核酸检测,阴性,2026-11-25T00:30:00Z,\n";  // same time as row 2
  ImportResult health_result = MustRun(Kind::kHealthRecords, health);
  EXPECT_EQ(health_result.inserted, 1);
  EXPECT_EQ(health_result.rejected, 2);  // the same test twice more: duplicates
  auto page = store_->List(Kind::kHealthRecords, ListQuery{});
  ASSERT_EQ(page->items.size(), 1u);
  // 2026-11-25 08:30 China time.
  EXPECT_EQ(page->items[0]["tested_at"], 1795566600000);

  std::string sites =
      "场所编码,场所名称,场所类型,所属区县,位置范围,经度,纬度\n"
      "ZD-1,鞍钢西门,装货点,铁西区,,122.95,41.12\n"
      "ZD-2,腾鳌服务区,service_area,海城市,\"{\"\"type\"\":\"\"Polygon\"\",\"\"coordinates\"\":"
      "[[[122.9,41.1],[123.0,41.1],[123.0,41.2],[122.9,41.1]]]}\",,\n"
      "ZD-3,开口多边形,卸货点,海城市,\"{\"\"type\"\":\"\"Polygon\"\",\"\"coordinates\"\":"
      "[[[122.9,41.1],[123.0,41.1],[123.0,41.2],[122.9,41.2]]]}\",,\n"
      "ZD-4,越界,卸货点,海城市,,190,41\n";
  ImportResult site_result = MustRun(Kind::kSites, sites);
  EXPECT_EQ(site_result.inserted, 2);
  ASSERT_EQ(site_result.rejections.size(), 2u);
  EXPECT_EQ(site_result.rejections[0].row, 4);
  EXPECT_NE(site_result.rejections[0].reason.find("首尾"), std::string::npos);
  EXPECT_EQ(site_result.rejections[1].row, 5);
}

TEST_F(ImporterTest, ProgressAndCancellation) {
  ImportCarriers();
  std::string csv = "车牌号码,车牌颜色,车辆类型,统一社会信用代码\n";
  for (int i = 0; i < 2500; ++i) {
    char plate[16];
    std::snprintf(plate, sizeof plate, "%05d", i);
    csv += "辽C" + std::string(plate) + ",2,普通货车," + CreditCode(1) + "\n";
  }
  std::vector<std::pair<int64_t, int64_t>> calls;
  ImportOptions options;
  options.on_progress = [&](int64_t done, int64_t total) { calls.emplace_back(done, total); };
  ImportResult result = MustRun(Kind::kVehicles, csv, options);
  EXPECT_EQ(result.inserted, 2500);
  // Every 1,000 rows, with the total estimated from how much of the file is read (rows of one
  // length here, so within a few percent), and exact at the end.
  ASSERT_EQ(calls.size(), 3u);
  EXPECT_EQ(calls[0].first, 1000);
  EXPECT_EQ(calls[1].first, 2000);
  for (const auto& [done, total] : calls) {
    EXPECT_GE(total, done);
    EXPECT_NEAR(static_cast<double>(total), 2500.0, 125.0);
  }
  EXPECT_EQ(calls.back(), (std::pair<int64_t, int64_t>{2500, 2500}));

  std::atomic<bool> cancel{true};
  options.cancel = &cancel;
  auto cancelled = Run(Kind::kVehicles, csv, options);
  ASSERT_FALSE(cancelled);
  EXPECT_NE(cancelled.error().message.find("取消"), std::string::npos);
}

TEST_F(ImporterTest, ImportLogKeepsCountsAndRejections) {
  ImportLog log(*database_);
  auto id = log.Start(Kind::kVehicles, "车辆.csv", "admin", "大数据局", 1000);
  ASSERT_TRUE(id);
  ImportResult result;
  result.kind = Kind::kVehicles;
  result.rows_total = 150;
  result.accepted = 0;
  result.rejected = 150;
  for (int i = 0; i < 150; ++i)
    result.rejections.push_back(Rejection{i + 2, "车牌号码", "原因, 含逗号和\"引号\""});
  result.warnings.push_back("未识别的列已忽略：备注");
  ASSERT_TRUE(log.Finish(*id, result, 2000));
  auto failed_id = log.Start(Kind::kDrivers, "d.csv", "u", "公安局", 3000);
  ASSERT_TRUE(log.Fail(*failed_id, "缺少必填列：姓名", 3500));
  auto running_id = log.Start(Kind::kSites, "s.csv", "u", "公安局", 4000);
  EXPECT_EQ(*log.FailInterrupted(5000), 1);

  auto list = log.List(0, 10);
  ASSERT_TRUE(list);
  EXPECT_EQ(list->total, 3);
  ASSERT_EQ(list->items.size(), 3u);
  EXPECT_EQ(list->items[0].id, *running_id);  // newest first
  EXPECT_EQ(list->items[0].status, "failed");
  EXPECT_EQ(list->items[1].error, "缺少必填列：姓名");

  auto record = log.Get(*id);
  ASSERT_TRUE(record && *record);
  EXPECT_EQ((*record)->status, "done");
  EXPECT_EQ((*record)->finished_at_ms, 2000);
  EXPECT_EQ((*record)->counts.rejections.size(), 100u);
  EXPECT_EQ((*record)->counts.warnings, result.warnings);
  auto json = ImportRecordJson(**record, true);
  EXPECT_EQ(json["rows_done"], 150);
  EXPECT_EQ(json["rejections"][0]["row"], 2);
  EXPECT_EQ(json["rejections"][0]["column"], "车牌号码");
  EXPECT_EQ(json["file_name"], "车辆.csv");

  auto csv = log.RejectionsCsv(*id);
  ASSERT_TRUE(csv && *csv);
  EXPECT_EQ(csv->value().substr(0, 3), "\xEF\xBB\xBF");
  // Read back with the CSV reader: 151 records, quoting intact.
  std::string text = csv->value().substr(3);
  CsvReader reader(text);
  std::vector<std::string> cells;
  int64_t row = 0;
  ASSERT_TRUE(reader.Next(cells, row));
  EXPECT_EQ(cells, (std::vector<std::string>{"行号", "列", "原因"}));
  ASSERT_TRUE(reader.Next(cells, row));
  EXPECT_EQ(cells, (std::vector<std::string>{"2", "车牌号码", "原因, 含逗号和\"引号\""}));
  int records = 2;
  while (reader.Next(cells, row))
    ++records;
  EXPECT_EQ(records, 151);
  EXPECT_FALSE(*log.RejectionsCsv(9999));
  EXPECT_FALSE(*log.Get(9999));
}

TEST(ImportTemplates, HaveTheChineseHeaders) {
  EXPECT_EQ(ImportTemplateCsv(Kind::kVehicles),
            "\xEF\xBB\xBF车牌号码,车牌颜色,车辆类型,统一社会信用代码,车辆识别代号,道路运输证号,"
            "道路运输证有效期至,交强险到期日期\r\n");
  for (Kind kind : kAllKinds) {
    EXPECT_FALSE(ImportColumns(kind).empty());
    for (const auto& column : ImportColumns(kind))
      EXPECT_FALSE(column.example.empty()) << column.field;
  }
}

}  // namespace
}  // namespace baotong::registry
