// datum.ts: the dashboard's GCJ-02 shift against the same published pairs as
// tests/geo/china_datums_test.cc (googollee/eviltransform's table, wandergis/coordtransform's
// example), run in Node on the TypeScript source.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const here = dirname(fileURLToPath(import.meta.url));
const source = readFileSync(join(here, '../src/datum.ts'), 'utf8').replace(
  /^import L from 'leaflet';$/m,
  'const L = {};',
);
const { outputText } = ts.transpileModule(source, {
  compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
});
const { wgsToGcj, gcjToWgs } = await import(
  `data:text/javascript,${encodeURIComponent(outputText)}`
);

const pairs = [
  [31.1774276, 121.5272106, 31.17530398364597, 121.531541859215],
  [22.543847, 113.912316, 22.540796131694766, 113.9171764808363],
  [39.911954, 116.377817, 39.91334545536069, 116.38404722455657],
  [39.915, 116.404, 39.91640428150164, 116.41024449916938],
];
let failed = 0;
for (const [wgsLat, wgsLon, gcjLat, gcjLon] of pairs) {
  try {
    const [lat, lon] = wgsToGcj(wgsLat, wgsLon);
    assert.ok(Math.abs(lat - gcjLat) < 1e-7 && Math.abs(lon - gcjLon) < 1e-7, `${lat},${lon}`);
    const [backLat, backLon] = gcjToWgs(gcjLat, gcjLon);
    assert.ok(Math.abs(backLat - wgsLat) < 1e-8 && Math.abs(backLon - wgsLon) < 1e-8);
  } catch (error) {
    failed++;
    console.error(`datum: ${wgsLat},${wgsLon}: ${error.message}`);
  }
}
const paris = wgsToGcj(48.8566, 2.3522);
assert.deepEqual(paris, [48.8566, 2.3522]);
console.log(`datum.test: ${pairs.length - failed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
