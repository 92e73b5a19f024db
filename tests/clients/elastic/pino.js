// pino-elasticsearch against the bridge: a pino logger whose stream sends bulk requests and
// calls _refresh when it ends. Usage: node pino.js <base url> <index>
'use strict'
const pino = require('pino')
const pinoElastic = require('pino-elasticsearch')

const [node, index] = process.argv.slice(2)
const stream = pinoElastic({ index, node, esVersion: 8, flushBytes: 100, flushInterval: 100 })
let failed = false
stream.on('error', (error) => { failed = true; console.error('error', error) })
stream.on('insertError', (error) => { failed = true; console.error('insertError', error) })
stream.on('unknown', (line, error) => { failed = true; console.error('unknown', line, error) })

const logger = pino({ level: 'debug' }, stream)
logger.debug('pino debug line')
logger.info({ user: 'u-1' }, 'pino info line')
logger.warn('pino warn line')
logger.error(new Error('pino failure'), 'pino error line')
setTimeout(() => {
  stream.end()
  stream.on('close', () => process.exit(failed ? 1 : 0))
  setTimeout(() => process.exit(failed ? 1 : 0), 3000)
}, 500)
