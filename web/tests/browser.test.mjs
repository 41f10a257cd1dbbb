// Browser tests of the 保通 dashboard against the real `baotong` executable.
// Scenarios: a. login, b. import, c. masking, d. live map, e. entry pass to checkpoint release
// (issue 5; skipped, with a message, only where the server has no /api/checkpoints at all),
// f. an off-route alarm pushed live to the alarm centre and the map, handled to closure (issue 6).
// g. 协查: a circle drawn around a reporting truck lists it, and the list exports to Excel; the
// statistics page draws its charts and the overview its counters (issue 7; skipped, with a message,
// only where the server has no /api/investigations at all). h. stored XSS: hostile names show as
// text on every page; i. no Content-Security-Policy violation. j. a carrier on a 390 px phone
// (one-time password, the forced change, its pages without sideways scroll, the menu button) and
// the admin's password reset (issue 13).
// l. 地理数据: a routes file previewed and imported, a route drawn and saved (issue 14).
//
// The test owns its whole environment: a fresh data dir with the synthetic Anshan demo city, an
// admin and a district user made through the CLI, `baotong serve` on free ports serving web/dist,
// the simulator for moving trucks, and /usr/bin/chromium driven by playwright-core (no browser is
// ever downloaded). A full-page screenshot is saved per step under $ARTIFACTS_DIR.
//
// Run: scripts/browser-test.sh (or `node web/tests/browser.test.mjs` from the repository root).
// Environment: BAOTONG (default build/baotong), ARTIFACTS_DIR (default build/browser-artifacts),
// CHROMIUM (default /usr/bin/chromium).
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const baotong = path.resolve(repoRoot, process.env.BAOTONG || 'build/baotong');
const artifactsDir = path.resolve(repoRoot, process.env.ARTIFACTS_DIR || 'build/browser-artifacts');
const webRoot = path.join(repoRoot, 'web/dist');
const chromiumPath = process.env.CHROMIUM || '/usr/bin/chromium';

const ADMIN = { username: 'admin', password: 'Liaoning-Steel-84x!' };
const DISTRICT = { username: 'tiedong', password: 'Qianshan-Route-57y!', district: '铁东区' };
const STEP_TIMEOUT_MS = 30_000;
// Scenario e's accounts; strong passwords that do not contain the username.
const CARRIER = { username: 'yunshu', password: 'Anshan-Freight-93q!' };
const TRANSPORT = { username: 'jiaotong', password: 'Liaoyang-Review-62w!' };
const OPERATOR = { username: 'kakou', password: 'Haicheng-Gate-48z!' };
// Reads health results unmasked (only 卫健委 may), to pick a driver whose pass will not be refused.
const HEALTH = { username: 'weijian', password: 'Gaoxin-Clinic-71m!' };

// Everything started here, stopped in after() and, should the process be cut short, on exit.
const children = new Set();
let dataDir = '';
let baseUrl = '';
let jt808Port = 0;
let browser = null;
let adminContext = null;
let adminPage = null;
let shotNumber = 0;

function stopChildren(signal = 'SIGTERM') {
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
  }
}
process.on('exit', () => stopChildren('SIGKILL'));
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    stopChildren('SIGKILL');
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
    process.exit(130);
  });
}

function run(args, input) {
  return execFileSync(baotong, args, {
    input,
    encoding: 'utf8',
    timeout: 180_000,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
}

function start(name, args) {
  const child = spawn(baotong, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  const log = fs.createWriteStream(path.join(artifactsDir, `${name}.log`));
  child.stderr.pipe(log);
  child.on('exit', () => children.delete(child));
  return { child, log };
}

async function stop(child) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}

// `baotong serve` prints "baotong listening: jt808 0.0.0.0:PORT, http 0.0.0.0:PORT, data DIR".
function startServer() {
  const { child, log } = start('server', [
    'serve',
    '--data-dir',
    dataDir,
    '--jt808-port',
    '0',
    '--http-port',
    '0',
    '--web-root',
    webRoot,
    '--config',
    path.join(repoRoot, 'web/tests/serve.toml'),
  ]);
  return new Promise((resolve, reject) => {
    let buffered = '';
    const timer = setTimeout(
      () => reject(new Error('baotong serve did not report its ports in 30 s')),
      30_000,
    );
    const onData = (chunk) => {
      log.write(chunk);
      buffered += chunk.toString('utf8');
      const match = /baotong listening: jt808 [^\s,]*:(\d+), http [^\s,]*:(\d+)/.exec(buffered);
      if (match) {
        clearTimeout(timer);
        child.stdout.off('data', onData);
        child.stdout.pipe(log);
        resolve({ jt808: Number(match[1]), http: Number(match[2]) });
      }
    };
    child.stdout.on('data', onData);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(
        new Error(
          `baotong serve exited (${code ?? signal}) before listening; see ${artifactsDir}/server.log`,
        ),
      );
    });
  });
}

// The dashboard runs under the server's own Content-Security-Policy (issue 13 item 7: scripts,
// styles and connections from its own origin only); every violation is recorded and scenario i
// fails on any. (Adding a second policy by intercepting the page load broke the alarm feed's
// WebSocket in Chromium, so the server's policy, which is as strict, is the one enforced.)
const cspViolations = [];

// A browser context for the dashboard; unless it bypasses CSP (scenario h), violations recorded.
async function newContext(options = {}) {
  const context = await browser.newContext({
    viewport: { width: 1440, height: 900 },
    locale: 'zh-CN',
    ...options,
  });
  if (options.bypassCSP) return context;
  await context.exposeBinding('__baotongCspViolation', ({ page }, violation) => {
    cspViolations.push({ page: page.url(), ...violation });
  });
  await context.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) =>
      window.__baotongCspViolation({
        directive: e.effectiveDirective,
        blocked: e.blockedURI,
        sample: e.sample,
        source: `${e.sourceFile}:${e.lineNumber}`,
      }),
    );
  });
  return context;
}

async function shot(page, name) {
  shotNumber += 1;
  const file = path.join(artifactsDir, `${String(shotNumber).padStart(2, '0')}-${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

// Runs a step; on failure saves a screenshot of where the page was before rethrowing.
async function step(page, name, body) {
  try {
    await body();
  } catch (error) {
    await shot(page, `FAILED-${name}`).catch(() => {});
    throw error;
  }
}

async function login(page, { username, password }) {
  await page.goto(`${baseUrl}/#/login`);
  await page.getByTestId('login-username').fill(username);
  await page.getByTestId('login-password').fill(password);
  await page.getByTestId('login-submit').click();
  await page.getByTestId('sidebar').waitFor({ timeout: STEP_TIMEOUT_MS });
}

// Opens a route of the app as the admin, signing in again if scenario (a) did not leave a session.
async function openAsAdmin(route) {
  await adminPage.goto(`${baseUrl}/${route}`);
  const shell = adminPage.getByTestId('sidebar').or(adminPage.getByTestId('login-form'));
  await shell.first().waitFor({ timeout: STEP_TIMEOUT_MS });
  if (await adminPage.getByTestId('login-form').isVisible()) {
    await login(adminPage, ADMIN);
    await adminPage.goto(`${baseUrl}/${route}`);
  }
}

// GET through the page, so the page's session cookie authenticates it.
async function getJson(page, url) {
  return page.evaluate(async (target) => {
    const response = await fetch(target, { headers: { Accept: 'application/json' } });
    const text = await response.text();
    if (!response.ok) throw new Error(`${target}: HTTP ${response.status} ${text}`);
    return JSON.parse(text);
  }, url);
}

async function getText(page, url) {
  return page.evaluate(async (target) => {
    const response = await fetch(target);
    if (!response.ok) throw new Error(`${target}: HTTP ${response.status}`);
    return response.text();
  }, url);
}

before(async () => {
  fs.mkdirSync(artifactsDir, { recursive: true });
  for (const file of fs.readdirSync(artifactsDir)) {
    if (/\.(png|log)$/.test(file)) fs.rmSync(path.join(artifactsDir, file));
  }
  assert.ok(fs.existsSync(baotong), `no executable at ${baotong} (set BAOTONG)`);
  assert.ok(
    fs.existsSync(path.join(webRoot, 'index.html')),
    'web/dist is not built: run scripts/web-build.sh',
  );
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'baotong-browser-'));

  run(['demo', '--data-dir', dataDir, '--seed', '1']);
  run(
    [
      'user',
      'add',
      '--data-dir',
      dataDir,
      '--username',
      ADMIN.username,
      '--role',
      'admin',
      '--display-name',
      '管理员',
    ],
    `${ADMIN.password}\n`,
  );
  run(
    [
      'user',
      'add',
      '--data-dir',
      dataDir,
      '--username',
      DISTRICT.username,
      '--role',
      'district',
      '--district',
      DISTRICT.district,
      '--display-name',
      '铁东区工作人员',
    ],
    `${DISTRICT.password}\n`,
  );

  const ports = await startServer();
  baseUrl = `http://127.0.0.1:${ports.http}`;
  jt808Port = ports.jt808;

  // Playwright gives every launch a fresh temporary user data dir and removes it on close.
  browser = await chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  adminContext = await newContext();
  adminPage = await adminContext.newPage();
  adminPage.setDefaultTimeout(STEP_TIMEOUT_MS);
});

after(async () => {
  await browser?.close().catch(() => {});
  await Promise.all([...children].map(stop));
  if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  console.log(`browser test screenshots: ${artifactsDir}`);
});

test(
  'a. admin logs in; a wrong password first shows the Chinese error',
  { timeout: 90_000 },
  async () => {
    const page = adminPage;
    await step(page, 'login', async () => {
      await page.goto(`${baseUrl}/`);
      // Without a session the app sends the visitor to the login page.
      await page.getByTestId('login-form').waitFor();
      assert.match(page.url(), /#\/login$/);
      await shot(page, 'login-page');

      await page.getByTestId('login-username').fill(ADMIN.username);
      await page.getByTestId('login-password').fill('not-the-password');
      await page.getByTestId('login-submit').click();
      const error = page.getByTestId('login-error');
      await error.waitFor({ state: 'visible' });
      assert.match(await error.textContent(), /用户名或密码错误/);
      await shot(page, 'login-wrong-password');

      await page.getByTestId('login-password').fill(ADMIN.password);
      await page.getByTestId('login-submit').click();
      await page.getByTestId('sidebar').waitFor();
      assert.match(await page.getByTestId('user-name').textContent(), /管理员/);
      assert.match(page.url(), /#\/(map|registry\/)/);
      for (const testid of [
        'nav-map',
        'nav-registry-vehicles',
        'nav-registry-drivers',
        'nav-imports',
      ]) {
        assert.ok(await page.getByTestId(testid).isVisible(), `admin sees ${testid}`);
      }
      await shot(page, 'logged-in-admin');
    });
  },
);

// The importer's Chinese headers come from its template; each maps to a record field by name.
const HEADER_FIELDS = [
  [/颜色/, 'plate_color'],
  [/车牌/, 'plate'],
  [/类型|类别/, 'vehicle_class'],
  [/信用代码/, 'carrier_credit_code'],
  [/识别代号|VIN|车架/i, 'vin'],
  [/运输证.*(有效期|到期)/, 'transport_cert_valid_until'],
  [/运输证/, 'transport_cert_no'],
  [/(保险|交强险).*(有效期|到期)/, 'insurance_valid_until'],
];

function parseCsvLine(line) {
  const cells = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      cells.push(cell);
      cell = '';
    } else cell += c;
  }
  cells.push(cell);
  return cells.map((s) => s.trim());
}

