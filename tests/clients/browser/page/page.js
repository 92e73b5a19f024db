// The test page's script: what a web page needs to send its logs, errors, web vitals and traces
// to the bridge with the Grafana Faro Web SDK and OpenTelemetry JS (the log and trace exporters
// and the fetch instrumentation, README "From the browser"), plus a few hooks the driver
// (drive.js) calls. Bundled by build.sh into bundle.js, with its source map bundle.js.map.
import { initializeFaro, getWebInstrumentations, FetchTransport } from '@grafana/faro-web-sdk';
import { LoggerProvider, BatchLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { OTLPLogExporter } from '@opentelemetry/exporter-logs-otlp-http';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { TracerProvider, BatchSpanProcessor, StackContextManager } from '@opentelemetry/sdk-trace';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { FetchInstrumentation } from '@opentelemetry/instrumentation-fetch';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { context, propagation, trace } from '@opentelemetry/api';
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

// OpenTelemetry: the OTLP/HTTP JSON exporters with the key as a bearer token; the version
// names the build whose source maps symbolicate its stacks.
const resource = resourceFromAttributes({ 'service.name': app, 'service.version': '1.4.2' });
const provider = new LoggerProvider({
  resource,
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

// Traces: the page's spans, and a W3C `traceparent` on its own fetches (same origin) so that the
// back end's logs of a request share the page's trace id. The bridge's URLs are not traced.
const tracerProvider = new TracerProvider({
  resource,
  spanProcessors: [
    new BatchSpanProcessor({
      exporter: new OTLPTraceExporter({
        url: `${bridge}/v1/traces`,
        headers: { Authorization: `Bearer ${key}` },
      }),
      scheduledDelayMillis: 100,
    }),
  ],
});
trace.setGlobalTracerProvider(tracerProvider);
context.setGlobalContextManager(new StackContextManager().enable());
propagation.setGlobalPropagator(new W3CTraceContextPropagator());
registerInstrumentations({
  instrumentations: [new FetchInstrumentation({ ignoreUrls: [new RegExp(`^${escapeRegExp(bridge)}`)] })],
});
const tracer = trace.getTracer('shop.page', '1.0.0');

function escapeRegExp(text) {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

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
  // Calls the back end's /api/checkout within a `checkout` span, logging `page-checkout` in it;
  // gives the trace id and what the back end answered, once the spans are exported.
  async checkout() {
    const span = tracer.startSpan('checkout');
    const response = await context.with(trace.setSpan(context.active(), span), () => {
      otel.emit({ severityNumber: 9, severityText: 'INFO', body: 'page-checkout' });
      return fetch('/api/checkout', { method: 'POST' });
    });
    const answered = await response.json();
    span.end();
    // A failed export rejects with the errors: reported, for the test's message.
    const flushed = await Promise.allSettled([tracerProvider.forceFlush(), provider.forceFlush()]);
    const failed = flushed.filter((f) => f.status === 'rejected').map((f) => String(f.reason?.[0] ?? f.reason));
    return { traceId: span.spanContext().traceId, status: response.status, answered, failed };
  },
  // Catches an error and logs it through OpenTelemetry with its stack (`exception.*`), as a
  // page's error handler would.
  otelException() {
    try {
      cartTotal({});
    } catch (error) {
      otel.emit({
        severityNumber: 17,
        severityText: 'ERROR',
        body: 'page-otel-exception',
        attributes: {
          'exception.type': error.name,
          'exception.message': error.message,
          'exception.stacktrace': error.stack,
        },
      });
    }
  },
  // On pagehide: a beacon with `count` records tagged `beacon-${tag}-${i}`.
  beaconOnUnload(tag, count) {
    addEventListener('pagehide', () => {
      beacon(Array.from({ length: count }, (_, i) => `beacon-${tag}-${i}`));
    });
  },
};
