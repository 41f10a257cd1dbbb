#include "api/route_context.h"

namespace baotong::api {

std::optional<Response> RouteStats(Call& call) {
  (void)call;
  return std::nullopt;
}

}  // namespace baotong::api
