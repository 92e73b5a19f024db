// Performance: the slowest requests, the slow queries grouped by fingerprint, and the share of
// 5xx answers per service and route, over a chosen window.

import { get } from '../api.js';
import { h, route, problem, when, table, section } from '../dom.js';

const WINDOWS = ['now-15m', 'now-1h', 'now-6h', 'now-24h'];

export async function render(root, _args, params) {
  const from = WINDOWS.includes(params.get('from')) ? params.get('from') : 'now-1h';
  const windows = h('p', { className: 'toolbar' }, 'Window: ', WINDOWS.map((w) => {
    const link = h('a', { href: `#/performance?from=${w}`, textContent: w.replace('now-', 'last ') });
    if (w === from) link.classList.add('active');
    return link;
  }));
  root.append(h('h1', {}, 'Performance'), windows);
  const views = [slowRequests, slowQueries, errorRates].map((view) => view(from).catch((error) => problem(error)));
  for (const node of await Promise.all(views)) root.append(node);
}

const trace = (id) => (id ? route(id.slice(0, 8), 'trace', id) : '');

async function slowRequests(from) {
  const { threshold_ms, requests } = await get('/api/v1/monitoring/slow-requests', { from, limit: 100 });
  return section(`Slow requests (≥ ${threshold_ms} ms)`, table([
    ['Time', (r) => when(r.ts)],
    ['Service', (r) => r.service],
    ['Request', (r) => `${r.method ?? ''} ${r.route ?? ''}`],
    ['Status', (r) => String(r.status ?? '')],
    ['Duration', (r) => `${r.duration_ms.toFixed(0)} ms`],
    ['Trace', (r) => trace(r.trace_id)],
  ], requests));
}

async function slowQueries(from) {
  const { threshold_ms, queries } = await get('/api/v1/monitoring/slow-queries', { from, limit: 100 });
  return section(`Slow queries (≥ ${threshold_ms} ms), by fingerprint`, table([
    ['Fingerprint', (q) => h('code', {}, q.fingerprint)],
    ['System', (q) => q.db_system],
    ['Count', (q) => String(q.count)],
    ['p50', (q) => `${q.p50_ms.toFixed(0)} ms`],
    ['p95', (q) => `${q.p95_ms.toFixed(0)} ms`],
    ['Max', (q) => `${q.max_ms.toFixed(0)} ms`],
    ['Example', (q) => [q.example.service, ' ', trace(q.example.trace_id)]],
  ], queries));
}

async function errorRates(from) {
  const { routes } = await get('/api/v1/monitoring/error-rates', { from, limit: 200 });
  return section('Error rates per service and route', table([
    ['Service', (r) => r.service],
    ['Route', (r) => r.route ?? '(none)'],
    ['Requests', (r) => String(r.requests)],
    ['5xx', (r) => String(r.errors_5xx)],
    ['Error rate', (r) => ratio(r.error_ratio)],
  ], routes));
}

function ratio(value) {
  const bar = h('span', { className: 'ratio' });
  bar.style.width = `${Math.round(value * 100)}%`;
  return h('span', { className: 'ratio-cell' }, bar, `${(value * 100).toFixed(1)} %`);
}
