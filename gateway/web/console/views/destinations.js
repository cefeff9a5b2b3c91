// The day's top destination groups (aggregate_get, where the role may call it) and the
// destinations of the live calls (the live report, for every reading role).
import {batch} from '../api.js';
import {duration, el, fill, table} from '../dom.js';
import {dayRange} from '../time.js';
import {CURRENCY} from './hours.js';

const TOP = 10;

export async function load(ctx) {
  const calls = {live: ['reports.active_sessions.query', {
    return_fields: ['orig_rates_code_name', 'quantity', 'duration'],
    order: ['-quantity'], limit: TOP}]};
  if (ctx.who.aggregate) {
    calls.day = ['aggregate_get', {...dayRange(ctx.day, ctx.who.zone), group_by_dst_group: 1,
                                   timezone: ctx.who.zone, a_currency: CURRENCY}];
  }
  const answers = await batch(calls);
  for (const answer of Object.values(answers)) {
    if (answer instanceof Error) {
      throw answer;
    }
  }
  if (answers.day) {
    const rows = [...answers.day.aggregates]
      .sort((a, b) => b.total_calls - a.total_calls).slice(0, TOP);
    const currency = answers.day.currency;
    fill('dest-day', table("The day's top destinations", [
      ['Destination', (r) => r.dst_group ?? 'unresolved'], ['Attempts', (r) => r.total_calls],
      ['ASR (%)', (r) => r.asr], ['ACD (s)', (r) => r.acd],
      ['Billed time', (r) => duration(r.billsec)], [`Price (${currency})`, (r) => r.price],
      [`Cost (${currency})`, (r) => r.cost]], rows));
  } else {
    fill('dest-day', el('p', {class: 'muted'},
                        'The day\'s destinations come from aggregate_get, which this role may not call.'));
  }
  fill('dest-live', table('Destinations of the live calls', [
    ['Destination', (r) => r.orig_rates_code_name], ['Live calls', (r) => r.quantity],
    ['Answered time', (r) => duration(r.duration)]], answers.live));
}
