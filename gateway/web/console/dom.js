// Small DOM helpers: elements, tables, and the state a view shows while it loads.

export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value !== undefined && value !== null) {
      node.setAttribute(name, value);
    }
  }
  node.append(...children.map((c) => (c instanceof Node ? c : document.createTextNode(String(c)))));
  return node;
}

// A value hidden from the key (null) reads as "hidden".
export function shown(value) {
  return value === null || value === undefined ? 'hidden' : String(value);
}

// A table of `rows` with `columns`: [[heading, row => value], ...].
export function table(caption, columns, rows) {
  if (!rows.length) {
    return el('p', {class: 'muted'}, `${caption}: none.`);
  }
  const head = el('tr', {}, ...columns.map(([heading]) => el('th', {scope: 'col'}, heading)));
  const body = rows.map((row) => el('tr', {}, ...columns.map(([, pick]) => {
    const value = pick(row);
    return el('td', value === null ? {class: 'hidden-value'} : {}, value instanceof Node ? value : shown(value));
  })));
  return el('div', {class: 'scroll'},
            el('table', {}, el('caption', {class: 'sr-only'}, caption),
               el('thead', {}, head), el('tbody', {}, ...body)));
}

export function fill(id, ...children) {
  document.getElementById(id).replaceChildren(...children);
}

// data-state on a view's section: loading, ready or error (the tests wait for it).
export function setState(view, state) {
  document.querySelector(`[data-view="${view}"]`).dataset.state = state;
}

export function showMessage(text) {
  const box = document.getElementById('message');
  box.textContent = text;
  box.hidden = !text;
}

export function duration(seconds) {
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  return h ? `${h} h ${m} min` : m ? `${m} min ${s} s` : `${s} s`;
}