const csvCell = (value) => {
  const text = value === null || value === undefined ? '' : String(value);
  return /[",\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
};

function fieldForHeader(header) {
  if (/^[a-z_]+$/.test(header)) return header; // an English template names fields as the API does
  return HEADER_FIELDS.find(([pattern]) => pattern.test(header))?.[1] ?? null;
}

function csvValue(header, field, record) {
  if (!field) return '';
  if (field === 'plate_color') {
    // "车牌颜色" takes the colour's name (黄色); a header naming a code takes the JT/T 808 code.
    return /代码|编码|code/i.test(header) || !record.plate_color_name
      ? record.plate_color
      : record.plate_color_name;
  }
  if (field === 'vehicle_class')
    return /代码|编码|^vehicle_class$/.test(header)
      ? record.vehicle_class
      : record.vehicle_class_name;
  return record[field] ?? '';
}

test(
  'b. import a vehicles CSV: progress reaches done, the bad plate is rejected',
  { timeout: 120_000 },
  async () => {
    const page = adminPage;
    await step(page, 'import', async () => {
      await openAsAdmin('#/imports');
      await page.getByTestId('import-form').waitFor();

      const carriers = await getJson(page, '/api/registry/carriers?offset=0&limit=5');
      const vehicles = await getJson(page, '/api/registry/vehicles?offset=0&limit=2');
      assert.ok(carriers.items.length > 0, 'the demo has carriers');
      assert.ok(vehicles.items.length >= 2, 'the demo has vehicles');
      const template = (await getText(page, '/api/import-templates/vehicles.csv')).replace(
        /^\uFEFF/,
        '',
      );
      const headers = parseCsvLine(template.split(/\r?\n/)[0]);
      assert.ok(
        headers.some((h) => /车牌号/.test(h)),
        `template headers: ${headers.join(',')}`,
      );

      const carrier = carriers.items[0];
      const fresh = {
        plate: `辽C${String(90000 + (Date.now() % 10000)).slice(0, 5)}`,
        plate_color: 2,
        plate_color_name: '黄色',
        vehicle_class: 'truck',
        vehicle_class_name: '普通货车',
        carrier_credit_code: carrier.credit_code,
        transport_cert_no: '210300123456',
        transport_cert_valid_until: '2027-06-30',
        insurance_valid_until: '2027-06-30',
      };
      const bad = { ...fresh, plate: '辽C12' };
      // Data rows 1-3 are valid (two demo vehicles as they are, one new); row 4 has a bad plate.
      const rows = [vehicles.items[0], vehicles.items[1], fresh, bad].map((record) =>
        headers.map((h) => csvCell(csvValue(h, fieldForHeader(h), record))).join(','),
      );
      const csv = `${headers.map(csvCell).join(',')}\n${rows.join('\n')}\n`;
      fs.writeFileSync(path.join(artifactsDir, 'import-vehicles.csv'), csv);

      await page.getByTestId('import-kind').selectOption('vehicles');
      assert.match(
        await page.getByTestId('import-template').getAttribute('href'),
        /\/api\/import-templates\/vehicles\.csv$/,
      );
      await page.getByTestId('import-file').setInputFiles({
        name: 'browser-test-vehicles.csv',
        mimeType: 'text/csv',
        buffer: Buffer.from(csv, 'utf8'),
      });
      await shot(page, 'import-file-chosen');
      await page.getByTestId('import-submit').click();

      const progress = page.getByTestId('import-progress');
      await progress.waitFor();
      await page
        .locator('[data-testid="import-progress"][data-status="done"]')
        .waitFor({ timeout: 60_000 });
      assert.equal(await progress.getAttribute('aria-valuenow'), '100');
      assert.equal(
        await progress.getAttribute('data-rows-done'),
        await progress.getAttribute('data-rows-total'),
      );

      const count = async (key) =>
        Number(await page.getByTestId(`import-count-${key}`).getAttribute('data-value'));
      const reasons = await page.getByTestId('rejection-row').allTextContents();
      assert.equal(
        await count('rejected'),
        1,
        `one row rejected; rejections: ${reasons.join(' | ')}`,
      );
      assert.equal(
        (await count('inserted')) + (await count('updated')) + (await count('unchanged')),
        3,
      );

      const rejection = page.getByTestId('rejection-row').first();
      assert.equal(await rejection.getAttribute('data-column'), '车牌号码');
      // Row 4 of the data, which is line 5 of the file counting the header.
      assert.match(await rejection.getAttribute('data-row'), /^[45]$/);
      assert.match(await rejection.locator('[data-col="column"]').textContent(), /车牌号码/);
      const csvLink = await page.getByTestId('import-rejections-csv').getAttribute('href');
      assert.match(csvLink, /^\/api\/imports\/\d+\/rejections\.csv$/);
      const report = await getText(page, csvLink);
      assert.match(report, /行号,列,原因/);
      assert.match(report, /车牌号码/);
      await page.getByTestId('import-history-row').first().waitFor();
      await shot(page, 'import-done-rejections');
    });
  },
);

test(
  'c. ID numbers: in full for the admin, masked for a district user',
  { timeout: 120_000 },
  async () => {
    await step(adminPage, 'masking-admin', async () => {
      await openAsAdmin('#/registry/drivers');
      await adminPage.locator('[data-testid="registry-table"][data-state="ready"]').waitFor();
      const ids = await adminPage
        .locator('[data-testid="registry-row"] td[data-field="id_number"]')
        .allTextContents();
      assert.ok(ids.length > 0, 'the admin sees drivers');
      assert.ok(
        ids.some((id) => /^\d{17}[\dX]$/.test(id.trim())),
        `a full ID number among ${ids.slice(0, 3)}`,
      );
      assert.ok(
        ids.every((id) => !id.includes('*')),
        'nothing masked for the admin',
      );
      await shot(adminPage, 'drivers-admin-unmasked');

      // Open one record: labelled fields and the credential block.
      await adminPage.getByTestId('registry-row').first().click();
      await adminPage.locator('[data-testid="record-detail"][data-state="ready"]').waitFor();
      assert.match(await adminPage.getByTestId('field-id_number').textContent(), /身份证号/);
      await adminPage.getByTestId('credential-block').waitFor();
      await shot(adminPage, 'driver-detail-admin');
    });

    const context = await newContext();
    const page = await context.newPage();
    page.setDefaultTimeout(STEP_TIMEOUT_MS);
    try {
      await step(page, 'masking-district', async () => {
        await login(page, DISTRICT);
        assert.match(await page.getByTestId('user-department').textContent(), /铁东区|区县/);
        await page.goto(`${baseUrl}/#/registry/drivers`);
        await page.locator('[data-testid="registry-table"][data-state="ready"]').waitFor();
        const ids = await page
          .locator('[data-testid="registry-row"] td[data-field="id_number"]')
          .allTextContents();
        assert.ok(ids.length > 0, 'the district user sees drivers');
        assert.ok(
          ids.every((id) => id.includes('*')),
          `masked ID numbers, got ${ids.slice(0, 3)}`,
        );
        assert.ok(
          (await page.getByTestId('masked-indicator').count()) > 0,
          'masked values are marked',
        );
        await shot(page, 'drivers-district-masked');
      });
    } finally {
      await context.close();
    }
  },
);

test('d. a simulated truck moves on the live map', { timeout: 120_000 }, async () => {
  const page = adminPage;
  const { child: sim } = start('sim', [
    'sim',
    '--server',
    `127.0.0.1:${jt808Port}`,
    '--auth-codes',
    simAuthCodes(),
    '--terminals',
    '20',
    '--seconds',
    '60',
    '--rate',
    '1',
  ]);
  sim.stdout.resume();
  try {
    await step(page, 'map', async () => {
      await openAsAdmin('#/map');
      await page.getByTestId('map').waitFor();
      await page.locator('[data-testid="map"][data-layers="ready"]').waitFor();
      // The debug hook lists the positions the markers show (window.__baotongMap).
      await page.waitForFunction(() => (window.__baotongMap?.positions().length ?? 0) > 0, null, {
        timeout: 45_000,
        polling: 250,
      });
      const first = await page.evaluate(() => window.__baotongMap.positions());
      assert.ok(first.every((p) => Number.isFinite(p.lat) && Number.isFinite(p.lon)));
      await shot(page, 'map-first');
      const before = Object.fromEntries(first.map((p) => [p.terminal, [p.lat, p.lon]]));
      // Read the markers again as the map refreshes until one of them has moved.
      const moved = await page.waitForFunction(
        (earlier) =>
          window.__baotongMap.positions().find((p) => {
            const was = earlier[p.terminal];
            return was && (was[0] !== p.lat || was[1] !== p.lon);
          }),
        before,
        { timeout: 45_000, polling: 1000 },
      );
      const truck = await moved.jsonValue();
      assert.ok(
        truck.terminal.startsWith('0139'),
        `a simulated terminal moved: ${JSON.stringify(truck)}`,
      );
      assert.ok(
        Number(await page.getByTestId('map-online-count').textContent()) > 0,
        'vehicles online',
      );
      await shot(page, 'map-moved');
    });
  } finally {
    await stop(sim);
  }
});

// ---- Scenario e helpers: the API from Node, as an API client would call it.

async function apiCall(pathname, { token, method = 'GET', body, headers = {} } = {}) {
  const response = await fetch(`${baseUrl}${pathname}`, {
    method,
    headers: {
      Accept: 'application/json',
      ...(token ? { Authorization: `Bearer ${token}` } : {}),
      ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}),
      ...headers,
    },
    body: body !== undefined ? JSON.stringify(body) : undefined,
  });
  const text = await response.text();
  let json = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    json = null;
  }
  return { status: response.status, body: json, text };
}

async function apiToken(user) {
  const { status, body, text } = await apiCall('/api/auth/login', {
    method: 'POST',
    body: { username: user.username, password: user.password },
  });
  assert.equal(status, 200, `login ${user.username}: ${text}`);
  return body.token;
}

async function apiGetOk(token, pathname) {
  const { status, body, text } = await apiCall(pathname, { token });
  assert.equal(status, 200, `GET ${pathname}: HTTP ${status} ${text}`);
  return body;
}

// Every simulator run keeps its terminals' auth codes in one file, as real terminals keep theirs:
// the gateway never hands a registered terminal its code again (issue 13).
const simAuthCodes = () => path.join(dataDir, 'sim-auth-codes');

function addUser(user, role, extra = []) {
  run(
    ['user', 'add', '--data-dir', dataDir, '--username', user.username, '--role', role, ...extra],
    `${user.password}\n`,
  );
}

const itemsOf = (body) => (Array.isArray(body) ? body : (body?.items ?? []));
// Licence classes that may drive each vehicle class (registry::DriverFitsVehicle).
const LICENCES = { heavy_truck: ['A1', 'A2', 'B2'], truck: ['A1', 'A2', 'B1', 'B2', 'C1'] };

// A demo vehicle with valid credentials (a goods vehicle, not hazardous) and a valid driver of
// the same carrier whose licence fits it; drivers with a current negative health record first.
async function findVehicleAndDriver(token) {
  const drivers = [];
  for (let offset = 0; ; offset += 1000) {
    const page = await apiGetOk(
      token,
      `/api/registry/drivers?status=valid&offset=${offset}&limit=1000`,
    );
    drivers.push(...page.items);
    if (page.items.length === 0 || drivers.length >= page.total) break;
  }
  const byCarrier = new Map();
  for (const driver of drivers) {
    if (driver.credential_status !== 'valid') continue;
    if (!byCarrier.has(driver.carrier_credit_code)) byCarrier.set(driver.carrier_credit_code, []);
    byCarrier.get(driver.carrier_credit_code).push(driver);
  }
  const pairs = [];
  for (let offset = 0; offset < 1000 && pairs.length < 40; offset += 50) {
    const page = await apiGetOk(
      token,
      `/api/registry/vehicles?status=valid&offset=${offset}&limit=50`,
    );
    for (const vehicle of page.items) {
      const fits = LICENCES[vehicle.vehicle_class];
      if (vehicle.credential_status !== 'valid' || !fits) continue;
      for (const driver of byCarrier.get(vehicle.carrier_credit_code) ?? []) {
        if (fits.includes(driver.licence_class)) pairs.push({ vehicle, driver });
      }
    }
    if (page.items.length === 0 || offset + 50 >= page.total) break;
  }
  assert.ok(pairs.length > 0, 'a demo vehicle and a driver of its carrier, both valid');
  addUser(HEALTH, 'health', ['--display-name', '卫健委核查员']);
  const healthToken = await apiToken(HEALTH);
  for (const pair of pairs) {
    const records = await apiCall(
      `/api/registry/health_records?q=${encodeURIComponent(pair.driver.name)}&limit=100`,
      { token: healthToken },
    );
    // q searches names; the ID number tells namesakes apart. The newest record up to now decides
    // the check (docs/passes.md): negative, and at most 48 h old at the entry the form proposes,
    // so a day old at most now.
    const newest = itemsOf(records.body)
      .filter((r) => r.id_number === pair.driver.id_number && Number(r.tested_at) <= Date.now())
      .sort((a, b) => Number(b.tested_at) - Number(a.tested_at))[0];
    if (
      newest &&
      /核酸/.test(String(newest.kind ?? '')) &&
      /阴/.test(String(newest.result ?? '')) &&
      Number(newest.tested_at) > Date.now() - 24 * 3600 * 1000
    )
      return pair;
  }
  return pairs[0];
}

