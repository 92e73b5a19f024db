// winston with format.errors({ stack: true }) and format.json(): a top-level `stack`.
'use strict';
const fs = require('fs');
const winston = require('winston');
const scenarios = require('./shop/scenarios');

async function main([outPath, truthPath, count]) {
  const log = winston.createLogger({
    defaultMeta: { service: 'shop-winston' },
    format: winston.format.combine(winston.format.errors({ stack: true }), winston.format.timestamp(), winston.format.json()),
    transports: [new winston.transports.File({ filename: outPath, options: { flags: 'w' } })],
  });
  const truth = [];
  await scenarios.run(12, Number(count), async (group, throwIt) => {
    try {
      await throwIt();
    } catch (err) {
      log.error(err);
      truth.push(`shop-winston/${group}`);
    }
  }, false);
  fs.writeFileSync(truthPath, truth.map((line) => `${line}\n`).join(''));
  await new Promise((resolve) => { log.on('finish', resolve); log.end(); });
}

main(process.argv.slice(2));
