#include "app/provisioning.h"

#include <vector>

#include "common/clock.h"
#include "gateway/gateway.h"

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

Result<Reprovisioned> ReprovisionTerminal(store::SqliteStore& terminals, std::string_view phone,
                                          ReprovisionMode mode,
                                          const std::optional<std::string>& plate,
                                          std::optional<uint8_t> plate_color,
                                          const BeforeReprovision& before_change) {
  Reprovisioned result;
  auto stored = terminals.UpdateTerminal(phone, [&](store::TerminalRecord& record) -> Result<void> {
    result.had_code = !record.auth_code.empty();
    if (plate)
      record.plate = *plate;
    if (plate_color)
      record.plate_color = *plate_color;
    if (mode == ReprovisionMode::kIssueCode) {
      std::string code;
      do {
        code = gateway::NewAuthCode();
      } while (code == record.auth_code);
      record.auth_code = std::move(code);
      record.registered_at_ms = NowMs();
    } else {
      record.auth_code.clear();
    }
    result.record = record;
    if (before_change)
      return before_change(result);
    return {};
  });
  if (!stored)
    return tl::unexpected(stored.error());
  return result;
}

}  // namespace baotong::app
