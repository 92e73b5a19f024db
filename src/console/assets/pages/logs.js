// Logs: the filters of the log list (kept in the URL, so a view can be linked), the matching
// rows newest first a page at a time, a row's whole record on click (attributes, resource,
// exception, links to its trace and exception group), export of the filter as NDJSON or CSV,
// and the live tail of the same filter.

import { get, fetchRaw } from '../api.js';
import { h, route, problem, pretty } from '../dom.js';
import { openTail } from '../tail.js';

const FIELDS = [
  ['from', 'From', 'now-1h'],
  ['to', 'To', 'now'],
  ['service', 'Service', ''],
  ['q', 'Words', 'all of these words'],
  ['contains', 'Contains', 'substring of the body'],
  ['trace_id', 'Trace id', '32 hex digits'],
  ['route', 'Route', '/users/{id}'],
  ['status', 'Status', '404 or 5xx'],
];
const LEVELS = ['', 'trace', 'debug', 'info', 'warn', 'error', 'fatal'];
/// Rows kept on the page while tailing.
const TAIL_KEEP = 1000;

export async function render(root, _args, params) {
  const form = filterForm(params);
  const status = h('p', { className: 'status', attrs: { 'data-role': 'status' } });
  const body = h('tbody', { on: { click: onRowClick } });
  const results = h('table', { className: 'logs' },
    h('thead', {}, h('tr', {}, ['Time', 'Service', 'Level', 'Message', 'Trace'].map((t) => h('th', {}, t)))),
    body);
  const more = h('button', { type: 'button', hidden: true, textContent: 'More' });
  const tailing = { controller: null };
  const tailBox = h('input', { type: 'checkbox', attrs: { 'data-role': 'tail' } });
  const exports = ['ndjson', 'csv'].map((format) =>
    h('button', { type: 'button', textContent: `Export ${format.toUpperCase()}`,
      on: { click: () => download(query(params), format, status) } }));
  root.append(h('h1', {}, 'Logs'), form,
    h('div', { className: 'toolbar' }, h('label', {}, tailBox, ' Live tail'), ...exports),
    status, results, more);
  serviceChoices(form);

  let cursor = null;
  const page = async () => {
    try {
      const answer = await get('/api/v1/logs', { ...query(params), limit: 1000, cursor });
      appendRows(body, answer.logs);
      cursor = answer.next_cursor;
      more.hidden = !cursor;
      status.textContent = `${body.rows.length} rows${cursor ? ' (more below)' : ''}`;
    } catch (error) {
      status.replaceChildren(problem(error));
    }
  };
  more.addEventListener('click', page);
  tailBox.addEventListener('change', () => toggleTail(tailBox.checked, tailing, params, body, status));
  await page();
  return () => tailing.controller?.abort();
}

/// The API parameters of the page's URL: the filter fields, the level and `attr.<key>`s.
function query(params) {
  const api = {};
  for (const [key, value] of params) {
    if (!value) continue;
    if (key === 'level') api.min_level = value;
    else if (key === 'attrs') Object.assign(api, attributeParams(value));
    else api[key] = value;
  }
  api.from ??= 'now-1h';
  return api;
}

/// `key=value` lines as `attr.key` parameters.
function attributeParams(text) {
  const params = {};
  for (const line of text.split('\n')) {
    const at = line.indexOf('=');
    if (at > 0) params[`attr.${line.slice(0, at).trim()}`] = line.slice(at + 1).trim();
  }
  return params;
}

function filterForm(params) {
  const inputs = FIELDS.map(([name, label, placeholder]) =>
    h('label', {}, label, h('input', { name, value: params.get(name) ?? '', placeholder })));
  const level = h('select', { name: 'level' }, LEVELS.map((l) =>
    h('option', { value: l, selected: params.get('level') === l, textContent: l ? `${l} and above` : 'any level' })));
  const attrs = h('textarea', { name: 'attrs', rows: 2, value: params.get('attrs') ?? '',
    placeholder: 'attribute filters, one key=value a line' });
  const form = h('form', { className: 'filters card' }, ...inputs,
    h('label', {}, 'Level', level), h('label', { className: 'wide' }, 'Attributes', attrs),
    h('button', { type: 'submit', textContent: 'Search' }));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const chosen = new URLSearchParams();
    for (const [key, value] of new FormData(form)) if (value) chosen.set(key, value);
    location.hash = `#/logs?${chosen}`;
  });
  return form;
}

/// The services the token may read, offered in the service field.
async function serviceChoices(form) {
  const list = h('datalist', { id: 'service-choices' });
  form.querySelector('input[name=service]').setAttribute('list', list.id);
  form.append(list);
  try {
    const { services } = await get('/api/v1/logs/services');
    list.append(...services.map((s) => h('option', { value: s.service })));
  } catch {
    // the field still takes a typed name
  }
}

