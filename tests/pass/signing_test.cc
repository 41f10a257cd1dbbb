#include "pass/signing.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <atomic>
#include <chrono>
#include <fstream>

namespace baotong::pass {
namespace {

constexpr int64_t kFrom = 1'795'000'000'000;
constexpr int64_t kUntil = kFrom + 5 * 3600 * 1000;

TokenPayload Payload() {
  return TokenPayload{42, "辽C12345", 2, kFrom, kUntil, "R1", "trip"};
}

class TempDir : public ::testing::Test {
 protected:
  void SetUp() override {
    static std::atomic<int> counter{0};
    dir_ = std::filesystem::temp_directory_path() /
           ("baotong_signing_test_" + std::to_string(::getpid()) + "_" + std::to_string(counter++) +
            "_" + std::to_string(std::chrono::steady_clock::now().time_since_epoch().count()));
  }
  void TearDown() override {
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }
  std::filesystem::path dir_;
};

using SigningKeyFileTest = TempDir;

TEST(SigningTest, AValidTokenVerifies) {
  SigningKey key = SigningKey::Generate();
  std::string token = key.Sign(Payload());
  EXPECT_EQ(token.rfind("BT1.", 0), 0u);
  EXPECT_EQ(std::count(token.begin(), token.end(), '.'), 2);
  EXPECT_EQ(token.find('='), std::string::npos);  // no padding
  for (int64_t now : {kFrom, kFrom + 1, kUntil}) {
    auto payload = VerifyToken(token, key.public_key(), now);
    ASSERT_TRUE(payload) << TokenErrorId(payload.error());
    EXPECT_EQ(*payload, Payload());
  }
}

TEST(SigningTest, AnyChangedByteFails) {
  SigningKey key = SigningKey::Generate();
  const std::string token = key.Sign(Payload());
  for (size_t i = 0; i < token.size(); ++i) {
    for (char replacement : {'A', 'b', '_', '.', '0'}) {
      if (token[i] == replacement)
        continue;
      std::string changed = token;
      changed[i] = replacement;
      auto result = VerifyToken(changed, key.public_key(), kFrom + 1);
      ASSERT_FALSE(result) << "byte " << i << " -> " << replacement;
      EXPECT_TRUE(result.error() == TokenError::kBadFormat ||
                  result.error() == TokenError::kBadSignature);
    }
  }
  EXPECT_FALSE(VerifyToken(token + "A", key.public_key(), kFrom + 1));
  EXPECT_FALSE(VerifyToken(token.substr(0, token.size() - 1), key.public_key(), kFrom + 1));
}

TEST(SigningTest, OutsideItsValidityATokenIsRefused) {
  SigningKey key = SigningKey::Generate();
  std::string token = key.Sign(Payload());
  auto early = VerifyToken(token, key.public_key(), kFrom - 1);
  ASSERT_FALSE(early);
  EXPECT_EQ(early.error(), TokenError::kNotYetValid);
  auto late = VerifyToken(token, key.public_key(), kUntil + 1);
  ASSERT_FALSE(late);
  EXPECT_EQ(late.error(), TokenError::kExpired);
  EXPECT_EQ(TokenErrorId(late.error()), "expired");
  EXPECT_EQ(TokenErrorName(late.error()), "通行证已过期");
}

TEST(SigningTest, ATokenSignedByAnotherKeyIsRefused) {
  SigningKey ours = SigningKey::Generate();
  SigningKey theirs = SigningKey::Generate();
  auto result = VerifyToken(theirs.Sign(Payload()), ours.public_key(), kFrom + 1);
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error(), TokenError::kBadSignature);
}

TEST(SigningTest, MalformedTokensAreBadFormat) {
  SigningKey key = SigningKey::Generate();
  for (std::string token :
       {std::string(), std::string("BT1"), std::string("BT1.."), std::string("BT2.e30.AAAA"),
        std::string("BT1.e30"), std::string("BT1.e30.AA.AA"), std::string(5000, 'A')}) {
    auto result = VerifyToken(token, key.public_key(), kFrom);
    ASSERT_FALSE(result) << token;
    EXPECT_EQ(result.error(), TokenError::kBadFormat) << token;
  }
}

TEST(SigningTest, ThePublicKeyRoundTripsThroughBase64) {
  SigningKey key = SigningKey::Generate();
  std::string text = key.PublicKeyBase64();
  EXPECT_EQ(text.size(), 44u);
  auto parsed = ParsePublicKey(text);
  ASSERT_TRUE(parsed);
  EXPECT_EQ(*parsed, key.public_key());
  EXPECT_FALSE(ParsePublicKey("AAAA"));
  EXPECT_FALSE(ParsePublicKey("not base64!"));
}

TEST(SigningTest, PayloadOfAnApprovedPass) {
  PassApplication pass;
  pass.id = 7;
  pass.kind = PassKind::kStanding;
  pass.plate = "辽C12345";
  pass.plate_color = PlateColor::kBlue;
  pass.valid_from_ms = kFrom;
  pass.valid_until_ms = kUntil;
  EXPECT_EQ(PayloadOf(pass), (TokenPayload{7, "辽C12345", 1, kFrom, kUntil, "", "standing"}));
  pass.waypoints = {{41, 123}, {41.1, 123.1}};
  EXPECT_EQ(PayloadOf(pass).route, "waypoints");
  pass.route_id = "R2";
  EXPECT_EQ(PayloadOf(pass).route, "R2");
}

TEST_F(SigningKeyFileTest, CreatedOnceWithMode0600AndReloaded) {
  auto file = dir_ / "pass-signing.key";
  auto created = SigningKey::LoadOrCreate(file);
  ASSERT_TRUE(created) << created.error().Message();
  struct stat info {};
  ASSERT_EQ(::stat(file.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u);
  auto loaded = SigningKey::LoadOrCreate(file);
  ASSERT_TRUE(loaded) << loaded.error().Message();
  EXPECT_EQ(loaded->public_key(), created->public_key());
  // What one signs the other verifies.
  EXPECT_TRUE(VerifyToken(created->Sign(Payload()), loaded->public_key(), kFrom));
}

TEST_F(SigningKeyFileTest, AKeyFileOthersMayReadIsRefusedAndKept) {
  auto file = dir_ / "pass-signing.key";
  ASSERT_TRUE(SigningKey::LoadOrCreate(file));
  ASSERT_EQ(::chmod(file.c_str(), 0644), 0);
  auto loaded = SigningKey::LoadOrCreate(file);
  ASSERT_FALSE(loaded);
  EXPECT_NE(loaded.error().Message().find("chmod 600"), std::string::npos);
  struct stat info {};
  ASSERT_EQ(::stat(file.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0644u);  // not replaced: issued passes need the key
  ASSERT_EQ(::chmod(file.c_str(), 0600), 0);
  EXPECT_TRUE(SigningKey::LoadOrCreate(file));
}

TEST_F(SigningKeyFileTest, ACorruptFileIsAnErrorAndIsKept) {
  auto file = dir_ / "pass-signing.key";
  ASSERT_TRUE(SigningKey::LoadOrCreate(file));
  std::string original;
  {
    std::ifstream in(file);
    original.assign(std::istreambuf_iterator<char>(in), {});
  }
  auto write = [&](const std::string& content) {
    std::ofstream out(file, std::ios::trunc);
    out << content;
  };
  std::string flipped = original;
  size_t header = flipped.find('\n') + 1;
  flipped[header + 3] = flipped[header + 3] == 'A' ? 'B' : 'A';  // a seed byte: halves disagree
  for (const std::string& content :
       {std::string(), std::string("garbage"), original.substr(0, original.size() - 5) + "\n",
        flipped, original.substr(0, header) + "!!!!\n"}) {
    write(content);
    auto loaded = SigningKey::LoadOrCreate(file);
    ASSERT_FALSE(loaded) << content;
    EXPECT_EQ(loaded.error().code, ErrorCode::kBadValue);
    std::ifstream in(file);
    std::string after(std::istreambuf_iterator<char>(in), {});
    EXPECT_EQ(after, content);  // never silently regenerated
  }
  write(original);
  EXPECT_TRUE(SigningKey::LoadOrCreate(file));
}

}  // namespace
}  // namespace baotong::pass
