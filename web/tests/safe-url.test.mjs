// dom.ts safeUrl, the gate for every href/src the pages set: run in Node on the TypeScript source
// (transpiled here), against the spellings a browser reads as javascript: although a pattern on
// the text does not (a tab inside the scheme, a control character before it).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const source = process.argv[2] ?? join(dirname(fileURLToPath(import.meta.url)), '../src/dom.ts');
const { outputText } = ts.transpileModule(readFileSync(source, 'utf8'), {
  compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
});
globalThis.location = new URL('http://127.0.0.1:8080/index.html#/passes');
const { safeUrl } = await import(`data:text/javascript,${encodeURIComponent(outputText)}`);

const refused = [
  'javascript:alert(1)',
  'JavaScript:alert(1)',
  ' javascript:alert(1)',
  'java\tscript:alert(1)',
  'java\nscript:alert(1)',
  'java\rscript:alert(1)',
  '\x01javascript:alert(1)',
  '\x00javascript:alert(1)',
  '\x1fjavascript:alert(1)',
  'vbscript:msgbox(1)',
  'data:text/html,<script>alert(1)</script>',
  'file:///etc/passwd',
];
const allowed = [
  '#/passes/7',
  '/api/passes/7/qr.svg',
  'api/passes/7/qr.png',
  '?x=1',
  'https://tiles.example/{z}/{x}/{y}.png',
  'http://127.0.0.1:8080/api/registry/sites/export.xlsx',
  'blob:http://127.0.0.1:8080/0b6c2e1a-0000-4000-8000-000000000000',
  'data:image/png;base64,iVBORw0KGgo=',
];
let failures = 0;
for (const url of refused) {
  if (safeUrl(url)) {
    console.error(`safe-url: accepted ${JSON.stringify(url)}`);
    failures++;
  }
}
for (const url of allowed) {
  if (!safeUrl(url)) {
    console.error(`safe-url: refused ${JSON.stringify(url)}`);
    failures++;
  }
}
assert.equal(failures, 0, `safe-url: ${failures} wrong answers`);
console.log(`safe-url: ${refused.length} refused, ${allowed.length} allowed as expected`);
