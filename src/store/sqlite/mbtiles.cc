#include "store/sqlite/mbtiles.h"

#include <sqlite3.h>

namespace baotong::store {
namespace {

struct StatementCloser {
  void operator()(sqlite3_stmt* statement) const { sqlite3_finalize(statement); }
};
using StatementPtr = std::unique_ptr<sqlite3_stmt, StatementCloser>;

StatementPtr Prepare(sqlite3* db, const char* sql) {
  sqlite3_stmt* statement = nullptr;
  if (sqlite3_prepare_v2(db, sql, -1, &statement, nullptr) != SQLITE_OK)
    return nullptr;
  return StatementPtr(statement);
}

std::string Column(sqlite3_stmt* statement, int column) {
  const auto* text = sqlite3_column_text(statement, column);
  return text ? std::string(reinterpret_cast<const char*>(text)) : std::string();
}

}  // namespace

Result<std::unique_ptr<MbTiles>> MbTiles::Open(const std::filesystem::path& file) {
  std::error_code error;
  if (!std::filesystem::is_regular_file(file, error))
    return Fail(ErrorCode::kNotFound, "no MBTiles file there");
  sqlite3* db = nullptr;
  // Immutable: SQLite takes no locks and never writes beside the file (a read-only mount works).
  const std::string uri = "file:" + file.string() + "?immutable=1";
  if (sqlite3_open_v2(uri.c_str(), &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, nullptr) !=
      SQLITE_OK) {
    sqlite3_close(db);
    return Fail(ErrorCode::kStorage, "cannot open the MBTiles file");
  }
  std::unique_ptr<MbTiles> tiles(new MbTiles(db));
  auto probe = Prepare(db, "SELECT 1 FROM tiles LIMIT 1");
  if (!probe)
    return Fail(ErrorCode::kStorage, "not an MBTiles file (no tiles table)");
  if (auto metadata = Prepare(db, "SELECT name, value FROM metadata")) {
    while (sqlite3_step(metadata.get()) == SQLITE_ROW) {
      const std::string name = Column(metadata.get(), 0);
      const std::string value = Column(metadata.get(), 1);
      if (name == "format" && (value == "jpg" || value == "jpeg"))
        tiles->content_type_ = "image/jpeg";
      else if (name == "format" && value == "webp")
        tiles->content_type_ = "image/webp";
      else if (name == "maxzoom" && !value.empty() && value.size() <= 2 &&
               value.find_first_not_of("0123456789") == std::string::npos)
        tiles->max_zoom_ = static_cast<uint32_t>(std::stoul(value));
    }
  }
  return tiles;
}

MbTiles::~MbTiles() {
  sqlite3_close(db_);
}

Result<std::optional<std::string>> MbTiles::Find(uint32_t z, uint32_t x, uint32_t y) {
  if (z > 24 || x >= (1u << z) || y >= (1u << z))
    return std::nullopt;
  const uint32_t tms_row = (1u << z) - 1 - y;
  std::lock_guard lock(mutex_);
  auto statement = Prepare(
      db_, "SELECT tile_data FROM tiles WHERE zoom_level = ? AND tile_column = ? AND tile_row = ?");
  if (!statement)
    return Fail(ErrorCode::kStorage, "cannot read the MBTiles file");
  sqlite3_bind_int64(statement.get(), 1, z);
  sqlite3_bind_int64(statement.get(), 2, x);
  sqlite3_bind_int64(statement.get(), 3, tms_row);
  const int step = sqlite3_step(statement.get());
  if (step == SQLITE_DONE)
    return std::nullopt;
  if (step != SQLITE_ROW)
    return Fail(ErrorCode::kStorage, "cannot read the MBTiles file");
  const void* blob = sqlite3_column_blob(statement.get(), 0);
  const int bytes = sqlite3_column_bytes(statement.get(), 0);
  if (!blob || bytes <= 0)
    return std::optional<std::string>(std::string());
  return std::optional<std::string>(
      std::string(static_cast<const char*>(blob), static_cast<size_t>(bytes)));
}

}  // namespace baotong::store