test(
  'e. a carrier applies for a pass, staff approve it, the QR appears, the checkpoint console shows the release',
  { timeout: 300_000 },
  async (t) => {
    const adminToken = await apiToken(ADMIN);
    const listed = await apiCall('/api/checkpoints', { token: adminToken });
    if (listed.status === 404) {
      const message =
        'scenario e skipped: GET /api/checkpoints answers 404 (this server has no passes/checkpoints yet, issue 5)';
      console.log(message);
      t.skip(message);
      return;
    }
    assert.equal(listed.status, 200, `GET /api/checkpoints: ${listed.text}`);
    const keyFile = (id) => path.join(dataDir, 'checkpoint-keys', `${id}.key`);
    const entry = itemsOf(listed.body).find(
      (c) => c.direction === 'in' && fs.existsSync(keyFile(c.id)),
    );
    assert.ok(entry, `an entry checkpoint with a camera key among ${listed.text}`);
    const cameraKey = fs.readFileSync(keyFile(entry.id), 'utf8').trim();

    const { vehicle, driver } = await findVehicleAndDriver(adminToken);
    const plate = vehicle.plate;
    addUser(CARRIER, 'carrier', [
      '--carrier',
      vehicle.carrier_credit_code,
      '--display-name',
      '运输企业调度',
    ]);
    addUser(TRANSPORT, 'transport', ['--display-name', '交通运输局审核员']);
    addUser(OPERATOR, 'checkpoint', ['--display-name', '卡口值班员']);

    const newPage = async () => {
      const context = await newContext({ viewport: { width: 1440, height: 1000 } });
      const page = await context.newPage();
      page.setDefaultTimeout(STEP_TIMEOUT_MS);
      return { context, page };
    };
    const operator = await newPage();
    const carrier = await newPage();
    const transport = await newPage();
    try {
      // The operator has the console open on the entry checkpoint before the truck arrives.
      await step(operator.page, 'console-open', async () => {
        const page = operator.page;
        await login(page, OPERATOR);
        await page.getByTestId('nav-checkpoint').click();
        // The console opens the operator's last (or the first) checkpoint; then they pick theirs.
        await page.waitForURL(/#\/checkpoint\/.+/);
        await page
          .locator('[data-testid="checkpoint-select"] option')
          .nth(1)
          .waitFor({ state: 'attached' });
        await page.getByTestId('checkpoint-select').selectOption(entry.id);
        await page.waitForURL(new RegExp(`#/checkpoint/${encodeURIComponent(entry.id)}$`));
        await page.locator('[data-testid="checkpoint-feed"][data-state="live"]').waitFor();
        await shot(page, 'checkpoint-console-open');
      });

      // The carrier applies for its vehicle.
      let passId = 0;
      let status = '';
      await step(carrier.page, 'apply', async () => {
        const page = carrier.page;
        await login(page, CARRIER);
        await page.getByTestId('nav-pass-apply').click();
        await page.getByTestId('apply-form').waitFor();
        const vehicleValue = `${plate}-${vehicle.plate_color}`;
        await page
          .locator(`[data-testid="apply-vehicle"] option[value="${vehicleValue}"]`)
          .waitFor({ state: 'attached' });
        await page.getByTestId('apply-vehicle').selectOption(vehicleValue);
        const driverSelect = page.getByTestId('apply-driver-0');
        await driverSelect.locator('option').nth(1).waitFor({ state: 'attached' });
        const driverValue = await driverSelect.evaluate(
          (select, d) =>
            [...select.options].find((o) => o.value === d.id || o.dataset.name === d.name)?.value,
          { id: driver.id_number, name: driver.name },
        );
        assert.ok(driverValue, `driver ${driver.name} is offered to the carrier`);
        await driverSelect.selectOption(driverValue);
        await page.getByTestId('apply-cargo-category').fill('生活物资');
        await page.getByTestId('apply-cargo-name').fill('大米');
        await page.getByTestId('apply-cargo-weight').fill('8000');
        await page.getByTestId('apply-origin').fill('辽宁省沈阳市于洪区');
        const sites = page.getByTestId('apply-sites');
        await sites.locator('option').first().waitFor({ state: 'attached' });
        await sites.selectOption(await sites.locator('option').first().getAttribute('value'));
        // A published route when the city has one, else two waypoints clicked on the map.
        const route = page.getByTestId('apply-route');
        await page.locator('[data-testid="apply-map"][data-routes]').waitFor({ state: 'attached' });
        if ((await route.locator('option').count()) > 1) {
          await route.selectOption({ index: 1 });
        } else {
          const map = page.getByTestId('apply-map');
          await map.click({ position: { x: 120, y: 200 } });
          await map.click({ position: { x: 300, y: 320 } });
          assert.equal(
            await page.getByTestId('apply-waypoint-count').getAttribute('data-count'),
            '2',
          );
        }
        await shot(page, 'pass-apply-filled');
        await page.getByTestId('apply-submit').click();
        const result = page.locator('[data-testid="apply-result"][data-status]');
        await result.waitFor();
        status = await result.getAttribute('data-status');
        passId = Number(await result.getAttribute('data-id'));
        const checks = await page
          .getByTestId('check-row')
          .evaluateAll((rows) =>
            rows.map((r) => `${r.dataset.outcome} ${r.dataset.code} ${r.textContent}`),
          );
        await shot(page, 'pass-apply-result');
        assert.ok(passId > 0, 'the application has an id');
        // Each check the server lists has its outcome (it may list only its findings).
        for (const check of checks) assert.match(check, /^(ok|review|reject) /);
        assert.notEqual(status, 'rejected', `not rejected; checks: ${checks.join(' | ')}`);
        assert.match(status, /^(approved|pending_review)$/);
        assert.match(
          await page.getByTestId('pass-status').first().textContent(),
          /已批准|待人工审核/,
        );
        // It is listed among the carrier's passes.
        await page.getByTestId('nav-passes').click();
        await page.locator(`[data-testid="pass-row"][data-id="${passId}"]`).waitFor();
        await shot(page, 'my-passes');
      });

      if (status === 'pending_review') {
        await step(transport.page, 'review', async () => {
          const page = transport.page;
          await login(page, TRANSPORT);
          await page.getByTestId('nav-review').click();
          const item = page.locator(`[data-testid="review-item"][data-id="${passId}"]`);
          await item.waitFor();
          await shot(page, 'review-queue');
          await item.getByTestId('review-approve').click();
          await page.getByTestId('action-comment').fill('材料齐全，同意通行');
          await shot(page, 'review-approve-dialog');
          await page.getByTestId('action-confirm').click();
          await page.getByTestId('action-dialog').waitFor({ state: 'detached' });
          await item.waitFor({ state: 'detached' });
          await shot(page, 'review-approved');
        });
      }

      await step(carrier.page, 'qr', async () => {
        const page = carrier.page;
        await page.goto(`${baseUrl}/#/passes/${passId}`);
        await page
          .locator('[data-testid="pass-detail"][data-state="ready"][data-status="approved"]')
          .waitFor();
        const qr = page.getByTestId('pass-qr');
        await qr.waitFor();
        // decode() rejects for an image that failed to load or is not an image.
        await qr.evaluate((img) => img.decode());
        assert.match(await getText(page, `/api/passes/${passId}/qr.svg`), /<svg/);
        const png = await page.evaluate(async (url) => {
          const response = await fetch(url);
          return [response.status, [...new Uint8Array(await response.arrayBuffer()).slice(1, 4)]];
        }, `/api/passes/${passId}/qr.png`);
        assert.deepEqual(png, [200, [0x50, 0x4e, 0x47]], 'qr.png is a PNG');
        assert.equal(await qr.getAttribute('src'), `/api/passes/${passId}/qr.svg`);
        assert.equal(
          await page.getByTestId('pass-qr-png').getAttribute('href'),
          `/api/passes/${passId}/qr.png`,
        );
        assert.match(await page.getByTestId('pass-token').inputValue(), /^BT1\.[\w-]+\.[\w-]+$/);
        await shot(page, 'pass-approved-qr');
      });

      await step(operator.page, 'camera-release', async () => {
        const page = operator.page;
        const read = await apiCall(`/api/checkpoints/${encodeURIComponent(entry.id)}/plate-reads`, {
          method: 'POST',
          headers: { 'X-Api-Key': cameraKey },
          body: { plate, plate_color: vehicle.plate_color, time_ms: Date.now() },
        });
        assert.ok([200, 201].includes(read.status), `plate read: HTTP ${read.status} ${read.text}`);
        assert.equal(read.body.decision, 'release', `camera decision: ${read.text}`);
        const row = page.locator(
          `[data-testid="passage-row"][data-plate="${plate}"][data-decision="release"]`,
        );
        await row.first().waitFor();
        assert.match(await row.first().getByTestId('decision-badge').textContent(), /放行/);
        // The demo's history and fleet pass this gate too: wait until the display turns to this
        // truck's release rather than reading whatever it showed last.
        await page.waitForFunction(
          (wanted) =>
            document.querySelector('[data-testid="checkpoint-led"]')?.dataset.decision ===
              'release' &&
            (
              document.querySelector('[data-testid="checkpoint-led-text"]')?.textContent ?? ''
            ).includes(wanted),
          plate,
        );
        const display = await page.getByTestId('checkpoint-led-text').textContent();
        assert.ok(display.includes(plate), `the plate display shows ${plate}: ${display}`);
        await shot(page, 'checkpoint-console-release');
      });
    } finally {
      await Promise.all([operator, carrier, transport].map(({ context }) => context.close()));
    }
  },
);

// ---- Scenario f (issue 6): a truck with a pass leaves its route; the 偏离路线 alarm is pushed live
// to the alarm centre and turns the truck red on the map; the admin acknowledges, dispatches,
// handles and closes it.

// Starts a simulator in which a truck with a pass leaves its route: by default the demo city's
// trip-pass truck (terminal 0) on route R1; BAOTONG_SCENARIO_F names another scenario file
// (docs/scenario.md).
function startOffRouteTruck() {
  const scenario = process.env.BAOTONG_SCENARIO_F ?? 'web/tests/scenario-off-route.toml';
  const { child } = start('sim-f', [
    'sim',
    '--server',
    `127.0.0.1:${jt808Port}`,
    '--auth-codes',
    simAuthCodes(),
    '--terminals',
    process.env.BAOTONG_SCENARIO_F_TERMINALS || '1',
    '--seconds',
    '180',
    '--rate',
    '1',
    '--scenario',
    path.resolve(repoRoot, scenario),
  ]);
  child.stdout.resume();
  return child;
}

const OFF_ROUTE_WAIT_MS = 60_000;

test(
  'f. an off-route alarm is pushed live, shows red on the map, and is handled to closure',
  { timeout: 300_000 },
  async (t) => {
    const adminToken = await apiToken(ADMIN);
    const probe = await apiCall('/api/alarms?limit=1', { token: adminToken });
    if (probe.status === 404) {
      const message =
        'scenario f skipped: GET /api/alarms answers 404 (no alarm centre yet, issue 6)';
      console.log(message);
      t.skip(message);
      return;
    }
    assert.equal(probe.status, 200, `GET /api/alarms: ${probe.text}`);
    const page = adminPage;
    const offRoute = page.locator('[data-testid="alarm-row"][data-kind="off_route"]');
    let sim = null;
    let mapPage = null;
    try {
      let alreadyListed = false;
      await step(page, 'alarm-centre', async () => {
        await openAsAdmin('#/alarms');
        await page.locator('[data-testid="alarms-table"][data-state="ready"]').waitFor();
        // The live feed is connected before the truck deviates.
        await page.locator('[data-testid="alarms-feed"][data-state="live"]').waitFor();
        alreadyListed = (await offRoute.count()) > 0;
        await shot(page, 'alarm-centre-open');
      });

      let alarmId = '';
      let terminal = '';
      await step(page, 'alarm-pushed', async () => {
        sim = startOffRouteTruck();
        await offRoute.first().waitFor({ timeout: OFF_ROUTE_WAIT_MS });
        const row = offRoute.first();
        alarmId = await row.getAttribute('data-id');
        terminal = await row.getAttribute('data-terminal');
        assert.ok(alarmId, 'the alarm row has an id');
        assert.match(await row.locator('[data-field="kind"]').textContent(), /偏离路线/);
        assert.match(await row.getByTestId('alarm-severity').textContent(), /紧急|严重|一般|提示/);
        if (!alreadyListed) {
          // It arrived through the WebSocket, not a reload of the list.
          const received = await page.evaluate(() => window.__baotongAlarmFeed?.received ?? 0);
          assert.ok(received > 0, 'the alarm was pushed over /api/alarms/live');
        }
        const counts = page.getByTestId('alarm-counts');
        await page.waitForFunction(
          () => Number(document.querySelector('[data-testid="alarm-counts"]')?.dataset.total) > 0,
        );
        assert.ok(Number(await counts.getAttribute('data-total')) > 0, 'open alarms counted');
        await shot(page, 'alarm-centre-off-route');
      });

      // The same truck, red on the live map (a second tab of the admin's session).
      await step(page, 'map-red', async () => {
        mapPage = await adminContext.newPage();
        mapPage.setDefaultTimeout(STEP_TIMEOUT_MS);
        await mapPage.goto(`${baseUrl}/#/map`);
        await mapPage.locator('[data-testid="map"][data-source="monitor"]').waitFor();
        const red = await mapPage.waitForFunction(
          (target) =>
            window.__baotongMap
              ?.positions()
              .find((p) => p.state === 'alarm' && (!target || p.terminal === target)),
          terminal,
          { timeout: 45_000, polling: 500 },
        );
        const vehicle = await red.jsonValue();
        assert.ok(vehicle.alarms.includes('off_route') || vehicle.state === 'alarm');
        assert.ok(Number(await mapPage.getByTestId('map-alarm-count').textContent()) > 0);
        await shot(mapPage, 'map-red-vehicle');
      });

      const detail = page.getByTestId('alarm-detail');
      const waitStatus = (status) =>
        page
          .locator(`[data-testid="alarm-detail"][data-state="ready"][data-status="${status}"]`)
          .waitFor();
      const act = async (action, fields) => {
        await page.getByTestId(`alarm-${action}`).click();
        await page.getByTestId('alarm-dialog').waitFor();
        for (const [testid, value] of Object.entries(fields)) {
          await page.getByTestId(testid).fill(value);
        }
        await page.getByTestId('alarm-confirm').click();
        await page.getByTestId('alarm-dialog').waitFor({ state: 'detached' });
      };

      await step(page, 'alarm-workflow', async () => {
        await offRoute.first().click();
        await page.waitForURL(new RegExp(`#/alarms/${alarmId}$`));
        await page.locator('[data-testid="alarm-detail"][data-state="ready"]').waitFor();
        assert.equal(await detail.getAttribute('data-kind'), 'off_route');
        await page.locator('[data-testid="alarm-map"][data-track]').waitFor();
        await shot(page, 'alarm-detail');
        // A newer repeat may already have been acknowledged elsewhere; this one starts raised.
        assert.equal(await detail.getAttribute('data-status'), 'raised');

        await act('acknowledge', { 'alarm-note': '值班员已确认，联系驾驶员' });
        await waitStatus('acknowledged');
        await act('dispatch', { 'alarm-to': '交通运输局', 'alarm-note': '请核实车辆偏离原因' });
        await waitStatus('dispatched');
        assert.match(await page.getByTestId('alarm-dispatched-to').textContent(), /交通运输局/);
        await shot(page, 'alarm-dispatched');
        await act('handle', { 'alarm-outcome': '已纠正', 'alarm-note': '驾驶员已返回备案路线' });
        await waitStatus('handled');
        await act('close', { 'alarm-note': '处置完毕，闭环' });
        await waitStatus('closed');

        assert.match(await detail.getByTestId('alarm-status').first().textContent(), /已关闭/);
        // No step is offered on a closed alarm.
        assert.equal(await page.getByTestId('alarm-actions').locator('button').count(), 0);
        const steps = await page
          .getByTestId('alarm-step')
          .evaluateAll((rows) => rows.map((r) => r.dataset.step));
        for (const done of ['acknowledged', 'dispatched', 'handled', 'closed']) {
          assert.ok(steps.includes(done), `step ${done} recorded: ${steps.join(', ')}`);
        }
        const stepsText = await page.getByTestId('alarm-steps').textContent();
        for (const text of ['确认', '派发', '处置', '关闭', '交通运输局', '已纠正']) {
          assert.ok(stepsText.includes(text), `the steps show ${text}`);
        }
        await shot(page, 'alarm-closed');
      });

      // Through the API as well: the alarm is closed and its history complete.
      const stored = await apiGetOk(adminToken, `/api/alarms/${alarmId}`);
      assert.equal(stored.alarm.status, 'closed');
      assert.ok(stored.steps.length >= 5, `steps: ${JSON.stringify(stored.steps)}`);
    } finally {
      await mapPage?.close().catch(() => {});
      if (sim) await stop(sim);
    }
  },
);

// ---- Scenario g (issue 7): 协查 on the map and its export; the statistics and overview pages.

// "YYYY-MM-DDTHH:MM" in China time, as a datetime-local input takes it.
const chinaLocal = (ms) => new Date(ms + 8 * 3600 * 1000).toISOString().slice(0, 16);
const RECENT_MS = 30 * 60 * 1000;

// The latest position reported in the last half hour (with a plate where there is one), or null.
async function recentPosition(token) {
  const latest = await apiGetOk(token, '/api/positions/latest?offset=0&limit=1000');
  const recent = itemsOf(latest)
    .filter(
      (p) =>
        Number.isFinite(p.lat) &&
        Number.isFinite(p.lon) &&
        Date.now() - Number(p.device_time_ms) < RECENT_MS,
    )
    .sort((a, b) => Number(Boolean(b.plate)) - Number(Boolean(a.plate)));
  return recent[0] ?? null;
}

test(
  'g. 协查: a circle around a reporting truck lists it and exports Excel; statistics and overview render',
  { timeout: 90_000 },
  async (t) => {
    const adminToken = await apiToken(ADMIN);
    const probe = await apiCall('/api/investigations/area', {
      token: adminToken,
      method: 'POST',
      body: {},
    });
    if (probe.status === 404) {
      const message =
        'scenario g skipped: POST /api/investigations/area answers 404 (no 协查 yet, issue 7)';
      console.log(message);
      t.skip(message);
      return;
    }
    const page = adminPage;
    let sim = null;
    try {
      // A truck that reports now: scenario d's, else a short simulator run of its own.
      let truck = await recentPosition(adminToken);
      if (!truck) {
        ({ child: sim } = start('sim-g', [
          'sim',
          '--server',
          `127.0.0.1:${jt808Port}`,
          '--auth-codes',
          simAuthCodes(),
          '--terminals',
          '3',
          '--seconds',
          '40',
          '--rate',
          '1',
        ]));
        sim.stdout.resume();
        for (let tries = 0; !truck && tries < 30; tries++) {
          await new Promise((resolve) => setTimeout(resolve, 1000));
          truck = await recentPosition(adminToken);
        }
      }
      assert.ok(truck, 'a vehicle reported in the last 30 minutes');

      await step(page, 'investigate', async () => {
        await openAsAdmin('#/investigate');
        await page.locator('[data-testid="inv-map"][data-layers]').waitFor();
        await page.waitForFunction(() => Boolean(window.__baotongInvestigate));
        // Centre the map on the truck, so a click on the map's middle is a click on it.
        await page.evaluate(
          ({ lat, lon }) => window.__baotongInvestigate.centre(lat, lon, 15),
          truck,
        );
        await page.getByTestId('inv-radius').fill('1000');
        await page.getByTestId('inv-draw-circle').click();
        await page.getByTestId('inv-map').click();
        // Typing the radius fixes the circle where it is.
        await page.getByTestId('inv-radius').fill('1000');
        const shape = await page.evaluate(() => {
          const s = window.__baotongInvestigate.shape();
          return s && { type: s.type, lat: s.centre.lat, lon: s.centre.lng, r: s.radius_m };
        });
        assert.equal(shape?.type, 'circle', 'a circle is drawn');
        assert.equal(shape.r, 1000);
        assert.ok(
          Math.abs(shape.lat - truck.lat) < 0.001 && Math.abs(shape.lon - truck.lon) < 0.001,
          `the circle is centred on the truck: ${JSON.stringify({ shape, truck })}`,
        );
        await page.getByTestId('inv-from').fill(chinaLocal(Date.now() - 3600 * 1000));
        await page.getByTestId('inv-to').fill(chinaLocal(Date.now() + 2 * 60 * 1000));
        await page.getByTestId('inv-purpose').fill('疫情协查：确诊病例活动轨迹（浏览器测试）');
        await page.getByTestId('inv-submit').click();
        await page.locator('[data-testid="inv-table"][data-state="ready"]').waitFor();
        const row = page.locator(
          truck.plate
            ? `[data-testid="inv-row"][data-plate="${truck.plate}"]`
            : `[data-testid="inv-row"][data-terminal="${truck.terminal}"]`,
        );
        assert.equal(
          await row.count(),
          1,
          `${truck.plate || truck.terminal} is listed: ${await page.getByTestId('inv-table').textContent()}`,
        );
        await shot(page, 'investigate-area');

        // Its track for the window, on the map.
        await row.click();
        await page
          .locator('[data-testid="inv-map"][data-track]:not([data-track="loading"])')
          .waitFor();
        const points = await page.getByTestId('inv-map').getAttribute('data-track');
        assert.ok(Number(points) > 0, `the track has positions: ${points}`);
        await shot(page, 'investigate-track');

        const [download] = await Promise.all([
          page.waitForEvent('download'),
          page.getByTestId('inv-export').click(),
        ]);
        assert.match(download.suggestedFilename(), /\.xlsx$/);
        const bytes = fs.readFileSync(await download.path());
        assert.equal(bytes.subarray(0, 2).toString('latin1'), 'PK', 'the export is a zip (xlsx)');
      });

      await step(page, 'statistics', async () => {
        await openAsAdmin('#/stats');
        await page.locator('[data-testid="stats-chart-entries"] canvas').waitFor();
        await shot(page, 'statistics');
      });

      await step(page, 'overview', async () => {
        // From the menu: the big screen hides the menu, which openAsAdmin waits for.
        await page.getByTestId('nav-overview').click();
        await page.locator('[data-testid="ov-counters"][data-state="ready"]').waitFor();
        assert.match(await page.getByTestId('ov-in-city-value').textContent(), /^\d+$/);
        assert.match(await page.getByTestId('ov-entered-value').textContent(), /^\d+$/);
        assert.ok(await page.locator('body.overview-mode').isVisible(), 'the big-screen layout');
        await shot(page, 'overview');
      });
    } finally {
      if (sim) await stop(sim);
    }
  },
);

// ---- Scenario h (issue 13 item 7, stored XSS): hostile names imported into every record kind,
// a zone and alarm notes are shown as text on every page. The pages run in a context that
// bypasses the Content-Security-Policy, so that the dashboard's own rendering is what is tested:
// injected markup would run here (window.__xss), or at least leave an element with an event
// handler attribute behind.

const HOSTILE = {
  img: '<img src=x onerror="window.__xss=1">',
  svg: '"><svg onload=window.__xss=1>',
  script: '</script><script>window.__xss=1</script>',
};
// What any page showing one of them as text contains.
const HOSTILE_TEXT = ['<img src=x onerror=', '"><svg onload=', '</script><script>'];

const CREDIT_CHARS = '0123456789ABCDEFGHJKLMNPQRTUWXY';
const CREDIT_WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];
// A unified social credit code (GB 32100) with its check character.
function creditCode(base17) {
  const sum = [...base17].reduce((s, c, i) => s + CREDIT_CHARS.indexOf(c) * CREDIT_WEIGHTS[i], 0);
  return base17 + CREDIT_CHARS[(31 - (sum % 31)) % 31];
}
const ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
// A resident ID number (GB 11643) with its check character.
function idNumber(base17) {
  const sum = [...base17].reduce((s, c, i) => s + Number(c) * ID_WEIGHTS[i], 0);
  return base17 + '10X98765432'[sum % 11];
}

