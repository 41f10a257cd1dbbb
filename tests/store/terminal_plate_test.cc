// Registrations found by plate: the gateway's check that one vehicle has one registered terminal.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>

#include "store/sqlite/sqlite_store.h"

namespace baotong::store {
namespace {

namespace fs = std::filesystem;

TEST(TerminalPlateTest, FindByPlateReturnsEveryHolderAndSurvivesReopen) {
  const fs::path dir =
      fs::temp_directory_path() / ("baotong_plate_test_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  {
    auto store = SqliteStore::Open(dir);
    ASSERT_TRUE(store) << store.error().Message();
    TerminalRecord a;
    a.terminal = "013900000001";
    a.auth_code = "A";
    a.terminal_id = "T1";
    a.plate_color = 2;
    a.plate = "辽C00001";
    // Every column set, so that both lookups are seen to decode each one alike.
    a.province_id = 21;
    a.city_id = 300;
    a.maker_id = "BT";
    a.terminal_model = "SIM";
    a.registered_at_ms = 1'650'000'000'123;
    TerminalRecord b = a;
    b.terminal = "013900000002";
    b.auth_code.clear();
    TerminalRecord other = a;
    other.terminal = "013900000003";
    other.plate = "辽C00009";
    ASSERT_TRUE((*store)->UpsertMany(std::vector{a, b, other}));

    auto found = (*store)->FindByPlate("辽C00001");
    ASSERT_TRUE(found);
    std::sort(found->begin(), found->end(),
              [](const auto& x, const auto& y) { return x.terminal < y.terminal; });
    EXPECT_EQ(*found, (std::vector{a, b}));
    EXPECT_TRUE((*store)->FindByPlate("辽C99999")->empty());
    EXPECT_EQ(**(*store)->Find(a.terminal), a);
    EXPECT_EQ(**(*store)->Find(b.terminal), b);
  }
  auto reopened = SqliteStore::Open(dir);
  ASSERT_TRUE(reopened);
  EXPECT_EQ((*reopened)->FindByPlate("辽C00009")->size(), 1u);
  reopened->reset();
  fs::remove_all(dir);
}

}  // namespace
}  // namespace baotong::store
