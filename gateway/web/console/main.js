// The console: the key, what it may see, and the view chosen in the address (#live, ...).
import {RpcError, batch, currentKey, forgetKey, keepKey} from './api.js';
import {fill, setState, showMessage} from './dom.js';
import {today} from './time.js';
import * as destinations from './views/destinations.js';
import * as explorer from './views/explorer.js';
import * as exports from './views/exports.js';
import * as hours from './views/hours.js';
import * as live from './views/live.js';

const VIEWS = {live, hours, destinations, exports, explorer};
const DAY_VIEWS = new Set(['hours', 'destinations', 'exports']);
const ctx = {who: null, day: null, view: null, timer: null};

// What the key is, from three calls: tenants.list (admins only: the tenant and its zone),
// the call history (the tenant's zone, `timezone: auto`) and aggregate_get (money by hour).
async function identify() {
  const answers = await batch({
    tenant: ['tenants.list', {count: 1}],
    history: ['GetCallHistory', {from_date: '2000-01-01 00:00:00', to_date: '2000-01-01 00:00:00',
                                 timezone: 'auto', count: 1, with_total_count: false}],
    aggregate: ['aggregate_get', {from: 946684800, till: 946684800}],
  });
  for (const answer of Object.values(answers)) {
    if (answer instanceof RpcError && !answer.forbidden) {
      throw answer;
    }
  }
  const admin = !(answers.tenant instanceof Error);
  const refused = admin ? '' : answers.tenant.error.data?.message || '';
  const role = admin ? 'admin' : (/role '(\w+)'/.exec(refused) || [null, 'unknown'])[1];
  const history = !(answers.history instanceof Error);
  return {role, history, aggregate: !(answers.aggregate instanceof Error),
          tenant: admin ? answers.tenant.result[0].name : null,
          zone: admin ? answers.tenant.result[0].timezone : history ? answers.history.timezone : 'UTC'};
}

function describe(who) {
  const may = [];
  if (who.history) {
    may.push('live sessions',
             who.aggregate ? 'calls by hour with price and cost (aggregate_get)'
                           : 'calls by hour with price, from the call history (no carrier cost)',
             who.aggregate ? 'the day\'s destinations' : 'the live calls\' destinations',
             'its tenant\'s export jobs');
  }
  may.push('the explorer');
  const tenant = who.tenant ? `tenant ${who.tenant}` : 'its own tenant';
  return `Role ${who.role}, ${tenant} and the tenants below it, zone ${who.zone}. ` +
         `It may see: ${may.join('; ')}.`;
}

async function show(view) {
  clearTimeout(ctx.timer);
  ctx.view = view;
  for (const section of document.querySelectorAll('[data-view]')) {
    section.hidden = section.dataset.view !== view;
  }
  for (const link of document.querySelectorAll('[data-nav]')) {
    if (link.dataset.nav === view) {
      link.setAttribute('aria-current', 'page');
    } else {
      link.removeAttribute('aria-current');
    }
  }
  document.getElementById('day-form').hidden = !(ctx.who && DAY_VIEWS.has(view));
  if (!ctx.who || (!ctx.who.history && view !== 'explorer')) {
    setState(view, 'idle');
    return;
  }
  await refresh(view);
}

async function refresh(view) {
  setState(view, 'loading');
  let again = null;
  try {
    const more = await VIEWS[view].load(ctx);
    if (view === 'live') {
      again = live.REFRESH_MS;
    } else if (view === 'exports' && more) {
      again = exports.FOLLOW_MS;
    }
    showMessage('');
    setState(view, 'ready');
  } catch (exc) {
    showMessage(`${view}: ${exc.message}${exc.requestId ? ` (request id ${exc.requestId})` : ''}`);
    setState(view, 'error');
    again = view === 'live' ? live.REFRESH_MS : null;
  }
  if (again && ctx.view === view) {
    ctx.timer = setTimeout(() => refresh(view), again);
  }
}

async function start() {
  ctx.who = null;
  if (!currentKey()) {
    fill('who', 'Enter a key: it is kept in this browser tab only, until the tab is closed.');
    return show(ctx.view);
  }
  try {
    ctx.who = await identify();
  } catch (exc) {
    if (exc instanceof RpcError && exc.error.code === 401) {
      forgetKey(); // a refused key is not kept for the next reload
    }
    fill('who', `This key was refused: ${exc.message}`);
    return show(ctx.view);
  }
  ctx.day = today(ctx.who.zone);
  document.getElementById('day').value = ctx.day;
  fill('zone', `in ${ctx.who.zone}`);
  fill('who', describe(ctx.who));
  document.body.dataset.role = ctx.who.role;
  return show(ctx.view);
}

function viewInAddress() {
  const name = location.hash.slice(1);
  return name in VIEWS ? name : 'live';
}

document.getElementById('key-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const input = document.getElementById('key');
  keepKey(input.value.trim());
  input.value = '';
  start();
});
document.getElementById('forget').addEventListener('click', () => {
  forgetKey();
  delete document.body.dataset.role;
  start();
});
document.getElementById('day-form').addEventListener('submit', (event) => {
  event.preventDefault();
  ctx.day = document.getElementById('day').value || ctx.day;
  show(ctx.view);
});
document.getElementById('export-day').addEventListener('click', async () => {
  try {
    await exports.exportDay(ctx);
    await refresh('exports');
  } catch (exc) {
    showMessage(`Export: ${exc.message}`);
  }
});
window.addEventListener('hashchange', () => {
  show(viewInAddress());
  document.getElementById('main').focus();
});
ctx.view = viewInAddress();
start();
