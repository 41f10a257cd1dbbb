// Signed pass tokens (Ed25519, libsodium), verifiable offline with the platform's public key.
//
// Token: "BT1." + base64url(payload JSON) + "." + base64url(signature), base64url without
// padding. The signature covers the ASCII text "BT1.<payload>" (version and payload). The
// payload is {"id","plate","color","from","until","route","kind"}: pass id, plate, JT/T 808
// colour code, validity (UTC epoch ms, both ends inclusive), route id (or "waypoints", or ""
// for a standing registration without a route) and "trip" or "standing".
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "common/error.h"
#include "pass/model.h"

namespace baotong::pass {

inline constexpr size_t kPublicKeyBytes = 32;
using PublicKey = std::array<unsigned char, kPublicKeyBytes>;

struct TokenPayload {
  int64_t id = 0;
  std::string plate;
  int color = 0;
  int64_t from = 0;
  int64_t until = 0;
  std::string route;
  std::string kind;
  bool operator==(const TokenPayload&) const = default;
};

// The payload of an approved pass (valid_from_ms/valid_until_ms must be set).
TokenPayload PayloadOf(const PassApplication& pass);

// An Ed25519 key pair. The secret half is wiped on destruction and never printed.
class SigningKey {
 public:
  // Reads data_dir/pass-signing.key, or creates it (mode 0600) with a new key pair when it
  // does not exist. A file that exists but is not a key (wrong size, halves that do not
  // belong together) is an error, never replaced: tokens already issued depend on it.
  static Result<SigningKey> LoadOrCreate(const std::filesystem::path& file);
  // A fresh key pair in memory (tests, tools).
  static SigningKey Generate();

  SigningKey(const SigningKey&) = delete;
  SigningKey& operator=(const SigningKey&) = delete;
  SigningKey(SigningKey&& other) noexcept;
  SigningKey& operator=(SigningKey&& other) noexcept;
  ~SigningKey();

  // "BT1.<payload>.<signature>".
  std::string Sign(const TokenPayload& payload) const;
  const PublicKey& public_key() const { return public_key_; }
  // Standard base64 with padding, as GET /api/passes/public-key returns it.
  std::string PublicKeyBase64() const;

 private:
  SigningKey() = default;
  std::array<unsigned char, 64> secret_key_{};  // libsodium's: seed followed by public key
  PublicKey public_key_{};
};

enum class TokenError : uint8_t { kBadFormat, kBadSignature, kExpired, kNotYetValid };
// "bad_format", "bad_signature", "expired", "not_yet_valid".
std::string_view TokenErrorId(TokenError error);
// 通行证格式错误, 通行证签名无效, 通行证已过期, 通行证尚未生效.
std::string_view TokenErrorName(TokenError error);

// Checks the format and signature, then the validity against `now_ms` (from <= now <= until).
tl::expected<TokenPayload, TokenError> VerifyToken(std::string_view token,
                                                   const PublicKey& public_key, int64_t now_ms);

// The key as PublicKeyBase64() writes it; nullopt if it is not 32 bytes of base64.
std::optional<PublicKey> ParsePublicKey(std::string_view base64);

}  // namespace baotong::pass
