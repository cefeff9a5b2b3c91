// The explorer: every method of rpc.discover, a form built from its params' schemas, its
// examples, and the answer of a call with its request id.
import {call, post} from '../api.js';
import {el, fill} from '../dom.js';

let methods = [];

function types(schema) {
  const type = schema.type;
  return (Array.isArray(type) ? type : [type]).filter((t) => t && t !== 'null');
}

// How a param is typed in: 'text', 'number', 'boolean', 'enum' or 'json'.
function kind(schema) {
  const [only, ...more] = types(schema);
  if (more.length || schema.oneOf || schema.anyOf || !only) {
    return 'json';
  }
  if (only === 'string') {
    return schema.enum ? 'enum' : 'text';
  }
  return {integer: 'number', number: 'number', boolean: 'boolean'}[only] || 'json';
}

function field(param) {
  const schema = param.schema || {};
  const how = kind(schema);
  const id = `param-${param.name}`;
  let input;
  if (how === 'boolean' || how === 'enum') {
    const options = how === 'boolean' ? ['true', 'false'] : schema.enum;
    input = el('select', {id}, el('option', {value: ''}, '(not sent)'),
               ...options.map((o) => el('option', {value: o}, o)));
  } else {
    input = el('input', {id, type: 'text', inputmode: how === 'number' ? 'numeric' : null,
                         spellcheck: 'false',
                         placeholder: schema.default !== undefined ? `default ${JSON.stringify(schema.default)}` : null});
  }
  input.dataset.param = param.name;
  input.dataset.kind = how;
  const hint = [how === 'json' ? 'JSON' : types(schema).join(' or '), schema.description]
    .filter(Boolean).join(': ');
  return el('div', {class: 'field'},
            el('label', {for: id}, param.name, param.required ? ' (required)' : ''),
            input, el('small', {class: 'muted'}, hint));
}

function value(input) {
  const text = input.value.trim();
  if (input.dataset.kind === 'text' || input.dataset.kind === 'enum') {
    return input.value;
  }
  return JSON.parse(text);
}

function writeRequest(method) {
  const params = {};
  for (const input of document.querySelectorAll('#params-form [data-param]')) {
    input.removeAttribute('aria-invalid');
    if (input.value.trim() === '') {
      continue;
    }
    try {
      params[input.dataset.param] = value(input);
    } catch {
      input.setAttribute('aria-invalid', 'true');
    }
  }
  const request = {jsonrpc: '2.0', method: method.name, id: 1};
  if (Object.keys(params).length) {
    request.params = params;
  }
  document.getElementById('request').value = JSON.stringify(request, null, 2);
}

function useExample(method, example) {
  const given = new Map((example.params || []).map((p) => [p.name, p.value]));
  for (const input of document.querySelectorAll('#params-form [data-param]')) {
    const v = given.get(input.dataset.param);
    const plain = ['text', 'enum'].includes(input.dataset.kind) && typeof v === 'string';
    input.value = v === undefined ? '' : plain ? v : JSON.stringify(v);
  }
  writeRequest(method);
}

function choose(name) {
  const method = methods.find((m) => m.name === name);
  fill('method-summary', method.summary || method.description || '');
  const form = document.getElementById('params-form');
  form.replaceChildren(...(method.params || []).map(field));
  form.oninput = () => writeRequest(method);
  const buttons = (method.examples || []).map((example) => {
    const button = el('button', {type: 'button'}, `Example: ${example.name}`,
                      example['x-role'] ? ` (${example['x-role']})` : '');
    button.addEventListener('click', () => useExample(method, example));
    return button;
  });
  fill('examples', ...buttons);
  writeRequest(method);
}

async function send() {
  const out = document.getElementById('answer');
  let body;
  try {
    body = JSON.parse(document.getElementById('request').value);
  } catch (exc) {
    out.textContent = `The request is not JSON: ${exc.message}`;
    return;
  }
  const answer = await post(body);
  document.getElementById('request-id').textContent = answer.requestId || 'none';
  out.textContent = JSON.stringify(answer.body, null, 2);
  out.dataset.status = String(answer.status);
}

export async function load() {
  if (methods.length) {
    return;
  }
  const described = await call('rpc.discover');
  methods = [...described.methods].sort((a, b) => a.name.localeCompare(b.name));
  const select = document.getElementById('method');
  select.replaceChildren(...methods.map((m) => el('option', {value: m.name}, m.name)));
  select.addEventListener('change', () => choose(select.value));
  document.getElementById('send').addEventListener('click', send);
  choose(methods[0].name);
}
