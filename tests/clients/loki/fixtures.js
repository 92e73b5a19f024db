// Writes tests/fixtures/loki/: push bodies shaped as each shipper's own encoder builds them
// (see ../../../../shared/research/shippers.md section 1), encoded with protobufjs and the
// native snappy module, independently of the bridge's decoder. Run: node fixtures.js
'use strict'
const fs = require('fs')
const path = require('path')
const zlib = require('zlib')
const protobuf = require('protobufjs')
const snappy = require('snappy')

const out = path.join(__dirname, '..', '..', 'fixtures', 'loki')
const root = protobuf.parse(`
syntax = "proto3";
package logproto;
message PushRequest { repeated StreamAdapter streams = 1; }
message StreamAdapter { string labels = 1; repeated EntryAdapter entries = 2; uint64 hash = 3; }
message EntryAdapter { Timestamp timestamp = 1; string line = 2; repeated LabelPairAdapter structuredMetadata = 3; }
message LabelPairAdapter { string name = 1; string value = 2; }
message Timestamp { int64 seconds = 1; int32 nanos = 2; }
`).root
const PushRequest = root.lookupType('logproto.PushRequest')

// 2026-12-03T10:00:00Z, plus n milliseconds and 7 ns (sub-millisecond precision survives).
const base = 1796292000
const ts = n => ({ seconds: base, nanos: n * 1000000 + 7 })
const ns = n => `${base}${String(n * 1000000 + 7).padStart(9, '0')}`

function writeSnappyProto (name, request) {
  const message = PushRequest.fromObject(request)
  const bytes = PushRequest.encode(message).finish()
  fs.writeFileSync(path.join(out, name), snappy.compressSync(Buffer.from(bytes)))
}

// Alloy `loki.write`: names sorted, joined with ", ", values Go-quoted (strconv.AppendQuote),
// structured metadata in field 3 (alloy internal/component/common/loki/client/batch.go).
writeSnappyProto('alloy.pb.snappy', {
  streams: [
    {
      labels: '{cluster="eu-1", job="checkout/api", namespace="shop", service_name="checkout"}',
      entries: [
        {
          timestamp: ts(1),
          line: 'ts=2026-12-03T10:00:00.001Z level=error msg="payment declined" order_id=o-17 status=402',
          structuredMetadata: [{ name: 'trace_id', value: '4bf92f3577b34da6a3ce929d0e0e4736' }, { name: 'pod', value: 'checkout-7d9f' }]
        },
        {
          timestamp: ts(2),
          line: '{"level":30,"time":1796292000002,"pid":12,"hostname":"checkout-7d9f","name":"http","msg":"GET /cart 200","req":{"method":"GET","url":"/cart"},"responseTime":12}',
          structuredMetadata: [{ name: 'pod', value: 'checkout-7d9f' }]
        },
        { timestamp: ts(3), line: 'plain text line with "quotes" and a \\backslash', structuredMetadata: [{ name: 'level', value: 'warning' }] }
      ]
    },
    {
      labels: '{app="worker", detected_level="debug", job="batch", msg="say \\"hi\\"\\n"}',
      entries: [{ timestamp: ts(4), line: 'DEBUG flushing 3 jobs' }]
    }
  ]
})

// Vector `loki` sink (compression = snappy): labels sorted, `{k="v", ...}` without escaping
// quotes in values (vector lib/loki-logproto/src/lib.rs).
writeSnappyProto('vector.pb.snappy', {
  streams: [
    {
      labels: '{container_name="web", host="vec-1", msg="say "hi"", source_type="docker_logs"}',
      entries: [
        { timestamp: ts(5), line: '2026-12-03T10:00:00.005Z ERROR upstream timed out after 30s' },
        { timestamp: ts(6), line: 'GET /health 200' }
      ]
    }
  ]
})

// Fluent Bit `loki` output: JSON only, one stream object per record (the same labels
// repeated), line_format json, `compress gzip`, 3rd element with structured_metadata
// (fluent-bit plugins/out_loki/loki.c).
const fluentBit = {
  streams: [
    {
      stream: { job: 'fluent-bit', host: 'node-3', container: 'nginx' },
      values: [[ns(7), '{"log":"10.0.0.1 - - \\"GET /login HTTP/1.1\\" 500 12","stream":"stderr","level":"error"}', { request_id: 'r-1' }]]
    },
    {
      stream: { job: 'fluent-bit', host: 'node-3', container: 'nginx' },
      values: [[ns(8), '{"log":"10.0.0.2 - - \\"GET / HTTP/1.1\\" 200 512","stream":"stdout"}']]
    }
  ]
}
fs.writeFileSync(path.join(out, 'fluent-bit.json.gz'), zlib.gzipSync(JSON.stringify(fluentBit)))

// pino-loki 2.3.1: one stream per log, `level` label from its level map (40 -> warning),
// hostname moved to a label, the line the pino object without hostname (src/log_builder.ts).
const pinoLoki = {
  streams: [
    {
      stream: { level: 'warning', hostname: 'api-1', application: 'billing' },
      values: [[ns(9), '{"level":40,"time":1796292000009,"pid":31,"msg":"invoice overdue","invoiceId":"inv-9"}']]
    },
    {
      stream: { level: 'critical', hostname: 'api-1', application: 'billing' },
      values: [[ns(10), '{"level":60,"time":1796292000010,"pid":31,"msg":"ledger unreachable","err":{"type":"Error","message":"ECONNREFUSED"}}']]
    }
  ]
}
fs.writeFileSync(path.join(out, 'pino-loki.json'), JSON.stringify(pinoLoki))
console.log('fixtures written to', out)
