#include "pass/signing.h"

#include <sodium.h>

#include <cstdlib>
#include <nlohmann/json.hpp>
#include <optional>
#include <vector>

#include "common/secret_file.h"

namespace baotong::pass {
namespace {

static_assert(crypto_sign_PUBLICKEYBYTES == kPublicKeyBytes);
static_assert(crypto_sign_SECRETKEYBYTES == 64);

constexpr std::string_view kTokenVersion = "BT1";
// The key file: this line, then the 64-byte secret key in standard base64, then a newline.
constexpr std::string_view kKeyFileHeader = "baotong-pass-signing-key v1 ed25519\n";
// Tokens are a few hundred bytes; anything much longer is not one.
constexpr size_t kMaxTokenLength = 4096;

void InitSodium() {
  static const bool ready = [] {
    if (sodium_init() < 0)
      std::abort();  // no randomness: nothing safe can be done
    return true;
  }();
  (void)ready;
}

std::string Base64(const unsigned char* data, size_t size, int variant) {
  std::string text(sodium_base64_encoded_len(size, variant), '\0');
  sodium_bin2base64(text.data(), text.size(), data, size, variant);
  text.resize(text.find('\0'));
  return text;
}

// Strict: only the variant's alphabet, canonical trailing bits (libsodium refuses others).
std::optional<std::vector<unsigned char>> FromBase64(std::string_view text, int variant) {
  if (text.empty())
    return std::vector<unsigned char>();  // libsodium must not see a null buffer
  std::vector<unsigned char> bytes(text.size());
  size_t length = 0;
  const char* end = nullptr;
  if (sodium_base642bin(bytes.data(), bytes.size(), text.data(), text.size(), nullptr, &length,
                        &end, variant) != 0 ||
      end != text.data() + text.size())
    return std::nullopt;
  bytes.resize(length);
  return bytes;
}

std::string PayloadJson(const TokenPayload& payload) {
  nlohmann::ordered_json json{{"id", payload.id},       {"plate", payload.plate},
                              {"color", payload.color}, {"from", payload.from},
                              {"until", payload.until}, {"route", payload.route},
                              {"kind", payload.kind}};
  return json.dump();
}

std::optional<TokenPayload> ReadPayload(const std::vector<unsigned char>& bytes) {
  nlohmann::json json = nlohmann::json::parse(bytes.begin(), bytes.end(), nullptr, false);
  if (json.is_discarded() || !json.is_object())
    return std::nullopt;
  auto integer = [&](const char* key) -> std::optional<int64_t> {
    auto found = json.find(key);
    if (found == json.end() || !found->is_number_integer())
      return std::nullopt;
    return found->get<int64_t>();
  };
  auto text = [&](const char* key) -> std::optional<std::string> {
    auto found = json.find(key);
    if (found == json.end() || !found->is_string())
      return std::nullopt;
    return found->get<std::string>();
  };
  auto id = integer("id");
  auto color = integer("color");
  auto from = integer("from");
  auto until = integer("until");
  auto plate = text("plate");
  auto route = text("route");
  auto kind = text("kind");
  if (!id || !color || !from || !until || !plate || !route || !kind || *color < 0 || *color > 255)
    return std::nullopt;
  return TokenPayload{*id, *plate, static_cast<int>(*color), *from, *until, *route, *kind};
}

}  // namespace

TokenPayload PayloadOf(const PassApplication& pass) {
  TokenPayload payload;
  payload.id = pass.id;
  payload.plate = pass.plate;
  payload.color = static_cast<int>(pass.plate_color);
  payload.from = pass.valid_from_ms.value_or(pass.entry_from_ms);
  payload.until = pass.valid_until_ms.value_or(pass.entry_until_ms);
  payload.route = pass.route_id ? *pass.route_id : pass.waypoints.empty() ? "" : "waypoints";
  payload.kind = std::string(PassKindId(pass.kind));
  return payload;
}

SigningKey SigningKey::Generate() {
  InitSodium();
  SigningKey key;
  crypto_sign_keypair(key.public_key_.data(), key.secret_key_.data());
  return key;
}

Result<SigningKey> SigningKey::LoadOrCreate(const std::filesystem::path& file) {
  InitSodium();
  // The file keeps its own format (not secret_file's "<name> <base64>" lines): passes already
  // issued name this key, so existing files must read as they always did.
  std::optional<SigningKey> generated;
  auto created = crypto::CreateSecretFile(file, [&] {
    generated = Generate();
    return std::string(kKeyFileHeader) +
           Base64(generated->secret_key_.data(), generated->secret_key_.size(),
                  sodium_base64_VARIANT_ORIGINAL) +
           "\n";
  });
  if (!created)
    return Fail(created.error().code, "pass: cannot create or write the signing key file");
  if (*created)
    return std::move(*generated);
  // Whoever reads this key issues passes the gates accept: like the audit and field keys it must
  // be the service's alone (issue 13).
  std::string content;
  if (auto read = crypto::ReadSecretFile(file, content, crypto::GroupReadable::kRefuse); !read)
    return Fail(read.error().code,
                "pass: cannot read the signing key file, or group or others may read it (chmod "
                "600 it)");
  const auto corrupt = [&] {
    sodium_memzero(content.data(), content.size());
    return Fail(ErrorCode::kBadValue,
                "pass: the signing key file is corrupt (not replaced: issued passes need it)");
  };
  std::string_view text = content;
  if (text.substr(0, kKeyFileHeader.size()) != kKeyFileHeader || text.back() != '\n')
    return corrupt();
  text.remove_prefix(kKeyFileHeader.size());
  text.remove_suffix(1);
  auto bytes = FromBase64(text, sodium_base64_VARIANT_ORIGINAL);
  if (!bytes || bytes->size() != 64) {
    if (bytes)
      sodium_memzero(bytes->data(), bytes->size());
    return corrupt();
  }
  SigningKey key;
  std::copy(bytes->begin(), bytes->end(), key.secret_key_.begin());
  sodium_memzero(bytes->data(), bytes->size());
  // The public half must be the one the seed derives.
  std::array<unsigned char, 64> derived_secret{};
  crypto_sign_seed_keypair(key.public_key_.data(), derived_secret.data(), key.secret_key_.data());
  bool consistent = sodium_memcmp(derived_secret.data(), key.secret_key_.data(), 64) == 0;
  sodium_memzero(derived_secret.data(), derived_secret.size());
  if (!consistent)
    return corrupt();
  sodium_memzero(content.data(), content.size());
  return key;
}

SigningKey::SigningKey(SigningKey&& other) noexcept
    : secret_key_(other.secret_key_), public_key_(other.public_key_) {
  sodium_memzero(other.secret_key_.data(), other.secret_key_.size());
}

SigningKey& SigningKey::operator=(SigningKey&& other) noexcept {
  if (this != &other) {
    secret_key_ = other.secret_key_;
    public_key_ = other.public_key_;
    sodium_memzero(other.secret_key_.data(), other.secret_key_.size());
  }
  return *this;
}

SigningKey::~SigningKey() {
  sodium_memzero(secret_key_.data(), secret_key_.size());
}

std::string SigningKey::Sign(const TokenPayload& payload) const {
  const std::string json = PayloadJson(payload);
  std::string signed_part = std::string(kTokenVersion) + "." +
                            Base64(reinterpret_cast<const unsigned char*>(json.data()), json.size(),
                                   sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  std::array<unsigned char, crypto_sign_BYTES> signature{};
  crypto_sign_detached(signature.data(), nullptr,
                       reinterpret_cast<const unsigned char*>(signed_part.data()),
                       signed_part.size(), secret_key_.data());
  return signed_part + "." +
         Base64(signature.data(), signature.size(), sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

std::string SigningKey::PublicKeyBase64() const {
  return Base64(public_key_.data(), public_key_.size(), sodium_base64_VARIANT_ORIGINAL);
}

std::string_view TokenErrorId(TokenError error) {
  switch (error) {
    case TokenError::kBadFormat:
      return "bad_format";
    case TokenError::kBadSignature:
      return "bad_signature";
    case TokenError::kExpired:
      return "expired";
    case TokenError::kNotYetValid:
      return "not_yet_valid";
  }
  return "";
}

std::string_view TokenErrorName(TokenError error) {
  switch (error) {
    case TokenError::kBadFormat:
      return "通行证格式错误";
    case TokenError::kBadSignature:
      return "通行证签名无效";
    case TokenError::kExpired:
      return "通行证已过期";
    case TokenError::kNotYetValid:
      return "通行证尚未生效";
  }
  return "";
}

tl::expected<TokenPayload, TokenError> VerifyToken(std::string_view token,
                                                   const PublicKey& public_key, int64_t now_ms) {
  InitSodium();
  const auto bad = [](TokenError error) { return tl::unexpected<TokenError>(error); };
  if (token.size() > kMaxTokenLength)
    return bad(TokenError::kBadFormat);
  size_t first = token.find('.');
  size_t second = first == std::string_view::npos ? first : token.find('.', first + 1);
  if (second == std::string_view::npos || token.substr(0, first) != kTokenVersion ||
      token.find('.', second + 1) != std::string_view::npos)
    return bad(TokenError::kBadFormat);
  std::string_view signed_part = token.substr(0, second);
  auto payload_bytes = FromBase64(token.substr(first + 1, second - first - 1),
                                  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  auto signature = FromBase64(token.substr(second + 1), sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  if (!payload_bytes || !signature || payload_bytes->empty())
    return bad(TokenError::kBadFormat);
  if (signature->size() != crypto_sign_BYTES ||
      crypto_sign_verify_detached(signature->data(),
                                  reinterpret_cast<const unsigned char*>(signed_part.data()),
                                  signed_part.size(), public_key.data()) != 0)
    return bad(TokenError::kBadSignature);
  auto payload = ReadPayload(*payload_bytes);
  if (!payload)
    return bad(TokenError::kBadFormat);  // signed by us, yet unreadable: a format we do not know
  if (now_ms < payload->from)
    return bad(TokenError::kNotYetValid);
  if (now_ms > payload->until)
    return bad(TokenError::kExpired);
  return *payload;
}

std::optional<PublicKey> ParsePublicKey(std::string_view base64) {
  InitSodium();
  auto bytes = FromBase64(base64, sodium_base64_VARIANT_ORIGINAL);
  if (!bytes || bytes->size() != kPublicKeyBytes)
    return std::nullopt;
  PublicKey key{};
  std::copy(bytes->begin(), bytes->end(), key.begin());
  return key;
}

}  // namespace baotong::pass
