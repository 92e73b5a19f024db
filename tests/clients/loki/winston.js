// winston-loki (protobuf + snappy, its default) against the bridge.
// Usage: node winston.js <bridge-url> <token>. Prints one JSON line per push: the content type
// winston-loki sent and the status it got.
'use strict'
const http = require('http')
const request = http.request
http.request = function (options, callback) {
  return request.call(http, options, res => {
    const contentType = options.headers['Content-Type']
    console.log(JSON.stringify({ contentType, status: res.statusCode }))
    if (callback) callback(res)
  })
}
const { createLogger } = require('winston')
const LokiTransport = require('winston-loki')

const [url, token] = process.argv.slice(2)
const transport = new LokiTransport({
  host: url,
  basicAuth: `loki:${token}`,
  batching: false,
  labels: { app: 'winston-app', note: 'say "hi"' },
  onConnectionError: error => { console.error(error); process.exitCode = 1 }
})
const logger = createLogger({ transports: [transport] })
logger.info('order placed', { orderId: 'o-1' })
logger.error('payment failed')
logger.warn('stock low')
transport.flush().then(() => process.exit())
