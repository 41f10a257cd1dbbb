#include "sim/demo_city.h"

#include <gtest/gtest.h>

#include <set>

#include "registry/credentials.h"
#include "sim/simulator.h"

namespace baotong::sim {
namespace {

DemoCityOptions Options(uint64_t seed = 7) {
  DemoCityOptions options;
  options.seed = seed;
  options.today = "2026-11-26";
  return options;
}

TEST(DemoCity, EveryIdentifierPassesTheNationalChecks) {
  auto city = GenerateDemoCity(Options());
  ASSERT_TRUE(city);
  EXPECT_EQ(city->carriers.size(), 300u);
  EXPECT_EQ(city->vehicles.size(), 1200u);
  for (const auto& carrier : city->carriers)
    EXPECT_TRUE(registry::NormaliseCreditCode(carrier.credit_code)) << carrier.credit_code;
  for (const auto& driver : city->drivers) {
    EXPECT_TRUE(registry::NormaliseIdNumber(driver.id_number, 20261126)) << driver.id_number;
    EXPECT_TRUE(registry::NormaliseLicenceClass(driver.licence_class)) << driver.licence_class;
  }
  std::set<std::pair<std::string, int>> vehicle_keys;
  for (const auto& vehicle : city->vehicles) {
    auto plate = registry::NormalisePlate(vehicle.plate);
    ASSERT_TRUE(plate) << vehicle.plate;
    EXPECT_EQ(*plate, vehicle.plate);
    EXPECT_TRUE(vehicle_keys.emplace(vehicle.plate, static_cast<int>(vehicle.plate_color)).second);
  }
}

TEST(DemoCity, TheSimulatorDrivesTheDemoFleet) {
  auto city = GenerateDemoCity(Options());
  ASSERT_TRUE(city);
  ASSERT_EQ(city->terminals.size(), 1140u);
  for (size_t i = 0; i < city->terminals.size(); i += 97) {
    EXPECT_EQ(city->terminals[i].phone, *TerminalPhone("0139", i, jt808::Version::k2013));
    EXPECT_EQ(city->terminals[i].plate, TerminalPlate(i));
    EXPECT_EQ(city->vehicles[i].plate, TerminalPlate(i));
  }
}

TEST(DemoCity, IsReproducibleAndDependsOnTheSeed) {
  auto first = GenerateDemoCity(Options(7));
  auto again = GenerateDemoCity(Options(7));
  auto other = GenerateDemoCity(Options(8));
  ASSERT_TRUE(first && again && other);
  EXPECT_EQ(first->carriers, again->carriers);
  EXPECT_EQ(first->drivers, again->drivers);
  EXPECT_EQ(first->health_records, again->health_records);
  EXPECT_NE(first->carriers, other->carriers);
}

TEST(DemoCity, ShowsEveryKindOfValidity) {
  auto city = GenerateDemoCity(Options());
  ASSERT_TRUE(city);
  size_t missing = 0, expired = 0, expiring = 0, valid = 0;
  const std::string soon = registry::AddDays("2026-11-26", 30);
  for (const auto& vehicle : city->vehicles) {
    const auto& until = vehicle.transport_cert_valid_until;
    if (!until)
      ++missing;
    else if (*until < "2026-11-26")
      ++expired;
    else if (*until < soon)
      ++expiring;
    else
      ++valid;
  }
  EXPECT_GT(missing, 20u);
  EXPECT_GT(expired, 40u);
  EXPECT_GT(expiring, 40u);
  EXPECT_GT(valid, 800u);
}

TEST(DemoCity, RefusesBadOptions) {
  auto options = Options();
  options.today = "2026-02-30";
  EXPECT_FALSE(GenerateDemoCity(options));
  options = Options();
  options.terminals = options.vehicles + 1;
  EXPECT_FALSE(GenerateDemoCity(options));
}

}  // namespace
}  // namespace baotong::sim
