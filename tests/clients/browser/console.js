// Drives the web console (/ui/) in headless Chromium for tests/api/browser/console/: signs in
// with a token, then runs one scenario (below) and prints one JSON line with what it found and
// what the browser saw: console messages, page errors, dialogs and every URL requested. The
// Rust tests check the findings against SQL and that nothing unexpected ran or was requested.
// Screenshots go to `shots` (a directory) when given.
//
// Usage: node console.js '{"bridge": URL, "token": T, "scenario": NAME, "shots": DIR, ...}'
const fs = require('fs');
const path = require('path');
const { chromium } = require('playwright-core');

const TIMEOUT = 20000;

async function main() {
  const args = JSON.parse(process.argv[2]);
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-dev-shm-usage'],
  });
  const seen = { console: [], pageerrors: [], dialogs: [], requests: [] };
  let found = {};
  try {
    const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
    const page = await context.newPage();
    page.setDefaultTimeout(TIMEOUT);
    page.on('console', (m) => seen.console.push({ type: m.type(), text: m.text() }));
    page.on('pageerror', (e) => seen.pageerrors.push(e.message));
    page.on('dialog', (d) => { seen.dialogs.push(d.message()); d.dismiss().catch(() => {}); });
    page.on('request', (r) => seen.requests.push(r.url()));
    await signIn(page, args);
    found = await SCENARIOS[args.scenario](page, args);
    found.xss = await page.evaluate(() => window.__xss ?? null);
  } catch (error) {
    seen.error = String(error.stack || error);
    process.exitCode = 1;
  } finally {
    await browser.close();
  }
  seen.requests = [...new Set(seen.requests)];
  console.log(JSON.stringify({ found, seen }));
}

async function signIn(page, { bridge, token }) {
  await page.goto(`${bridge}/ui/`, { waitUntil: 'load' });
  await page.fill('#token', token);
  await page.click('#sign-in button[type=submit]');
  await page.waitForSelector('#nav:not([hidden])');
}

async function shoot(page, args, name) {
  if (!args.shots) return;
  fs.mkdirSync(args.shots, { recursive: true });
  await page.screenshot({ path: path.join(args.shots, `${name}.png`), fullPage: false });
}

/// Opens a console route and waits for `selector` (or for the page's first render).
async function open(page, route, selector) {
  await page.evaluate((r) => { location.hash = r; }, route);
  await page.waitForSelector(`.page[data-page="${route.split(/[/?]/)[1]}"][data-ready]`);
  if (selector) await page.waitForSelector(selector);
}

/// Every text of the page as the DOM holds it (textContent: also the rows that layout skips
/// while off screen, and hidden elements).
async function texts(page) {
  return page.evaluate(() => document.querySelector('main').textContent);
}

const rowIds = (page) => page.$$eval('table.logs tbody tr[data-id]', (rows) => rows.map((r) => Number(r.dataset.id)));

/// The `logs-render` measures (ms) since the last call.
async function renders(page) {
  return page.evaluate(() => {
    const measures = performance.getEntriesByName('logs-render').map((m) => m.duration);
    performance.clearMeasures('logs-render');
    performance.clearMarks();
    return measures;
  });
}

