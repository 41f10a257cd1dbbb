#include "checkpoint/registry_vehicles.h"

#include <array>

namespace baotong::checkpoint {

Result<std::unique_ptr<RegistryVehicles>> RegistryVehicles::Open(
    const std::filesystem::path& file) {
  auto database = store::Database::Open(file);
  if (!database)
    return tl::unexpected(database.error());
  return std::unique_ptr<RegistryVehicles>(new RegistryVehicles(std::move(*database)));
}

Result<bool> RegistryVehicles::IsRegistered(std::string_view plate) const {
  using registry::PlateColor;
  // Only asked on the turn-back path (no pass in force), so a few keyed lookups are cheap.
  static constexpr std::array kColors = {
      PlateColor::kYellow, PlateColor::kBlue,  PlateColor::kGreen, PlateColor::kBlack,
      PlateColor::kWhite,  PlateColor::kOther, PlateColor::kNone};
  for (PlateColor color : kColors) {
    auto exists = registry_->VehicleExists(plate, color);
    if (!exists)
      return tl::unexpected(exists.error());
    if (*exists)
      return true;
  }
  return false;
}

}  // namespace baotong::checkpoint
