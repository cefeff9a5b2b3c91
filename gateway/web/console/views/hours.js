// Calls by hour of the chosen day, in the tenant's zone: attempts, ASR, ACD and money.
// aggregate_get where the role may call it; for a customer, the call history's pages
// (docs/console.md says how each figure is counted from them).
import {allPages, call} from '../api.js';
import {hourChart} from '../charts.js';
import {el, fill} from '../dom.js';
import {dayRange, hourLabels} from '../time.js';

export const CURRENCY = 'USD';

// n / d rounded half-even to 2 decimals (0 when d is 0), from whole numbers.
export function ratio(n, d) {
  if (!d) {
    return 0;
  }
  let q = Math.floor((n * 100) / d);
  const twice = 2 * (n * 100 - q * d);
  if (twice > d || (twice === d && q % 2 === 1)) {
    q += 1;
  }
  return q / 100;
}

// Millionths (the finest unit a stored amount has) written as a decimal.
function decimal(micros) {
  const sign = micros < 0 ? '-' : '';
  const abs = Math.abs(micros);
  const fraction = String(abs % 1000000).padStart(6, '0').replace(/0+$/, '');
  return `${sign}${Math.floor(abs / 1000000)}${fraction ? `.${fraction}` : ''}`;
}

async function fromAggregate(ctx, labels) {
  const {from, till} = dayRange(ctx.day, ctx.who.zone);
  const answer = await call('aggregate_get', {from, till, group_by_hour: 1,
                                              timezone: ctx.who.zone, a_currency: CURRENCY});
  const byHour = new Map(answer.aggregates.map((row) => [row.hour, row]));
  const pick = (name) => labels.map((l) => (byHour.has(l) ? byHour.get(l)[name] : 0));
  return {
    source: `From aggregate_get, grouped by hour in ${answer.timezone}; money in ${answer.currency}.`,
    figures: [['attempts', 'Attempts', pick('total_calls')], ['asr', 'ASR (%)', pick('asr')],
              ['acd', 'ACD (s)', pick('acd')], ['price', `Price (${answer.currency})`, pick('price')],
              ['cost', `Cost (${answer.currency})`, pick('cost')]],
  };
}

function isVideo(session) {
  const calls = session.calls || [];
  return calls.length > 0 && calls.every((c) => c.remote_number_type === 'user');
}

async function fromHistory(ctx, labels) {
  const sessions = await allPages('GetCallHistory', {
    from_date: `${ctx.day} 00:00:00`, to_date: `${ctx.day} 23:59:59`, timezone: 'auto',
    child_account_id: 'all', with_calls: true, with_other_resources: false});
  const hours = new Map(labels.map((l) => [l, {total: 0, answered: 0, billsec: 0, micros: 0}]));
  for (const session of sessions.filter((s) => !isVideo(s))) {
    const hour = hours.get(`${session.start_date.slice(0, 13)}:00`);
    const first = session.calls[0];
    if (!hour || !first) {
      continue;
    }
    hour.total += 1;
    hour.answered += session.calls.some((c) => c.successful) ? 1 : 0;
    hour.billsec += first.duration;
    hour.micros += first.cost ? Math.round(first.cost * 1000000) : 0;
  }
  const each = (f) => labels.map((l) => f(hours.get(l)));
  return {
    source: `From the call history (GetCallHistory), by setup hour in ${ctx.who.zone}: this role may ` +
            'not call aggregate_get. Price is what the originating calls were charged, in their own currency.',
    figures: [['attempts', 'Attempts', each((h) => h.total)],
              ['asr', 'ASR (%)', each((h) => ratio(h.answered * 100, h.total))],
              ['acd', 'ACD (s)', each((h) => ratio(h.billsec, h.answered))],
              ['price', 'Price', each((h) => Number(decimal(h.micros)))]],
  };
}

export async function load(ctx) {
  const labels = hourLabels(ctx.day);
  const {source, figures} = await (ctx.who.aggregate ? fromAggregate : fromHistory)(ctx, labels);
  fill('hours-source', source);
  const charts = el('div', {class: 'chart-grid'});
  fill('hours-charts', charts);
  for (const [name, title, values] of figures) {
    hourChart(charts, name, title, labels, values);
  }
}
