// Drives Voximplant's official Node.js client, unchanged, against the gateway.
//
//   node history.js CREDENTIALS_FILE HOST < calls.json
//
// calls.json is a list of [method, request] pairs of the client's History group (e.g.
// ["getCallHistory", {"fromDate": {"$date": "2026-03-01T00:00:00Z"}}]); a value
// {"$date": text} becomes a Date, as the client's date params expect. A pair may be
// ["$wait", {"historyReportId": N}]: getHistoryReports until the report is completed.
// Prints one JSON list: per call {"answer": ...} or {"refused": {"status", "data"}}.
'use strict';

const fs = require('fs');
const VoximplantApiClient = require('@voximplant/apiclient-nodejs').default;

function revive(value) {
  if (Array.isArray(value)) return value.map(revive);
  if (value !== null && typeof value === 'object') {
    if (typeof value.$date === 'string') return new Date(value.$date);
    const out = {};
    for (const [name, inner] of Object.entries(value)) out[name] = revive(inner);
    return out;
  }
  return value;
}

async function completed(client, historyReportId) {
  for (let tries = 0; tries < 200; tries += 1) {
    const listed = await client.History.getHistoryReports({
      historyReportId, historyType: 'all'});
    const report = listed.result && listed.result[0];
    if (report && report.completed) return listed;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`history report ${historyReportId} was not completed`);
}

async function run(client, calls) {
  const out = [];
  for (const [method, request] of calls) {
    try {
      const answer = method === '$wait'
        ? await completed(client, request.historyReportId)
        : await client.History[method](revive(request));
      out.push({answer});
    } catch (error) {
      if (!error.response) throw error;
      out.push({refused: {status: error.response.status, data: error.response.data,
                          contentType: error.response.headers['content-type']}});
    }
  }
  return out;
}

const [credentials, host] = process.argv.slice(2);
const calls = JSON.parse(fs.readFileSync(0, 'utf8'));
const client = new VoximplantApiClient({pathToCredentials: credentials, host});
client.onReady = () => {
  run(client, calls).then(
    (out) => process.stdout.write(JSON.stringify(out)),
    (error) => {
      process.stderr.write(`${error.stack || error}\n`);
      process.exitCode = 1;
    });
};
