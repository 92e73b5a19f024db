// Services: each service's records, errors and last record in the last day (from the
// rollups), the volume per level, and a service's logger names (scopes) on click.

import { get } from '../api.js';
import { h, problem, when, table, section } from '../dom.js';

export async function render(root) {
  root.append(h('h1', {}, 'Services'));
  const scopes = h('div');
  const [services, levels] = await Promise.all([
    get('/api/v1/logs/services', { limit: 1000 }).then((a) => serviceView(a, scopes), problem),
    get('/api/v1/logs/levels').then(levelView, problem),
  ]);
  root.append(services, scopes, levels);
}

function serviceView({ services }, scopes) {
  const most = Math.max(1, ...services.map((s) => s.records));
  return section('Services (24 h)', table([
    ['Service', (s) => h('a', { href: `#/logs?service=${encodeURIComponent(s.service)}`, textContent: s.service })],
    ['Records', (s) => volume(s.records, most)],
    ['Errors', (s) => String(s.errors)],
    ['Last seen', (s) => when(s.last_seen)],
    ['', (s) => h('button', { type: 'button', textContent: 'Loggers',
      on: { click: () => showScopes(s.service, scopes) } })],
  ], services));
}

async function showScopes(service, into) {
  try {
    const { scopes } = await get('/api/v1/logs/scopes', { service, limit: 1000 });
    into.replaceChildren(section(`Loggers of ${service}`, table([
      ['Logger', (s) => s.scope ?? '(none)'],
      ['Records', (s) => String(s.records)],
      ['Last seen', (s) => when(s.last_seen)],
    ], scopes)));
  } catch (error) {
    into.replaceChildren(problem(error));
  }
}

function levelView({ levels }) {
  const most = Math.max(1, ...levels.map((l) => l.records));
  return section('Levels (24 h)', table([
    ['Level', (l) => h('span', { className: `level-${l.level}` }, l.level)],
    ['Records', (l) => volume(l.records, most)],
  ], levels));
}

function volume(count, most) {
  const bar = h('span', { className: 'ratio volume' });
  bar.style.width = `${Math.round((count / most) * 100)}%`;
  return h('span', { className: 'ratio-cell' }, bar, String(count));
}
