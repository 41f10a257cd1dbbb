// The HTTP server's edge (issue 13, items 7, 8, 14, 15): body limits by route, JSON nesting,
// HTTPS, /metrics off the API port, connection caps, descriptor exhaustion, security headers.
#include "api/http_server.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio/ssl.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <thread>

#include "api/http_util.h"
#include "api_fixture.h"
#include "registry/importer.h"
#include "support/descriptor_exhaustion.h"

namespace baotong::api {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace ssl = boost::asio::ssl;
using testing::ApiFixture;
using testing::HttpResponse;
using testing::Json;
using testing::kPassword;
using tcp = boost::asio::ip::tcp;

// A raw request over a fresh connection: what the server answers first (the status line and
// headers as text), or "" when it closed or said nothing within `timeout_s`.
std::string RawExchange(uint16_t port, const std::string& request, int timeout_s = 5,
                        const char* source = nullptr) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0)
    return "";
  if (source) {
    sockaddr_in local{};
    local.sin_family = AF_INET;
    ::inet_pton(AF_INET, source, &local.sin_addr);
    if (::bind(fd, reinterpret_cast<sockaddr*>(&local), sizeof local) != 0) {
      ::close(fd);
      return "";
    }
  }
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  ::inet_pton(AF_INET, "127.0.0.1", &address.sin_addr);
  timeval timeout{timeout_s, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
  std::string answer;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0) {
    // The server may answer and close before all is sent: send what it takes, then read.
    size_t sent = 0;
    while (sent < request.size()) {
      ssize_t n = ::send(fd, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
      if (n <= 0)
        break;
      sent += static_cast<size_t>(n);
    }
    char buffer[4096];
    while (answer.find("\r\n\r\n") == std::string::npos) {
      ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
      if (n <= 0)
        break;
      answer.append(buffer, static_cast<size_t>(n));
    }
  }
  ::close(fd);
  return answer;
}

class HttpEdgeTest : public ApiFixture {};

// Item 8: the sign-in's limit applies from the header; the old server waited for 50 MiB.
TEST_F(HttpEdgeTest, OversizedSignInIsRefusedBeforeItsBodyArrives) {
  const auto started = std::chrono::steady_clock::now();
  std::string answer = RawExchange(server_->port(),
                                   "POST /api/auth/login HTTP/1.1\r\nHost: x\r\n"
                                   "Content-Type: application/json\r\n"
                                   "Content-Length: 52428800\r\n\r\n{\"username\":");
  EXPECT_TRUE(answer.starts_with("HTTP/1.1 413")) << answer;
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(3));

  // Chunked: refused once the chunks pass the limit.
  std::string chunk(16 << 10, 'a');
  std::ostringstream chunked;
  chunked << "POST /api/auth/login HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
          << std::hex << chunk.size() << "\r\n"
          << chunk << "\r\n";
  answer = RawExchange(server_->port(), chunked.str());
  EXPECT_TRUE(answer.starts_with("HTTP/1.1 413")) << answer;

  // A sign-in of ordinary size still works.
  auto login =
      Send(http::verb::post, "/api/auth/login",
           Json{{"username", "transport_user"}, {"password", kPassword}}.dump(), std::nullopt);
  EXPECT_EQ(login.result(), http::status::ok) << login.body();
}

TEST_F(HttpEdgeTest, JsonRoutesTakeAtMostOneMebibyteAndImportsMore) {
  const std::string large = Json{{"note", std::string((1 << 20) + 1000, 'x')}}.dump();
  std::string answer = RawExchange(
      server_->port(),
      "POST /api/passes HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + tokens_.at(Role::kAdmin) +
          "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(large.size()) +
          "\r\n\r\n" + large);
  EXPECT_TRUE(answer.starts_with("HTTP/1.1 413")) << answer;
  // Just under the limit is read and answered by the route.
  const std::string fits = Json{{"note", std::string((1 << 20) - 1000, 'x')}}.dump();
  EXPECT_NE(Send(http::verb::post, "/api/passes", fits).result(), http::status::payload_too_large);

  // An import of several MiB is still taken (and answered by the import, not the limit).
  std::string csv = registry::ImportTemplateCsv(registry::Kind::kSites);
  while (csv.size() < (3u << 20))
    csv += "ZD9,测试卸货点,unloading,铁东区,,,,,\n";
  auto import = Send(http::verb::post, "/api/imports?kind=sites&format=csv", csv);
  EXPECT_NE(import.result(), http::status::payload_too_large);
  EXPECT_EQ(import.result(), http::status::accepted) << import.body();

  HttpOptions options;
  EXPECT_EQ(RequestBodyLimit(options, http::verb::post, "/api/auth/login"), size_t{8} << 10);
  EXPECT_EQ(RequestBodyLimit(options, http::verb::post, "/api/imports?kind=sites"),
            size_t{64} << 20);
  EXPECT_EQ(RequestBodyLimit(options, http::verb::post, "/api/indicators/import"),
            size_t{64} << 20);
  EXPECT_EQ(RequestBodyLimit(options, http::verb::post, "/api/passes"), size_t{1} << 20);
}

