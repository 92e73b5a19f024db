// Payments: one wrapper error over two root causes, kept as `cause` (payments-charge-*).
'use strict';
function token(card) {
  if (!card.token) {
    throw new TypeError(`card ${card.id} has no token`);
  }
  return card.token;
}

function cents(text) {
  const value = BigInt(text);
  return value;
}

function charge(card, amount) {
  try {
    return [token(card), cents(amount)];
  } catch (cause) {
    throw new Error('charge failed', { cause });
  }
}

module.exports = { charge };
