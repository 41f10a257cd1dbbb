// A static check of the dashboard's sources (issue 13 item 7, stored XSS): data reaches the page
// only as text. It fails when a source in web/src
//   - assigns innerHTML/outerHTML or uses insertAdjacentHTML, document.write, srcdoc,
//     createContextualFragment, DOMParser, eval, new Function or a string timer;
//   - hands Leaflet a tooltip or popup (bindTooltip, bindPopup, setContent, L.tooltip({content}),
//     L.popup({content})) that is not a DOM node (Leaflet treats strings as HTML): the content
//     must come from one of src/dom.ts's node makers (NODE_MAKERS), directly or from an arrow
//     function;
//   - gives ECharts a formatter or an HTML tooltip (names from data would be HTML there);
//   - names a Leaflet layers-control entry or a tile attribution with anything but a constant
//     or escaped text;
//   - sets an event handler or a style attribute from a string;
// and when web/index.html (or the built web/dist/index.html) has an inline script, an inline
// event handler, a style attribute or a javascript: URL, which a Content-Security-Policy of
// script-src 'self' (and style-src without 'unsafe-inline') would refuse.
//
// Run: node web/tests/unsafe-html.test.mjs (scripts/browser-test.sh runs it first).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const webDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const srcDir = path.join(webDir, 'src');

function sources(dir) {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const file = path.join(dir, entry.name);
    if (entry.isDirectory()) return sources(file);
    return /\.(ts|tsx|js|mjs)$/.test(entry.name) ? [file] : [];
  });
}

