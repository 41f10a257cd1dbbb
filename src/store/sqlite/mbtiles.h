// An offline base map: an MBTiles file (a SQLite database of map tiles, spec 1.3), read-only,
// for deployments on the 政务外网 without internet. Tiles are asked for in the XYZ scheme web
// maps use; MBTiles stores rows in TMS order (y flipped), which Find turns round.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "common/error.h"

struct sqlite3;

namespace baotong::store {

class MbTiles {
 public:
  // Opens the file read-only (it is never written, not even its journal mode). kNotFound: no
  // such file; kStorage: not an MBTiles file (no tiles table).
  static Result<std::unique_ptr<MbTiles>> Open(const std::filesystem::path& file);
  ~MbTiles();
  MbTiles(const MbTiles&) = delete;
  MbTiles& operator=(const MbTiles&) = delete;

  // The tile at zoom z, column x, row y (XYZ, y from the north); nullopt when the file has none
  // or the numbers are outside the zoom's grid.
  Result<std::optional<std::string>> Find(uint32_t z, uint32_t x, uint32_t y);
  // "image/png", "image/jpeg" or "image/webp", from the metadata's format (png by default).
  const std::string& content_type() const { return content_type_; }
  uint32_t max_zoom() const { return max_zoom_; }

 private:
  explicit MbTiles(sqlite3* db) : db_(db) {}
  sqlite3* db_;
  std::mutex mutex_;  // one statement at a time on the connection
  std::string content_type_ = "image/png";
  uint32_t max_zoom_ = 18;
};

}  // namespace baotong::store
