// Live sessions (reports.active_sessions.query): the count, the top customers and
// carriers, and the longest calls, in one batch every few seconds.
import {batch} from '../api.js';
import {duration, el, fill, table} from '../dom.js';

export const REFRESH_MS = 5000;
const TOP = 5;
const LONGEST = 10;

function requests(zone) {
  const top = (name) => ['reports.active_sessions.query', {
    return_fields: [name, 'quantity', 'duration'], order: ['-quantity'], limit: TOP}];
  return {
    total: ['reports.active_sessions.query', {return_fields: ['quantity', 'duration']}],
    customers: top('orig_clients_name'),
    carriers: top('term_clients_name'),
    longest: ['reports.active_sessions.query', {
      return_fields: ['session_id', 'session_start_time', 'orig_clients_name',
                      'term_clients_name', 'duration'],
      order: ['-duration'], limit: LONGEST, timezone: zone}],
  };
}

function figure(label, value, name) {
  return el('div', {class: 'figure', 'data-figure': name}, el('span', {class: 'value'}, value),
            el('span', {class: 'label'}, label));
}

export async function load(ctx) {
  const answers = await batch(requests(ctx.who.zone));
  for (const answer of Object.values(answers)) {
    if (answer instanceof Error) {
      throw answer;
    }
  }
  const [total] = answers.total;
  fill('live-figures', figure('live calls', total.quantity, 'quantity'),
       figure('answered time so far', duration(total.duration), 'duration'));
  const top = (heading, field) => [[heading, (r) => r[field]], ['Calls', (r) => r.quantity],
                                   ['Answered time', (r) => duration(r.duration)]];
  fill('live-customers', table('Top customers', top('Customer', 'orig_clients_name'),
                               answers.customers));
  fill('live-carriers', table('Top carriers', top('Carrier', 'term_clients_name'),
                              answers.carriers));
  fill('live-longest', table('Longest calls', [
    ['Session', (r) => r.session_id], [`Answered (${ctx.who.zone})`, (r) => r.session_start_time || 'not yet'],
    ['Customer', (r) => r.orig_clients_name], ['Carrier', (r) => r.term_clients_name],
    ['Duration', (r) => duration(r.duration)]], answers.longest));
  fill('live-updated', `Updated ${new Date().toLocaleTimeString()}.`);
}
