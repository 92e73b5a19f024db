// The console's shell: sign-in (the token stays in this tab's session storage), the nav, and
// the hash router that hands `#/<page>/<args>?<params>` to one module per page.

import { signIn, signOut, token, get, ApiError } from './api.js';
import { h, problem } from './dom.js';

const PAGES = {
  logs: () => import('./pages/logs.js'),
  trace: () => import('./pages/trace.js'),
  exceptions: () => import('./pages/exceptions.js'),
  performance: () => import('./pages/performance.js'),
  alerts: () => import('./pages/alerts.js'),
  services: () => import('./pages/services.js'),
  health: () => import('./pages/health.js'),
};

const view = document.getElementById('view');
const form = document.getElementById('sign-in');
let leave = null;

/// `#/logs/a/b?x=1` as { page: 'logs', args: ['a', 'b'], params: URLSearchParams }.
function parseHash() {
  const hash = location.hash.replace(/^#\/?/, '');
  const [path, query = ''] = hash.split('?');
  const [page = 'logs', ...args] = path.split('/').filter(Boolean).map(decodeURIComponent);
  return { page, args, params: new URLSearchParams(query) };
}

function showSignIn(message = '') {
  document.getElementById('nav').hidden = true;
  document.getElementById('sign-out').hidden = true;
  document.getElementById('sign-in-error').textContent = message;
  view.replaceChildren(form);
  form.hidden = false;
}

async function show() {
  if (leave) leave();
  leave = null;
  if (!token()) return showSignIn();
  document.getElementById('nav').hidden = false;
  document.getElementById('sign-out').hidden = false;
  const { page, args, params } = parseHash();
  const load = PAGES[page] || PAGES.logs;
  for (const link of document.querySelectorAll('#nav a')) {
    link.classList.toggle('active', link.dataset.page === page);
  }
  const root = h('div', { className: 'page', attrs: { 'data-page': page } });
  view.replaceChildren(root);
  try {
    const module = await load();
    leave = (await module.render(root, args, params)) || null;
  } catch (error) {
    root.append(problem(error));
  }
  root.dataset.ready = 'true';
}

form.addEventListener('submit', async (event) => {
  event.preventDefault();
  const value = document.getElementById('token').value.trim();
  signIn(value);
  try {
    await get('/api/v1/logs/levels');
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) {
      signOut();
      return showSignIn('This token was refused.');
    }
  }
  document.getElementById('token').value = '';
  if (!location.hash) location.hash = '#/logs';
  show();
});

document.getElementById('sign-out').addEventListener('click', () => {
  signOut();
  show();
});

window.addEventListener('logbridge:unauthorized', () => {
  signOut();
  showSignIn('The token was refused (expired or revoked?): sign in again.');
});
window.addEventListener('hashchange', show);
show();
