// Record keys that are themselves personal data (a driver's ID number) must not reach a role
// that sees them masked, yet its pages still link to the record. Such keys travel sealed:
// "s." + base64url(nonce + XSalsa20-Poly1305(key)) under a key made at startup, so a sealed
// link works until the server restarts and reveals nothing.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace baotong::api {

std::string SealKey(std::string_view key);
// The key inside a sealed token; nullopt when `token` is not one this process sealed.
std::optional<std::string> UnsealKey(std::string_view token);
inline bool IsSealedKey(std::string_view token) {
  return token.starts_with("s.");
}

}  // namespace baotong::api
