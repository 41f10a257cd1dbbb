// The OpenAPI 3 description of the HTTP API (src/api/openapi.json, compiled in at build time
// so the server needs no files to describe itself).
#pragma once

#include <string_view>

namespace baotong::api {

std::string_view OpenApiDocument();

}  // namespace baotong::api
