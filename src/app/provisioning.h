// Registry terminals -> the gateway's terminal table, so that terminals the departments
// registered may connect even when the gateway does not auto-register unknown ones.
#pragma once

#include <span>

#include "common/error.h"
#include "registry/records.h"
#include "store/position_store.h"

namespace baotong::app {

// Adds terminals the gateway does not know (no authentication code yet: each gets one on its
// first 0x0100) and updates the bound plate of those it knows, keeping their registration.
// Returns how many records were written.
Result<size_t> ProvisionTerminals(store::TerminalStore& terminals,
                                  std::span<const registry::Terminal> registered);

}  // namespace baotong::app
