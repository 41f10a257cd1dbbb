#include "app/provisioning.h"

#include <vector>

namespace baotong::app {

Result<size_t> ProvisionTerminals(store::TerminalStore& terminals,
                                  std::span<const registry::Terminal> registered) {
  std::vector<store::TerminalRecord> changed;
  for (const auto& terminal : registered) {
    auto existing = terminals.Find(terminal.phone);
    if (!existing)
      return tl::unexpected(existing.error());
    store::TerminalRecord record;
    if (*existing) {
      record = **existing;
    } else {
      record.terminal = terminal.phone;
      record.terminal_id = terminal.terminal_id.value_or("");
      record.maker_id = terminal.maker.value_or("");
      record.terminal_model = terminal.model.value_or("");
    }
    const std::string plate = terminal.plate.value_or(record.plate);
    const auto color =
        terminal.plate_color ? static_cast<uint8_t>(*terminal.plate_color) : record.plate_color;
    if (*existing && record.plate == plate && record.plate_color == color)
      continue;
    record.plate = plate;
    record.plate_color = color;
    changed.push_back(std::move(record));
  }
  if (auto ok = terminals.UpsertMany(changed); !ok)
    return tl::unexpected(ok.error());
  return changed.size();
}

}  // namespace baotong::app
