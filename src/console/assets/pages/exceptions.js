// Exceptions: the groups (counts, a trend of their type over the last day, first and last
// seen, resolved or regressed), and one group's stack trace, call paths and newest
// occurrences with its resolve and reopen form (a note saying why). A resolved group that
// occurs again comes back marked as a regression.

import { get, put } from '../api.js';
import { h, route, problem, when, table, sparkline, section } from '../dom.js';

const STATES = [['', 'all'], ['false', 'open'], ['true', 'resolved']];

export async function render(root, [id], params) {
  root.append(h('h1', {}, 'Exceptions'));
  try {
    if (id) return await group(root, id);
    if (params.get('fingerprint')) return await byFingerprint(root, params);
    await list(root, params);
  } catch (error) {
    root.append(problem(error));
  }
}

/// A log's link names its group by fingerprint: find it among the service's groups.
async function byFingerprint(root, params) {
  const { exceptions } = await get('/api/v1/exceptions', { service: params.get('service'), limit: 1000 });
  const found = exceptions.find((g) => g.fingerprint === params.get('fingerprint'));
  if (found) location.replace(`#/exceptions/${found.id}`);
  else root.append(h('p', { className: 'notice' }, 'No exception group of this fingerprint is visible.'));
}

async function list(root, params) {
  const resolved = params.get('resolved') ?? '';
  const filters = h('p', { className: 'toolbar' }, STATES.map(([value, label]) => {
    const link = h('a', { href: value ? `#/exceptions?resolved=${value}` : '#/exceptions', textContent: label });
    if (value === resolved) link.classList.add('active');
    return link;
  }));
  const [{ exceptions }, trends] = await Promise.all([
    get('/api/v1/exceptions', { resolved, sort: 'last_seen', limit: 200 }),
    get('/api/v1/exceptions/patterns', { from: 'now-24h', interval: '1h' }).catch(() => ({ series: [] })),
  ]);
  const trend = new Map(trends.series.map((s) => [s.exception_type, hourly(trends, s.buckets)]));
  root.append(filters, table([
    ['Type', (g) => route(g.exception_type, 'exceptions', g.id)],
    ['Message', (g) => h('span', { className: 'body' }, g.message)],
    ['Service', (g) => g.service],
    ['Count', (g) => String(g.occurrences)],
    ['Trend (24 h)', (g) => sparkline(trend.get(g.exception_type) ?? [])],
    ['First seen', (g) => when(g.first_seen)],
    ['Last seen', (g) => when(g.last_seen)],
    ['State', state],
  ], exceptions));
  if (exceptions.length === 0) root.append(h('p', { className: 'notice' }, 'No exception groups.'));
}

/// The buckets as one count per hour of the window, empty hours as zeros.
function hourly({ from, interval_seconds: width }, buckets) {
  const start = Date.parse(from);
  const counts = new Array(24).fill(0);
  for (const { start: at, count } of buckets) {
    const hour = Math.floor((Date.parse(at) - start) / (width * 1000));
    counts[Math.min(Math.max(hour, 0), 23)] += count;
  }
  return counts;
}

function state(group) {
  if (group.regression) return h('span', { className: 'badge regression' }, 'regression');
  if (group.resolved) return h('span', { className: 'badge resolved' }, 'resolved');
  return h('span', { className: 'badge open' }, 'open');
}

async function group(root, id) {
  const detail = await get(`/api/v1/exceptions/${encodeURIComponent(id)}`);
  root.append(
    h('p', {}, route('← all groups', 'exceptions')),
    section(`${detail.exception_type} in ${detail.service}`,
      h('p', { className: 'body' }, detail.message),
      h('p', {}, state(detail), ` ${detail.occurrences} occurrences, first ${when(detail.first_seen)}, last ${when(detail.last_seen)}`),
      resolution(detail),
      resolveForm(detail)),
    section('Stack trace', h('pre', { className: 'stack' }, detail.sample_stacktrace ?? '(none)')),
    section('Call paths', table([
      ['Path', (p) => h('code', {}, p.path)],
      ['Occurrences', (p) => String(p.occurrences)],
      ['Last seen', (p) => when(p.last_seen)],
    ], detail.call_paths)),
    section('Newest occurrences', table([
      ['Time', (o) => when(o.ts)],
      ['Message', (o) => h('span', { className: 'body' }, o.body)],
      ['Trace', (o) => (o.trace_id ? route(o.trace_id.slice(0, 8), 'trace', o.trace_id) : '')],
    ], detail.recent_occurrences)));
}

function resolution(group) {
  if (!group.resolved_at) return null;
  const reopened = group.reopened_at ? `; occurred again ${when(group.reopened_at)}` : '';
  return h('div', { className: 'resolution' },
    h('p', {}, `Resolved ${when(group.resolved_at)} by ${group.resolved_by ?? '?'}${reopened}`),
    group.resolution_notes ? h('blockquote', {}, group.resolution_notes) : null);
}

/// Resolve (or resolve again) with a note; a resolved group can be reopened by hand, the note
/// then saying why.
function resolveForm(group) {
  const notes = h('textarea', { name: 'notes', rows: 2, placeholder: 'why (optional)' });
  const outcome = h('span', { className: 'status' });
  const label = group.resolved ? 'Resolve again' : 'Resolve';
  const form = h('form', { className: 'inline' }, h('label', {}, 'Notes ', notes),
    h('button', { type: 'submit', value: 'resolve', textContent: label }),
    group.resolved ? h('button', { type: 'submit', value: 'reopen', textContent: 'Reopen' }) : null,
    outcome);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const action = event.submitter?.value === 'reopen' ? 'reopen' : 'resolve';
    try {
      await put(`/api/v1/exceptions/${group.id}/${action}`, { notes: notes.value || null });
      window.dispatchEvent(new HashChangeEvent('hashchange'));
    } catch (error) {
      outcome.replaceChildren(problem(error));
    }
  });
  return form;
}
