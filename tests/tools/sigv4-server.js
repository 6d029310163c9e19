#!/usr/bin/env node
// A fake DynamoDB endpoint that checks every signature as AWS does: it rebuilds the canonical
// request from what it received (method, path, the headers named in SignedHeaders, the body),
// derives the key from the secret it was told, and compares. A valid call gets 200 {} (a
// GetItem that found nothing), an invalid one 403 InvalidSignatureException, as DynamoDB
// answers it. Written from the SigV4 documentation, independently of src/ddb/sigv4.c.
//
// Control endpoints:
//   POST /_control/expect  {"keyId":..., "secret":..., "token":... or null, "region":...}
//                          the credentials to check with; zeroes the counters
//   GET  /_control/stats   {"requests":N, "valid":N, "invalid":N, "withToken":N,
//                           "lastError":"..."}
// It listens on 127.0.0.1 only, port 0, and writes its port to $PORT_FILE.
'use strict';

const crypto = require('crypto');
const fs = require('fs');
const http = require('http');

const MAX_BODY = 1 << 20;

let expect = { keyId: '', secret: '', token: null, region: 'us-east-1' };
let stats = null;

function resetStats() {
  stats = { requests: 0, valid: 0, invalid: 0, withToken: 0, lastError: '' };
}
resetStats();

function sha256hex(data) {
  return crypto.createHash('sha256').update(data).digest('hex');
}

function hmac(key, data) {
  return crypto.createHmac('sha256', key).update(data).digest();
}

// A header value as SigV4 signs it: trimmed, each run of white space one space.
function fold(v) {
  return String(v).trim().replace(/\s+/g, ' ');
}

// Returns '' when the request is signed right with the expected credentials, else why not.
function check(req, body) {
  const m = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, SignedHeaders=([a-z0-9;-]+), Signature=([0-9a-f]{64})$/.exec(
    String(req.headers.authorization || ''));
  if (!m) return 'no or malformed Authorization';
  const [, keyId, day, region, service, signed, signature] = m;
  if (keyId !== expect.keyId) return 'unknown key id';
  if (region !== expect.region || service !== 'dynamodb') return 'wrong scope';
  const date = String(req.headers['x-amz-date'] || '');
  if (!date.startsWith(day)) return 'X-Amz-Date is not the scope\'s day';
  const names = signed.split(';');
  for (const must of ['host', 'x-amz-date']) {
    if (!names.includes(must)) return must + ' is not signed';
  }
  const token = req.headers['x-amz-security-token'];
  if (expect.token !== null && token !== expect.token) return 'wrong or missing session token';
  if (expect.token === null && token !== undefined) return 'a session token nobody gave';
  if (token !== undefined && !names.includes('x-amz-security-token')) return 'token not signed';
  const canonical = [
    req.method,
    req.url.split('?')[0],
    req.url.includes('?') ? req.url.split('?')[1] : '',
    names.map((n) => n + ':' + fold(req.headers[n] === undefined ? '' : req.headers[n])).join('\n') + '\n',
    signed,
    sha256hex(body),
  ].join('\n');
  const scope = day + '/' + region + '/' + service + '/aws4_request';
  const toSign = ['AWS4-HMAC-SHA256', date, scope, sha256hex(canonical)].join('\n');
  let key = hmac('AWS4' + expect.secret, day);
  key = hmac(key, region);
  key = hmac(key, service);
  key = hmac(key, 'aws4_request');
  const want = hmac(key, toSign).toString('hex');
  return want === signature ? '' : 'signature mismatch';
}

function sendJson(res, status, obj) {
  const body = Buffer.from(JSON.stringify(obj));
  res.writeHead(status, {
    'Content-Type': 'application/x-amz-json-1.0',
    'Content-Length': body.length,
  });
  res.end(body);
}

const server = http.createServer((req, res) => {
  const chunks = [];
  let size = 0;
  req.on('data', (chunk) => {
    size += chunk.length;
    if (size > MAX_BODY) req.destroy();
    else chunks.push(chunk);
  });
  req.on('end', () => {
    const body = Buffer.concat(chunks);
    if (req.url === '/_control/expect' && req.method === 'POST') {
      const e = JSON.parse(body.toString() || '{}');
      expect = {
        keyId: String(e.keyId || ''),
        secret: String(e.secret || ''),
        token: e.token === undefined || e.token === null ? null : String(e.token),
        region: String(e.region || 'us-east-1'),
      };
      resetStats();
      sendJson(res, 200, {});
      return;
    }
    if (req.url === '/_control/stats') {
      sendJson(res, 200, stats);
      return;
    }
    stats.requests++;
    if (req.headers['x-amz-security-token'] !== undefined) stats.withToken++;
    const why = check(req, body);
    if (why === '') {
      stats.valid++;
      sendJson(res, 200, {});
    } else {
      stats.invalid++;
      stats.lastError = why;
      sendJson(res, 403, {
        __type: 'com.amazon.coral.service#InvalidSignatureException',
        message: 'The request signature we calculated does not match the signature you provided.',
      });
    }
  });
});
server.keepAliveTimeout = 60000;

server.listen(0, '127.0.0.1', () => {
  const port = String(server.address().port);
  const file = process.env.PORT_FILE;
  if (file) {
    // Written whole, then renamed, so a reader never sees half a port number.
    fs.writeFileSync(file + '.tmp', port + '\n');
    fs.renameSync(file + '.tmp', file);
  }
  console.log('sigv4 server listening on 127.0.0.1:' + port);
});
