// Records as the HTTP API shows them (/work/notes/api.md: snake_case fields, null for absent
// optional values), and the GeoJSON geometry check for sites.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "registry/credentials.h"
#include "registry/records.h"

namespace baotong::registry {

nlohmann::ordered_json CarrierJson(const Carrier& carrier, int64_t vehicle_count);
// `district` is the carrier's.
nlohmann::ordered_json VehicleJson(const Vehicle& vehicle,
                                   const std::optional<std::string>& carrier_name,
                                   const std::optional<std::string>& district,
                                   CredentialStatus credential_status);
nlohmann::ordered_json DriverJson(const Driver& driver, CredentialStatus credential_status);
nlohmann::ordered_json TerminalJson(const Terminal& terminal);
nlohmann::ordered_json HealthRecordJson(const HealthRecord& record);
nlohmann::ordered_json SiteJson(const Site& site);
// {"status","status_name","reasons":[{code,message}],"items":[{name,status,valid_until,message}]}
nlohmann::ordered_json CredentialJson(const CredentialReport& report);

// Checks a GeoJSON geometry object: a Point [lon, lat] or a Polygon whose rings have at least
// four positions and end where they start; longitudes within ±180, latitudes within ±90.
// Returns the compact JSON text.
Checked<std::string> NormaliseGeometry(std::string_view json_text);

}  // namespace baotong::registry
