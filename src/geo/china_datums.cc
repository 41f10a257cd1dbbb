#include "geo/china_datums.h"

#include <cctype>
#include <cmath>
#include <numbers>
#include <string>

namespace baotong::geo {
namespace {

// Krasovsky 1940, the ellipsoid of the GCJ-02 formulas.
constexpr double kSemiMajorAxis = 6378245.0;
constexpr double kEccentricitySquared = 0.00669342162296594323;
constexpr double kPi = std::numbers::pi;
constexpr double kBaiduPi = kPi * 3000.0 / 180.0;

double OffsetLat(double x, double y) {
  double offset =
      -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * std::sqrt(std::abs(x));
  offset += (20.0 * std::sin(6.0 * x * kPi) + 20.0 * std::sin(2.0 * x * kPi)) * 2.0 / 3.0;
  offset += (20.0 * std::sin(y * kPi) + 40.0 * std::sin(y / 3.0 * kPi)) * 2.0 / 3.0;
  offset += (160.0 * std::sin(y / 12.0 * kPi) + 320.0 * std::sin(y * kPi / 30.0)) * 2.0 / 3.0;
  return offset;
}

double OffsetLon(double x, double y) {
  double offset = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * std::sqrt(std::abs(x));
  offset += (20.0 * std::sin(6.0 * x * kPi) + 20.0 * std::sin(2.0 * x * kPi)) * 2.0 / 3.0;
  offset += (20.0 * std::sin(x * kPi) + 40.0 * std::sin(x / 3.0 * kPi)) * 2.0 / 3.0;
  offset += (150.0 * std::sin(x / 12.0 * kPi) + 300.0 * std::sin(x / 30.0 * kPi)) * 2.0 / 3.0;
  return offset;
}

std::string Lower(std::string_view text) {
  std::string lower(text);
  for (char& c : lower)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return lower;
}

}  // namespace

std::optional<Datum> ParseDatum(std::string_view name) {
  const std::string id = Lower(name);
  if (id == "wgs84" || id == "wgs-84" || id == "epsg:4326" || id == "cgcs2000" || id == "epsg:4490")
    return Datum::kWgs84;
  if (id == "gcj02" || id == "gcj-02")
    return Datum::kGcj02;
  if (id == "bd09" || id == "bd-09")
    return Datum::kBd09;
  return std::nullopt;
}

std::string_view DatumId(Datum datum) {
  switch (datum) {
    case Datum::kWgs84:
      return "wgs84";
    case Datum::kGcj02:
      return "gcj02";
    case Datum::kBd09:
      return "bd09";
  }
  return "wgs84";
}

bool OutOfChina(const LatLon& point) {
  return point.lon < 72.004 || point.lon > 137.8347 || point.lat < 0.8293 || point.lat > 55.8271;
}

LatLon WgsToGcj(const LatLon& wgs) {
  if (OutOfChina(wgs))
    return wgs;
  double d_lat = OffsetLat(wgs.lon - 105.0, wgs.lat - 35.0);
  double d_lon = OffsetLon(wgs.lon - 105.0, wgs.lat - 35.0);
  const double rad_lat = wgs.lat / 180.0 * kPi;
  double magic = std::sin(rad_lat);
  magic = 1 - kEccentricitySquared * magic * magic;
  const double sqrt_magic = std::sqrt(magic);
  d_lat = (d_lat * 180.0) /
          ((kSemiMajorAxis * (1 - kEccentricitySquared)) / (magic * sqrt_magic) * kPi);
  d_lon = (d_lon * 180.0) / (kSemiMajorAxis / sqrt_magic * std::cos(rad_lat) * kPi);
  return {wgs.lat + d_lat, wgs.lon + d_lon};
}

LatLon GcjToWgs(const LatLon& gcj) {
  if (OutOfChina(gcj))
    return gcj;
  // The offset varies slowly (a few metres per kilometre), so each step shrinks the error by
  // about a thousand: three or four steps reach 1e-9 degrees.
  LatLon wgs = gcj;
  for (int step = 0; step < 10; ++step) {
    const LatLon forward = WgsToGcj(wgs);
    const double d_lat = forward.lat - gcj.lat;
    const double d_lon = forward.lon - gcj.lon;
    wgs.lat -= d_lat;
    wgs.lon -= d_lon;
    if (std::abs(d_lat) < 1e-10 && std::abs(d_lon) < 1e-10)
      break;
  }
  return wgs;
}

LatLon GcjToBd09(const LatLon& gcj) {
  const double x = gcj.lon, y = gcj.lat;
  const double z = std::sqrt(x * x + y * y) + 0.00002 * std::sin(y * kBaiduPi);
  const double theta = std::atan2(y, x) + 0.000003 * std::cos(x * kBaiduPi);
  return {z * std::sin(theta) + 0.006, z * std::cos(theta) + 0.0065};
}

LatLon Bd09ToGcj(const LatLon& bd09) {
  const double x = bd09.lon - 0.0065, y = bd09.lat - 0.006;
  const double z = std::sqrt(x * x + y * y) - 0.00002 * std::sin(y * kBaiduPi);
  const double theta = std::atan2(y, x) - 0.000003 * std::cos(x * kBaiduPi);
  return {z * std::sin(theta), z * std::cos(theta)};
}

LatLon ToWgs(Datum datum, const LatLon& point) {
  switch (datum) {
    case Datum::kWgs84:
      return point;
    case Datum::kGcj02:
      return GcjToWgs(point);
    case Datum::kBd09:
      return GcjToWgs(Bd09ToGcj(point));
  }
  return point;
}

LatLon FromWgs(Datum datum, const LatLon& wgs) {
  switch (datum) {
    case Datum::kWgs84:
      return wgs;
    case Datum::kGcj02:
      return WgsToGcj(wgs);
    case Datum::kBd09:
      return GcjToBd09(WgsToGcj(wgs));
  }
  return wgs;
}

}  // namespace baotong::geo
