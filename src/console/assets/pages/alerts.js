// Alerts: the rule files the bridge loaded (groups, rules, and each alert's state when
// Prometheus is configured), where to change them, and the history Alertmanager posted back.

import { get } from '../api.js';
import { h, problem, when, table, section } from '../dom.js';

export async function render(root) {
  root.append(h('h1', {}, 'Alerts'));
  const [rules, history] = await Promise.all([
    get('/api/v1/monitoring/alerts/rules').then(ruleView, problem),
    get('/api/v1/monitoring/alerts/history', { from: 'now-7d', limit: 200 }).then(historyView, problem),
  ]);
  root.append(rules, history);
}

function ruleView({ files, problems, change, prometheus }) {
  const where = prometheus
    ? `Alert states from Prometheus at ${prometheus.url}${prometheus.reachable ? '' : ' (unreachable)'}.`
    : 'No prometheus.url configured: alert states are not shown.';
  const rules = files.flatMap((file) => file.groups.flatMap((group) =>
    group.rules.map((rule) => ({ file: file.file, group: group.name, ...rule }))));
  return section('Rules',
    h('p', { className: 'notice' }, change), h('p', {}, where),
    problems.length ? h('ul', { className: 'error' }, problems.map((p) => h('li', {}, p))) : null,
    table([
      ['Name', (r) => r.name],
      ['Kind', (r) => r.kind],
      ['State', (r) => (r.state ? h('span', { className: `badge ${r.state}` }, r.state) : '')],
      ['For', (r) => r.for ?? ''],
      ['Expression', (r) => h('code', {}, r.expr)],
      ['Where', (r) => `${r.file}${r.line ? `:${r.line}` : ''} (${r.group})`],
    ], rules));
}

function historyView({ alerts }) {
  return section('History (7 days)', table([
    ['Received', (a) => when(a.received_at)],
    ['Alert', (a) => a.alertname],
    ['Status', (a) => h('span', { className: `badge ${a.status}` }, a.status)],
    ['Severity', (a) => a.severity ?? ''],
    ['Service', (a) => a.service ?? ''],
    ['Summary', (a) => a.annotations.summary ?? a.annotations.description ?? ''],
    ['Started', (a) => when(a.starts_at)],
    ['Ended', (a) => when(a.ends_at)],
  ], alerts), alerts.length ? null : h('p', { className: 'notice' }, 'No alerts received.'));
}
