// Health (admin tokens): the database, the ingest queue, the last commit, partitions made
// ahead, the last retention run and the archive location, as the bridge reports them.

import { get } from '../api.js';
import { h, problem, when, section } from '../dom.js';

export async function render(root) {
  root.append(h('h1', {}, 'Health'));
  try {
    root.append(view(await get('/api/v1/health')));
  } catch (error) {
    root.append(problem(error));
  }
}

function view(health) {
  const run = health.last_retention_run;
  const rows = [
    ['Overall', health.healthy ? 'healthy' : 'unhealthy', health.healthy],
    ['Database', health.database_reachable ? 'reachable' : 'unreachable', health.database_reachable],
    ['Ingest queue', `${(health.queue.fill * 100).toFixed(1)} % full (${health.queue.records} of ${health.queue.max_records} records, ${health.queue.bytes} of ${health.queue.max_bytes} bytes)`, health.queue.fill < 0.9],
    ['Last commit', health.last_commit_age_seconds === null ? 'none yet' : `${health.last_commit_age_seconds.toFixed(1)} s ago`, true],
    ['Partitions ahead', `${health.partitions.days_ahead} of ${health.partitions.wanted} days`, health.partitions.days_ahead >= health.partitions.wanted],
    ['Last retention run', run ? `${run.status} (${run.trigger}) ${when(run.started_at)}${run.message ? `: ${run.message}` : ''}` : 'none yet', !run || run.status !== 'failed'],
    ['Archive', health.archive.configured ? `${health.archive.location} (${health.archive.reachable ? 'reachable' : 'unreachable'})` : 'not configured', health.archive.reachable !== false],
  ];
  return section('Bridge', h('dl', { className: 'health' }, rows.flatMap(([name, text, good]) => [
    h('dt', {}, name), h('dd', { className: good ? 'good' : 'bad' }, text)])));
}
