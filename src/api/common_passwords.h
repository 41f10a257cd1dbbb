// The list of common passwords that no account may use (common_passwords.cc holds it, compiled
// in so that a deployment cannot lose it).
#pragma once

#include <cstddef>
#include <string_view>

namespace baotong::api {

// Whether `lowercase` (already lowercased) is on the list.
bool IsCommonPassword(std::string_view lowercase);
// How many passwords the list holds.
size_t CommonPasswordCount();

}  // namespace baotong::api