/// Times as the user's locale writes them (one formatter: `toLocaleString` makes one a call).
const TIME = new Intl.DateTimeFormat(undefined, { dateStyle: 'short', timeStyle: 'medium' });

/// Appends the rows, timed (Performance API: the `logs-render` measure, layout included).
export function appendRows(body, logs, atTop = false) {
  performance.mark('logs-render-start');
  const fragment = document.createDocumentFragment();
  for (const log of logs) fragment.append(logRow(log));
  if (atTop) body.prepend(fragment);
  else body.append(fragment);
  void body.offsetHeight;
  performance.measure('logs-render', 'logs-render-start');
}

function cell(text, className) {
  const td = document.createElement('td');
  if (className) td.className = className;
  td.textContent = text;
  return td;
}

/// One row, built by hand (a thousand at a time); clicks are handled by the table body.
function logRow(log) {
  const row = document.createElement('tr');
  row.className = `clickable level-${log.level}`;
  row.dataset.id = String(log.id);
  const trace = cell('');
  if (log.trace_id) trace.append(route(log.trace_id.slice(0, 8), 'trace', log.trace_id));
  row.append(cell(TIME.format(new Date(log.ts)), 'time'), cell(log.service),
    cell(log.level, 'level'), cell(log.body, 'body'), trace);
  return row;
}

/// Opens or closes the record of the clicked row (links inside it keep their own click).
function onRowClick(event) {
  if (event.target.closest('a')) return;
  const row = event.target.closest('tr[data-id]');
  if (row) toggleDetail(row, row.dataset.id);
}

async function toggleDetail(row, id) {
  const next = row.nextElementSibling;
  if (next?.classList.contains('detail')) return next.remove();
  const into = h('td', { colSpan: 5 }, 'loading…');
  row.after(h('tr', { className: 'detail' }, into));
  try {
    into.replaceChildren(detail(await get(`/api/v1/logs/${encodeURIComponent(id)}`)));
  } catch (error) {
    into.replaceChildren(problem(error));
  }
}

/// A whole record: its fields, attributes, resource and exception, with links.
function detail(log) {
  const links = [];
  if (log.trace_id) links.push(route('Open trace', 'trace', log.trace_id));
  if (log.exception_fingerprint) {
    const href = `#/exceptions?${new URLSearchParams({ fingerprint: log.exception_fingerprint, service: log.service })}`;
    links.push(h('a', { href, textContent: 'Open exception group' }));
  }
  const fields = Object.entries(log).filter(([k, v]) =>
    v !== null && !['attributes', 'resource', 'body', 'exception_stacktrace'].includes(k));
  return h('div', { className: 'record' },
    h('p', { className: 'links' }, ...links.flatMap((l) => [l, ' '])),
    h('pre', { className: 'body' }, log.body),
    h('dl', {}, fields.flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, typeof v === 'object' ? JSON.stringify(v) : String(v))])),
    h('h3', {}, 'Attributes'), h('pre', {}, pretty(log.attributes)),
    h('h3', {}, 'Resource'), h('pre', {}, pretty(log.resource)),
    log.exception_stacktrace ? [h('h3', {}, 'Stack trace'), h('pre', {}, log.exception_stacktrace)] : null);
}

async function toggleTail(on, tailing, params, body, status) {
  tailing.controller?.abort();
  tailing.controller = null;
  if (!on) {
    status.textContent = 'live tail stopped';
    return;
  }
  const controller = new AbortController();
  tailing.controller = controller;
  const { from: _from, to: _to, ...filter } = query(params);
  let received = 0;
  let dropped = 0;
  status.textContent = 'live tail: waiting for rows…';
  const onEvent = (type, data) => {
    if (type === 'dropped') dropped += data.dropped;
    if (type === 'log') {
      received += 1;
      appendRows(body, [data], true);
      while (body.rows.length > TAIL_KEEP) body.lastElementChild.remove();
    }
    status.textContent = `live tail: ${received} new rows${dropped ? `, ${dropped} dropped (too fast to show)` : ''}`;
  };
  try {
    await openTail(filter, onEvent, controller.signal);
    if (!controller.signal.aborted) status.textContent = 'live tail ended by the bridge';
  } catch (error) {
    status.replaceChildren(problem(error));
  }
}

/// Exports the filter: fetched with the token, then saved from a blob URL.
async function download(params, format, status) {
  try {
    const response = await fetchRaw('/api/v1/logs/export', { ...params, format });
    const blob = await response.blob();
    const link = h('a', { href: URL.createObjectURL(blob), download: `logs.${format}` });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
  } catch (error) {
    status.replaceChildren(problem(error));
  }
}
