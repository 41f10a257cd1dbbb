// Import speed of the registry: 100,000 vehicle rows (generated in memory, deterministic) into
// a fresh registry database, validation and the SQLite transaction included; then a re-import
// of the same file (every row unchanged) and the listing queries at that size.
//
//   build/bench/import_bench [rows=100000] [runs=3]
//
// Prints the median rows/s of the runs and the listing times in milliseconds.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <string>
#include <vector>

#include "registry/importer.h"
#include "registry/registry_store.h"
#include "registry/validation.h"
#include "store/sqlite/database.h"

namespace {

using namespace baotong;
using namespace baotong::registry;
using Clock = std::chrono::steady_clock;

constexpr int kCarriers = 200;
constexpr std::string_view kToday = "2026-11-26";

std::string CreditCode(int n) {
  char first17[32];
  std::snprintf(first17, sizeof first17, "91210300MA%07d", n);
  return std::string(first17) + CreditCodeCheckCharacter(first17);
}

std::string CarriersCsv() {
  static constexpr const char* kDistricts[] = {"铁东区", "铁西区", "立山区", "千山区", "海城市"};
  std::string csv = "统一社会信用代码,企业名称,所属区县,经营许可证有效期至\n";
  for (int i = 0; i < kCarriers; ++i) {
    csv += CreditCode(i) + ",鞍山运输企业" + std::to_string(i) + "," + kDistricts[i % 5] + "," +
           (i % 10 == 0 ? "2026-12-01" : "2028-06-30") + "\n";
  }
  return csv;
}

// Plates 辽A00000 ... over the letters A-H: unique and valid.
std::string VehiclesCsv(int rows) {
  static constexpr const char* kClasses[] = {"重型货车", "普通货车", "危险货物运输车", "旅游客车",
                                             "班线客车"};
  static constexpr const char* kColors[] = {"黄色", "2", "蓝色", "黄色"};
  std::string csv =
      "车牌号码,车牌颜色,车辆类型,统一社会信用代码,车辆识别代号,道路运输证号,"
      "道路运输证有效期至,交强险到期日期\r\n";
  csv.reserve(static_cast<size_t>(rows) * 150);
  std::vector<std::string> carriers;
  for (int i = 0; i < kCarriers; ++i)
    carriers.push_back(CreditCode(i));
  char line[512];
  for (int i = 0; i < rows; ++i) {
    int month = 1 + i % 12;
    int day = 1 + i % 28;
    std::snprintf(line, sizeof line,
                  "辽%c%05d,%s,%s,%s,LFWSRXRJ%09d,辽交运管鞍字%09d号,%d/%d/%d,%d-%02d-%02d\r\n",
                  'A' + (i / 100000) % 8, i % 100000, kColors[i % 2], kClasses[i % 5],
                  carriers[static_cast<size_t>(i % kCarriers)].c_str(), i, i, 2026 + i % 3, month,
                  day, 2026 + (i + 1) % 3, month, day);
    csv += line;
  }
  return csv;
}

struct Db {
  std::filesystem::path dir;
  std::unique_ptr<store::Database> database;
  explicit Db(int run) {
    dir = std::filesystem::temp_directory_path() /
          ("baotong_import_bench_" + std::to_string(::getpid()) + "_" + std::to_string(run));
    std::filesystem::remove_all(dir);
    database = std::move(*store::Database::Open(dir / "registry.db"));
    if (!RegistryStore::Migrate(*database)) {
      std::fprintf(stderr, "migrate failed: %s\n", database->LastMessage().c_str());
      std::exit(1);
    }
  }
  ~Db() {
    database.reset();
    // BAOTONG_BENCH_KEEP=1 keeps the database for a look with sqlite3.
    if (std::getenv("BAOTONG_BENCH_KEEP") == nullptr)
      std::filesystem::remove_all(dir);
    else
      std::printf("kept %s\n", dir.c_str());
  }
};

// CPU seconds of this process: what the import costs when other work shares the cores.
double CpuSeconds() {
  return static_cast<double>(std::clock()) / CLOCKS_PER_SEC;
}

double Seconds(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

ImportResult MustImport(RegistryStore& store, Kind kind, const std::string& csv) {
  ImportOptions options;
  options.today = std::string(kToday);
  auto result = Import(store, kind, csv, options);
  if (!result) {
    std::fprintf(stderr, "import failed: %s\n", result.error().message.c_str());
    std::exit(1);
  }
  return *result;
}

double Median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return values[values.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  const int rows = argc > 1 ? std::atoi(argv[1]) : 100000;
  const int runs = argc > 2 ? std::atoi(argv[2]) : 3;
  const std::string carriers = CarriersCsv();
  auto generate_start = Clock::now();
  const std::string vehicles = VehiclesCsv(rows);
  std::printf("generated %d vehicle rows (%.1f MB) in %.2f s\n", rows, vehicles.size() / 1e6,
              Seconds(generate_start));

  std::vector<double> first_rates;
  std::vector<double> again_rates;
  std::vector<double> cpu_rates;
  for (int run = 0; run < runs; ++run) {
    Db db(run);
    RegistryStore store(*db.database);
    MustImport(store, Kind::kCarriers, carriers);
    auto start = Clock::now();
    double cpu_start = CpuSeconds();
    ImportResult first = MustImport(store, Kind::kVehicles, vehicles);
    double seconds = Seconds(start);
    double cpu_seconds = CpuSeconds() - cpu_start;
    if (first.inserted != rows || first.rejected != 0) {
      std::fprintf(stderr, "unexpected: inserted %lld rejected %lld (%s)\n",
                   static_cast<long long>(first.inserted), static_cast<long long>(first.rejected),
                   first.rejections.empty() ? "" : first.rejections[0].reason.c_str());
      return 1;
    }
    first_rates.push_back(rows / seconds);
    cpu_rates.push_back(rows / cpu_seconds);
    start = Clock::now();
    ImportResult again = MustImport(store, Kind::kVehicles, vehicles);
    double again_seconds = Seconds(start);
    if (again.unchanged != rows)
      return 1;
    again_rates.push_back(rows / again_seconds);
    std::printf(
        "run %d: import %.2f s (%.0f rows/s; CPU %.2f s), re-import unchanged %.2f s (%.0f "
        "rows/s)\n",
        run + 1, seconds, rows / seconds, cpu_seconds, again_seconds, rows / again_seconds);

    if (run == 0) {
      struct Case {
        const char* name;
        ListQuery query;
      };
      std::vector<Case> cases;
      ListQuery base;
      base.today = std::string(kToday);
      cases.push_back({"first page", base});
      ListQuery deep = base;
      deep.offset = 50000;
      cases.push_back({"page at offset 50000", deep});
      for (auto status : {CredentialStatus::kValid, CredentialStatus::kExpiring,
                          CredentialStatus::kExpired, CredentialStatus::kMissing}) {
        ListQuery filtered = base;
        filtered.status = status;
        cases.push_back({CredentialStatusId(status).data(), filtered});
      }
      ListQuery district = base;
      district.scope.district = "铁西区";
      district.status = CredentialStatus::kExpiring;
      cases.push_back({"district scope + expiring", district});
      ListQuery carrier = base;
      carrier.scope.carrier_credit_code = CreditCode(7);
      cases.push_back({"carrier scope", carrier});
      ListQuery search = base;
      search.q = "辽A0012";
      cases.push_back({"q=辽A0012 (prefix)", search});
      ListQuery digits = base;
      digits.q = "0012";
      cases.push_back({"q=0012 (substring)", digits});
      ListQuery klass = base;
      klass.vehicle_class = VehicleClass::kHazardous;
      klass.status = CredentialStatus::kExpired;
      cases.push_back({"hazardous + expired", klass});
      for (const auto& item : cases) {
        std::vector<double> times;
        int64_t total = 0;
        for (int i = 0; i < 5; ++i) {
          auto list_start = Clock::now();
          auto page = store.List(Kind::kVehicles, item.query);
          times.push_back(Seconds(list_start) * 1000);
          if (!page)
            return 1;
          total = page->total;
        }
        std::printf("  list vehicles, %-26s total %6lld: median %.1f ms\n", item.name,
                    static_cast<long long>(total), Median(times));
      }
    }
  }
  std::printf(
      "median: import %.0f rows/s (by CPU time %.0f rows/s), re-import %.0f rows/s (%d rows, %d "
      "runs)\n",
      Median(first_rates), Median(cpu_rates), Median(again_rates), rows, runs);
  return 0;
}
