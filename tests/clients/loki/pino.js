// pino-loki (JSON) against the bridge.
// Usage: node pino.js <bridge-url> <token>. Prints one JSON line per push: the content type
// pino-loki sent and the status it got.
'use strict'
const fetch = globalThis.fetch
globalThis.fetch = async (url, init) => {
  const response = await fetch(url, init)
  console.log(JSON.stringify({ contentType: init.headers['Content-Type'], status: response.status }))
  return response
}
const pino = require('pino')
const pinoLoki = require('pino-loki').default

const [url, token] = process.argv.slice(2)
const transport = pinoLoki({
  host: url,
  batching: false,
  labels: { application: 'pino-app' },
  basicAuth: { username: 'loki', password: token }
})
const logger = pino({ level: 'info' }, transport)
logger.warn({ invoiceId: 'inv-1' }, 'invoice overdue')
logger.error('ledger unreachable')
setTimeout(() => process.exit(), 3000)
