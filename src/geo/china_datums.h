// Coordinates of Chinese web maps and WGS-84. Amap, Tencent and Google's China tiles use GCJ-02
// (the 国测局 offset of WGS-84); Baidu adds its own offset on top of that (BD-09). Data
// digitised on those maps arrive in them, and their tiles expect them, but the platform stores
// and computes in WGS-84 (CGCS2000, EPSG:4490, differs from WGS-84 by centimetres and is used
// as is). Outside mainland China's bounding box GCJ-02 is WGS-84 unchanged.
//
// WgsToGcj and GcjToBd09/Bd09ToGcj are the published closed forms; GcjToWgs inverts WgsToGcj
// by fixed-point iteration to below a millimetre (the one-step inverse most code uses is off by
// up to a metre or two).
#pragma once

#include <optional>
#include <string_view>

#include "geo/geometry.h"

namespace baotong::geo {

enum class Datum { kWgs84, kGcj02, kBd09 };
// "wgs84" (also "epsg:4326", "cgcs2000", "epsg:4490"), "gcj02", "bd09"; case-insensitive.
std::optional<Datum> ParseDatum(std::string_view name);
std::string_view DatumId(Datum datum);

bool OutOfChina(const LatLon& point);

LatLon WgsToGcj(const LatLon& wgs);
LatLon GcjToWgs(const LatLon& gcj);
LatLon GcjToBd09(const LatLon& gcj);
LatLon Bd09ToGcj(const LatLon& bd09);

// From `datum` to WGS-84, and back (for display on tiles of that datum).
LatLon ToWgs(Datum datum, const LatLon& point);
LatLon FromWgs(Datum datum, const LatLon& wgs);

}  // namespace baotong::geo
