// Drives the test page (page/index.html) in headless Chromium for tests/api/browser/chromium.rs:
// logs through Faro and OpenTelemetry, throws, calls the page's back end in a traced checkout,
// goes offline and online (DevTools network emulation), unloads, then opens the same page on a
// foreign origin. Prints what the browser
// saw (console messages, failed requests) as one JSON line; the Rust test checks the bridge.
//
// Usage: node drive.js '{"page": URL, "foreign": URL, "bridge": URL, "key": KEY}'
const { chromium } = require('playwright-core');

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function main() {
  const { page: pageUrl, foreign, bridge, key } = JSON.parse(process.argv[2]);
  const query = `?bridge=${encodeURIComponent(bridge)}&key=${encodeURIComponent(key)}`;
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-dev-shm-usage'],
  });
  const seen = { console: [], failed: [], steps: [], sent: [] };
  try {
    const context = await browser.newContext();
    const page = await context.newPage();
    page.on('console', (m) => seen.console.push(`${m.type()}: ${m.text()}`));
    page.on('pageerror', (e) => seen.console.push(`pageerror: ${e.message}`));
    page.on('response', (r) => r.status() >= 400 && seen.failed.push(`${r.request().method()} ${r.url()}: ${r.status()}`));
    page.on('request', (r) => r.url().startsWith(bridge) && seen.sent.push(`${r.method()} ${new URL(r.url()).pathname}`));
    page.on('requestfailed', (r) => seen.failed.push(`${r.method()} ${r.url()}: ${r.failure().errorText}`));
    const step = (name) => seen.steps.push(name);

    await page.goto(pageUrl + query, { waitUntil: 'load' });
    await page.evaluate(() => {
      window.logbridgeTest.beaconOnUnload('unload', 3);
      window.logbridgeTest.log('online', 5);
      window.logbridgeTest.throwUncaught();
      window.logbridgeTest.otelException();
    });
    step('online');
    seen.checkout = await page.evaluate(() => window.logbridgeTest.checkout());
    step('checkout');
    await sleep(1500);

    await context.setOffline(true);
    await page.evaluate(() => window.logbridgeTest.log('offline', 5));
    step('offline');
    await sleep(2000);
    await context.setOffline(false);
    step('back online');
    await sleep(2500);

    await page.evaluate(() => window.logbridgeTest.log('unload', 5));
    await page.goto('about:blank');
    step('unloaded');

    await page.goto(foreign + query, { waitUntil: 'load' });
    await page.evaluate(() => window.logbridgeTest.log('foreign', 2));
    await sleep(1500);
    await page.goto('about:blank');
    step('foreign');
    await sleep(500);
  } catch (error) {
    seen.error = String(error);
    process.exitCode = 1;
  } finally {
    await browser.close();
  }
  // Each message once, so that a failure's report stays short.
  seen.console = [...new Set(seen.console)];
  seen.failed = [...new Set(seen.failed)];
  seen.sent = [...new Set(seen.sent)];
  console.log(JSON.stringify(seen));
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
