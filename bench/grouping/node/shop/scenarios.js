// The events of the corpus: each picks a bug, a call path and a value, and throws for real.
// run(seed, count, emit) awaits emit(group, throwIt) for each event.
'use strict';
const users = require('./users');
const pricing = require('./pricing');
const config = require('./config');
const payments = require('./payments');

function rng(seed) {
  let state = seed;
  return () => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state / 2147483648;
  };
}

function scenarios(random) {
  const pick = (items) => items[Math.floor(random() * items.length)];
  return [
    ['users-email-undefined', () => pick([users.notify, users.digest])(2 + Math.floor(random() * 50))],
    ['pricing-currency', () => pick([pricing.convert, pricing.quote])(5, pick(['GBP', 'JPY', 'CHF', 'SEK']))],
    ['pricing-precision', () => pricing.format(1.5, pick([101, 200, -1]))],
    ['config-json', () => config.load('svc', pick(['{', '{"a": ', '{"a": 1,,}']))],
    ['payments-charge-token', () => payments.charge({ id: Math.floor(random() * 90) }, '10')],
    ['payments-charge-amount', () => payments.charge({ token: 't' }, pick(['1o', 'ten', '12.5']))],
  ];
}

// withCauses false leaves out the wrapper bugs: winston's errors format drops `cause`, so its
// output cannot tell them apart.
async function run(seed, count, emit, withCauses = true) {
  const random = rng(seed);
  const all = scenarios(random).filter(([group]) => withCauses || !group.startsWith('payments-'));
  for (let i = 0; i < count; i += 1) {
    const [group, throwIt] = all[Math.floor(random() * all.length)];
    await emit(group, throwIt);
  }
}

module.exports = { run };
