// Pricing: a validation error whose message names the currency (pricing-currency), and a
// RangeError from toFixed with a bad precision (pricing-precision).
'use strict';
class ValidationError extends Error {
  constructor(message) {
    super(message);
    this.name = 'ValidationError';
  }
}

function convert(amount, currency) {
  if (!['EUR', 'USD'].includes(currency)) {
    throw new ValidationError(`unsupported currency ${currency}`);
  }
  return amount;
}

function quote(amount, currency) {
  return convert(amount, currency);
}

function format(amount, digits) {
  return amount.toFixed(digits);
}

module.exports = { convert, quote, format, ValidationError };