TEST_F(HttpEdgeTest, DeeplyNestedJsonIsRefusedOnEveryRoute) {
  // Sign-in takes 8 KiB: 1,000 levels fit in it.
  auto login = Send(http::verb::post, "/api/auth/login",
                    std::string(1'000, '[') + std::string(1'000, ']'), std::nullopt);
  EXPECT_EQ(login.result(), http::status::bad_request);
  EXPECT_EQ(ErrorCode(login), "too_deep") << login.body();
  const std::string nested = std::string(10'000, '[') + std::string(10'000, ']');
  for (const char* target : {"/api/passes", "/api/monitor/rules"}) {
    auto response = Send(http::verb::post, target, nested);
    EXPECT_EQ(response.result(), http::status::bad_request) << target;
    EXPECT_EQ(ErrorCode(response), "too_deep") << target << ": " << response.body();
  }
  // An import in JSON, under its large limit, is checked too.
  auto import =
      Send(http::verb::post, "/api/imports?kind=sites&format=json", "{\"rows\":" + nested + "}");
  EXPECT_EQ(ErrorCode(import), "too_deep") << import.body();
}

TEST(JsonDepthWithin, CountsBracketsOutsideStringsOnly) {
  EXPECT_TRUE(JsonDepthWithin(R"({"a":[1,2,{"b":[]}]})", 4));
  EXPECT_FALSE(JsonDepthWithin(R"({"a":[1,2,{"b":[]}]})", 3));
  EXPECT_TRUE(JsonDepthWithin(R"({"a":"[[[[[[[[[[","b":"\"[[[["})", 1));
  EXPECT_TRUE(JsonDepthWithin("  " + std::string(64, '[') + std::string(64, ']')));
  EXPECT_FALSE(JsonDepthWithin("\n" + std::string(65, '[') + std::string(65, ']')));
  // Unbalanced nesting counts as opened: never closing does not hide depth.
  EXPECT_FALSE(JsonDepthWithin(std::string(100'000, '[')));
  // Not JSON (a CSV import): no limit applies.
  EXPECT_TRUE(JsonDepthWithin("name,code\n" + std::string(1000, '[')));
  EXPECT_TRUE(JsonDepthWithin(""));
  // A byte order mark, which nlohmann::json skips, does not hide what follows it.
  EXPECT_FALSE(JsonDepthWithin("\xEF\xBB\xBF" + std::string(65, '[') + std::string(65, ']')));
}

// Item 7 (server side): every response, API, static and error alike, carries the headers.
TEST_F(HttpEdgeTest, EveryResponseCarriesTheSecurityHeaders) {
  for (const auto& [target, as] : std::vector<std::pair<std::string, std::optional<Role>>>{
           {"/healthz", std::nullopt},
           {"/api/ui-config", std::nullopt},
           {"/api/auth/me", std::nullopt},
           {"/api/auth/me", Role::kAdmin},
           {"/", std::nullopt},
           {"/assets/app-1234.js", std::nullopt},
           {"/nope.html", std::nullopt}}) {
    auto response = Get(target, as);
    const std::string csp(response["Content-Security-Policy"]);
    EXPECT_NE(csp.find("default-src 'self'"), std::string::npos) << target;
    EXPECT_NE(csp.find("script-src 'self';"), std::string::npos) << target;
    EXPECT_NE(csp.find("object-src 'none'"), std::string::npos) << target;
    EXPECT_NE(csp.find("frame-ancestors 'none'"), std::string::npos) << target;
    EXPECT_NE(csp.find("base-uri 'self'"), std::string::npos) << target;
    EXPECT_EQ(csp.find("unsafe-eval"), std::string::npos) << target;
    EXPECT_EQ(response["X-Frame-Options"], "DENY") << target;
    EXPECT_EQ(response["X-Content-Type-Options"], "nosniff") << target;
    EXPECT_EQ(response["Referrer-Policy"], "same-origin") << target;
    // Plain HTTP: no HSTS (it would pin a site that has no certificate).
    EXPECT_EQ(response.find("Strict-Transport-Security"), response.end()) << target;
  }
  // A refusal written by the server itself (413) carries them too.
  std::string answer = RawExchange(server_->port(),
                                   "POST /api/auth/login HTTP/1.1\r\nHost: x\r\n"
                                   "Content-Length: 100000\r\n\r\n");
  EXPECT_NE(answer.find("X-Frame-Options: DENY"), std::string::npos) << answer;
}

TEST(ContentSecurityPolicy, AllowsTheMapTileServerForImagesOnly) {
  const std::string none = ContentSecurityPolicy("");
  EXPECT_NE(none.find("img-src 'self' data: blob:;"), std::string::npos) << none;
  const std::string osm = ContentSecurityPolicy("https://{s}.tile.example.org/{z}/{x}/{y}.png");
  EXPECT_NE(osm.find("img-src 'self' data: blob: https://*.tile.example.org;"), std::string::npos)
      << osm;
  EXPECT_NE(osm.find("script-src 'self';"), std::string::npos);
  const std::string port = ContentSecurityPolicy("http://10.0.0.5:8081/tiles/{z}/{x}/{y}.png");
  EXPECT_NE(port.find("http://10.0.0.5:8081;"), std::string::npos) << port;
  // 天地图's t{s}.tianditu.gov.cn, and several base maps at once, each origin once.
  const std::string several[] = {"https://t{s}.tianditu.gov.cn/vec_w/wmts?x={x}",
                                 "https://webrd0{s}.is.autonavi.com/appmaptile?x={x}",
                                 "https://t{s}.tianditu.gov.cn/cva_w/wmts?x={x}"};
  const std::string maps = ContentSecurityPolicy(several);
  EXPECT_NE(maps.find("blob: https://*.tianditu.gov.cn https://*.is.autonavi.com;"),
            std::string::npos)
      << maps;
  // Something that would smuggle another directive is left out.
  const std::string hostile = ContentSecurityPolicy("https://a.example; script-src *;/x");
  EXPECT_EQ(hostile.find("script-src *"), std::string::npos) << hostile;
}

// Item 14: /metrics is not on the API's port; its own listener serves it.
TEST_F(HttpEdgeTest, MetricsAreServedOnlyByTheirOwnListener) {
  EXPECT_EQ(Get("/metrics", std::nullopt).result(), http::status::not_found);
  EXPECT_EQ(Get("/metrics", Role::kAdmin).result(), http::status::not_found);

  HttpOptions options;
  options.listen_address = "127.0.0.1";
  options.port = 0;
  options.threads = 1;
  HttpServer metrics(options, MakeMetricsHandler(metrics_));
  ASSERT_TRUE(metrics.Start());
  std::string answer = RawExchange(metrics.port(), "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_TRUE(answer.starts_with("HTTP/1.1 200")) << answer;
  EXPECT_NE(answer.find("text/plain; version=0.0.4"), std::string::npos);
  answer = RawExchange(metrics.port(), "GET /api/ui-config HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_TRUE(answer.starts_with("HTTP/1.1 404")) << answer;
}

// A self-signed certificate for 127.0.0.1, made with OpenSSL for the test.
void WriteSelfSignedCertificate(const std::filesystem::path& certificate,
                                const std::filesystem::path& key) {
  EVP_PKEY* pkey = EVP_EC_gen("P-256");
  ASSERT_NE(pkey, nullptr);
  X509* x509 = X509_new();
  X509_set_version(x509, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(x509), 1);
  X509_gmtime_adj(X509_getm_notBefore(x509), -60);
  X509_gmtime_adj(X509_getm_notAfter(x509), 3600);
  X509_set_pubkey(x509, pkey);
  X509_NAME* name = X509_get_subject_name(x509);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("127.0.0.1"), -1, -1, 0);
  X509_set_issuer_name(x509, name);
  ASSERT_GT(X509_sign(x509, pkey, EVP_sha256()), 0);
  BIO* out = BIO_new_file(certificate.c_str(), "w");
  PEM_write_bio_X509(out, x509);
  BIO_free(out);
  out = BIO_new_file(key.c_str(), "w");
  PEM_write_bio_PrivateKey(out, pkey, nullptr, nullptr, 0, nullptr, nullptr);
  BIO_free(out);
  X509_free(x509);
  EVP_PKEY_free(pkey);
}

class HttpsTest : public ApiFixture {
 protected:
  void SetUp() override {
    ApiFixture::SetUp();
    if (HasFatalFailure())
      return;
    certificate_ = dir_ / "server.crt";
    WriteSelfSignedCertificate(certificate_, dir_ / "server.key");
    ApiServices services{.track = track_,
                         .gateway = *gateway_,
                         .metrics = metrics_,
                         .registry = *registry_,
                         .users = *users_,
                         .audit = *audit_,
                         .imports = *imports_,
                         .ui = UiConfig{},
                         .web = nullptr,
                         .now_ms = nullptr,
                         .passes = passes_.get(),
                         .checkpoints = checkpoints_.get(),
                         .terminal_plates = nullptr,
                         .monitoring = monitoring_.get(),
                         .repeated_reads = nullptr};
    services.secure_cookies = true;
    HttpOptions options;
    options.listen_address = "127.0.0.1";
    options.port = 0;
    options.threads = 2;
    options.certificate_file = certificate_.string();
    options.private_key_file = (dir_ / "server.key").string();
    options.admit_body = MakeBodyAdmission(services, options);
    https_ = std::make_unique<HttpServer>(options, MakeApiHandler(services),
                                          MakeUpgradeHandler(services));
    ASSERT_TRUE(https_->Start());
    // The same, in plain HTTP, as `baotong serve` without a certificate.
    options.certificate_file.clear();
    options.private_key_file.clear();
    plain_ = std::make_unique<HttpServer>(options, MakeApiHandler(services));
    ASSERT_TRUE(plain_->Start());
  }
  void TearDown() override {
    https_.reset();
    plain_.reset();
    ApiFixture::TearDown();
  }

  // A client that trusts the test's certificate, limited to the given protocol versions.
  std::unique_ptr<ssl::context> Client(int min_version, int max_version) {
    auto context = std::make_unique<ssl::context>(ssl::context::tls_client);
    context->load_verify_file(certificate_.string());
    context->set_verify_mode(ssl::verify_peer);
    SSL_CTX_set_min_proto_version(context->native_handle(), min_version);
    SSL_CTX_set_max_proto_version(context->native_handle(), max_version);
    // Let the client offer old protocols at all: the server must be the one refusing.
    SSL_CTX_set_cipher_list(context->native_handle(), "DEFAULT:@SECLEVEL=0");
    return context;
  }

  std::filesystem::path certificate_;
  std::unique_ptr<HttpServer> https_;
  std::unique_ptr<HttpServer> plain_;
};

// Item 8: an import's large body is read only from a signed-in user; a stranger's is refused
// from its header (the old server buffered up to 64 MiB from anyone).
TEST_F(HttpsTest, LargeBodiesAreReadOnlyWithASession) {
  const auto started = std::chrono::steady_clock::now();
  std::string answer = RawExchange(plain_->port(),
                                   "POST /api/imports?kind=sites HTTP/1.1\r\nHost: x\r\n"
                                   "Content-Type: text/csv\r\nContent-Length: 52428800\r\n\r\n");
  EXPECT_TRUE(answer.starts_with("HTTP/1.1 401")) << answer;
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(3));
  answer = RawExchange(plain_->port(),
                       "POST /api/indicators/import HTTP/1.1\r\nHost: x\r\n"
                       "Authorization: Bearer not-a-session\r\nContent-Length: 52428800\r\n\r\n");
  EXPECT_TRUE(answer.starts_with("HTTP/1.1 401")) << answer;
  // A session is not enough: the role must be allowed to import that kind. Checkpoint operators
  // import nothing; 卫健委 imports health records but not sites or indicators.
  for (const auto& [role, target] :
       std::vector<std::pair<Role, std::string>>{{Role::kCheckpoint, "/api/imports?kind=sites"},
                                                 {Role::kHealth, "/api/imports?kind=sites"},
                                                 {Role::kHealth, "/api/indicators/import"}}) {
    answer = RawExchange(plain_->port(),
                         "POST " + target + " HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " +
                             tokens_.at(role) + "\r\nContent-Length: 52428800\r\n\r\n");
    EXPECT_TRUE(answer.starts_with("HTTP/1.1 403")) << target << ": " << answer;
  }
  // A kind that does not exist gets only the API's small limit (the route answers 400).
  answer = RawExchange(plain_->port(),
                       "POST /api/imports?kind=lorries HTTP/1.1\r\nHost: x\r\n"
                       "Authorization: Bearer " +
                           tokens_.at(Role::kAdmin) + "\r\nContent-Length: 52428800\r\n\r\n");
  EXPECT_TRUE(answer.starts_with("HTTP/1.1 413")) << answer;
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(5));

  // With a session of a role that may import, the body is read and the import answers.
  std::string csv = registry::ImportTemplateCsv(registry::Kind::kSites);
  csv += "ZD9,测试卸货点,unloading,铁东区,,,,,\n";
  std::string request =
      "POST /api/imports?kind=sites&format=csv HTTP/1.1\r\nHost: x\r\n"
      "Authorization: Bearer " +
      tokens_.at(Role::kAdmin) + "\r\nContent-Length: " + std::to_string(csv.size()) + "\r\n\r\n" +
      csv;
  answer = RawExchange(plain_->port(), request);
  EXPECT_TRUE(answer.starts_with("HTTP/1.1 202")) << answer;
}

TEST_F(HttpsTest, SignInOverTls12AndLaterWithSecureCookieAndHsts) {
  for (int version : {TLS1_2_VERSION, TLS1_3_VERSION}) {
    auto context = Client(version, version);
    asio::io_context io;
    beast::ssl_stream<beast::tcp_stream> stream(io, *context);
    beast::get_lowest_layer(stream).connect({asio::ip::make_address("127.0.0.1"), https_->port()});
    beast::error_code ec;
    stream.handshake(ssl::stream_base::client, ec);
    ASSERT_FALSE(ec) << version << ": " << ec.message();
    http::request<http::string_body> request{http::verb::post, "/api/auth/login", 11};
    request.set(http::field::host, "127.0.0.1");
    request.set(http::field::content_type, "application/json");
    request.body() = Json{{"username", "transport_user"}, {"password", kPassword}}.dump();
    request.prepare_payload();
    http::write(stream, request);
    beast::flat_buffer buffer;
    HttpResponse response;
    http::read(stream, buffer, response);
    ASSERT_EQ(response.result(), http::status::ok) << response.body();
    const std::string cookie(response[http::field::set_cookie]);
    EXPECT_NE(cookie.find("; Secure"), std::string::npos) << cookie;
    EXPECT_NE(cookie.find("HttpOnly"), std::string::npos) << cookie;
    EXPECT_EQ(response["Strict-Transport-Security"], "max-age=31536000");
    EXPECT_NE(response.find("Content-Security-Policy"), response.end());
  }
}

TEST_F(HttpsTest, OldProtocolsAndPlainHttpAreRefused) {
  auto context = Client(TLS1_1_VERSION, TLS1_1_VERSION);
  asio::io_context io;
  beast::ssl_stream<beast::tcp_stream> stream(io, *context);
  beast::get_lowest_layer(stream).connect({asio::ip::make_address("127.0.0.1"), https_->port()});
  beast::error_code ec;
  stream.handshake(ssl::stream_base::client, ec);
  EXPECT_TRUE(ec) << "a TLS 1.1 handshake succeeded";

  // Plain HTTP to the HTTPS port gets no answer.
  std::string answer = RawExchange(https_->port(), "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n", 3);
  EXPECT_FALSE(answer.starts_with("HTTP/1.1 200")) << answer;
}

TEST_F(HttpsTest, AlarmFeedWebSocketWorksOverTls) {
  auto context = Client(TLS1_2_VERSION, TLS1_3_VERSION);
  asio::io_context io;
  beast::websocket::stream<beast::ssl_stream<beast::tcp_stream>> socket(io, *context);
  beast::get_lowest_layer(socket).connect({asio::ip::make_address("127.0.0.1"), https_->port()});
  socket.next_layer().handshake(ssl::stream_base::client);
  socket.set_option(beast::websocket::stream_base::decorator([this](auto& request) {
    request.set(http::field::cookie,
                std::string(kSessionCookieName) + "=" + tokens_.at(Role::kAdmin));
  }));
  beast::error_code ec;
  beast::websocket::response_type response;
  socket.handshake(response, "127.0.0.1", "/api/alarms/live", ec);
  ASSERT_FALSE(ec) << ec.message() << " " << response.result_int();
  EXPECT_TRUE(socket.is_open());
  socket.close(beast::websocket::close_code::normal, ec);
}

TEST(HttpsConfiguration, AMissingOrMismatchedKeyStopsTheStart) {
  HttpOptions options;
  options.listen_address = "127.0.0.1";
  options.port = 0;
  options.certificate_file = "/nonexistent/server.crt";
  options.private_key_file = "/nonexistent/server.key";
  HttpServer server(options, [](const Request&, std::string_view) { return Response{}; });
  EXPECT_FALSE(server.Start());
  options.private_key_file.clear();
  HttpServer half(options, [](const Request&, std::string_view) { return Response{}; });
  EXPECT_FALSE(half.Start());
}

// Item 15: a plain server with a trivial handler, for the connection tests.
std::unique_ptr<HttpServer> HealthServer(size_t per_address, size_t total) {
  HttpOptions options;
  options.listen_address = "127.0.0.1";
  options.port = 0;
  options.threads = 2;
  options.max_connections_per_address = per_address;
  options.max_connections = total;
  auto server = std::make_unique<HttpServer>(options, [](const Request& request, std::string_view) {
    return JsonResponse(
        PathOf(TargetOf(request)) == "/healthz" ? http::status::ok : http::status::not_found,
        Json{{"status", "ok"}});
  });
  if (!server->Start())
    return nullptr;
  return server;
}

TEST(ConnectionCaps, OneAddressCannotTakeEveryConnection) {
  auto server = HealthServer(4, 0);
  ASSERT_TRUE(server);
  asio::io_context io;
  std::vector<std::unique_ptr<tcp::socket>> held;
  for (int i = 0; i < 4; ++i) {
    held.push_back(std::make_unique<tcp::socket>(io));
    held.back()->connect({asio::ip::make_address("127.0.0.1"), server->port()});
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  const std::string healthz = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";
  // The fifth from the same address is closed unanswered ...
  EXPECT_EQ(RawExchange(server->port(), healthz, 3), "");
  // ... while another address is served.
  EXPECT_TRUE(RawExchange(server->port(), healthz, 3, "127.0.0.2").starts_with("HTTP/1.1 200"));
  // A connection that ends frees its place.
  held.pop_back();
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_TRUE(RawExchange(server->port(), healthz, 3).starts_with("HTTP/1.1 200"));
}

TEST(ConnectionCaps, TheTotalIsCappedToo) {
  auto server = HealthServer(0, 3);
  ASSERT_TRUE(server);
  asio::io_context io;
  std::vector<std::unique_ptr<tcp::socket>> held;
  for (int i = 0; i < 3; ++i) {
    held.push_back(std::make_unique<tcp::socket>(io));
    held.back()->connect({asio::ip::make_address("127.0.0.1"), server->port()});
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  const std::string healthz = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";
  EXPECT_EQ(RawExchange(server->port(), healthz, 3, "127.0.0.3"), "");
  // The same address is answered once a place is free: the refusal above was the cap's.
  held.pop_back();
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_TRUE(RawExchange(server->port(), healthz, 3, "127.0.0.3").starts_with("HTTP/1.1 200"));
}

// Out of descriptors, the accept loop waits instead of spinning on EMFILE, and the server
// answers again once descriptors are free.
TEST(ConnectionCaps, OutOfDescriptorsTheAcceptLoopBacksOffAndRecovers) {
  if (baotong::testing::kSanitizersNeedDescriptors)
    GTEST_SKIP()
        << "the sanitizers' type checks need free descriptors (support/descriptor_exhaustion.h)";
  auto server = HealthServer(0, 0);
  ASSERT_TRUE(server);
  const uint16_t port = server->port();
  // Another process holds 100 connections: more than this process has descriptors left, so
  // the rest wait in the listen backlog, where the old loop retried accept() without pause.
  baotong::testing::DescriptorExhaustion exhaustion(port);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  const double cpu_before = baotong::testing::ProcessCpuSeconds();
  std::this_thread::sleep_for(std::chrono::seconds(1));
  const double cpu_spent = baotong::testing::ProcessCpuSeconds() - cpu_before;
  EXPECT_LT(cpu_spent, 0.3) << "the accept loop spins while out of descriptors";

  // The other process lets go; with the same low limit the server answers again.
  exhaustion.ReleaseConnections();
  bool answered = false;
  for (int attempt = 0; attempt < 30 && !answered; ++attempt) {
    answered = RawExchange(port, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n", 2)
                   .starts_with("HTTP/1.1 200");
    if (!answered)
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_TRUE(answered) << "/healthz did not answer after descriptors were freed";
}

}  // namespace
}  // namespace baotong::api
