// Load harness for the checkpoint camera API over real HTTP: T client threads, each on its own
// keep-alive connection, post plate reads to /api/checkpoints/{id}/plate-reads as fast as the
// answers come, for S seconds. Prints one JSON line: decisions per second and the round-trip
// latency quantiles the clients saw (they include the client's own work on a shared machine).
//
// Usage: checkpoint_http_load HOST PORT CHECKPOINT_ID KEY_FILE THREADS SECONDS [PLATES]
// Plates are 辽C + the simulator's terminal suffixes 0..PLATES-1 (default 1140, the demo fleet),
// so every read is a registered vehicle. scripts/checkpoint-loadtest sets everything up.
#include <algorithm>
#include <atomic>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <fstream>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "sim/simulator.h"

namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

struct ClientResult {
  std::vector<double> latencies_ms;
  std::map<std::string, int64_t> decisions;
  int64_t errors = 0;
};

void RunClient(const std::string& host, uint16_t port, const std::string& target,
               const std::string& key, size_t plates, size_t first, Clock::time_point until,
               ClientResult& result) {
  asio::io_context context;
  beast::tcp_stream stream(context);
  stream.connect({asio::ip::make_address(host), port});
  beast::flat_buffer buffer;
  for (size_t i = first; Clock::now() < until; ++i) {
    http::request<http::string_body> request{http::verb::post, target, 11};
    request.set(http::field::host, host);
    request.set("X-Api-Key", key);
    request.set(http::field::content_type, "application/json");
    request.keep_alive(true);
    request.body() = nlohmann::json{
        {"plate", baotong::sim::TerminalPlate(i % plates)},
        {"plate_color",
         2}}.dump();
    request.prepare_payload();
    const auto start = Clock::now();
    http::write(stream, request);
    http::response<http::string_body> response;
    http::read(stream, buffer, response);
    result.latencies_ms.push_back(
        std::chrono::duration<double, std::milli>(Clock::now() - start).count());
    if (response.result() != http::status::ok) {
      ++result.errors;
      continue;
    }
    auto body = nlohmann::json::parse(response.body(), nullptr, false);
    ++result.decisions[body.is_object() ? body.value("decision", "?") : "?"];
  }
}

double Quantile(std::vector<double>& values, double q) {
  if (values.empty())
    return 0;
  const size_t index = std::min(values.size() - 1, static_cast<size_t>(q * values.size()));
  std::nth_element(values.begin(), values.begin() + static_cast<long>(index), values.end());
  return values[index];
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 7) {
    std::cerr << "usage: checkpoint_http_load HOST PORT CHECKPOINT_ID KEY_FILE THREADS SECONDS "
                 "[PLATES]\n";
    return 2;
  }
  const std::string host = argv[1];
  const auto port = static_cast<uint16_t>(std::stoi(argv[2]));
  const std::string checkpoint = argv[3];
  std::string key;
  std::ifstream(argv[4]) >> key;
  const auto threads = static_cast<size_t>(std::stoi(argv[5]));
  const double seconds = std::stod(argv[6]);
  const size_t plates = argc > 7 ? static_cast<size_t>(std::stoul(argv[7])) : 1140;
  if (key.empty() || threads == 0 || plates == 0) {
    std::cerr << "checkpoint_http_load: empty key file, or zero threads or plates\n";
    return 2;
  }
  const std::string target = "/api/checkpoints/" + checkpoint + "/plate-reads";
  std::vector<ClientResult> results(threads);
  std::vector<std::thread> clients;
  const auto start = Clock::now();
  const auto until =
      start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
  for (size_t t = 0; t < threads; ++t) {
    clients.emplace_back([&, t] {
      try {
        RunClient(host, port, target, key, plates, t * 7919, until, results[t]);
      } catch (const std::exception& error) {
        std::cerr << "client " << t << ": " << error.what() << '\n';
        ++results[t].errors;
      }
    });
  }
  for (auto& client : clients)
    client.join();
  const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  std::vector<double> latencies;
  nlohmann::json decisions = nlohmann::json::object();
  int64_t errors = 0;
  for (auto& result : results) {
    latencies.insert(latencies.end(), result.latencies_ms.begin(), result.latencies_ms.end());
    for (const auto& [decision, count] : result.decisions)
      decisions[decision] = decisions.value(decision, int64_t{0}) + count;
    errors += result.errors;
  }
  const auto requests = static_cast<double>(latencies.size());
  std::cout << nlohmann::json{{"threads", threads},
                              {"seconds", elapsed},
                              {"requests", latencies.size()},
                              {"errors", errors},
                              {"decisions_per_s", requests / elapsed},
                              {"p50_ms", Quantile(latencies, 0.50)},
                              {"p99_ms", Quantile(latencies, 0.99)},
                              {"max_ms", Quantile(latencies, 1.0)},
                              {"decisions", decisions}}
                   .dump()
            << std::endl;
  return errors == 0 ? 0 : 1;
}
