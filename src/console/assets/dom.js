// Building the page from data without ever parsing data as HTML: every text goes in through
// textContent (text nodes), every attribute is set by name, and links are only ever the
// console's own `#/...` routes.

/// An element: `props` sets properties (className, textContent, ...) except `attrs` and `on`;
/// children are nodes or strings (as text nodes); null children are skipped.
export function h(tag, props = {}, ...children) {
  const element = document.createElement(tag);
  const { attrs = {}, on = {}, ...rest } = props;
  Object.assign(element, rest);
  for (const [name, value] of Object.entries(attrs)) element.setAttribute(name, value);
  for (const [event, handler] of Object.entries(on)) element.addEventListener(event, handler);
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return element;
}

/// A link to a console route: `parts` are encoded path segments after `#/`.
export function route(text, ...parts) {
  const href = '#/' + parts.map((p) => encodeURIComponent(String(p))).join('/');
  return h('a', { href, textContent: text });
}

/// A table of `rows` with `columns` [title, row => cell] (cells: strings or nodes).
export function table(columns, rows, onRow) {
  const head = h('thead', {}, h('tr', {}, columns.map(([title]) => h('th', { textContent: title }))));
  const body = h('tbody');
  const fragment = document.createDocumentFragment();
  for (const row of rows) {
    const tr = h('tr', {}, columns.map(([, cell]) => h('td', {}, cell(row) ?? '')));
    if (onRow) {
      tr.classList.add('clickable');
      tr.addEventListener('click', (event) => onRow(row, tr, event));
    }
    fragment.append(tr);
  }
  body.append(fragment);
  return h('table', {}, head, body);
}

/// What a page shows when the API refused or failed: a 403 says the token may not see it.
export function problem(error) {
  if (error.status === 403) {
    return h('p', { className: 'notice forbidden' }, `This token may not see this: ${error.message}`);
  }
  return h('p', { className: 'error', attrs: { role: 'alert' } }, `Failed: ${error.message}`);
}

/// A time as the user's local time, or an empty string.
export function when(time) {
  return time ? new Date(time).toLocaleString() : '';
}

/// A JSON value as indented text (for a <pre>).
export function pretty(value) {
  return JSON.stringify(value, null, 2);
}

/// A section with a heading.
export function section(title, ...children) {
  return h('section', { className: 'card' }, h('h2', { textContent: title }), ...children);
}

/// A small line chart of `values` as an SVG, built with attributes only.
export function sparkline(values, width = 120, height = 24) {
  const ns = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(ns, 'svg');
  svg.setAttribute('viewBox', `0 0 ${width} ${height}`);
  svg.setAttribute('class', 'sparkline');
  const max = Math.max(1, ...values);
  const step = values.length > 1 ? width / (values.length - 1) : width;
  const points = values.map((v, i) => `${(i * step).toFixed(1)},${(height - (v / max) * (height - 2) - 1).toFixed(1)}`);
  const line = document.createElementNS(ns, 'polyline');
  line.setAttribute('points', points.join(' '));
  svg.append(line);
  return svg;
}
