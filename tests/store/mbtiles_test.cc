#include "store/sqlite/mbtiles.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <filesystem>

namespace baotong::store {
namespace {

class MbTilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    file_ = std::filesystem::temp_directory_path() /
            ("baotong-mbtiles-" + std::to_string(::getpid()) + ".mbtiles");
    std::filesystem::remove(file_);
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(file_.c_str(), &db), SQLITE_OK);
    // One tile at zoom 1, column 1, TMS row 0: the south-east quarter (XYZ row 1).
    ASSERT_EQ(sqlite3_exec(db,
                           "CREATE TABLE metadata(name TEXT, value TEXT);"
                           "INSERT INTO metadata VALUES('format', 'jpg'), ('maxzoom', '16');"
                           "CREATE TABLE tiles(zoom_level INTEGER, tile_column INTEGER, "
                           "tile_row INTEGER, tile_data BLOB);"
                           "INSERT INTO tiles VALUES(1, 1, 0, x'FFD8FFE0');",
                           nullptr, nullptr, nullptr),
              SQLITE_OK);
    sqlite3_close(db);
  }
  void TearDown() override { std::filesystem::remove(file_); }
  std::filesystem::path file_;
};

TEST_F(MbTilesTest, FindsTilesByXyzFromTmsRows) {
  auto tiles = MbTiles::Open(file_);
  ASSERT_TRUE(tiles) << tiles.error().Message();
  EXPECT_EQ((*tiles)->content_type(), "image/jpeg");
  EXPECT_EQ((*tiles)->max_zoom(), 16u);
  auto tile = (*tiles)->Find(1, 1, 1);
  ASSERT_TRUE(tile && *tile);
  EXPECT_EQ(**tile, std::string("\xFF\xD8\xFF\xE0", 4));
  auto missing = (*tiles)->Find(1, 1, 0);  // the north-east quarter: not in the file
  ASSERT_TRUE(missing);
  EXPECT_FALSE(*missing);
  auto outside = (*tiles)->Find(1, 2, 0);  // no column 2 at zoom 1
  ASSERT_TRUE(outside);
  EXPECT_FALSE(*outside);
  EXPECT_FALSE(*(*tiles)->Find(40, 0, 0));
}

TEST_F(MbTilesTest, OtherFilesAreRefused) {
  EXPECT_EQ(MbTiles::Open(file_.string() + ".absent").error().code, ErrorCode::kNotFound);
  const auto other = file_.string() + ".db";
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(other.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "CREATE TABLE t(x)", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(db);
  EXPECT_EQ(MbTiles::Open(other).error().code, ErrorCode::kStorage);
  std::filesystem::remove(other);
}

}  // namespace
}  // namespace baotong::store
