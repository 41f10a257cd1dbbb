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

Result<Reprovisioned> ReprovisionTerminal(store::TerminalStore& terminals, std::string_view phone,
                                          ReprovisionMode mode,
                                          const std::optional<std::string>& plate,
                                          std::optional<uint8_t> plate_color) {
  auto existing = terminals.Find(phone);
  if (!existing)
    return tl::unexpected(existing.error());
  if (!*existing)
    return Fail(ErrorCode::kNotFound, "网关不认识该终端 (the gateway does not know this terminal)");
  Reprovisioned result;
  result.record = **existing;
  result.had_code = !result.record.auth_code.empty();
  if (plate)
    result.record.plate = *plate;
  if (plate_color)
    result.record.plate_color = *plate_color;
  if (mode == ReprovisionMode::kIssueCode) {
    std::string code;
    do {
      code = gateway::NewAuthCode();
    } while (code == result.record.auth_code);
    result.record.auth_code = std::move(code);
    result.record.registered_at_ms = NowMs();
  } else {
    result.record.auth_code.clear();
  }
  if (auto written = terminals.Upsert(result.record); !written)
    return tl::unexpected(written.error());
  return result;
}

}  // namespace baotong::app
