#include "checkpoint/registry_vehicles.h"

#include <gtest/gtest.h>

#include <vector>

#include "registry/registry_fixture.h"

namespace baotong::checkpoint {
namespace {

using registry::testing::CreditCode;

class RegistryVehiclesTest : public registry::testing::RegistryTest {};

TEST_F(RegistryVehiclesTest, KnowsRegisteredPlatesInAnyColour) {
  std::vector<registry::Carrier> carriers = {registry::Carrier{
      CreditCode(1), "鞍山运输", "铁东区", std::nullopt, std::nullopt, std::nullopt, std::nullopt}};
  ASSERT_TRUE(store_->Upsert(std::span<const registry::Carrier>(carriers), 1));
  registry::Vehicle vehicle;
  vehicle.plate = "辽C12345";
  vehicle.plate_color = registry::PlateColor::kGreen;
  vehicle.vehicle_class = registry::VehicleClass::kHeavyTruck;
  vehicle.carrier_credit_code = CreditCode(1);
  std::vector<registry::Vehicle> vehicles = {vehicle};
  ASSERT_TRUE(store_->Upsert(std::span<const registry::Vehicle>(vehicles), 1));

  auto directory = RegistryVehicles::Open(dir_ / "registry.db");
  ASSERT_TRUE(directory) << directory.error().Message();
  EXPECT_EQ((*directory)->IsRegistered("辽C12345"), true);
  EXPECT_EQ((*directory)->IsRegistered("辽C54321"), false);
}

}  // namespace
}  // namespace baotong::checkpoint
