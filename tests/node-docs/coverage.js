// Runs @open-rpc/test-coverage's examples rule against a gateway, as one role:
//   node coverage.js URL_OF_OPENRPC_JSON KEY ROLE [METHOD,METHOD...]
// Only the examples of ROLE (their `x-role`) are called, with ROLE's key in X-Api-Key; a
// result must equal the example's exactly. Prints one JSON line per call, then exits 1 if
// any call failed. tests/test_documents.py drives it.
"use strict";
const coverage = require("@open-rpc/test-coverage").default;
const ExamplesRule = require("@open-rpc/test-coverage/build/rules/examples-rule").default;
const { isDeepStrictEqual } = require("node:util");

async function main() {
  const [documentUrl, key, role, only] = process.argv.slice(2);
  const fetched = await (await fetch(documentUrl)).json();
  const wanted = only ? only.split(",") : null;
  fetched.methods = fetched.methods
    .filter((m) => wanted === null || wanted.includes(m.name))
    .map((m) => ({ ...m, examples: (m.examples || []).filter((e) => e["x-role"] === role) }))
    .filter((m) => m.examples.length > 0);
  if (fetched.methods.length === 0) throw new Error(`no examples for role ${role}`);
  const openrpcDocument = fetched;

  let id = 1;
  const transport = async (url, method, params) => {
    const answer = await fetch(url, {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-Api-Key": key },
      body: JSON.stringify({ jsonrpc: "2.0", id: id++, method, params }),
    });
    return answer.json();
  };
  const rule = new ExamplesRule();
  const validate = rule.validateCall.bind(rule);
  rule.validateCall = (call) => {  // exactly the example's result, not only its schema
    validate(call);
    if (!isDeepStrictEqual(call.expectedResult, call.result)) {
      call.valid = false;
      call.reason = call.reason || `expected ${JSON.stringify(call.expectedResult)} ` +
        `but got ${JSON.stringify(call.result === undefined ? call.error : call.result)}`;
    }
    return call;
  };
  const calls = [];
  const reporter = {
    onBegin() {}, onTestBegin() {},
    onTestEnd(options, call) { calls.push(call); },
    onEnd() {},
  };
  await coverage({ openrpcDocument, transport, reporters: [reporter], rules: [rule] });
  for (const call of calls) {
    console.log(JSON.stringify({ method: call.methodName, title: call.title,
                                 valid: call.valid === true, reason: call.reason || null }));
  }
  if (calls.length === 0 || calls.some((call) => call.valid !== true)) process.exit(1);
}

main().catch((error) => { console.error(error); process.exit(2); });
