// Prints the OpenRPC meta-schema and the JSON Schema meta-schema it refers to, as one JSON
// object {openrpc, jsonSchema}, for tests/test_documents.py to validate with.
"use strict";
const { openrpcDocument } = require("@open-rpc/meta-schema");
const { jsonSchema } = require("@json-schema-tools/meta-schema");

console.log(JSON.stringify({ openrpc: openrpcDocument, jsonSchema }));
