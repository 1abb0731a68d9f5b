// The web interface on the gateway, in Debian's Chromium (headless, puppeteer-core): a
// `junction serve` engine on the tiny fixture model behind `junction serve --config` (SQLite
// store, two priced models, a reports folder holding a `junction compare` report of the
// hand-written results in tests/data/compare). The dashboard, driven by the keyboard where a
// person would type: the admin key opens it, a key is created and shown once, used through the
// API, and its spend and its request appear (the cost checked against the configured prices),
// provider health and the money audit show, it is topped up, its rpm changed, and it is disabled
// and then refused. The
// playground lists the gateway's catalogue with prices and context windows and chats with the
// new key. The reports page opens the comparison table first. Every page fits a 375px phone;
// no console errors. Screenshots: see tests/web/README.md.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { launchBrowser, shot, startJunction } from './support.mjs';

const here = path.dirname(new URL(import.meta.url).pathname);
const data = process.env.JUNCTION_TEST_DATA ?? path.join(here, '..', 'data');
const bin = process.env.JUNCTION_BIN;
const adminKey = 'web-admin';
// The configured prices, USD per million tokens: the expected cost is worked out from them.
const price = { input: 1.0, output: 2.0 };
const procs = [];
const consoleErrors = [];
let dir;
let gateway;
let browser;
let clientKey;  // the key the dashboard creates
let requestId;  // the request made with it
let expectedCost;

const start = (args) => startJunction(args, procs);

async function open(url, width = 1280, height = 900) {
  const page = await browser.newPage();
  await page.setViewport({ width, height });
  page.on('console', (m) => {
    // The playground's first load, before its key is typed, is refused: expected.
    if (m.type() === 'error' && !/status of 401/.test(m.text())) consoleErrors.push(m.text());
  });
  page.on('pageerror', (e) => consoleErrors.push(String(e)));
  page.on('dialog', (d) => d.accept());
  await page.goto(url, { waitUntil: 'networkidle0' });
  return page;
}

async function fitsPhone(page, what) {
  const w = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth }));
  assert.ok(w.scroll <= 375 && w.scroll <= w.client, `${what}: no horizontal scroll at 375px: ${JSON.stringify(w)}`);
}

const text = (page, selector) => page.$eval(selector, (e) => e.textContent);
const dollars = (s) => Number(s.replace(/^\$/, ''));

before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'junction-web-gateway-'));
  const reports = path.join(dir, 'reports');
  fs.mkdirSync(path.join(reports, 'results'), { recursive: true });
  const results = ['eval-alpha.json', 'eval-beta.json', 'bench-alpha.json', 'bench-beta.json']
    .map((f) => path.join(data, 'compare', f));
  execFileSync(bin, ['compare', ...results, '--html', path.join(reports, 'compare.html'), '--title', 'Seed comparison'],
    { stdio: ['ignore', 'ignore', 'inherit'] });
  fs.copyFileSync(results[0], path.join(reports, 'results', 'eval-alpha.json'));
  const older = new Date(Date.now() - 3600e3);
  fs.utimesSync(path.join(reports, 'results', 'eval-alpha.json'), older, older);

  const engine = await start(['serve', '--model', process.env.JUNCTION_MODEL_DIR, '--host', '127.0.0.1',
    '--port', '0', '--threads', '2', '--ctx-size', '4096', '--parallel', '2',
    '--served-model-name', 'engine-model', '--reports-dir', reports]);
  // junction serve publishes the same folder.
  const listed = await (await fetch(`${engine}/reports/`)).json();
  assert.deepEqual(listed.data.map((f) => f.path), ['compare.html', 'results/eval-alpha.json']);

  fs.writeFileSync(path.join(dir, 'gateway.yaml'), `listen: 127.0.0.1:0
admin_key: ${adminKey}
store: sqlite://${dir}/gateway.db
reports_dir: ${reports}
providers:
  - {name: engine, kind: local, base_url: "${engine}/v1"}
models:
  - name: tiny
    context_length: 4096
    price: {input_per_mtok: ${price.input}, output_per_mtok: ${price.output}}
    deployments: [{provider: engine, model: engine-model}]
  - name: tiny-premium
    context_length: 2048
    price: {input_per_mtok: 3, output_per_mtok: 15}
    deployments: [{provider: engine, model: engine-model}]
`);
  gateway = await start(['serve', '--config', path.join(dir, 'gateway.yaml')]);
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  for (const p of procs) p.kill('SIGTERM');
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

