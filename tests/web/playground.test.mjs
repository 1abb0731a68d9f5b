// The playground in Debian's Chromium (headless, puppeteer-core, no browser download) against
// `junction serve` on the tiny fixture model: the key field unlocks a keyed server, a chat
// streams its tokens into the page, Stop ends the request on the server (its metrics count a
// cancelled request and nothing running), hostile Markdown renders inert, the page fits a
// 375px phone without horizontal scroll, and with a template that opens <think> the reasoning
// shows apart, open while it streams and folded after. No console errors. Screenshots of each
// state go to $JUNCTION_WEB_SCREENSHOTS (see tests/web/README.md).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';

import { launchBrowser, shot, startJunction } from './support.mjs';

const here = path.dirname(new URL(import.meta.url).pathname);
const key = 'web-key';
const servers = [];
let keyed;  // default template, API key
let thinker;  // a template whose generation prompt opens <think>, no key
let browser;
const consoleErrors = [];

function serve(extra) {
  return startJunction([
    'serve', '--model', process.env.JUNCTION_MODEL_DIR, '--host', '127.0.0.1', '--port', '0',
    '--threads', '2', '--ctx-size', '4096', '--parallel', '2', ...extra,
  ], servers);
}

async function metric(base, name, labels = '') {
  const text = await (await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${key}` } })).text();
  const line = text.split('\n').find((l) => l.startsWith(name + '{') && l.includes(labels));
  return line ? Number(line.split(' ').pop()) : 0;
}

async function open(base, width = 1280, height = 800) {
  const page = await browser.newPage();
  await page.setViewport({ width, height });
  page.on('console', (m) => {
    // The first load of a keyed server, before the key is typed, is refused: that is the test.
    if (m.type() === 'error' && !/status of 401/.test(m.text())) consoleErrors.push(m.text());
  });
  page.on('pageerror', (e) => consoleErrors.push(String(e)));
  // Records, at every change of the page, the last answer's text length while it streams and
  // whether its reasoning block is open.
  await page.evaluateOnNewDocument(() => {
    window.seen = [];
    new MutationObserver(() => {
      const a = [...document.querySelectorAll('article.assistant')].pop();
      if (!a || a.getAttribute('aria-busy') !== 'true') return;
      const r = a.querySelector('details.reasoning');
      window.seen.push({ length: a.textContent.length, reasoningOpen: r ? r.open : null });
    }).observe(document, { subtree: true, childList: true, characterData: true, attributes: true });
  });
  await page.goto(base, { waitUntil: 'networkidle0' });
  return page;
}

async function settings(page, fields) {
  if (!(await page.$('.settings'))) await page.click('header .settings-toggle');
  for (const [label, value] of Object.entries(fields)) {
    const input = await page.waitForSelector(`::-p-xpath(//section[@class="settings"]//label[contains(., "${label}")]//*[self::input or self::textarea])`);
    await input.click({ clickCount: 3 });
    await page.keyboard.press('Backspace');
    await input.type(String(value));
  }
}

// Sends `text` with the keyboard; resolves once its answer has appeared (it may have ended).
async function ask(page, text) {
  const before = await page.$$eval('article.assistant', (a) => a.length);
  await page.click('#prompt');
  await page.keyboard.type(text);
  await page.keyboard.press('Enter');
  await page.waitForFunction((n) => document.querySelectorAll('article.assistant').length > n, {}, before);
}

// Until the last answer has ended.
const idle = (page) => page.waitForFunction(
  () => [...document.querySelectorAll('article.assistant')].pop()?.getAttribute('aria-busy') === 'false',
  { timeout: 60000 });

before(async () => {
  const template = path.join(here, '..', 'e2e', 'data', 'think_template.jinja');
  [keyed, thinker] = await Promise.all([
    serve(['--api-key', key, '--served-model-name', 'web-model']),
    serve(['--served-model-name', 'thinker', '--chat-template', template]),
  ]);
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  for (const s of servers) s.kill('SIGTERM');
});

test('the key unlocks a keyed server, and an answer streams in token by token', async () => {
  const page = await open(keyed);
  await page.waitForSelector('.banner');
  assert.match(await page.$eval('.banner', (e) => e.textContent), /401.*API key/);
  await settings(page, { 'API key': key, Temperature: 0, 'Max tokens': 300, 'More request fields': '{"ignore_eos": true}' });
  await page.waitForFunction(() => document.querySelector('header .model').value === 'web-model');
  assert.equal(await page.$('.banner'), null);
  // The engine lists its context window (max_model_len), and no prices.
  assert.equal(await page.$eval('.model-facts', (e) => e.textContent), 'web-model: context 4K');
  await shot(page, 'desktop-settings');

  await ask(page, 'Hello! Who are you?');
  await idle(page);
  const lengths = new Set((await page.evaluate(() => window.seen)).map((s) => s.length).filter((n) => n > 0));
  // 300 tokens take the tiny model about half a second: the page shows many states of it.
  assert.ok(lengths.size >= 3, `the answer grew while streaming (lengths seen: ${[...lengths]})`);
  const stats = await page.$$eval('article.assistant .stats', (e) => e.pop().textContent);
  assert.match(stats, /first token \d+\.\d+ s · \d+\.\d tokens\/s · 300 tokens · length/);
  await shot(page, 'desktop-chat');

  // A forced tool call (the server constrains it to the schema) is shown as the model wrote it.
  const tools = [{ type: 'function', function: { name: 'get_weather', parameters: { type: 'object',
    properties: { city: { type: 'string', maxLength: 12 } }, required: ['city'] } } }];
  await settings(page, { 'Max tokens': 60, 'More request fields': JSON.stringify({
    tools, tool_choice: { type: 'function', function: { name: 'get_weather' } } }) });
  await ask(page, 'Weather in Paris?');
  await idle(page);
  const call = await page.$$eval('article.assistant', (a) => {
    const t = a.pop().querySelector('.tool-call');
    return t && { name: t.querySelector('code').textContent, args: t.querySelector('pre').textContent };
  });
  assert.ok(call, 'a tool call is shown');
  assert.equal(call.name, 'get_weather');
  assert.equal(typeof JSON.parse(call.args).city, 'string');
  await shot(page, 'desktop-tool-call');
  await page.close();
});

test('Stop aborts the request and the server cancels it', async () => {
  const page = await open(keyed);
  await settings(page, { 'Max tokens': 3500, 'More request fields': '{"ignore_eos": true}' });
  const cancelled = await metric(keyed, 'vllm:request_success_total', 'finished_reason="abort"');
  await ask(page, 'Tell me a very long story.');
  await page.waitForFunction(() => [...document.querySelectorAll('article.assistant')].pop().textContent.length > 20);
  await page.click('button.stop');
  await idle(page);
  assert.match(await page.$$eval('article.assistant .stats', (e) => e.pop().textContent), /stopped/);
  assert.ok(await page.$('button.send'), 'Send is back');
  let now = cancelled;
  let running = -1;
  for (let i = 0; i < 100 && (now === cancelled || running !== 0); i++) {
    await new Promise((r) => setTimeout(r, 50));
    now = await metric(keyed, 'vllm:request_success_total', 'finished_reason="abort"');
    running = await metric(keyed, 'vllm:num_requests_running');
  }
  assert.equal(now, cancelled + 1, 'the server counted one more cancelled request');
  assert.equal(running, 0);
  await page.close();
});

const hostile = [
  '**bold** and `code`',
  '<img src=x onerror="window.pwned=1"> <script>window.pwned=2</script>',
  '[click](javascript:window.pwned=3) <a href="javascript:window.pwned=4">raw</a>',
  '![remote](http://203.0.113.1/leak.png)',
  '```\n' + 'x'.repeat(400) + '\n```',
  '```python\ndef f(x):\n    return "<b>" + x  # comment\n```',
  '```html\n<script>window.pwned=5</script><img src=y onerror="window.pwned=6">\n```',
  'a'.repeat(300),
].join('\n\n');

test('hostile Markdown renders inert, and the page fits a phone', async () => {
  const page = await open(keyed);
  await page.evaluate((content) => {
    localStorage.setItem('junction.conversations', JSON.stringify([{
      id: 'seeded', title: 'Seeded', messages: [
        { role: 'user', content: 'Show me markdown' },
        { role: 'assistant', content, reasoning: '', stats: {} },
      ],
    }]));
  }, hostile);
  await page.reload({ waitUntil: 'networkidle0' });
  const md = await page.$eval('article.assistant .markdown', (e) => ({
    strong: e.querySelector('strong')?.textContent,
    code: e.querySelector('code')?.textContent,
    scripts: e.querySelectorAll('script').length,
    handlers: [...e.querySelectorAll('*')].filter((n) => [...n.attributes].some((a) => a.name.startsWith('on'))).length,
    jsLinks: [...e.querySelectorAll('a')].filter((a) => /^\s*javascript:/i.test(a.getAttribute('href') ?? '')).length,
    images: e.querySelectorAll('img').length,
    keyword: e.querySelector('code.language-python .hljs-keyword')?.textContent,
    pyString: e.querySelector('code.language-python .hljs-string')?.textContent,
    html: e.querySelector('code.language-xml, code.language-html')?.textContent,
    imageLink: [...e.querySelectorAll('a')].find((a) => a.textContent === 'image: remote')?.getAttribute('href'),
    text: e.textContent,
  }));
  assert.equal(md.strong, 'bold');
  assert.equal(md.code, 'code');
  assert.equal(md.scripts, 0);
  assert.equal(md.handlers, 0);
  assert.equal(md.jsLinks, 0);
  assert.equal(md.images, 0, 'no image is fetched');
  assert.equal(md.keyword, 'def', 'code is highlighted');
  assert.equal(md.pyString, '"<b>"');
  assert.equal(md.html, '<script>window.pwned=5</script><img src=y onerror="window.pwned=6">', 'highlighted HTML is text');
  assert.equal(md.imageLink, 'http://203.0.113.1/leak.png');
  assert.match(md.text, /<script>window\.pwned=2<\/script>/, 'raw HTML shows as text');
  await new Promise((r) => setTimeout(r, 200));
  assert.equal(await page.evaluate(() => window.pwned), undefined);
  await shot(page, 'desktop-markdown');

  await page.setViewport({ width: 375, height: 740 });
  await page.reload({ waitUntil: 'networkidle0' });
  const width = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth }));
  assert.ok(width.scroll <= 375 && width.scroll <= width.client, `no horizontal scroll at 375px: ${JSON.stringify(width)}`);
  await shot(page, 'phone-markdown');
  await page.click('.list-toggle');
  await shot(page, 'phone-conversations');
  await page.close();
});

