#!/usr/bin/env node
// A fake DynamoDB endpoint for fault tests: answers each DynamoDB call (POST /) with the
// next response of a scenario, then with a default, so a test can make the service throttle,
// fail, send a bad x-amz-crc32, drop the connection or never answer, and then count what
// the client sent.
//
// Control endpoints (by path; everything else is a DynamoDB call):
//   POST /_control/scenario  {"responses":[R, ...], "default": R}  replaces the scenario
//                            and zeroes the counters; unanswered (hung) requests are dropped
//   GET  /_control/stats     {"requests":N, "signed":N, "hung":N, "targets":{"Op":N}}
// where a response R is
//   {"status":400, "body":{...} or "raw text", "headers":{...},
//    "crc32":"wrong"|"omit" (default: the right one), "hang":true, "reset":true,
//    "delay_ms":N}
// The server listens on 127.0.0.1 only, port 0, and writes its port to $PORT_FILE.
'use strict';

const fs = require('fs');
const http = require('http');

const DEFAULT_RESPONSE = { status: 200, body: {} };
const MAX_BODY = 1 << 20;

let scenario = { responses: [], fallback: DEFAULT_RESPONSE };
let stats = null;
let hung = [];

function resetStats() {
  stats = { requests: 0, signed: 0, hung: 0, targets: {} };
}
resetStats();

// CRC-32 (IEEE), as DynamoDB computes x-amz-crc32 over the body bytes.
const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

function crc32(buf) {
  let c = 0xffffffff;
  for (const b of buf) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function readBody(req, done) {
  const chunks = [];
  let size = 0;
  req.on('data', (chunk) => {
    size += chunk.length;
    if (size > MAX_BODY) {
      req.destroy();
      return;
    }
    chunks.push(chunk);
  });
  req.on('end', () => done(Buffer.concat(chunks)));
  req.on('error', () => {});
}

function sendJson(res, status, obj) {
  const body = Buffer.from(JSON.stringify(obj));
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': body.length });
  res.end(body);
}

function validResponse(r) {
  return (
    r !== null &&
    typeof r === 'object' &&
    !Array.isArray(r) &&
    (r.status === undefined || (Number.isInteger(r.status) && r.status >= 100 && r.status <= 599))
  );
}

function dropHung() {
  for (const res of hung) res.socket && res.socket.destroy();
  hung = [];
}

function control(req, res, body) {
  if (req.method === 'GET' && req.url === '/_control/stats') {
    sendJson(res, 200, stats);
    return;
  }
  if (req.method === 'POST' && req.url === '/_control/scenario') {
    let spec;
    try {
      spec = JSON.parse(body.toString('utf8'));
    } catch (e) {
      sendJson(res, 400, { error: 'scenario is not JSON: ' + e.message });
      return;
    }
    const responses = spec && spec.responses !== undefined ? spec.responses : [];
    const fallback = spec && spec.default !== undefined ? spec.default : DEFAULT_RESPONSE;
    if (!Array.isArray(responses) || !responses.every(validResponse) || !validResponse(fallback)) {
      sendJson(res, 400, { error: 'responses must be an array of response objects' });
      return;
    }
    dropHung();
    scenario = { responses: responses.slice(), fallback };
    resetStats();
    sendJson(res, 200, { ok: true });
    return;
  }
  sendJson(res, 404, { error: 'unknown control endpoint' });
}

function answer(req, res, r) {
  if (r.reset) {
    // The connection drops with no answer at all: a transport error for the client.
    req.socket.destroy();
    return;
  }
  if (r.hang) {
    stats.hung++;
    hung.push(res);
    return;
  }
  const status = r.status || 200;
  const raw = r.body === undefined ? {} : r.body;
  const body = Buffer.from(typeof raw === 'string' ? raw : JSON.stringify(raw));
  const headers = {
    'Content-Type': 'application/x-amz-json-1.0',
    'Content-Length': body.length,
    'x-amzn-RequestId': 'FAULT' + String(stats.requests).padStart(6, '0'),
  };
  if (r.crc32 === 'wrong') headers['x-amz-crc32'] = String((crc32(body) ^ 0x5a5a5a5a) >>> 0);
  else if (r.crc32 !== 'omit') headers['x-amz-crc32'] = String(crc32(body));
  Object.assign(headers, r.headers || {});
  const send = () => {
    res.writeHead(status, headers);
    res.end(body);
  };
  if (r.delay_ms > 0) setTimeout(send, r.delay_ms);
  else send();
}

function dynamodb(req, res) {
  stats.requests++;
  const target = String(req.headers['x-amz-target'] || '');
  const op = target.startsWith('DynamoDB_20120810.') ? target.slice(18) : '(none)';
  stats.targets[op] = (stats.targets[op] || 0) + 1;
  if (String(req.headers.authorization || '').startsWith('AWS4-HMAC-SHA256 Credential=')) {
    stats.signed++;
  }
  const r = scenario.responses.length > 0 ? scenario.responses.shift() : scenario.fallback;
  answer(req, res, r);
}

const server = http.createServer((req, res) => {
  readBody(req, (body) => {
    if (req.url.startsWith('/_control/')) control(req, res, body);
    else if (req.method === 'POST') dynamodb(req, res);
    else sendJson(res, 405, { error: 'DynamoDB calls are POST /' });
  });
});
// A hung request must stay hung for as long as the client waits.
server.requestTimeout = 0;
server.headersTimeout = 0;
server.keepAliveTimeout = 60000;

server.listen(0, '127.0.0.1', () => {
  const port = String(server.address().port);
  const file = process.env.PORT_FILE;
  if (file) {
    // Written whole, then renamed, so a reader never sees half a port number.
    fs.writeFileSync(file + '.tmp', port + '\n');
    fs.renameSync(file + '.tmp', file);
  }
  console.log('fault server listening on 127.0.0.1:' + port);
});

// Nothing to flush: stop at once, connections and all.
function stop() {
  process.exit(0);
}
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
