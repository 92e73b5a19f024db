// Config: JSON.parse of a broken document (config-json), the throw inside the runtime.
'use strict';
function parse(text) {
  return JSON.parse(text);
}

function load(name, text) {
  return { name, settings: parse(text) };
}

module.exports = { load };
