#include "sim/demo_gates.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <thread>

namespace baotong::sim {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace fs = std::filesystem;
using tcp = asio::ip::tcp;

// A camera API that answers every plate read with `decision` and remembers the requests.
class FakeCameraApi {
 public:
  explicit FakeCameraApi(std::string decision)
      : decision_(std::move(decision)), acceptor_(io_, {asio::ip::make_address("127.0.0.1"), 0}) {
    thread_ = std::thread([this] { Serve(); });
  }
  ~FakeCameraApi() {
    stop_ = true;
    beast::error_code ignored;
    // Wake the blocking accept.
    tcp::socket poke(io_);
    poke.connect(acceptor_.local_endpoint(), ignored);
    thread_.join();
  }
  uint16_t port() const { return acceptor_.local_endpoint().port(); }
  std::vector<http::request<http::string_body>> requests() {
    std::lock_guard lock(mutex_);
    return requests_;
  }

 private:
  void Serve() {
    while (!stop_) {
      beast::error_code error;
      tcp::socket socket(io_);
      acceptor_.accept(socket, error);
      if (error || stop_)
        continue;
      beast::flat_buffer buffer;
      http::request<http::string_body> request;
      http::read(socket, buffer, request, error);
      if (error)
        continue;
      {
        std::lock_guard lock(mutex_);
        requests_.push_back(request);
      }
      http::response<http::string_body> response{http::status::ok, 11};
      response.set(http::field::content_type, "application/json");
      response.body() =
          R"({"decision":")" + decision_ + R"(","reason_code":"pass.standing.valid"})";
      response.prepare_payload();
      http::write(socket, response, error);
    }
  }

  std::string decision_;
  asio::io_context io_;
  tcp::acceptor acceptor_;
  std::atomic<bool> stop_{false};
  std::mutex mutex_;
  std::vector<http::request<http::string_body>> requests_;
  std::thread thread_;
};

class DemoGatesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    keys_ = fs::temp_directory_path() / ("baotong-demo-gates-" + std::to_string(::getpid()));
    fs::create_directories(keys_);
    DemoCityOptions options;
    options.today = "2026-11-26";
    options.vehicles = 4;
    options.terminals = 1;
    options.carriers = 2;
    options.drivers = 2;
    options.health_records = 0;
    auto city = GenerateDemoCity(options);
    ASSERT_TRUE(city);
    plan_ = MakeDemoFleetPlan(*city, 1, 0, "R1");
  }
  void TearDown() override { fs::remove_all(keys_); }

  void WriteKeys() {
    for (const auto& gate : plan_.gates) {
      std::ofstream(keys_ / (gate.in_checkpoint + ".key"))
          << "key-of-" << gate.in_checkpoint << '\n';
      std::ofstream(keys_ / (gate.out_checkpoint + ".key"))
          << "key-of-" << gate.out_checkpoint << '\n';
    }
  }

  fs::path keys_;
  DemoFleetPlan plan_;
};

TEST_F(DemoGatesTest, PostsThePlateReadWithTheCheckpointsKeyAndHandsBackTheDecision) {
  WriteKeys();
  FakeCameraApi api("release");
  DemoFleetOptions options;
  options.first_approach_max_m = 200;
  auto fleet = DemoFleet::Make(plan_, options);
  ASSERT_TRUE(fleet);
  auto cameras = GateCameras::Start(**fleet, {"127.0.0.1", api.port(), keys_});
  ASSERT_TRUE(cameras) << cameras.error().Message();
  (*fleet)->ReportAt(0, 60);  // at the gate by now
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while ((*fleet)->Counts().released == 0 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_EQ((*fleet)->Counts().released, 1);
  const auto requests = api.requests();
  ASSERT_EQ(requests.size(), 1u);
  const auto& gate = plan_.gates[plan_.routes[plan_.trucks[0].route].from_gate];
  EXPECT_EQ(requests[0].method(), http::verb::post);
  EXPECT_EQ(requests[0].target(), "/api/checkpoints/" + gate.in_checkpoint + "/plate-reads");
  EXPECT_EQ(requests[0]["X-Api-Key"], "key-of-" + gate.in_checkpoint);
  const auto body = nlohmann::json::parse(requests[0].body());
  EXPECT_EQ(body["plate"], plan_.trucks[0].plate);
  EXPECT_EQ(body["plate_color"], plan_.trucks[0].plate_color);
  EXPECT_EQ((*cameras)->failures(), 0);
}

TEST_F(DemoGatesTest, RefusesToStartWithoutEveryCheckpointsKey) {
  auto fleet = DemoFleet::Make(plan_, {});
  ASSERT_TRUE(fleet);
  auto cameras = GateCameras::Start(**fleet, {"127.0.0.1", 9, keys_});
  ASSERT_FALSE(cameras);
  EXPECT_NE(cameras.error().Message().find(".key"), std::string::npos);
}

}  // namespace
}  // namespace baotong::sim
