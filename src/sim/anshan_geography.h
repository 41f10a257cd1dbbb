// Anshan's real geography for the demo city, compiled in from data/anshan (see its README for
// the packages, licences and the command that regenerates it): the city outline (adcode
// 210300) and its seven county-level divisions as GeoJSON in WGS-84 (天地图, CGCS2000), and its
// 乡镇/街道 with their official 9-digit codes as CSV (code,name,district_code).
#pragma once

#include <string_view>

namespace baotong::sim {

std::string_view AnshanBoundaryGeoJson();
std::string_view AnshanDistrictsGeoJson();
std::string_view AnshanTownsCsv();

}  // namespace baotong::sim
