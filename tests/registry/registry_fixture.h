// Shared by the registry tests: a fresh registry database in a unique temporary directory, and
// generators of valid identifiers.
#pragma once

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>

#include "registry/registry_store.h"
#include "registry/validation.h"
#include "store/sqlite/database.h"

namespace baotong::registry::testing {

// A valid credit code for Anshan (210300) numbered `n`.
inline std::string CreditCode(int n) {
  char first17[32];
  std::snprintf(first17, sizeof first17, "91210300MA%07u", static_cast<unsigned>(n) % 10000000u);
  return std::string(first17) + CreditCodeCheckCharacter(first17);
}

// A valid ID number born on 1985-07-15 with sequence `n` (0-999).
inline std::string IdNumber(int n) {
  char first17[32];
  std::snprintf(first17, sizeof first17, "21030219850715%03u", static_cast<unsigned>(n) % 1000u);
  return std::string(first17) + IdNumberCheckCharacter(first17);
}

class RegistryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    static std::atomic<int> counter{0};
    dir_ =
        std::filesystem::temp_directory_path() /
        ("baotong_registry_test_" + std::to_string(::getpid()) + "_" + std::to_string(counter++) +
         "_" + std::to_string(std::chrono::steady_clock::now().time_since_epoch().count()));
    auto database = store::Database::Open(dir_ / "registry.db");
    ASSERT_TRUE(database) << database.error().Message();
    database_ = std::move(*database);
    auto migrated = RegistryStore::Migrate(*database_);
    ASSERT_TRUE(migrated) << database_->LastMessage();
    store_ = std::make_unique<RegistryStore>(*database_);
  }
  void TearDown() override {
    store_.reset();
    database_.reset();
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }

  std::filesystem::path dir_;
  std::unique_ptr<store::Database> database_;
  std::unique_ptr<RegistryStore> store_;
};

}  // namespace baotong::registry::testing