// Posts an import as the importer page does and waits for it to finish.
async function importJson(token, kind, rows) {
  const response = await fetch(
    `${baseUrl}/api/imports?kind=${kind}&format=json&file_name=${encodeURIComponent(`${HOSTILE.img}.json`)}`,
    {
      method: 'POST',
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
      body: JSON.stringify(rows),
    },
  );
  const text = await response.text();
  assert.equal(response.status, 202, `import ${kind}: HTTP ${response.status} ${text}`);
  const { id } = JSON.parse(text);
  for (let tries = 0; tries < 100; tries++) {
    const job = await apiGetOk(token, `/api/imports/${id}`);
    if (job.status === 'done' || job.status === 'failed') {
      assert.ok(
        job.status === 'done' && job.rejected === 0 && job.accepted === rows.length,
        `import ${kind}: ${JSON.stringify(job)} ${await apiCall(`/api/imports/${id}/rejections.csv`, { token }).then((r) => r.text)}`,
      );
      return job;
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`import ${kind} did not finish`);
}

// The page is free of injected script: nothing ran, no dialog opened, no element carries an
// event handler attribute, and no inline script was added.
async function assertNoInjection(page, dialogs, where) {
  const found = await page.evaluate(() => ({
    xss: window.__xss,
    handlers: [...document.querySelectorAll('*')]
      .filter((e) => [...e.attributes].some((a) => /^on/i.test(a.name)))
      .map((e) => e.outerHTML.slice(0, 120)),
    scripts: [...document.querySelectorAll('script')]
      .filter((s) => !s.src)
      .map((s) => s.outerHTML.slice(0, 120)),
  }));
  assert.equal(found.xss, undefined, `${where}: injected script ran`);
  assert.deepEqual(found.handlers, [], `${where}: elements with event handler attributes`);
  assert.deepEqual(found.scripts, [], `${where}: inline scripts in the document`);
  assert.deepEqual(dialogs, [], `${where}: dialogs opened`);
}

// The hostile text is on the page, literally, within `locator` (the whole body by default).
async function assertShownLiterally(page, where, locator = page.locator('body')) {
  let text = '';
  for (let tries = 0; tries < 20; tries++) {
    text = await locator.innerText();
    if (HOSTILE_TEXT.some((h) => text.includes(h))) return;
    await page.waitForTimeout(250);
  }
  assert.fail(`${where}: the hostile name is not shown as text: ${text.slice(0, 400)}`);
}

test(
  'h. stored XSS: hostile names in every record kind, a zone and alarm notes show as text on every page',
  { timeout: 240_000 },
  async () => {
    const adminToken = await apiToken(ADMIN);
    const suffix = String(Date.now() % 1_000_000).padStart(6, '0');
    const credit = creditCode(`91210300XT${suffix.slice(0, 5)}K${suffix.slice(5)}`);
    const driverId = idNumber(`21030219800101${suffix.slice(0, 3)}`);
    const plate = `辽C7${suffix.slice(2, 6)}`;
    const terminalPhone = `0177${suffix}00`;
    const siteCode = `XSS-SITE-${suffix}`;
    const zoneCode = `XSS-ZONE-${suffix}`;
    const centre = (await apiGetOk(adminToken, '/api/ui-config')).center ?? [41.11, 122.99];
    const [lat, lon] = centre;
    const china = (ms) =>
      new Date(ms + 8 * 3600 * 1000).toISOString().slice(0, 16).replace('T', ' ');

    await importJson(adminToken, 'carriers', [
      {
        credit_code: credit,
        name: `${HOSTILE.img}运输公司`,
        district: DISTRICT.district,
        address: HOSTILE.svg,
        business_permit_no: HOSTILE.script,
        business_permit_valid_until: '2030-12-31',
        contact_phone: '0412-5550000',
      },
    ]);
    await importJson(adminToken, 'vehicles', [
      {
        plate,
        plate_color: 2,
        vehicle_class: 'truck',
        carrier_credit_code: credit,
        transport_cert_no: HOSTILE.svg,
        transport_cert_valid_until: '2030-12-31',
        insurance_valid_until: '2030-12-31',
      },
    ]);
    await importJson(adminToken, 'drivers', [
      {
        id_number: driverId,
        name: HOSTILE.img,
        phone: '13900000077',
        licence_class: 'B2',
        licence_valid_until: '2035-12-31',
        qualification_cert_no: HOSTILE.script,
        qualification_category: HOSTILE.svg,
        qualification_valid_until: '2035-12-31',
        carrier_credit_code: credit,
      },
    ]);
    await importJson(adminToken, 'terminals', [
      {
        phone: terminalPhone,
        terminal_id: HOSTILE.svg,
        maker: HOSTILE.script,
        model: HOSTILE.img,
        plate,
        plate_color: 2,
      },
    ]);
    await importJson(adminToken, 'health_records', [
      {
        id_number: driverId,
        name: HOSTILE.img,
        kind: `核酸检测${HOSTILE.svg}`,
        result: `阴性${HOSTILE.script}`,
        tested_at: china(Date.now() - 3600 * 1000),
        valid_until: '2035-12-31',
      },
    ]);
    await importJson(adminToken, 'sites', [
      {
        code: siteCode,
        name: HOSTILE.img,
        kind: '装货点',
        district: DISTRICT.district,
        lon: lon + 0.01,
        lat: lat + 0.01,
      },
    ]);

    // A restricted zone over the whole city with a hostile name: every reporting truck raises
    // 驶入管控区域, whose detail carries the zone's name.
    const zone = await apiCall('/api/monitor/zones', {
      token: adminToken,
      method: 'POST',
      body: {
        code: zoneCode,
        name: HOSTILE.img,
        kind: 'restricted',
        geometry: { type: 'Point', coordinates: [lon, lat] },
        radius_m: 50_000,
        windows: [],
        vehicle_classes: ['tour_bus', 'line_bus', 'hazardous', 'heavy_truck', 'truck'],
        speed_limit_kmh: null,
        alarm_on_exit: false,
        department: 'police',
      },
    });
    assert.ok([200, 201].includes(zone.status), `zone: HTTP ${zone.status} ${zone.text}`);

    const sim = start('sim-h', [
      'sim',
      '--server',
      `127.0.0.1:${jt808Port}`,
      '--auth-codes',
      simAuthCodes(),
      '--terminals',
      '2',
      '--seconds',
      '30',
      '--rate',
      '1',
    ]).child;
    sim.stdout.resume();
    let alarmId = 0;
    try {
      for (let tries = 0; !alarmId && tries < 60; tries++) {
        const alarms = await apiGetOk(adminToken, '/api/alarms?kind=zone_entry&limit=50');
        const hit = itemsOf(alarms).find((a) => a.subject === zoneCode);
        if (hit) alarmId = hit.id;
        else await new Promise((resolve) => setTimeout(resolve, 500));
      }
    } finally {
      await stop(sim);
    }
    assert.ok(alarmId, 'a 驶入管控区域 alarm for the hostile zone');
    const acknowledged = await apiCall(`/api/alarms/${alarmId}/acknowledge`, {
      token: adminToken,
      method: 'POST',
      body: { note: HOSTILE.svg },
    });
    assert.equal(acknowledged.status, 200, `acknowledge: ${acknowledged.text}`);
    const dispatched = await apiCall(`/api/alarms/${alarmId}/dispatch`, {
      token: adminToken,
      method: 'POST',
      body: { to: HOSTILE.img, note: HOSTILE.script },
    });
    assert.equal(dispatched.status, 200, `dispatch: ${dispatched.text}`);

    // A carrier of the hostile company applies for a pass with hostile cargo and origin.
    const XSS_CARRIER = { username: 'xss-carrier', password: 'Dandong-Bridge-71k!' };
    addUser(XSS_CARRIER, 'carrier', ['--carrier', credit, '--display-name', HOSTILE.svg]);
    const carrierToken = await apiToken(XSS_CARRIER);
    const now = Date.now();
    const applied = await apiCall('/api/passes', {
      token: carrierToken,
      method: 'POST',
      body: {
        kind: 'trip',
        plate,
        plate_color: 2,
        driver_id_numbers: [driverId],
        cargo: { category: HOSTILE.svg, name: HOSTILE.img, weight_kg: 1000, dangerous: false },
        origin: HOSTILE.script,
        destination_site_codes: [siteCode],
        waypoints: [
          [lat, lon],
          [lat + 0.01, lon + 0.01],
        ],
        entry_from_ms: now,
        entry_until_ms: now + 6 * 3600 * 1000,
        planned_exit_ms: now + 5 * 3600 * 1000,
      },
    });
    assert.ok([200, 201].includes(applied.status), `apply: HTTP ${applied.status} ${applied.text}`);
    const passId = applied.body.id;

    const visit = async (context, user, pages) => {
      const page = await context.newPage();
      page.setDefaultTimeout(STEP_TIMEOUT_MS);
      const dialogs = [];
      page.on('dialog', (dialog) => {
        dialogs.push(dialog.message());
        void dialog.dismiss();
      });
      await login(page, user);
      for (const [name, body] of pages) {
        await step(page, `xss-${name}`, async () => {
          await body(page);
          await assertNoInjection(page, dialogs, name);
        });
      }
      await shot(page, `xss-${user.username}-last`);
    };
    const open = (page, route) => page.goto(`${baseUrl}/${route}`);
    // A page that has to render (its ready marker, [data-state="ready"]) and, where it shows the
    // hostile records, show them as text: `shown` picks the part of the page that holds them.
    const pageStep = (name, route, readyTestid, shown = null) => [
      name,
      async (page) => {
        await open(page, route);
        await page.locator(`[data-testid="${readyTestid}"][data-state="ready"]`).waitFor();
        if (shown) await assertShownLiterally(page, name, shown(page));
      },
    ];
    // The review page lists the hostile application: under 待审核, or under 已通过 where every
    // check passed and the server approved it at once (auto_approve).
    assert.ok(
      ['pending_review', 'approved'].includes(applied.body.status),
      `the hostile application is ${applied.body.status}`,
    );
    const reviewTab = applied.body.status === 'approved' ? '?tab=approved' : '';
    const registryPage = (kind, q) => [
      `registry-${kind}`,
      async (page) => {
        await open(page, `#/registry/${kind}?q=${encodeURIComponent(q)}`);
        await page.locator('[data-testid="registry-table"][data-state="ready"]').waitFor();
        await assertShownLiterally(page, `${kind} list`, page.getByTestId('registry-table'));
        await page.getByTestId('registry-row').first().click();
        await page.locator('[data-testid="record-detail"][data-state="ready"]').waitFor();
        await assertShownLiterally(page, `${kind} detail`, page.getByTestId('record-detail'));
      },
    ];

    const context = await newContext({ bypassCSP: true });
    try {
      // The carrier's pass form: the hostile site's permanent map tooltip (the reported attack),
      // and the hostile driver among the choices.
      await visit(context, XSS_CARRIER, [
        [
          'pass-apply',
          async (page) => {
            await open(page, '#/passes/apply');
            await page.getByTestId('apply-form').waitFor();
            const option = page.locator(`[data-testid="apply-sites"] option[value="${siteCode}"]`);
            await option.waitFor({ state: 'attached' });
            await page.getByTestId('apply-sites').selectOption(siteCode);
            // The site's permanent tooltip (beside the routes' labels) shows the name as text.
            const tooltip = page.locator('[data-testid="apply-map"] .leaflet-tooltip', {
              hasText: '<img',
            });
            await tooltip.first().waitFor();
            assert.equal(await tooltip.first().textContent(), HOSTILE.img);
            const driver = page.locator('[data-testid="apply-driver-0"] option[data-name]');
            await driver.first().waitFor({ state: 'attached' });
            assert.ok(
              (await driver.allTextContents()).some((label) => label.includes(HOSTILE.img)),
              'the hostile driver is offered by name',
            );
            await shot(page, 'xss-pass-apply-tooltip');
          },
        ],
        [
          'carrier-pass',
          async (page) => {
            await open(page, `#/passes/${passId}`);
            await page.locator('[data-testid="pass-detail"][data-state="ready"]').waitFor();
            await assertShownLiterally(page, 'pass detail', page.getByTestId('pass-detail'));
          },
        ],
      ]);

      await visit(context, ADMIN, [
        registryPage('carriers', credit),
        registryPage('vehicles', plate),
        registryPage('drivers', driverId),
        registryPage('terminals', terminalPhone),
        registryPage('health_records', driverId),
        registryPage('sites', siteCode),
        [
          'imports',
          async (page) => {
            await open(page, '#/imports');
            await page.getByTestId('import-history-row').first().waitFor();
            await assertShownLiterally(page, 'import history');
          },
        ],
        [
          'map',
          async (page) => {
            await open(page, '#/map');
            await page.locator('[data-testid="map"][data-layers="ready"]').waitFor();
            await page.locator('[data-testid="map"][data-zones]').waitFor();
            assert.ok(
              await page.evaluate((code) => window.__baotongMap.openLabel('site', code), siteCode),
              'the hostile site is drawn on the map',
            );
            const popup = page.locator('[data-testid="map"] .leaflet-popup-content');
            await popup.waitFor();
            assert.match(await popup.textContent(), /^<img src=x onerror=/);
            assert.ok(
              await page.evaluate((code) => window.__baotongMap.openLabel('zone', code), zoneCode),
              'the hostile zone is drawn on the map',
            );
            const tooltip = page.locator('[data-testid="map"] .leaflet-tooltip', {
              hasText: '<img',
            });
            await tooltip.first().waitFor();
            await shot(page, 'xss-map-labels');
          },
        ],
        [
          'alarm-centre',
          async (page) => {
            await open(page, '#/alarms');
            await page.locator('[data-testid="alarms-table"][data-state="ready"]').waitFor();
            await assertShownLiterally(page, 'alarm centre', page.getByTestId('alarms-table'));
          },
        ],
        [
          'alarm-detail',
          async (page) => {
            await open(page, `#/alarms/${alarmId}`);
            await page.locator('[data-testid="alarm-detail"][data-state="ready"]').waitFor();
            await page.locator('[data-testid="alarm-map"][data-track]').waitFor();
            await assertShownLiterally(page, 'alarm steps', page.getByTestId('alarm-steps'));
            await page.locator('[data-testid="alarm-map"] path.leaflet-interactive').last().hover();
            await shot(page, 'xss-alarm-detail');
          },
        ],
        [
          'zones',
          async (page) => {
            await open(page, '#/zones');
            const row = page.locator(`[data-testid="zone-row"][data-code="${zoneCode}"]`);
            await row.waitFor();
            await assertShownLiterally(page, 'zones', row);
          },
        ],
        [
          'passes',
          async (page) => {
            await open(page, '#/passes');
            await page.locator(`[data-testid="pass-row"][data-id="${passId}"]`).waitFor();
            await open(page, `#/passes/${passId}`);
            await page.locator('[data-testid="pass-detail"][data-state="ready"]').waitFor();
            await assertShownLiterally(page, 'pass detail', page.getByTestId('pass-detail'));
          },
        ],
        pageStep('review', `#/review${reviewTab}`, 'review-list', (page) =>
          page.locator(`[data-testid="review-item"][data-id="${passId}"]`),
        ),
        [
          'investigate',
          async (page) => {
            await open(page, '#/investigate');
            await page.locator('[data-testid="inv-map"][data-layers]').waitFor();
          },
        ],
        pageStep('investigate-vehicle', '#/investigate/vehicle', 'invv-form'),
        pageStep('in-city', '#/in-city', 'incity-table'),
        [
          'statistics',
          async (page) => {
            await open(page, '#/stats');
            await page.locator('[data-testid="stats-chart-entries"] canvas').waitFor();
            // Its tooltips: hovering a chart draws one (on the canvas).
            await page.locator('[data-testid="stats-chart-entries"] canvas').hover();
          },
        ],
        pageStep('overview', '#/overview', 'ov-counters'),
      ]);
    } finally {
      await context.close();
    }
  },
);

test(
  'i. every page above ran under script-src self without a Content-Security-Policy violation',
  { timeout: 30_000 },
  async () => {
    // The policy is really enforced: markup with an event handler is refused and reported.
    const before = cspViolations.length;
    await openAsAdmin('#/map');
    const ran = await adminPage.evaluate(async () => {
      const probe = document.createElement('div');
      probe.innerHTML =
        '<img src="data:," onerror="window.__cspProbe=1"><img src="x" onerror="window.__cspProbe=1">';
      document.body.append(probe);
      await new Promise((resolve) => setTimeout(resolve, 500));
      probe.remove();
      return window.__cspProbe;
    });
    assert.equal(ran, undefined, 'the inline handler was refused');
    assert.ok(cspViolations.length > before, 'the refusal was reported');
    const seen = cspViolations.splice(0, before);
    assert.deepEqual(seen, [], `CSP violations: ${JSON.stringify(seen, null, 1)}`);
  },
);

test(
  'j. a carrier on a 390 px phone: one-time password, the forced change, 账号与密码, the pass form, the passes and a pass with its QR fit the screen; the admin resets the password',
  { timeout: 60_000 },
  async () => {
    const adminToken = await apiToken(ADMIN);
    // The carrier of an approved pass (scenario e), so the phone shows a pass with its QR code.
    const approved = itemsOf(await apiGetOk(adminToken, '/api/passes?status=approved&limit=1'))[0];
    assert.ok(approved?.carrier_credit_code, 'an approved pass with its carrier (scenario e)');
    const PHONE = { username: 'shouji', password: '' };
    const otpFile = path.join(dataDir, 'otp-shouji');
    run(
      [
        'user',
        'add',
        '--data-dir',
        dataDir,
        '--username',
        PHONE.username,
        '--role',
        'carrier',
        '--carrier',
        approved.carrier_credit_code,
        '--display-name',
        '手机端承运人',
        '--one-time-password-file',
        otpFile,
      ],
      '',
    );
    const oneTime = fs.readFileSync(otpFile, 'utf8').trim();
    assert.ok(oneTime.length >= 12, 'a one-time password in the file');

    const context = await newContext({ viewport: { width: 390, height: 844 } });
    const page = await context.newPage();
    page.setDefaultTimeout(STEP_TIMEOUT_MS);
    // No page-level horizontal scroll, and each main action visible within the screen's width.
    const assertFits = async (where, actions) => {
      const { scrollWidth, innerWidth } = await page.evaluate(() => ({
        scrollWidth: document.scrollingElement.scrollWidth,
        innerWidth: window.innerWidth,
      }));
      assert.ok(
        scrollWidth <= innerWidth,
        `${where}: the page scrolls sideways (${scrollWidth} px)`,
      );
      // A test id, or a CSS selector (the first cell of a row that scrolls inside its card).
      for (const testid of actions) {
        const action = (
          testid.startsWith('[') ? page.locator(testid) : page.getByTestId(testid)
        ).first();
        assert.ok(await action.isVisible(), `${where}: ${testid} is visible`);
        const box = await action.boundingBox();
        assert.ok(
          box.x >= 0 && box.x + box.width <= innerWidth,
          `${where}: ${testid} is within the screen (${box.x}+${box.width} of ${innerWidth})`,
        );
      }
    };
    // The navigation is folded away behind the menu button, which opens and closes it.
    const assertMenu = async (where) => {
      const toggle = page.getByTestId('menu-toggle');
      const nav = page.getByTestId('nav');
      assert.ok(!(await nav.isVisible()), `${where}: the navigation starts folded`);
      assert.equal(await toggle.getAttribute('aria-expanded'), 'false');
      await toggle.click();
      assert.equal(await toggle.getAttribute('aria-expanded'), 'true');
      await page.getByTestId('nav-account').waitFor();
      await assertFits(`${where} (menu open)`, ['nav-account', 'nav-passes', 'nav-pass-apply']);
      if (where === 'account') await shot(page, 'phone-menu-open');
      await toggle.click();
      await nav.waitFor({ state: 'hidden' });
    };
    try {
      await step(page, 'phone-login', async () => {
        await page.goto(`${baseUrl}/#/login`);
        await page.getByTestId('login-form').waitFor();
        await assertFits('login', ['login-submit']);
        await shot(page, 'phone-login');
        await page.getByTestId('login-username').fill(PHONE.username);
        await page.getByTestId('login-password').fill(oneTime);
        await page.getByTestId('login-submit').click();
        await page.getByTestId('password-change-required').waitFor();
        await assertFits('forced change', ['password-submit', 'password-logout']);
        await shot(page, 'phone-forced-change');
        PHONE.password = 'Gangdu-Phone-Route-26t!';
        await page.getByTestId('password-old').fill(oneTime);
        await page.getByTestId('password-new').fill(PHONE.password);
        await page.getByTestId('password-repeat').fill(PHONE.password);
        await page.getByTestId('password-submit').click();
        await page.getByTestId('sidebar').waitFor();
        assert.equal(await page.getByTestId('password-change-required').count(), 0);
      });
      const phonePages = [
        ['account', '#/account', '[data-testid="account-summary"]', ['password-submit']],
        ['pass-apply', '#/passes/apply', '[data-testid="apply-form"]', ['apply-submit']],
        [
          'passes',
          '#/passes',
          '[data-testid="passes-table"][data-state="ready"]',
          ['passes-search-submit', `[data-testid="pass-row"][data-id="${approved.id}"] td`],
        ],
        [
          'pass-detail',
          `#/passes/${approved.id}`,
          '[data-testid="pass-detail"][data-state="ready"]',
          ['pass-qr', 'pass-qr-svg', 'pass-qr-png', 'pass-token-copy'],
        ],
      ];
      for (const [name, route, ready, actions] of phonePages) {
        await step(page, `phone-${name}`, async () => {
          await page.goto(`${baseUrl}/${route}`);
          await page.locator(ready).waitFor();
          await assertFits(name, actions);
          await assertMenu(name);
          await shot(page, `phone-${name}`);
        });
      }
      // A link chosen from the menu opens its page and folds the menu again.
      await step(page, 'phone-menu-link', async () => {
        await page.getByTestId('menu-toggle').click();
        await page.getByTestId('nav-account').click();
        await page.getByTestId('account-summary').waitFor();
        await page.getByTestId('nav').waitFor({ state: 'hidden' });
        assert.equal(await page.getByTestId('menu-toggle').getAttribute('aria-expanded'), 'false');
      });

      // The admin, at desktop width, resets the carrier's password: the new one-time password
      // is shown once, and the carrier's session on the phone ends.
      await openAsAdmin('#/users');
      await step(adminPage, 'users-reset', async () => {
        await adminPage.locator('[data-testid="users-table"][data-state="ready"]').waitFor();
        adminPage.once('dialog', (dialog) => void dialog.accept());
        await adminPage.getByTestId(`reset-${PHONE.username}`).click();
        const shown = adminPage.getByTestId('one-time-password');
        await shown.waitFor();
        const fresh = (await shown.textContent()).trim();
        assert.ok(fresh.length >= 12 && fresh !== oneTime, 'a new one-time password is shown');
        await shot(adminPage, 'users-reset');
        await adminPage.reload();
        await adminPage.locator('[data-testid="users-table"][data-state="ready"]').waitFor();
        assert.equal(await adminPage.getByTestId('one-time-password').count(), 0, 'shown once');
        const me = await page.evaluate(async () => (await fetch('/api/auth/me')).status);
        assert.equal(me, 401, "the carrier's old session is refused");
        await page.goto(`${baseUrl}/#/passes`);
        await page.getByTestId('login-form').waitFor();
        // The new one-time password signs in to the forced change again.
        await page.getByTestId('login-username').fill(PHONE.username);
        await page.getByTestId('login-password').fill(fresh);
        await page.getByTestId('login-submit').click();
        await page.getByTestId('password-change-required').waitFor();
      });
    } finally {
      await context.close();
    }
  },
);

test(
  'k. staff flows of issue 14: map search centres a vehicle, two alarms acknowledged with one comment, two applications approved in one batch, and a screenshot of every page',
  { timeout: 300_000 },
  async () => {
    const adminToken = await apiToken(ADMIN);
    const context = await newContext();
    const page = await context.newPage();
    page.setDefaultTimeout(STEP_TIMEOUT_MS);
    // Trucks reporting meanwhile: the map's list has vehicles, and those without a pass raise
    // alarms for the alarm centre.
    const sim = start('sim-k', [
      'sim',
      '--server',
      `127.0.0.1:${jt808Port}`,
      '--auth-codes',
      simAuthCodes(),
      '--terminals',
      '8',
      '--seconds',
      '90',
      '--rate',
      '1',
    ]).child;
    sim.stdout.resume();
    try {
      await login(page, ADMIN);

      await step(page, 'map-search', async () => {
        await page.goto(`${baseUrl}/#/map`);
        await page.locator('[data-testid="map"][data-layers="ready"]').waitFor();
        await page.waitForFunction(
          () =>
            document.querySelectorAll(
              '[data-testid="map-vehicle-row"][data-plate]:not([data-plate=""])',
            ).length >= 2,
          null,
          { timeout: 45_000, polling: 500 },
        );
        const rows = page.getByTestId('map-vehicle-row');
        const before = await rows.evaluateAll((all) =>
          all.map((r) => ({ plate: r.dataset.plate, terminal: r.dataset.terminal })),
        );
        const target = before.find((r) => r.plate);
        // Plates show on the markers as labels (text).
        await page
          .locator('[data-testid="map"] .leaflet-tooltip.plate-label', { hasText: target.plate })
          .first()
          .waitFor();
        await shot(page, 'map-list');
        // Typing the plate narrows the list to the vehicles whose plate holds it.
        await page.getByTestId('map-search').fill(target.plate);
        const expected = before.filter((r) => (r.plate ?? '').includes(target.plate)).length;
        await page.waitForFunction(
          ([plate, n]) => {
            const shown = [...document.querySelectorAll('[data-testid="map-vehicle-row"]')];
            return shown.length === n && shown.every((r) => r.dataset.plate.includes(plate));
          },
          [target.plate, expected],
        );
        assert.ok(expected < before.length, 'the list narrowed');
        // A click on the row centres the map on the vehicle and opens its panel.
        await page
          .locator(`[data-testid="map-vehicle-row"][data-terminal="${target.terminal}"]`)
          .click();
        await page
          .locator(
            `[data-testid="vehicle-panel"][data-terminal="${target.terminal}"][data-state="ready"]`,
          )
          .waitFor();
        assert.equal(
          (await page.getByTestId('vehicle-panel-plate').textContent()).trim(),
          target.plate,
        );
        const { center, vehicle } = await page.evaluate((terminal) => {
          const hook = window.__baotongMap;
          return {
            center: hook.center(),
            vehicle: hook.positions().find((p) => p.terminal === terminal),
          };
        }, target.terminal);
        // Centred where the vehicle was when clicked (it may have moved a little since).
        assert.ok(
          Math.abs(center[0] - vehicle.lat) < 0.02 && Math.abs(center[1] - vehicle.lon) < 0.02,
          `centred on ${JSON.stringify(vehicle)}: ${center}`,
        );
        await shot(page, 'map-search-selected');
      });

      await step(page, 'alarms-bulk', async () => {
        await page.goto(`${baseUrl}/#/alarms?status=raised`);
        await page.locator('[data-testid="alarms-table"][data-state="ready"]').waitFor();
        const raised = '[data-testid="alarm-row"][data-status="raised"]';
        for (let tries = 0; (await page.locator(raised).count()) < 2 && tries < 30; tries++) {
          await page.waitForTimeout(2000);
          await page.reload();
          await page.locator('[data-testid="alarms-table"][data-state="ready"]').waitFor();
        }
        const ids = await page
          .locator(raised)
          .evaluateAll((all) => all.slice(0, 2).map((r) => Number(r.dataset.id)));
        assert.equal(ids.length, 2, 'two raised alarms to acknowledge');
        for (const id of ids) {
          await page
            .locator(`[data-testid="alarm-row"][data-id="${id}"] [data-testid="alarm-select"]`)
            .check();
        }
        assert.equal(await page.getByTestId('alarms-selected').getAttribute('data-count'), '2');
        await page.getByTestId('alarms-bulk-action').selectOption('acknowledge');
        await page.getByTestId('alarms-bulk-note').fill('批量确认：已电话联系驾驶员');
        await shot(page, 'alarms-bulk-selected');
        await page.getByTestId('alarms-bulk-apply').click();
        await page
          .locator('[data-testid="alarms-bulk-result"][data-succeeded="2"][data-failed="0"]')
          .waitFor();
        // Both show acknowledged, each with the one comment.
        await page.goto(`${baseUrl}/#/alarms?status=acknowledged`);
        for (const id of ids) {
          await page
            .locator(`[data-testid="alarm-row"][data-id="${id}"][data-status="acknowledged"]`)
            .waitFor();
          const detail = await getJson(page, `/api/alarms/${id}`);
          assert.equal(detail.alarm.status, 'acknowledged');
          assert.ok(
            detail.steps.some((s) => String(s.note ?? '').includes('已电话联系驾驶员')),
            `alarm ${id}'s step carries the comment: ${JSON.stringify(detail.steps)}`,
          );
        }
        await shot(page, 'alarms-bulk-acknowledged');
      });

      await step(page, 'review-batch', async () => {
        // Two applications that wait for review: a new carrier's vehicles and drivers, the
        // drivers without a health record (health.missing sends them to review).
        const suffix = String(Date.now() % 1_000_000).padStart(6, '0');
        const credit = creditCode(`91210300BT${suffix.slice(0, 5)}Q${suffix.slice(5)}`);
        const plates = [`辽CK${suffix.slice(2, 6)}`, `辽CM${suffix.slice(2, 6)}`];
        const drivers = [
          idNumber(`21030219820202${suffix.slice(0, 3)}`),
          idNumber(`21030219830303${suffix.slice(0, 3)}`),
        ];
        await importJson(adminToken, 'carriers', [
          {
            credit_code: credit,
            name: '鞍钢物流批量审核测试公司',
            district: DISTRICT.district,
            business_permit_valid_until: '2030-12-31',
            contact_phone: '0412-5550001',
          },
        ]);
        await importJson(
          adminToken,
          'vehicles',
          plates.map((plate) => ({
            plate,
            plate_color: 2,
            vehicle_class: 'truck',
            carrier_credit_code: credit,
            transport_cert_valid_until: '2030-12-31',
            insurance_valid_until: '2030-12-31',
          })),
        );
        await importJson(
          adminToken,
          'drivers',
          drivers.map((id_number, i) => ({
            id_number,
            name: ['王建国', '李卫东'][i],
            phone: `1390000008${i}`,
            licence_class: 'B2',
            licence_valid_until: '2035-12-31',
            qualification_category: '道路货物运输驾驶员',
            qualification_valid_until: '2035-12-31',
            carrier_credit_code: credit,
          })),
        );
        const site = itemsOf(await apiGetOk(adminToken, '/api/registry/sites?limit=1'))[0];
        const [lat, lon] = (await apiGetOk(adminToken, '/api/ui-config')).center ?? [41.11, 122.99];
        const now = Date.now();
        const ids = [];
        for (let i = 0; i < 2; i++) {
          const applied = await apiCall('/api/passes', {
            token: adminToken,
            method: 'POST',
            body: {
              kind: 'trip',
              plate: plates[i],
              plate_color: 2,
              carrier_credit_code: credit,
              driver_id_numbers: [drivers[i]],
              cargo: { category: '生活物资', name: '大米', weight_kg: 8000, dangerous: false },
              origin: '沈阳市于洪区',
              destination_site_codes: [site.code],
              waypoints: [
                [lat, lon],
                [lat + 0.01, lon + 0.01],
              ],
              entry_from_ms: now,
              entry_until_ms: now + 6 * 3600 * 1000,
              planned_exit_ms: now + 5 * 3600 * 1000,
            },
          });
          assert.equal(applied.status, 201, `apply: ${applied.text}`);
          assert.equal(applied.body.status, 'pending_review', `pending: ${applied.text}`);
          ids.push(applied.body.id);
        }
        await page.goto(`${baseUrl}/#/review`);
        await page.locator('[data-testid="review-list"][data-state="ready"]').waitFor();
        const row = (id) => page.locator(`[data-testid="review-item"][data-id="${id}"]`);
        for (const id of ids) await row(id).waitFor();
        // The rows link to the vehicle's and the driver's records.
        assert.equal(
          await row(ids[0]).getByTestId('review-vehicle-link').getAttribute('href'),
          `#/registry/vehicles/${encodeURIComponent(`${plates[0]}-2`)}`,
        );
        assert.match(
          await row(ids[0]).getByTestId('review-driver-link').getAttribute('href'),
          /^#\/registry\/drivers\/.+/,
        );
        // Filtered by the check that sent them here, both stay listed.
        const codes = (await row(ids[0]).getAttribute('data-checks')).split(' ');
        assert.ok(codes.length > 0 && codes[0], 'the row names its checks');
        await page.getByTestId('review-check-filter').selectOption(codes[0]);
        for (const id of ids) await row(id).waitFor();
        const listed = await page
          .getByTestId('review-item')
          .evaluateAll(
            (all, code) => all.every((r) => r.dataset.checks.split(' ').includes(code)),
            codes[0],
          );
        assert.ok(listed, `every row listed under ${codes[0]} has that check`);
        for (const id of ids) await row(id).getByTestId('review-select').check();
        assert.equal(await page.getByTestId('review-selected').getAttribute('data-count'), '2');
        await page.getByTestId('review-bulk-note').fill('材料齐全，批量同意');
        await shot(page, 'review-batch-selected');
        await page.getByTestId('review-bulk-approve').click();
        await page
          .locator('[data-testid="review-bulk-result"][data-succeeded="2"][data-failed="0"]')
          .waitFor();
        for (const id of ids) {
          await row(id).waitFor({ state: 'detached' });
          const pass = await apiGetOk(adminToken, `/api/passes/${id}`);
          assert.equal(pass.status, 'approved');
          assert.equal(pass.review?.comment, '材料齐全，批量同意');
        }
        await shot(page, 'review-batch-approved');
        // The vehicle link opens its record.
        await page.goto(`${baseUrl}/#/review?tab=approved`);
        await row(ids[0]).getByTestId('review-vehicle-link').click();
        await page.locator('[data-testid="record-detail"][data-state="ready"]').waitFor();
      });

      await step(page, 'every-page', async () => {
        // Every page of the admin's menu, and the pages reached from them.
        await page.goto(`${baseUrl}/#/map`);
        await page.getByTestId('sidebar').waitFor();
        const routes = await page
          .locator('[data-testid="sidebar"] a[href^="#/"]')
          .evaluateAll((links) => [...new Set(links.map((a) => a.getAttribute('href')))]);
        const passId = itemsOf(await apiGetOk(adminToken, '/api/passes?limit=1'))[0]?.id;
        const alarmId = itemsOf(await apiGetOk(adminToken, '/api/alarms?limit=1'))[0]?.id;
        const vehicle = itemsOf(await apiGetOk(adminToken, '/api/registry/vehicles?limit=1'))[0];
        routes.push(
          '#/review?tab=approved',
          '#/investigate/vehicle',
          '#/zones/rules',
          '#/account',
          '#/checkpoint',
          passId ? `#/passes/${passId}` : null,
          alarmId ? `#/alarms/${alarmId}` : null,
          vehicle
            ? `#/registry/vehicles/${encodeURIComponent(`${vehicle.plate}-${vehicle.plate_color}`)}`
            : null,
        );
        const shotsBefore = shotNumber;
        for (const route of [...new Set(routes.filter(Boolean))]) {
          await page.goto(`${baseUrl}/${route}`);
          // The big screen (总览) hides the menu: its own frame stands for it (the first visible
          // one: the hidden sidebar comes first in the page, and .first() alone waits for it).
          await page
            .locator('[data-testid="sidebar"]:visible, [data-testid="overview"]:visible')
            .first()
            .waitFor();
          // Ready: nothing on the page still loading, and a moment for maps and charts to draw.
          await page
            .waitForFunction(
              () => document.querySelectorAll('[data-state="loading"]').length === 0,
              null,
              { timeout: 10_000 },
            )
            .catch(() => {});
          await page.waitForTimeout(800);
          const name = route
            .slice(2)
            .replace(/[^A-Za-z0-9-]+/g, '-')
            .replace(/-+$/, '');
          await shot(page, `page-${name || 'home'}`);
        }
        // And the sign-in page, signed out.
        const signedOut = await newContext();
        const signIn = await signedOut.newPage();
        await signIn.goto(`${baseUrl}/#/login`);
        await signIn.getByTestId('login-form').waitFor();
        await shot(signIn, 'page-login');
        await signedOut.close();
        assert.ok(shotNumber - shotsBefore >= 15, `${shotNumber - shotsBefore} pages captured`);
      });
    } finally {
      await stop(sim);
      await context.close();
    }
  },
);

// Scenario l (issue 14): a routes file and its features, in WGS-84 near Anshan's centre.
const geoRoute = (code, name, coordinates, properties = {}) => ({
  type: 'Feature',
  properties: { code, name, corridor_m: 300, hazardous: '否', ...properties },
  geometry: { type: 'LineString', coordinates },
});

test(
  'l. 地理数据: a GeoJSON routes file previewed (a bad one shows its errors) and imported, a route drawn on the map with its corridor and saved, each new version in the layer table',
  { timeout: 120_000 },
  async () => {
    const context = await newContext();
    const page = await context.newPage();
    page.setDefaultTimeout(STEP_TIMEOUT_MS);
    const dialogs = [];
    page.on('dialog', (dialog) => {
      dialogs.push(dialog.message());
      void dialog.accept();
    });
    const routesRow = page.locator('[data-testid="geo-layer-row"][data-kind="routes"]');
    const routesVersion = async () => Number(await routesRow.getAttribute('data-version'));
    const storedRoute = async (code) =>
      (await getJson(page, '/api/geo/layers/routes')).features.find(
        (f) => f.properties.code === code,
      );
    const writeFile = (name, features) => {
      const file = path.join(dataDir, name);
      fs.writeFileSync(file, JSON.stringify({ type: 'FeatureCollection', features }));
      return file;
    };
    const goodFile = writeFile('freight-routes.geojson', [
      geoRoute('GEO-T1', '测试货运路线一', [
        [122.98, 41.1],
        [123.0, 41.11],
        [123.02, 41.115],
      ]),
      geoRoute(
        'GEO-T2',
        '测试货运路线二',
        [
          [122.97, 41.12],
          [122.99, 41.13],
        ],
        { corridor_m: 150, hazardous: '是' },
      ),
    ]);
    const badFile = writeFile('freight-routes-bad.geojson', [
      geoRoute('GEO-B1', '正常路线', [
        [122.98, 41.1],
        [123.0, 41.11],
      ]),
      geoRoute(
        'GEO-B2',
        '走廊过宽',
        [
          [122.98, 41.1],
          [123.0, 41.11],
        ],
        { corridor_m: 9000 },
      ),
    ]);
    try {
      await login(page, ADMIN);
      let version = 0;

      await step(page, 'geo-open', async () => {
        await page.getByTestId('nav-geography').click();
        await page.locator('[data-testid="geo-layers-table"][data-state="ready"]').waitFor();
        await page.locator('[data-testid="geo-edit-map"][data-state="ready"]').waitFor();
        assert.equal(await page.locator('[data-testid="geo-layer-row"]').count(), 8);
        version = await routesVersion();
        // A layer's history on demand.
        await routesRow.getByTestId('geo-history-toggle').click();
        await page
          .locator('[data-testid="geo-history"][data-kind="routes"] [data-testid="geo-versions"]')
          .waitFor();
        await shot(page, 'geo-layers');
      });

      await step(page, 'geo-preview-errors', async () => {
        await page.getByTestId('geo-import-kind').selectOption('routes');
        await page.getByTestId('geo-import-file').setInputFiles(badFile);
        await page.getByTestId('geo-preview').click();
        await page
          .locator('[data-testid="geo-preview-summary"][data-valid="1"][data-errors="1"]')
          .waitFor();
        const row = page.locator('[data-testid="geo-preview-errors-row"]');
        assert.equal(await row.getAttribute('data-feature'), '2');
        const message = await row.locator('td').nth(1).textContent();
        assert.match(message, /走廊宽度/);
        assert.doesNotMatch(message, /[A-Za-z]{4,}/, `Chinese only: ${message}`);
        assert.ok(await page.getByTestId('geo-import').isDisabled(), 'no import with errors');
        await shot(page, 'geo-preview-errors');
      });

      await step(page, 'geo-preview', async () => {
        await page.getByTestId('geo-import-file').setInputFiles(goodFile);
        await page.getByTestId('geo-import-datum').selectOption('wgs84');
        await page.getByTestId('geo-preview').click();
        await page
          .locator('[data-testid="geo-preview-summary"][data-valid="2"][data-errors="0"]')
          .waitFor();
        await page.locator('[data-testid="geo-preview-map"][data-features="2"]').waitFor();
        assert.match(await page.getByTestId('geo-preview-fields').textContent(), /code/);
        await page.getByTestId('geo-preview-map').scrollIntoViewIfNeeded();
        await shot(page, 'geo-preview');
      });

      await step(page, 'geo-import', async () => {
        await page.getByTestId('geo-import').click();
        await page.getByTestId('geo-import-done').waitFor();
        assert.match(dialogs.at(-1) ?? '', /货运通行路线/);
        version += 1;
        assert.equal(
          await page.getByTestId('geo-import-result').getAttribute('data-version'),
          String(version),
        );
        await page
          .locator(`[data-testid="geo-layer-row"][data-kind="routes"][data-version="${version}"]`)
          .waitFor();
        const stored = await storedRoute('GEO-T2');
        assert.equal(stored?.properties.corridor_m, 150);
        assert.equal(stored?.properties.hazardous, true);
        await shot(page, 'geo-imported');
      });

      await step(page, 'geo-draw', async () => {
        await page.getByTestId('geo-edit-kind').selectOption('routes');
        const map = page.getByTestId('geo-edit-map');
        await map.scrollIntoViewIfNeeded();
        await page.getByTestId('geo-draw').click();
        for (const [x, y] of [
          [160, 180],
          [300, 260],
          [460, 240],
        ]) {
          await map.click({ position: { x, y } });
        }
        assert.match(await page.getByTestId('geo-draw-hint').textContent(), /3/);
        await page.getByTestId('geo-draw-finish').click();
        assert.equal(
          await page.getByTestId('geo-feature-geometry').getAttribute('data-type'),
          'line',
        );
        await page.getByTestId('geo-feature-code').fill('GEO-D1');
        await page.getByTestId('geo-feature-name').fill('画出的货运路线');
        await page.getByTestId('geo-feature-corridor').fill('350');
        await page.getByTestId('geo-feature-hazardous').check();
        await shot(page, 'geo-drawn');
        await page.getByTestId('geo-feature-save').click();
        await page.getByTestId('geo-feature-saved').waitFor();
        version += 1;
        assert.equal(
          await page.getByTestId('geo-feature-saved').getAttribute('data-version'),
          String(version),
        );
        const stored = await storedRoute('GEO-D1');
        assert.equal(stored?.geometry.type, 'LineString');
        assert.equal(stored?.geometry.coordinates.length, 3);
        assert.equal(stored?.properties.corridor_m, 350);
        assert.equal(stored?.properties.hazardous, true);
        await shot(page, 'geo-saved');
      });

      await step(page, 'geo-checkpoint', async () => {
        // A checkpoint placed on the map: its camera key is shown once, with the warning.
        await page.getByTestId('geo-edit-kind').selectOption('checkpoints');
        await page.locator('[data-testid="geo-edit-map"][data-kind="checkpoints"]').waitFor();
        await page.getByTestId('geo-draw').click();
        await page.getByTestId('geo-edit-map').click({ position: { x: 380, y: 320 } });
        assert.equal(
          await page.getByTestId('geo-feature-geometry').getAttribute('data-type'),
          'point',
        );
        await page.getByTestId('geo-feature-code').fill('GEO-K1');
        await page.getByTestId('geo-feature-name').fill('测试出城卡口');
        await page.getByTestId('geo-feature-direction').selectOption('out');
        await page.getByTestId('geo-feature-save').click();
        await page.getByTestId('geo-feature-saved').waitFor();
        const keys = page.getByTestId('geo-checkpoint-keys');
        await keys.waitFor();
        assert.match(await keys.textContent(), /复制/);
        assert.ok((await keys.getByTestId('geo-key').first().textContent()).trim().length >= 16);
        const stored = (await getJson(page, '/api/geo/layers/checkpoints')).features.find(
          (f) => f.properties.code === 'GEO-K1',
        );
        assert.equal(stored?.properties.direction, 'out');
        await shot(page, 'geo-checkpoint-key');
      });

      await step(page, 'geo-version', async () => {
        const row = page.locator(
          `[data-testid="geo-layer-row"][data-kind="routes"][data-version="${version}"]`,
        );
        await row.waitFor();
        assert.match(await row.textContent(), /admin/);
        await row.scrollIntoViewIfNeeded();
        await shot(page, 'geo-layer-version');
      });
    } finally {
      await context.close();
    }
  },
);

test(
  'm. issue 14: the big screen fills a 1920×1080 wall without scrolling; the vehicle panel shows place and time, replays the track and opens its alarms',
  { timeout: 240_000 },
  async () => {
    const sim = start('sim-m', [
      'sim',
      '--server',
      `127.0.0.1:${jt808Port}`,
      '--auth-codes',
      simAuthCodes(),
      '--terminals',
      '4',
      '--seconds',
      '90',
      '--rate',
      '1',
    ]).child;
    sim.stdout.resume();
    const wall = await newContext({ viewport: { width: 1920, height: 1080 } });
    const context = await newContext();
    try {
      const screen = await wall.newPage();
      screen.setDefaultTimeout(STEP_TIMEOUT_MS);
      await login(screen, ADMIN);
      await step(screen, 'overview-wall', async () => {
        await screen.goto(`${baseUrl}/#/overview`);
        await screen.locator('[data-testid="ov-counters"][data-state="ready"]').waitFor();
        for (const id of ['ov-in-city', 'ov-entered', 'ov-exited', 'ov-online']) {
          await screen.waitForFunction(
            (testid) =>
              /^\d+$/.test(
                document.querySelector(`[data-testid="${testid}-value"]`)?.textContent ?? '',
              ),
            id,
          );
        }
        assert.match(await screen.getByTestId('ov-alarms').getAttribute('data-total'), /^\d+$/);
        await screen.waitForFunction(
          () => Number(document.querySelector('[data-testid="ov-map"]')?.dataset.markers ?? 0) > 0,
          null,
          { timeout: 45_000, polling: 500 },
        );
        const size = await screen.evaluate(() => ({
          scrollHeight: document.scrollingElement.scrollHeight,
          scrollWidth: document.scrollingElement.scrollWidth,
          map: document.querySelector('[data-testid="ov-map"]').getBoundingClientRect().height,
        }));
        assert.ok(size.scrollHeight <= 1080, `no vertical scroll (${size.scrollHeight})`);
        assert.ok(size.scrollWidth <= 1920, `no horizontal scroll (${size.scrollWidth})`);
        assert.ok(size.map > 500, `the map fills the wall (${size.map} px)`);
        await shot(screen, 'overview-1920x1080');
      });

      const page = await context.newPage();
      page.setDefaultTimeout(STEP_TIMEOUT_MS);
      await login(page, ADMIN);
      await step(page, 'vehicle-panel', async () => {
        await page.goto(`${baseUrl}/#/map`);
        await page.locator('[data-testid="map"][data-layers="ready"]').waitFor();
        await page.waitForFunction(
          () =>
            document.querySelectorAll(
              '[data-testid="map-vehicle-row"][data-plate]:not([data-plate=""])',
            ).length >= 1,
          null,
          { timeout: 45_000, polling: 500 },
        );
        const row = page.locator(
          '[data-testid="map-vehicle-row"][data-plate]:not([data-plate=""])',
        );
        const plate = await row.first().getAttribute('data-plate');
        const terminal = await row.first().getAttribute('data-terminal');
        await row.first().click();
        await page
          .locator(`[data-testid="vehicle-panel"][data-terminal="${terminal}"][data-state="ready"]`)
          .waitFor();
        assert.ok((await page.getByTestId('vehicle-panel-place').textContent()).trim().length > 1);
        assert.match(await page.getByTestId('vehicle-panel-time').textContent(), /\d{2}:\d{2}/);
        assert.ok((await page.getByTestId('vehicle-panel-company').textContent()).trim());
        // Replay: the stored track with a stated purpose, drawn on the map.
        await page.getByTestId('vehicle-replay-purpose').fill('实时监控：核查车辆行驶轨迹');
        await page.getByTestId('vehicle-replay').click();
        await page.locator('[data-testid="vehicle-replay-result"][data-points]').waitFor();
        assert.ok(
          Number(await page.getByTestId('vehicle-replay-result').getAttribute('data-points')) > 0,
        );
        assert.ok(
          (await page.locator('[data-testid="map"] path.leaflet-interactive').count()) > 0 ||
            (await page.locator('[data-testid="map"] canvas').count()) > 0,
        );
        await shot(page, 'vehicle-panel-replay');
        // Its alarms: the alarm centre filtered by its plate.
        await page.getByTestId('vehicle-panel-alarms-link').click();
        await page.waitForURL((url) => url.hash.startsWith('#/alarms?'));
        assert.equal(new URLSearchParams(page.url().split('?')[1]).get('plate'), plate);
        await page.waitForTimeout(1500);
        const plates = await page
          .getByTestId('alarm-row')
          .evaluateAll((rows) => rows.map((r) => r.dataset.plate));
        assert.ok(
          plates.every((p) => p === plate),
          `only ${plate}'s alarms: ${plates.join(',')}`,
        );
        await shot(page, 'vehicle-alarms');
      });
    } finally {
      await wall.close();
      await context.close();
      sim.kill('SIGTERM');
    }
  },
);
