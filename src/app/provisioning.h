// Registry terminals -> the gateway's terminal table, so that terminals the departments
// registered may connect even when the gateway does not auto-register unknown ones.
#pragma once

#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "common/error.h"
#include "registry/records.h"
#include "store/position_store.h"
#include "store/sqlite/sqlite_store.h"

namespace baotong::app {

// Adds terminals the gateway does not know (no authentication code yet: each gets one on its
// first 0x0100) and updates the bound plate of those it knows, keeping their registration.
// Returns how many records were written.
Result<size_t> ProvisionTerminals(store::TerminalStore& terminals,
                                  std::span<const registry::Terminal> registered);

// Staff replacing a terminal's credential (a new device, a lost or leaked code). The old code
// stops working at once, also in a running `serve` (the gateway reads codes from the store).
enum class ReprovisionMode {
  kIssueCode,         // a new code now, to be set on the device by its installer
  kAwaitRegistration  // no code: the phone's next 0x0100 is answered with a new one
};
struct Reprovisioned {
  store::TerminalRecord record;  // as stored now
  bool had_code = false;         // whether an old code was revoked
};
// `before_change` runs once the new record is known and before it is stored (the audit entry,
// the code file): its error leaves the terminal as it was. Read, `before_change` and write are
// one transaction, so a registration the gateway stores meanwhile is never overwritten with
// stale fields. Fails with kNotFound when the gateway does not know the phone. `plate` (with
// its colour) rebinds the terminal to another vehicle at the same time.
using BeforeReprovision = std::function<Result<void>(const Reprovisioned& change)>;
Result<Reprovisioned> ReprovisionTerminal(store::SqliteStore& terminals, std::string_view phone,
                                          ReprovisionMode mode,
                                          const std::optional<std::string>& plate = std::nullopt,
                                          std::optional<uint8_t> plate_color = std::nullopt,
                                          const BeforeReprovision& before_change = {});

}  // namespace baotong::app
