// The test page's script: what a web page needs to send its logs, errors and web vitals to the
// bridge with the Grafana Faro Web SDK and the OpenTelemetry JS log exporter (README "From the
// browser"), plus a few hooks the driver (drive.js) calls. Bundled by build.sh into bundle.js.
import { initializeFaro, getWebInstrumentations, FetchTransport } from '@grafana/faro-web-sdk';
import { LoggerProvider, BatchLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { OTLPLogExporter } from '@opentelemetry/exporter-logs-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';

const params = new URLSearchParams(location.search);
const bridge = params.get('bridge');
const key = params.get('key');
const app = params.get('app') || 'shop';

// Faro, keyed by the URL (Alloy's /collect/{app_key}); retries outlast a short offline spell.
const faro = initializeFaro({
  app: { name: app, version: '1.4.2', environment: 'test' },
  instrumentations: getWebInstrumentations({ captureConsole: false }),
  transports: [
    new FetchTransport({
      url: `${bridge}/collect/${key}`,
      retry: { maxAttempts: 8, initialBackoffMs: 500, maxBackoffMs: 2000 },
    }),
  ],
  batching: { sendTimeout: 100 },
});

// OpenTelemetry: the OTLP/HTTP JSON exporter with the key as a bearer token.
const provider = new LoggerProvider({
  resource: resourceFromAttributes({ 'service.name': app }),
  processors: [
    new BatchLogRecordProcessor({
      exporter: new OTLPLogExporter({
        url: `${bridge}/v1/logs`,
        headers: { Authorization: `Bearer ${key}` },
      }),
      scheduledDelayMillis: 100,
    }),
  ],
});
const otel = provider.getLogger('shop.page', '1.0.0');

// A beacon on unload, the way a page without headers sends: the key in the URL, text/plain.
function beacon(bodies) {
  const now = `${Date.now()}000000`;
  const logRecords = bodies.map((body) => ({
    timeUnixNano: now,
    severityNumber: 9,
    severityText: 'INFO',
    body: { stringValue: body },
  }));
  const request = {
    resourceLogs: [{
      resource: { attributes: [{ key: 'service.name', value: { stringValue: app } }] },
      scopeLogs: [{ scope: { name: 'shop.beacon' }, logRecords }],
    }],
  };
  return navigator.sendBeacon(`${bridge}/v1/logs?key=${encodeURIComponent(key)}`, JSON.stringify(request));
}

function cartTotal(cart) {
  return cart.lines.reduce((sum, line) => sum + line.price, 0);
}

window.logbridgeTest = {
  // Logs `count` records through each SDK, tagged `${tag}-${i}`.
  log(tag, count) {
    for (let i = 0; i < count; i += 1) {
      faro.api.pushLog([`faro-${tag}-${i}`], { level: 'info', context: { tag } });
      otel.emit({ severityNumber: 9, severityText: 'INFO', body: `otel-${tag}-${i}`, attributes: { tag } });
    }
  },
  // Throws from a named function, uncaught, as a bug in the page would.
  throwUncaught() {
    setTimeout(() => cartTotal({}), 0);
  },
  // On pagehide: a beacon with `count` records tagged `beacon-${tag}-${i}`.
  beaconOnUnload(tag, count) {
    addEventListener('pagehide', () => {
      beacon(Array.from({ length: count }, (_, i) => `beacon-${tag}-${i}`));
    });
  },
};
