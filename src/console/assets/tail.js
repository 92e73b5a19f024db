// The live tail, read with fetch rather than EventSource: EventSource cannot send an
// Authorization header, and the token must never go in a URL (URLs end up in logs). The
// answer is Server-Sent Events, parsed here: `log` events carry a row, `dropped` events a
// count of rows left out because the browser read too slowly.

import { fetchRaw } from './api.js';

/// Opens a tail of the rows matching `params`; calls `onEvent(type, data)` for each event until
/// `signal` aborts or the stream ends. Resolves when it ends; rejects with an ApiError when
/// the tail cannot open (a 403 or a 429 past the cap of open tails).
export async function openTail(params, onEvent, signal) {
  const response = await fetchRaw('/api/v1/logs/tail', params, {
    signal,
    headers: { accept: 'text/event-stream' },
  });
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let pending = '';
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      pending += value;
      let end;
      while ((end = pending.indexOf('\n\n')) >= 0) {
        dispatch(pending.slice(0, end), onEvent);
        pending = pending.slice(end + 2);
      }
    }
  } catch (error) {
    if (error.name !== 'AbortError') throw error;
  }
}

/// One event's lines (`event:`, `data:`, `id:`; comments start with `:`).
function dispatch(block, onEvent) {
  let type = 'message';
  const data = [];
  for (const line of block.split('\n')) {
    if (line.startsWith(':') || line === '') continue;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
    if (field === 'event') type = value;
    if (field === 'data') data.push(value);
  }
  if (data.length === 0) return;
  onEvent(type, JSON.parse(data.join('\n')));
}