// Comments say what the rules are about; only code counts. Block comments and whole-line or
// trailing `// ...` comments are blanked (line numbers kept); "https://" in a string stays.
function code(text) {
  return text
    .replace(/\/\*[\s\S]*?\*\//g, (c) => c.replace(/[^\n]/g, ' '))
    .split('\n')
    .map((line) => line.replace(/(^|\s)\/\/.*$/, '$1'))
    .join('\n');
}

const lineOf = (text, index) => text.slice(0, index).split('\n').length;

const FORBIDDEN = [
  [/\.(innerHTML|outerHTML)\b/, 'innerHTML/outerHTML: build nodes with el() from src/dom.ts'],
  [/\[\s*['"`](innerHTML|outerHTML)['"`]\s*\]/, "['innerHTML']: build nodes with el()"],
  [/\binsertAdjacentHTML\b/, 'insertAdjacentHTML: build nodes with el()'],
  [/\bdocument\.(write|writeln)\b/, 'document.write'],
  [/\bsrcdoc\b/, 'srcdoc'],
  [/\bcreateContextualFragment\b/, 'createContextualFragment'],
  [/\bDOMParser\b/, 'DOMParser'],
  [/(^|[^.\w])eval\s*\(/, 'eval'],
  [/\bnew\s+Function\b/, 'new Function'],
  [/\bset(Timeout|Interval)\(\s*['"`]/, 'a timer given a string of code'],
  [/\bformatter\b/, 'a formatter (ECharts and Leaflet formatters return HTML)'],
  [/renderMode\s*:\s*['"]html['"]/, "ECharts renderMode 'html'"],
  [/\bhtml\s*:/, 'an html: option (L.divIcon and the like take HTML)'],
  [/setAttribute\(\s*['"](on\w+|style)['"]/i, 'an event handler or style attribute from a string'],
  [/\bjavascript:/i, 'a javascript: URL'],
];

// Leaflet content setters: the first argument must be a DOM node from the helpers.
const LEAFLET_CONTENT =
  /\.(bindTooltip|bindPopup|setContent|setTooltipContent|setPopupContent)\??\.?\(\s*/g;
// The node makers src/dom.ts exports; a page's own function (whatever its name) does not count,
// since nothing here can see what it returns.
const NODE_MAKERS = ['textLabel', 'labelValueNode', 'el'];
const NODE_ARGUMENT = new RegExp(`^(\\(\\)\\s*=>\\s*)?(${NODE_MAKERS.join('|')})\\(`);
const LEAFLET_OPTIONS_CONTENT = /\bL\.(tooltip|popup)\(\s*\{[^}]*?\bcontent\s*:\s*/g;

function problems(file) {
  const text = code(fs.readFileSync(file, 'utf8'));
  const found = [];
  text.split('\n').forEach((line, i) => {
    for (const [pattern, why] of FORBIDDEN) {
      if (pattern.test(line)) found.push(`${i + 1}: ${why}: ${line.trim()}`);
    }
  });
  for (const match of text.matchAll(LEAFLET_CONTENT)) {
    const rest = text.slice(match.index + match[0].length);
    if (!NODE_ARGUMENT.test(rest)) {
      found.push(
        `${lineOf(text, match.index)}: ${match[1]} takes HTML from a string; pass ${NODE_MAKERS.join('/')}(...) from src/dom.ts: ${rest.split('\n')[0].trim()}`,
      );
    }
  }
  for (const match of text.matchAll(LEAFLET_OPTIONS_CONTENT)) {
    const rest = text.slice(match.index + match[0].length);
    if (!NODE_ARGUMENT.test(rest)) {
      found.push(
        `${lineOf(text, match.index)}: L.${match[1]}({content}) takes HTML from a string; pass ${NODE_MAKERS.join('/')}(...)`,
      );
    }
  }
  // Layers-control names are HTML to Leaflet: constants from t(), or the wrapper's own parameter.
  for (const match of text.matchAll(/\b(addOverlay|addBaseLayer)\(\s*[^,()]+,\s*/g)) {
    const rest = text.slice(match.index + match[0].length);
    if (!/^(t\(|name\))/.test(rest)) {
      found.push(`${lineOf(text, match.index)}: ${match[1]} names a layer with HTML from data`);
    }
  }
  for (const match of text.matchAll(/\battribution\s*:\s*/g)) {
    const rest = text.slice(match.index + match[0].length);
    if (!/^escapeHtml\(/.test(rest)) {
      found.push(`${lineOf(text, match.index)}: a Leaflet attribution is HTML; escapeHtml() it`);
    }
  }
  return found;
}

function htmlProblems(file) {
  const text = fs.readFileSync(file, 'utf8');
  const found = [];
  for (const match of text.matchAll(/<script\b([^>]*)>/gi)) {
    if (!/\bsrc\s*=/.test(match[1])) found.push(`an inline script: ${match[0]}`);
  }
  for (const [pattern, why] of [
    [/<[^>]*\son\w+\s*=/i, 'an inline event handler'],
    [/<[^>]*\sstyle\s*=/i, 'a style attribute'],
    [/<style\b/i, 'an inline <style>'],
    [/javascript:/i, 'a javascript: URL'],
  ]) {
    if (pattern.test(text)) found.push(why);
  }
  return found;
}

test('web/src puts data on the page only as text', () => {
  const files = sources(srcDir);
  assert.ok(files.length > 0, `no sources found under ${srcDir}`);
  const report = files.flatMap((file) =>
    problems(file).map((p) => `${path.relative(webDir, file)}:${p}`),
  );
  assert.deepEqual(report, [], `unsafe HTML patterns:\n${report.join('\n')}`);
});

test('index.html runs under script-src self (no inline script, handler or style)', () => {
  for (const file of [path.join(webDir, 'index.html'), path.join(webDir, 'dist/index.html')]) {
    if (!fs.existsSync(file)) continue;
    const found = htmlProblems(file);
    assert.deepEqual(found, [], `${path.relative(webDir, file)}: ${found.join(', ')}`);
  }
});

test('the built bundle has no eval or new Function', () => {
  const assets = path.join(webDir, 'dist/assets');
  assert.ok(fs.existsSync(assets), `${assets} is missing: build first (scripts/web-build.sh)`);
  const bundles = fs.readdirSync(assets).filter((f) => f.endsWith('.js'));
  assert.ok(bundles.length > 0, `no .js bundle in ${assets}`);
  for (const name of bundles) {
    const text = fs.readFileSync(path.join(assets, name), 'utf8');
    assert.ok(!/(^|[^.\w$])eval\s*\(/.test(text), `${name} calls eval`);
    assert.ok(!/\bnew Function\s*\(/.test(text), `${name} uses new Function`);
  }
});

// The check itself: each rule fires on the pattern it is there for.
test("the node makers it allows are src/dom.ts's exports", () => {
  const dom = fs.readFileSync(path.join(srcDir, 'dom.ts'), 'utf8');
  for (const name of NODE_MAKERS) {
    assert.match(dom, new RegExp(`export function ${name}\\b`), `dom.ts does not export ${name}`);
  }
});

test('the check finds the patterns it forbids', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'baotong-unsafe-html-'));
  try {
    const sample = path.join(dir, 'sample.ts');
    const cases = [
      'node.innerHTML = `<b>${name}</b>`;',
      'layer.bindTooltip(String(site.name), { permanent: true });',
      'marker.bindPopup(`<strong>${name}</strong>`);',
      'marker.bindTooltip(() => popupHtml(p));',
      'marker.bindTooltip(popupNode(p));',
      'marker.bindPopup(() => myOwnNode(p));',
      "node['innerHTML'] = text;",
      'node["outerHTML"] = text;',
      'L.tooltip({ content: `<b>${name}</b>` }).addTo(map);',
      'L.popup({ offset: [0, 4], content: site.name }).openOn(map);',
      "L.popup().setContent('<b>x</b>');",
      'chart.setOption({ tooltip: { formatter: (p) => p.name } });',
      "node.insertAdjacentHTML('beforeend', text);",
      "node.setAttribute('onclick', text);",
      'overlays.addOverlay(layer, zone.name);',
      'L.tileLayer(url, { attribution: ui.tile_attribution });',
    ];
    for (const line of cases) {
      fs.writeFileSync(sample, `${line}\n`);
      assert.ok(problems(sample).length > 0, `not caught: ${line}`);
    }
    for (const line of [
      'layer.bindTooltip(textLabel(String(site.name)), { permanent: true });',
      'marker.bindTooltip(() => labelValueNode(rows(p)));',
      'L.popup({ content: textLabel(site.name) }).openOn(map);',
      "L.tooltip({ content: el('b', {}, name) });",
      "overlays.addOverlay(layer, t('map_zones'));",
      '// innerHTML is never assigned (a comment)',
    ]) {
      fs.writeFileSync(sample, `${line}\n`);
      assert.deepEqual(problems(sample), [], `a false alarm: ${line}`);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
