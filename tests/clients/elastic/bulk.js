// The official Node client against the bridge: info() and the bulk helper.
// Usage: node bulk.js <base url, e.g. http://127.0.0.1:8080/es> <index> <count>
'use strict'
const { Client } = require('@elastic/elasticsearch')

async function main () {
  const [node, index, count] = process.argv.slice(2)
  const client = new Client({ node })
  const info = await client.info()
  const levels = ['info', 'warn', 'error']
  const documents = Array.from({ length: Number(count) }, (_, n) => ({
    '@timestamp': new Date().toISOString(),
    message: `node bulk ${n}`,
    'log.level': levels[n % levels.length],
    service: { name: 'node-shop' }
  }))
  const dropped = []
  const stats = await client.helpers.bulk({
    datasource: documents,
    onDocument: () => ({ create: { _index: index } }),
    onDrop: (doc) => dropped.push(doc)
  })
  console.log(JSON.stringify({ version: info.version.number, stats, dropped: dropped.length }))
}

main().catch((error) => {
  console.error(error)
  process.exit(1)
})
