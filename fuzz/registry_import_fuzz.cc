// libFuzzer target for what departments upload: the text decoding (UTF-8/BOM/GBK), the CSV
// reader and the whole import (header mapping, every validator, JSON input, the upsert) into an
// in-memory database. The first byte picks the record kind. Oracles: the CSV reader's row
// numbers only grow and its share read never falls, and an import either fails as a whole or
// accounts for every row.
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string_view>

#include "registry/csv.h"
#include "registry/importer.h"
#include "registry/registry_store.h"
#include "store/sqlite/database.h"

namespace {

using namespace baotong;

void CheckCsvReader(std::string_view text) {
  registry::CsvReader reader(text);
  std::vector<std::string> cells;
  int64_t row = 0;
  int64_t previous = 0;
  double read = 0;
  while (reader.Next(cells, row)) {
    if (row <= previous)
      std::abort();
    previous = row;
    if (reader.FractionRead() < read || reader.FractionRead() > 1.0)
      std::abort();
    read = reader.FractionRead();
  }
}

struct Registry {
  std::unique_ptr<store::Database> database;
  std::unique_ptr<registry::RegistryStore> store;
  int runs = 0;
};

Registry& Fresh() {
  static Registry registry;
  // A new database now and then, so that accumulated rows do not slow the run down.
  if (!registry.database || ++registry.runs % 2000 == 0) {
    registry.store.reset();
    auto database = store::Database::Open(":memory:");
    if (!database || !registry::RegistryStore::Migrate(**database))
      std::abort();
    registry.database = std::move(*database);
    registry.store = std::make_unique<registry::RegistryStore>(*registry.database);
  }
  return registry;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0)
    return 0;
  const auto kind = registry::kAllKinds[data[0] % registry::kAllKinds.size()];
  const std::string_view bytes(reinterpret_cast<const char*>(data + 1), size - 1);
  if (auto text = registry::DecodeUploadedText(bytes))
    CheckCsvReader(*text);
  registry::ImportOptions options;
  options.today = "2026-11-26";
  options.now_ms = 1;
  auto result = registry::Import(*Fresh().store, kind, bytes, options);
  if (result && result->accepted + result->rejected != result->rows_total)
    std::abort();
  return 0;
}
