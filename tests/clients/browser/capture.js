// Captures what the real Faro Web SDK and OpenTelemetry JS log exporter send from a page in
// headless Chromium, byte for byte, into tests/fixtures/browser/: the test page (page/) runs
// against a local sink that answers CORS as the bridge does and saves each request's body and
// headers. The page logs, throws an uncaught TypeError, waits for its web vitals and unloads.
//
// Usage: cd tests/clients/browser && npm ci && node capture.js   (CHROMIUM=path to override)
const { chromium } = require('playwright-core');
const fs = require('fs');
const http = require('http');
const path = require('path');

const OUT = path.join(__dirname, '..', '..', 'fixtures', 'browser');
const KEY = 'lb_captureKey';
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function listen(handler) {
  return new Promise((resolve) => {
    const server = http.createServer(handler).listen(0, '127.0.0.1', () => resolve(server));
  });
}

function servePage(request, response) {
  const file = request.url.startsWith('/bundle.js') ? 'bundle.js' : 'index.html';
  const type = file === 'bundle.js' ? 'text/javascript' : 'text/html';
  response.setHeader('content-type', type);
  response.end(fs.readFileSync(path.join(__dirname, 'page', file)));
}

function sink(captured) {
  return (request, response) => {
    response.setHeader('access-control-allow-origin', request.headers.origin || '*');
    if (request.method === 'OPTIONS') {
      response.setHeader('access-control-allow-methods', 'POST');
      response.setHeader('access-control-allow-headers', request.headers['access-control-request-headers'] || '');
      response.statusCode = 204;
      return response.end();
    }
    const chunks = [];
    request.on('data', (chunk) => chunks.push(chunk));
    request.on('end', () => {
      captured.push({ path: request.url, headers: request.headers, body: Buffer.concat(chunks) });
      const faro = request.url.startsWith('/collect/');
      response.statusCode = faro ? 202 : 200;
      response.setHeader('content-type', 'application/json');
      response.end(faro ? '{"status":"ok"}' : '{}');
    });
  };
}

function write(name, bytes) {
  fs.writeFileSync(path.join(OUT, name), bytes);
  console.log(`wrote tests/fixtures/browser/${name} (${bytes.length} bytes)`);
}

// One file per request, in order, named by what sent it; and the headers of each.
function save(captured) {
  fs.rmSync(OUT, { recursive: true, force: true });
  fs.mkdirSync(OUT, { recursive: true });
  const counts = {};
  const headers = [];
  for (const { path: url, headers: sent, body } of captured) {
    const kind = url.startsWith('/collect/') ? 'faro' : url.includes('key=') ? 'otlp-js-beacon' : 'otlp-js';
    counts[kind] = (counts[kind] || 0) + 1;
    const name = `${kind}-${counts[kind]}.json`;
    write(name, body);
    const names = ['content-type', 'content-encoding', 'authorization', 'x-api-key',
      'x-faro-session-id', 'idempotency-key', 'origin'];
    const kept = Object.fromEntries(names.filter((n) => sent[n]).map((n) => [n, sent[n]]));
    headers.push({ file: name, method: 'POST', path: url.replace(KEY, '{key}'), headers: kept, bytes: body.length });
  }
  write('headers.json', Buffer.from(`${JSON.stringify(headers, null, 1)}\n`));
}

async function main() {
  const captured = [];
  const bridge = await listen(sink(captured));
  const site = await listen(servePage);
  const query = `?bridge=http://127.0.0.1:${bridge.address().port}&key=${KEY}`;
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-dev-shm-usage'],
  });
  try {
    const page = await browser.newPage();
    await page.goto(`http://127.0.0.1:${site.address().port}/cart/42${query}`, { waitUntil: 'load' });
    await page.evaluate(() => {
      window.logbridgeTest.beaconOnUnload('capture', 2);
      window.logbridgeTest.log('capture', 2);
      window.logbridgeTest.throwUncaught();
    });
    await sleep(1500);
    await page.goto('about:blank');
    await sleep(1500);
  } finally {
    await browser.close();
    bridge.close();
    site.close();
  }
  save(captured);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