test('the dashboard creates a key, shows it once, and shows its request and spend', async () => {
  const page = await open(`${gateway}/#/dashboard`);
  // The keyboard: the admin key field, typed, Enter.
  await page.waitForSelector('.admin-key input[type=password]');
  await shot(page, 'desktop-dashboard-admin-key');
  await page.focus('.admin-key input[type=password]');
  await page.keyboard.type(adminKey);
  await page.keyboard.press('Enter');
  await page.waitForSelector('table.providers tbody tr');
  assert.match(await text(page, 'table.providers tbody tr'), /engine.*tiny.*closed/);
  assert.match(await text(page, '#audit-h + p'), /The ledger adds up/);

  const form = '.create-key';
  const field = (label) => `::-p-xpath(//form[contains(@class,"create-key")]//label[contains(., "${label}")]//input)`;
  await (await page.waitForSelector(field('Name'))).click();
  await page.keyboard.type('web-e2e');
  await (await page.$(field('Credits'))).click({ clickCount: 3 });
  await page.keyboard.press('Backspace');
  await page.keyboard.type('5');
  await (await page.$(field('Requests per minute'))).type('60');
  await page.keyboard.press('Enter');
  await page.waitForSelector('.new-key input.secret');
  clientKey = await page.$eval('.new-key input.secret', (e) => e.value);
  assert.match(clientKey, /^sk-jn-[0-9a-f]{48}$/);
  assert.equal(await page.$(form), null, 'the form gives way to the key while it is shown');
  await shot(page, 'desktop-dashboard-new-key');
  const keyId = (await text(page, '.new-key h3')).match(/key_[0-9a-f]+/)[0];
  const row = `tr[data-key="${keyId}"]`;
  await page.waitForSelector(row);
  assert.equal(await text(page, `${row} .credits`), '$5');
  await page.click('::-p-text(I have saved it)');
  assert.equal(await page.$('.new-key'), null);
  assert.equal(await page.evaluate((k) => document.body.textContent.includes(k), clientKey), false, 'shown once');

  // Used through the API, as a client would.
  const res = await fetch(`${gateway}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${clientKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'tiny', messages: [{ role: 'user', content: 'Hello' }], max_tokens: 16, temperature: 0 }),
  });
  assert.equal(res.status, 200);
  const answer = await res.json();
  requestId = answer.id;
  expectedCost = (answer.usage.prompt_tokens * price.input + answer.usage.completion_tokens * price.output) / 1e6;
  assert.ok(expectedCost > 0);

  // The dashboard polls: the request appears in the log with its cost, the key's balance drops.
  const logRow = `tr[data-request="${requestId}"]`;
  await page.waitForSelector(logRow, { timeout: 15000 });
  const cells = await page.$$eval(`${logRow} td`, (t) => t.map((c) => c.textContent));
  assert.equal(cells[2], keyId);
  assert.equal(cells[3], 'tiny');
  assert.equal(cells[4], 'engine');
  assert.equal(cells[5], 'ok 200');
  assert.ok(Math.abs(dollars(cells[7]) - expectedCost) <= expectedCost * 1e-4, `cost ${cells[7]} vs ${expectedCost}`);
  await page.waitForFunction((r) => document.querySelector(`${r} .credits`).textContent !== '$5', {}, row);
  assert.ok(Math.abs(dollars(await text(page, `${row} .credits`)) - (5 - expectedCost)) < 1e-5);
  // Spend by key: the table under the chart, and a bar in the chart.
  const totals = await page.$$eval('table.totals tbody tr', (r) => r.map((x) => [...x.children].map((c) => c.textContent)));
  const mine = totals.find((r) => r[0] === keyId);
  assert.ok(mine, `the key in the totals: ${JSON.stringify(totals)}`);
  assert.equal(mine[1], '1');
  assert.ok(Math.abs(dollars(mine[3]) - expectedCost) <= expectedCost * 1e-4);
  assert.ok((await page.$$('.chart svg rect')).length >= 1, 'a bar in the spend chart');
  assert.match(await page.$eval('.chart .legend', (e) => e.textContent), new RegExp(keyId));
  await shot(page, 'desktop-dashboard');

  // By model, in requests: the chart follows the selects.
  await page.select('::-p-xpath(//label[contains(., "By")]/select)', 'model');
  await page.select('::-p-xpath(//label[contains(., "Show")]/select)', 'requests');
  await page.waitForFunction(() => document.querySelector('table.totals thead th').textContent === 'model');
  assert.deepEqual(await page.$$eval('table.totals tbody tr td:first-child', (t) => t.map((c) => c.textContent)), ['tiny']);

  await page.setViewport({ width: 375, height: 800 });
  await fitsPhone(page, 'dashboard');
  await shot(page, 'phone-dashboard');
  await page.setViewport({ width: 1280, height: 900 });

  // Top up by the keyboard, then disable: the key is refused from then on.
  await page.focus(`${row} .top-up input`);
  await page.keyboard.type('2.5');
  await page.keyboard.press('Enter');
  await page.waitForFunction((r, v) => Math.abs(Number(document.querySelector(`${r} .credits`).textContent.slice(1)) - v) < 1e-5,
    {}, row, 7.5 - expectedCost);
  // Limits, changed in place: the row shows them.
  assert.equal(await page.$eval(`${row} td:nth-child(4)`, (e) => e.textContent), '60 / —');
  await page.click(`${row} details.limits summary`);
  const rpm = await page.$(`${row} details.limits ::-p-xpath(.//label[contains(., "RPM")]//input)`);
  await rpm.click({ clickCount: 3 });
  await page.keyboard.press('Backspace');
  await page.keyboard.type('30');
  await page.keyboard.press('Enter');
  await page.waitForFunction((r) => document.querySelector(`${r} td:nth-child(4)`).textContent === '30 / —', {}, row);
  await shot(page, 'desktop-dashboard-limits');
  await page.click(`${row} button.danger`);
  await page.waitForFunction((r) => document.querySelector(r).textContent.includes('disabled'), {}, row);
  const refused = await fetch(`${gateway}/v1/models`, { headers: { authorization: `Bearer ${clientKey}` } });
  assert.equal(refused.status, 401);
  await page.close();
});

test("the playground on the gateway: its catalogue with prices and context, a chat with a key", async () => {
  // A fresh key (the first was disabled), through the admin API.
  const made = await fetch(`${gateway}/admin/keys`, {
    method: 'POST',
    headers: { authorization: `Bearer ${adminKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'playground', credits: 1 }),
  });
  const { key } = await made.json();
  const page = await open(gateway);
  await page.waitForSelector('.banner');
  await page.click('header .settings-toggle');
  const keyField = await page.waitForSelector('::-p-xpath(//section[@class="settings"]//label[contains(., "API key")]//input)');
  await keyField.type(key);
  await page.waitForFunction(() => document.querySelectorAll('header select.model option').length === 2);
  assert.deepEqual(await page.$$eval('header select.model option', (o) => o.map((x) => x.value)), ['tiny', 'tiny-premium']);
  assert.equal(await text(page, '.model-facts'), 'tiny: context 4K · $1 in / $2 out per M tokens');
  await page.select('header select.model', 'tiny-premium');
  assert.equal(await text(page, '.model-facts'), 'tiny-premium: context 2K · $3 in / $15 out per M tokens');
  await page.select('header select.model', 'tiny');
  const maxTokens = await page.$('::-p-xpath(//section[@class="settings"]//label[contains(., "Max tokens")]//input)');
  await maxTokens.click({ clickCount: 3 });
  await page.keyboard.press('Backspace');
  await maxTokens.type('40');
  await page.click('header .settings-toggle');
  await page.click('#prompt');
  await page.keyboard.type('Hello through the gateway');
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => [...document.querySelectorAll('article.assistant')].pop()?.getAttribute('aria-busy') === 'false', { timeout: 60000 });
  assert.match(await page.$$eval('article.assistant .stats', (e) => e.pop().textContent), /first token .* tokens/);
  assert.equal(await page.$('article.assistant .error'), null);
  await shot(page, 'desktop-gateway-playground');
  await page.setViewport({ width: 375, height: 800 });
  await fitsPhone(page, 'playground');
  await shot(page, 'phone-gateway-playground');
  await page.close();
});

test('the reports page opens the comparison table first, and nothing outside the folder', async () => {
  const page = await open(`${gateway}/#/reports`);
  await page.waitForSelector('.report-list li');
  assert.deepEqual(await page.$$eval('.report-list li a', (a) => a.map((x) => x.textContent)), ['compare.html', 'results/eval-alpha.json']);
  const frameEl = await page.waitForSelector('.report-view iframe');
  assert.equal(await frameEl.evaluate((f) => f.getAttribute('src')), '/reports/compare.html');
  const frame = await frameEl.contentFrame();
  await frame.waitForSelector('table');
  // The seed comparison table: models as rows, quality, speed and memory as columns.
  const table = await frame.$eval('table', (t) => ({
    head: [...t.querySelectorAll('thead th')].map((h) => h.textContent),
    rows: [...t.querySelectorAll('tbody tr')].map((r) => r.querySelector('td, th').textContent),
  }));
  assert.equal(table.head[0], 'Model');
  assert.ok(table.head.some((h) => /MMLU/.test(h)) && table.head.some((h) => /Throughput/.test(h)) && table.head.some((h) => /Memory/.test(h)),
    JSON.stringify(table.head));
  assert.deepEqual(table.rows.map((r) => r.trim()), ['alpha-8b', 'beta-7b']);
  // The frame runs in an opaque origin: it cannot read the page's storage (the keys).
  assert.equal(await frame.evaluate(() => { try { return String(localStorage.length); } catch { return 'denied'; } }), 'denied');
  await shot(page, 'desktop-reports');
  await page.setViewport({ width: 375, height: 800 });
  await fitsPhone(page, 'reports');
  await shot(page, 'phone-reports');
  await page.setViewport({ width: 1280, height: 900 });

  await page.click('::-p-text(results/eval-alpha.json)');
  await page.waitForFunction(() => document.querySelector('.report-view iframe').getAttribute('src') === '/reports/results/eval-alpha.json');
  for (const p of ['/reports/..%2Fgateway.yaml', '/reports/../gateway.yaml', '/reports/%2e%2e/gateway.db', '/reports/results/..%2F..%2Fgateway.yaml']) {
    const r = await fetch(gateway + p);
    assert.equal(r.status, 404, p);
    assert.doesNotMatch(await r.text(), /admin_key/, p);
  }
  await page.close();
});

test('no console errors on any page', () => {
  assert.deepEqual(consoleErrors, []);
});