const SCENARIOS = {
  /// The logs of `filter` (a console route's query): the rows' ids; then the 1,000 rows of
  /// `bulk` rendered, timed.
  async filter(page, args) {
    await open(page, `#/logs?${args.filter}`, 'table.logs tbody tr[data-id]');
    const ids = await rowIds(page);
    await page.click('table.logs tbody tr[data-id]');
    await page.waitForSelector('tr.detail .record');
    const detail = await page.textContent('tr.detail');
    await shoot(page, args, 'logs-record');
    await renders(page);
    await open(page, `#/logs?${args.bulk}`, 'table.logs tbody tr[data-id]');
    const bulkRows = (await rowIds(page)).length;
    return { ids, detail, bulkRows, renderMs: await renders(page) };
  },

  /// Opens the live tail of `filter`, sends `bodies` to the bridge, waits for them on the page.
  async tail(page, args) {
    await open(page, `#/logs?${args.filter}`);
    const opened = page.waitForResponse((r) => r.url().includes('/api/v1/logs/tail'));
    await page.check('input[data-role=tail]');
    const tailAnswer = await opened;
    const records = args.bodies.map((message) => ({ service: args.service, level: 'info', message }));
    const sent = await fetch(`${args.bridge}/api/v1/logs`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(records),
    });
    await page.waitForFunction((bodies) => {
      const shown = [...document.querySelectorAll('table.logs td.body')].map((td) => td.textContent);
      return bodies.every((b) => shown.includes(b));
    }, args.bodies);
    const shown = await page.$$eval('table.logs td.body', (tds) => tds.map((td) => td.textContent));
    const status = await page.innerText('[data-role=status]');
    await shoot(page, args, 'logs-live-tail');
    const tailUrl = tailAnswer.url();
    await page.uncheck('input[data-role=tail]');
    return { sent: sent.status, shown, status, tailStatus: tailAnswer.status(), tailUrl };
  },

  /// Resolves the group of `type` with `notes`, then sends `regression` (a record) and reloads;
  /// then resolves the group of `reopen` and reopens it with `reopenNotes`.
  async exceptions(page, args) {
    await open(page, '#/exceptions', 'table tbody tr');
    await page.click(`table tbody a:text-is("${args.type}")`);
    await page.waitForSelector('pre.stack');
    await page.fill('textarea[name=notes]', args.notes);
    await page.click('button[value=resolve]');
    await page.waitForSelector('.page[data-ready] .badge.resolved');
    const resolved = await texts(page);
    await shoot(page, args, 'exception-group');
    const sent = await fetch(`${args.bridge}/api/v1/logs`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify([args.regression]),
    });
    await open(page, '#/exceptions', 'table tbody tr');
    const row = page.locator('table tbody tr', { has: page.locator(`a:text-is("${args.type}")`) });
    const state = await row.locator('.badge').innerText();
    // Another group resolved, then reopened by hand with a note.
    await page.click(`table tbody a:text-is("${args.reopen}")`);
    await page.waitForSelector('.page[data-ready] pre.stack');
    await page.click('button[value=resolve]');
    await page.waitForSelector('.page[data-ready] .badge.resolved');
    await page.fill('textarea[name=notes]', args.reopenNotes);
    await page.click('button[value=reopen]');
    await page.waitForSelector('.page[data-ready] .badge.open');
    return { resolved, sent: sent.status, state, reopened: await texts(page) };
  },

  /// The waterfall of `trace`.
  async trace(page, args) {
    await open(page, `#/trace/${args.trace}`, '.waterfall');
    const spans = await page.$$eval('.span-row', (rows) => rows.map((r) => ({
      span: r.dataset.span,
      label: r.querySelector('.label').textContent,
      left: parseFloat(r.querySelector('.bar').style.left),
      width: parseFloat(r.querySelector('.bar').style.width),
    })));
    const logs = await page.$$eval('.log-row .body', (els) => els.map((e) => e.textContent));
    const order = await page.$$eval('.waterfall > div', (rows) => rows.map((r) => r.dataset.span || `log:${r.dataset.log}`));
    await shoot(page, args, 'trace');
    return { spans, logs, order };
  },

  /// Every page in `pages` (console routes), each one's text; on the logs page with every row's
  /// record opened; on an exception list, the first group opened too.
  async visit(page, args) {
    const pages = {};
    for (const route of args.pages) {
      await open(page, route);
      if (args.shotNames?.[route]) await shoot(page, args, args.shotNames[route]);
      if (route.startsWith('#/logs')) await openEveryRecord(page);
      pages[route] = await texts(page);
      if (route === '#/exceptions' && (await page.$('table tbody a'))) {
        await page.click('table tbody a');
        await page.waitForSelector('.page[data-ready] pre.stack');
        pages['#/exceptions/first'] = await texts(page);
      }
    }
    return { pages };
  },
};

/// Opens the records of the first 60 log rows, one at a time (as a person would; a token may
/// have only a few reads in flight).
async function openEveryRecord(page) {
  const rows = (await page.$$('table.logs tbody tr[data-id]')).slice(0, 60);
  for (const [n, row] of rows.entries()) {
    await row.click();
    await page.waitForFunction((count) => document.querySelectorAll('tr.detail .record').length === count, n + 1);
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
