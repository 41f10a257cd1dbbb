#include "registry/credentials.h"

#include <gtest/gtest.h>

namespace baotong::registry {
namespace {

constexpr std::string_view kToday = "2026-11-26";

TEST(Dates, AcceptsTheFormsOfficesWrite) {
  EXPECT_EQ(NormaliseDate("2026-01-05"), "2026-01-05");
  EXPECT_EQ(NormaliseDate("2026/1/5"), "2026-01-05");
  EXPECT_EQ(NormaliseDate("2026-1-5"), "2026-01-05");
  EXPECT_EQ(NormaliseDate("2026.01.05"), "2026-01-05");
  EXPECT_EQ(NormaliseDate("20260105"), "2026-01-05");
  EXPECT_EQ(NormaliseDate("2026年1月5日"), "2026-01-05");
  EXPECT_EQ(NormaliseDate(" 2026/1/5 0:00:00"), "2026-01-05");
  EXPECT_EQ(NormaliseDate("2024-02-29"), "2024-02-29");
}

TEST(Dates, RefusesWhatIsNotACalendarDate) {
  for (std::string_view bad : {"2026-02-29", "2026-13-01", "2026-00-10", "20261305", "2026-01",
                               "26-1-5", "2026/1-5", "", "abc", "2026-01-05x", "1899-12-31"}) {
    EXPECT_FALSE(NormaliseDate(bad)) << bad;
  }
}

TEST(Dates, Arithmetic) {
  EXPECT_EQ(AddDays("2026-11-26", 30), "2026-12-26");
  EXPECT_EQ(AddDays("2024-02-28", 1), "2024-02-29");
  EXPECT_EQ(AddDays("2026-01-01", -1), "2025-12-31");
  EXPECT_EQ(DaysBetween("2026-11-26", "2026-12-26"), 30);
  EXPECT_EQ(DateNumber("2026-11-26"), 20261126);
  // 2026-11-26 00:00 in China is 2026-11-25 16:00 UTC.
  EXPECT_EQ(ChinaMidnightMs("2026-11-26"), 1795651200000 - 8 * 3600 * 1000);
  EXPECT_TRUE(NormaliseDate(TodayInChina()));
}

TEST(DateStatus, Boundaries) {
  EXPECT_EQ(DateStatus(std::nullopt, kToday, 30), CredentialStatus::kMissing);
  EXPECT_EQ(DateStatus(std::string("2026-11-25"), kToday, 30), CredentialStatus::kExpired);
  EXPECT_EQ(DateStatus(std::string("2026-11-26"), kToday, 30), CredentialStatus::kExpiring);
  EXPECT_EQ(DateStatus(std::string("2026-12-26"), kToday, 30), CredentialStatus::kExpiring);
  EXPECT_EQ(DateStatus(std::string("2026-12-27"), kToday, 30), CredentialStatus::kValid);
  EXPECT_EQ(DateStatus(std::string("2026-11-26"), kToday, 0), CredentialStatus::kExpiring);
  EXPECT_EQ(DateStatus(std::string("2026-11-27"), kToday, 0), CredentialStatus::kValid);
}

Vehicle TestVehicle() {
  Vehicle vehicle;
  vehicle.plate = "辽C12345";
  vehicle.transport_cert_valid_until = "2027-06-30";
  vehicle.insurance_valid_until = "2027-06-30";
  return vehicle;
}

TEST(VehicleCredentials, AllValid) {
  Carrier carrier;
  carrier.business_permit_valid_until = "2028-01-01";
  auto report = VehicleCredentials(TestVehicle(), &carrier, kToday);
  EXPECT_EQ(report.status, CredentialStatus::kValid);
  EXPECT_TRUE(report.reasons.empty());
  ASSERT_EQ(report.items.size(), 3u);
  EXPECT_EQ(report.items[0].name, "道路运输证");
  EXPECT_EQ(report.items[1].name, "交强险");
  EXPECT_EQ(report.items[2].name, "经营许可证");
}

TEST(VehicleCredentials, WorstItemWinsAndEachReasonIsNamed) {
  Vehicle vehicle = TestVehicle();
  vehicle.insurance_valid_until = "2026-11-25";  // expired yesterday
  Carrier carrier;                               // no permit date: missing
  auto report = VehicleCredentials(vehicle, &carrier, kToday);
  EXPECT_EQ(report.status, CredentialStatus::kExpired);
  ASSERT_EQ(report.reasons.size(), 2u);
  EXPECT_EQ(report.reasons[0].code, "insurance.expired");
  EXPECT_EQ(report.reasons[0].message, "交强险已于2026-11-25过期");
  EXPECT_EQ(report.reasons[1].code, "business_permit.missing");
  EXPECT_EQ(report.reasons[1].message, "未登记经营许可证有效期");

  // Without a carrier record the permit is missing, which outranks expiring.
  vehicle.insurance_valid_until = "2026-12-26";  // exactly 30 days ahead
  report = VehicleCredentials(vehicle, nullptr, kToday);
  EXPECT_EQ(report.status, CredentialStatus::kMissing);
  EXPECT_EQ(report.items[1].status, CredentialStatus::kExpiring);
  EXPECT_EQ(report.items[1].message, "交强险将于2026-12-26到期（剩余30天）");
}

TEST(DriverCredentials, LicenceAndQualification) {
  Driver driver;
  driver.licence_class = "A2";
  driver.licence_valid_until = "2030-01-01";
  driver.qualification_valid_until = "2026-12-01";
  auto report = DriverCredentials(driver, kToday);
  EXPECT_EQ(report.status, CredentialStatus::kExpiring);
  ASSERT_EQ(report.reasons.size(), 1u);
  EXPECT_EQ(report.reasons[0].code, "qualification.expiring");
  driver.qualification_valid_until.reset();
  EXPECT_EQ(DriverCredentials(driver, kToday).status, CredentialStatus::kMissing);
}

TEST(DriverFitsVehicle, HazardousNeedsTheHazardousQualification) {
  Driver driver;
  driver.licence_class = "A2";
  driver.qualification_category = "道路货物运输驾驶员";
  auto reasons = DriverFitsVehicle(driver, VehicleClass::kHazardous);
  ASSERT_EQ(reasons.size(), 1u);
  EXPECT_EQ(reasons[0].code, "qualification.category");
  driver.qualification_category = "危险货物道路运输驾驶员";
  EXPECT_TRUE(DriverFitsVehicle(driver, VehicleClass::kHazardous).empty());
  EXPECT_TRUE(DriverFitsVehicle(driver, VehicleClass::kHeavyTruck).empty());
}

TEST(DriverFitsVehicle, LicenceClassMustCoverTheVehicle) {
  Driver driver;
  driver.licence_class = "C1";
  driver.qualification_category = "道路货物运输驾驶员";
  EXPECT_TRUE(DriverFitsVehicle(driver, VehicleClass::kTruck).empty());
  auto reasons = DriverFitsVehicle(driver, VehicleClass::kHeavyTruck);
  ASSERT_EQ(reasons.size(), 1u);
  EXPECT_EQ(reasons[0].code, "licence.class");
  EXPECT_EQ(reasons[0].message, "准驾车型C1不能驾驶重型货车");
  driver.licence_class = "B2";
  EXPECT_TRUE(DriverFitsVehicle(driver, VehicleClass::kHeavyTruck).empty());
  // A freight driver may not drive a tour bus, whatever the licence.
  driver.licence_class = "A1";
  EXPECT_EQ(DriverFitsVehicle(driver, VehicleClass::kTourBus).size(), 1u);
  driver.qualification_category = "道路旅客运输驾驶员";
  EXPECT_TRUE(DriverFitsVehicle(driver, VehicleClass::kTourBus).empty());
}

TEST(CredentialStatus, NamesRoundTrip) {
  for (auto status : {CredentialStatus::kValid, CredentialStatus::kExpiring,
                      CredentialStatus::kMissing, CredentialStatus::kExpired}) {
    EXPECT_EQ(ParseCredentialStatus(CredentialStatusId(status)), status);
  }
  EXPECT_FALSE(ParseCredentialStatus("ok"));
}

}  // namespace
}  // namespace baotong::registry
