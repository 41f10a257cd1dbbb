// The platform's HTTP routes. No authentication yet: a later issue puts every route behind
// users and roles.
#pragma once

#include <nlohmann/json.hpp>

#include "api/http_server.h"
#include "gateway/gateway.h"
#include "gateway/metrics.h"
#include "model/position.h"
#include "store/position_store.h"
#include "track/track_service.h"

namespace baotong::api {

struct ApiServices {
  track::TrackService& track;
  gateway::Gateway& gateway;
  gateway::Metrics& metrics;
};

// GET  /metrics                              Prometheus text
// GET  /healthz                              {"status":"ok"}
// GET  /api/track?terminal=&from=&to=&limit= one terminal's positions, from/to in epoch ms
// GET  /api/positions/latest?offset=&limit=  latest position of every terminal, paginated
// GET  /api/terminals/connected              phones of the connected terminals
// POST /api/terminals/{phone}/commands       {"type":"text","text":"..."} | {"type":
//                                            "location_query"} | {"type":"tracking",
//                                            "interval_s":N,"validity_s":N}
// GET  /api/commands/{id}                    what became of a command
Handler MakeApiHandler(ApiServices services);

nlohmann::ordered_json PositionToJson(const model::Position& position);

}  // namespace baotong::api
