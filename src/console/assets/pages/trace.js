// Trace: one trace's spans as a waterfall (each bar placed by its start and length within the
// trace) with the trace's logs interleaved at their time; only the logs while the trace has no
// spans. Without a trace id: a field to open one and the recent traces.

import { get } from '../api.js';
import { h, route, problem, when, table } from '../dom.js';

export async function render(root, [traceId], _params) {
  root.append(h('h1', {}, 'Trace'), openForm(traceId));
  if (!traceId) return recent(root);
  try {
    const trace = await get(`/api/v1/traces/${encodeURIComponent(traceId)}`);
    root.append(waterfall(trace));
  } catch (error) {
    root.append(problem(error));
  }
}

function openForm(traceId = '') {
  const input = h('input', { name: 'trace_id', value: traceId, placeholder: '32 hex digits' });
  const form = h('form', { className: 'card inline' }, h('label', {}, 'Trace id ', input),
    h('button', { type: 'submit', textContent: 'Open' }));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    location.hash = `#/trace/${encodeURIComponent(input.value.trim())}`;
  });
  return form;
}

async function recent(root) {
  try {
    const { traces } = await get('/api/v1/traces', { from: 'now-24h', limit: 50 });
    root.append(h('h2', {}, 'Recent traces'), table([
      ['Start', (t) => when(t.start)],
      ['Root', (t) => `${t.root_service}: ${t.root_name}`],
      ['Duration', (t) => `${t.duration_ms.toFixed(1)} ms`],
      ['Spans', (t) => String(t.spans)],
      ['Errors', (t) => String(t.errors)],
      ['Trace', (t) => route(t.trace_id, 'trace', t.trace_id)],
    ], traces));
  } catch (error) {
    root.append(problem(error));
  }
}

/// Spans (ordered by start, indented by depth) and logs, merged by time.
function waterfall({ spans, logs }) {
  const starts = spans.map((s) => Date.parse(s.start));
  const ends = spans.map((s, i) => starts[i] + s.duration_ns / 1e6);
  const logTimes = logs.map((l) => Date.parse(l.ts));
  const first = Math.min(...starts, ...logTimes);
  const last = Math.max(...ends, ...logTimes, first + 1);
  const scale = (t) => ((t - first) / (last - first)) * 100;
  const depth = depths(spans);
  const items = [
    ...spans.map((span, i) => ({ at: starts[i], row: spanRow(span, depth, scale(starts[i]), scale(ends[i])) })),
    ...logs.map((log, i) => ({ at: logTimes[i], row: logRow(log, scale(logTimes[i])) })),
  ].sort((a, b) => a.at - b.at);
  const summary = spans.length
    ? `${spans.length} spans, ${logs.length} logs, ${(last - first).toFixed(1)} ms`
    : `No spans stored for this trace yet: its ${logs.length} logs`;
  return h('div', { className: 'waterfall card' }, h('p', {}, summary), ...items.map((i) => i.row));
}

/// Each span's depth below its trace's roots (a span whose parent is absent is a root).
function depths(spans) {
  const parents = new Map(spans.map((s) => [s.span_id, s.parent_span_id]));
  const depth = new Map();
  for (const span of spans) {
    let d = 0;
    let parent = span.parent_span_id;
    while (parent && parents.has(parent) && d < 64) {
      d += 1;
      parent = parents.get(parent);
    }
    depth.set(span.span_id, d);
  }
  return depth;
}

function spanRow(span, depth, left, right) {
  const bar = h('div', { className: `bar${span.status_code === 2 ? ' error' : ''}` });
  bar.style.left = `${left}%`;
  bar.style.width = `${Math.max(right - left, 0.3)}%`;
  const label = h('div', { className: 'label' }, `${span.service}: ${span.name}`);
  label.style.paddingLeft = `${depth.get(span.span_id) * 12}px`;
  const ms = (span.duration_ns / 1e6).toFixed(2);
  return h('div', { className: 'span-row', attrs: { 'data-span': span.span_id } },
    label, h('div', { className: 'track' }, bar), h('div', { className: 'ms' }, `${ms} ms`));
}

function logRow(log, at) {
  const mark = h('div', { className: `mark level-${log.level}` });
  mark.style.left = `${at}%`;
  return h('div', { className: 'log-row', attrs: { 'data-log': String(log.id) } },
    h('div', { className: 'label' }, `${log.level} ${log.service}: `, h('span', { className: 'body' }, log.body)),
    h('div', { className: 'track' }, mark), h('div', { className: 'ms' }, when(log.ts)));
}
