// GCJ-02, the offset datum of Amap's and Tencent's tiles, for display only: the platform keeps
// WGS-84, and a map on GCJ-02 tiles shifts every shape as it projects it (gcjCrs), so that
// markers, tracks and zones sit on the right streets without their coordinates changing.
// The same formulas as src/geo/china_datums.cc (the published closed form; the inverse
// iterated to below a millimetre).
import L from 'leaflet';

const SEMI_MAJOR_AXIS = 6378245.0;
const ECCENTRICITY_SQUARED = 0.00669342162296594323;

function outOfChina(lat: number, lon: number): boolean {
  return lon < 72.004 || lon > 137.8347 || lat < 0.8293 || lat > 55.8271;
}

function offsetLat(x: number, y: number): number {
  let offset = -100 + 2 * x + 3 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * Math.sqrt(Math.abs(x));
  offset += ((20 * Math.sin(6 * x * Math.PI) + 20 * Math.sin(2 * x * Math.PI)) * 2) / 3;
  offset += ((20 * Math.sin(y * Math.PI) + 40 * Math.sin((y / 3) * Math.PI)) * 2) / 3;
  offset += ((160 * Math.sin((y / 12) * Math.PI) + 320 * Math.sin((y * Math.PI) / 30)) * 2) / 3;
  return offset;
}

function offsetLon(x: number, y: number): number {
  let offset = 300 + x + 2 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * Math.sqrt(Math.abs(x));
  offset += ((20 * Math.sin(6 * x * Math.PI) + 20 * Math.sin(2 * x * Math.PI)) * 2) / 3;
  offset += ((20 * Math.sin(x * Math.PI) + 40 * Math.sin((x / 3) * Math.PI)) * 2) / 3;
  offset += ((150 * Math.sin((x / 12) * Math.PI) + 300 * Math.sin((x / 30) * Math.PI)) * 2) / 3;
  return offset;
}

export function wgsToGcj(lat: number, lon: number): [number, number] {
  if (outOfChina(lat, lon)) return [lat, lon];
  let dLat = offsetLat(lon - 105, lat - 35);
  let dLon = offsetLon(lon - 105, lat - 35);
  const radLat = (lat / 180) * Math.PI;
  let magic = Math.sin(radLat);
  magic = 1 - ECCENTRICITY_SQUARED * magic * magic;
  const sqrtMagic = Math.sqrt(magic);
  dLat =
    (dLat * 180) /
    (((SEMI_MAJOR_AXIS * (1 - ECCENTRICITY_SQUARED)) / (magic * sqrtMagic)) * Math.PI);
  dLon = (dLon * 180) / ((SEMI_MAJOR_AXIS / sqrtMagic) * Math.cos(radLat) * Math.PI);
  return [lat + dLat, lon + dLon];
}

export function gcjToWgs(lat: number, lon: number): [number, number] {
  if (outOfChina(lat, lon)) return [lat, lon];
  let wgsLat = lat;
  let wgsLon = lon;
  for (let step = 0; step < 10; step++) {
    const [gLat, gLon] = wgsToGcj(wgsLat, wgsLon);
    const dLat = gLat - lat;
    const dLon = gLon - lon;
    wgsLat -= dLat;
    wgsLon -= dLon;
    if (Math.abs(dLat) < 1e-10 && Math.abs(dLon) < 1e-10) break;
  }
  return [wgsLat, wgsLon];
}

// Web Mercator over GCJ-02: WGS-84 positions in, GCJ-02 tile pixels out (and back for clicks
// and drawings, so that what staff draw is stored in WGS-84).
export function gcjCrs(): L.CRS {
  const mercator = L.Projection.SphericalMercator;
  const projection: L.Projection = {
    project(latlng: L.LatLng): L.Point {
      const [lat, lon] = wgsToGcj(latlng.lat, latlng.lng);
      return mercator.project(L.latLng(lat, lon));
    },
    unproject(point: L.Point): L.LatLng {
      const gcj = mercator.unproject(point);
      const [lat, lon] = gcjToWgs(gcj.lat, gcj.lng);
      return L.latLng(lat, lon);
    },
    bounds: mercator.bounds,
  };
  return L.Util.extend({}, L.CRS.EPSG3857, { code: 'GCJ02', projection }) as L.CRS;
}
