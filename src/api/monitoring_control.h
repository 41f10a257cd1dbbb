// What the monitoring routes need from the application: the engine, the alarms, and the zones
// and settings staff edit (app/monitoring.h implements it over registry.db).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "alarm/alarm_service.h"
#include "common/error.h"
#include "monitor/monitor.h"
#include "monitor/rules.h"
#include "monitor/zones.h"

namespace baotong::api {

// A zone and where it comes from: "user" (drawn by staff, editable), "site", "route", "pass"
// or "city" (derived from the registry, the published routes, the passes and the map layers).
struct ZoneEntry {
  monitor::Zone zone;
  std::string source;
};

class MonitoringControl {
 public:
  virtual ~MonitoringControl() = default;
  virtual monitor::Monitor& monitor() = 0;
  virtual alarm::AlarmService& alarms() = 0;
  // Every zone the engine checks, user zones first.
  virtual Result<std::vector<ZoneEntry>> Zones() = 0;
  // Stores a user zone and applies it at once. kConflict: `create` and the code exists (or
  // names a derived zone); kNotFound: not `create` and no such user zone.
  virtual Result<void> SaveZone(const monitor::Zone& zone, bool create, std::string_view by,
                                int64_t now_ms) = 0;
  // Whether a user zone was deleted.
  virtual Result<bool> DeleteZone(std::string_view code) = 0;
  virtual monitor::RuleSettings Settings() = 0;
  virtual Result<void> SaveSettings(const monitor::RuleSettings& settings, std::string_view by,
                                    int64_t now_ms) = 0;
};

}  // namespace baotong::api
