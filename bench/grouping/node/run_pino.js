// pino: the error under `err` (type, message, stack; a cause is appended to the stack).
'use strict';
const fs = require('fs');
const pino = require('pino');
const scenarios = require('./shop/scenarios');

async function main([outPath, truthPath, count]) {
  fs.rmSync(outPath, { force: true });
  const out = pino.destination({ dest: outPath, sync: true });
  const log = pino({ base: { service: 'shop-pino' } }, out);
  const truth = [];
  await scenarios.run(11, Number(count), async (group, throwIt) => {
    try {
      await throwIt();
    } catch (err) {
      log.error({ err }, 'request failed');
      truth.push(`shop-pino/${group}`);
    }
  });
  fs.writeFileSync(truthPath, truth.map((line) => `${line}\n`).join(''));
}

main(process.argv.slice(2));
