// Users: reading a field of a user that was not found (users-email-undefined).
'use strict';
const store = new Map([[1, { email: 'a@b.c' }]]);

function emailOf(id) {
  const user = store.get(id);
  return user.email.toLowerCase();
}

function notify(id) {
  return emailOf(id);
}

async function digest(id) {
  await Promise.resolve();
  return emailOf(id);
}

module.exports = { notify, digest };
