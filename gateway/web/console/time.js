// Days in a tenant's IANA zone, as the gateway's methods take them.

function parts(epochMs, zone) {
  const format = new Intl.DateTimeFormat('en-CA', {
    timeZone: zone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit',
    hour: '2-digit', minute: '2-digit', second: '2-digit'});
  const out = {};
  for (const {type, value} of format.formatToParts(new Date(epochMs))) {
    out[type] = value;
  }
  return out;
}

// Today's date (YYYY-MM-DD) in `zone`.
export function today(zone) {
  const p = parts(Date.now(), zone);
  return `${p.year}-${p.month}-${p.day}`;
}

function offsetMs(epochMs, zone) {
  const p = parts(epochMs, zone);
  const asUtc = Date.UTC(+p.year, +p.month - 1, +p.day, +p.hour, +p.minute, +p.second);
  return asUtc - Math.floor(epochMs / 1000) * 1000;
}

// Unix seconds of a local midnight in `zone` (the earlier one, should it repeat).
function localMidnight(day, zone) {
  const [y, m, d] = day.split('-').map(Number);
  const guess = Date.UTC(y, m - 1, d);
  let epoch = guess - offsetMs(guess, zone);
  epoch = guess - offsetMs(epoch, zone);
  return epoch / 1000;
}

function nextDay(day) {
  const [y, m, d] = day.split('-').map(Number);
  return new Date(Date.UTC(y, m - 1, d + 1)).toISOString().slice(0, 10);
}

// The whole local day as aggregate_get's inclusive `from` and `till`.
export function dayRange(day, zone) {
  return {from: localMidnight(day, zone), till: localMidnight(nextDay(day), zone) - 1};
}

// The hours of a day as the gateway labels them ("YYYY-MM-DD HH:00").
export function hourLabels(day) {
  return Array.from({length: 24}, (_, h) => `${day} ${String(h).padStart(2, '0')}:00`);
}