test('reasoning shows apart, open while it streams, folded after, with its count and time', async () => {
  const page = await open(thinker);
  await page.waitForFunction(() => document.querySelector('header .model').value === 'thinker');
  await settings(page, { Temperature: 0, 'Max tokens': 300, 'More request fields': '{"ignore_eos": true}' });
  await ask(page, 'Why is the sky blue?');
  await idle(page);
  const seen = await page.evaluate(() => window.seen.filter((s) => s.reasoningOpen !== null));
  assert.ok(seen.length > 0 && seen.every((s) => s.reasoningOpen), 'open while streaming');
  assert.ok(new Set(seen.map((s) => s.length)).size >= 3, 'reasoning streamed in');
  const details = 'article.assistant details.reasoning';
  assert.equal(await page.$eval(details, (d) => d.open), false, 'folded once done');
  assert.match(await page.$eval(`${details} summary`, (s) => s.textContent), /^Thought · \d+\.\d+ s · 300 tokens$/);
  assert.ok((await page.$eval(`${details} .reasoning-text`, (e) => e.textContent)).length > 0);
  await page.focus(`${details} summary`);
  await page.keyboard.press('Enter');  // keyboard: a summary toggles like a button
  assert.equal(await page.$eval(details, (d) => d.open), true);
  await shot(page, 'desktop-reasoning');
  await page.click(`${details} summary`);
  assert.equal(await page.$eval(details, (d) => d.open), false);
  await page.setViewport({ width: 375, height: 740 });
  await shot(page, 'phone-reasoning');
  await page.close();
});

test('no console errors on any page', () => {
  assert.deepEqual(consoleErrors, []);
});
