#!/usr/bin/env node
// A fake EC2 instance metadata service (IMDSv2) for the credentials tests.
//
// Listens on 127.0.0.1, port 0; writes its port to the file named by $PORT_FILE once it
// listens. Serves:
//   PUT /latest/api/token                          (X-aws-ec2-metadata-token-ttl-seconds)
//   GET /latest/meta-data/iam/security-credentials/       the role name
//   GET /latest/meta-data/iam/security-credentials/<role> the role's credentials (JSON)
// and, for the tests, a control interface that is never counted as metadata traffic:
//   GET  /_control/stats   counters (JSON)
//   POST /_control/config  JSON merged into the behaviour below
//   POST /_control/reset   counters to zero, behaviour back to the command line's
//
// Behaviour (command-line flag / config key):
//   --strict / strict             metadata requests without a valid token get 403; otherwise
//                                 a missing token is served (IMDSv1) and a bad one gets 401
//   --expires-in N / expiresIn    credentials expire N seconds after the current second
//   --role NAME / role            the instance's role
//   tokenStatus, roleStatus, credsStatus   answer that status instead of 200
//   delayMs                       wait this long before answering (and counting) a metadata
//                                 request; a client that gave up by then is not answered
//   malformed                     send truncated JSON for the credentials
'use strict';

const crypto = require('crypto');
const fs = require('fs');
const http = require('http');

const CREDS_PREFIX = '/latest/meta-data/iam/security-credentials/';

function parseArgs(argv) {
  const d = {
    strict: false,
    expiresIn: 21600,
    role: 'savealife-test-role',
    tokenStatus: 200,
    roleStatus: 200,
    credsStatus: 200,
    delayMs: 0,
    malformed: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = () => {
      if (i + 1 >= argv.length) throw new Error(`${a} needs a value`);
      return argv[++i];
    };
    if (a === '--strict') d.strict = true;
    else if (a === '--expires-in') d.expiresIn = Number(next());
    else if (a === '--role') d.role = next();
    else throw new Error(`unknown argument ${a}`);
  }
  if (!Number.isInteger(d.expiresIn)) throw new Error('--expires-in needs an integer');
  return d;
}

const defaults = parseArgs(process.argv.slice(2));
let cfg = { ...defaults };
let stats;
let generation = 0; // bumped by reset, so a delayed answer never counts for the next test
const tokens = new Map(); // token -> expiry (ms since the epoch)

function resetStats() {
  stats = {
    metadataRequests: 0, // every request outside /_control/
    tokenRequests: 0,
    roleRequests: 0,
    credentialRequests: 0, // requests for the role's credentials, answered or not
    credentialsServed: 0, // 200s with credentials
    withToken: 0, // GETs that carried a valid token
    withoutToken: 0, // GETs that carried none
    badToken: 0, // GETs whose token was unknown or expired
    rejected: 0, // answers of 401 or 403
    lastTtl: null, // the TTL header of the last token request
  };
}
resetStats();

function send(res, status, body, type) {
  // A client that gave up (timeout tests) has closed the socket: nothing to answer.
  if (res.destroyed || !res.socket || res.socket.destroyed) return;
  res.writeHead(status, {
    'Content-Type': type || 'text/plain',
    'Content-Length': Buffer.byteLength(body),
  });
  res.end(body);
}

function json(res, status, obj) {
  send(res, status, JSON.stringify(obj), 'application/json');
}

// RFC 3339 UTC in whole seconds, as IMDS writes it.
function rfc3339(ms) {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function control(req, res, body) {
  if (req.method === 'GET' && req.url === '/_control/stats') return json(res, 200, stats);
  if (req.method === 'POST' && req.url === '/_control/reset') {
    cfg = { ...defaults };
    tokens.clear();
    resetStats();
    generation++;
    return json(res, 200, cfg);
  }
  if (req.method === 'POST' && req.url === '/_control/config') {
    let patch;
    try {
      patch = JSON.parse(body || '{}');
    } catch (e) {
      return json(res, 400, { error: `bad JSON: ${e.message}` });
    }
    for (const k of Object.keys(patch)) {
      if (!(k in defaults)) return json(res, 400, { error: `unknown key ${k}` });
      if (typeof patch[k] !== typeof defaults[k])
        return json(res, 400, { error: `${k} must be a ${typeof defaults[k]}` });
    }
    cfg = { ...cfg, ...patch };
    return json(res, 200, cfg);
  }
  return json(res, 404, { error: 'no such control' });
}

// 'valid', 'missing' or 'bad'
function tokenState(req) {
  const t = req.headers['x-aws-ec2-metadata-token'];
  if (t === undefined) return 'missing';
  const exp = tokens.get(t);
  return exp !== undefined && exp > Date.now() ? 'valid' : 'bad';
}

function metadata(req, res) {
  stats.metadataRequests++;
  const path = req.url.split('?')[0];

  if (path === '/latest/api/token') {
    if (req.method !== 'PUT') return send(res, 405, 'Method Not Allowed');
    stats.tokenRequests++;
    // Real IMDS refuses a token to anything that came through a proxy.
    if (req.headers['x-forwarded-for'] !== undefined) {
      stats.rejected++;
      return send(res, 403, 'Forbidden');
    }
    const ttlHeader = req.headers['x-aws-ec2-metadata-token-ttl-seconds'];
    stats.lastTtl = ttlHeader === undefined ? null : ttlHeader;
    const ttl = Number(ttlHeader);
    if (!/^\d+$/.test(ttlHeader || '') || ttl < 1 || ttl > 21600)
      return send(res, 400, 'Bad Request');
    if (cfg.tokenStatus !== 200) {
      if (cfg.tokenStatus === 401 || cfg.tokenStatus === 403) stats.rejected++;
      return send(res, cfg.tokenStatus, 'refused');
    }
    const token = crypto.randomBytes(24).toString('base64');
    tokens.set(token, Date.now() + ttl * 1000);
    res.setHeader('X-aws-ec2-metadata-token-ttl-seconds', String(ttl));
    return send(res, 200, token);
  }

  if (!path.startsWith(CREDS_PREFIX)) return send(res, 404, 'Not Found');
  if (req.method !== 'GET') return send(res, 405, 'Method Not Allowed');
  const role = path.slice(CREDS_PREFIX.length);
  if (role === '') stats.roleRequests++;
  else stats.credentialRequests++;

  const ts = tokenState(req);
  if (ts === 'valid') stats.withToken++;
  else if (ts === 'missing') stats.withoutToken++;
  else stats.badToken++;
  if (ts !== 'valid' && cfg.strict) {
    stats.rejected++;
    return send(res, 403, 'Forbidden');
  }
  if (ts === 'bad') {
    stats.rejected++;
    return send(res, 401, 'Unauthorized');
  }

  const status = role === '' ? cfg.roleStatus : cfg.credsStatus;
  if (status !== 200) {
    if (status === 401 || status === 403) stats.rejected++;
    return send(res, status, 'refused');
  }
  if (role === '') return send(res, 200, `${cfg.role}\n`);
  if (role !== cfg.role) return send(res, 404, 'Not Found');

  if (cfg.malformed) return send(res, 200, '{"Code":"Success","AccessKeyId":"ASIA', 'text/plain');
  const n = ++stats.credentialsServed;
  const now = Date.now();
  const suffix = String(n).padStart(4, '0');
  return json(res, 200, {
    Code: 'Success',
    LastUpdated: rfc3339(now),
    Type: 'AWS-HMAC',
    AccessKeyId: `ASIAFAKE${suffix}`,
    SecretAccessKey: `fakeSecret/${suffix}/${crypto.randomBytes(12).toString('hex')}`,
    Token: `fakeSessionToken${suffix}${crypto.randomBytes(48).toString('base64')}`,
    // From the current whole second, so the client sees between N-1 and N seconds of life.
    Expiration: rfc3339((Math.floor(now / 1000) + cfg.expiresIn) * 1000),
  });
}

const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const body = Buffer.concat(chunks).toString('utf8');
    if (req.url.startsWith('/_control/')) return control(req, res, body);
    if (cfg.delayMs > 0) {
      const gen = generation;
      setTimeout(() => {
        if (gen === generation && !res.destroyed && res.socket && !res.socket.destroyed)
          metadata(req, res);
      }, cfg.delayMs);
    } else {
      metadata(req, res);
    }
  });
});

// Longer than any client keeps an idle connection, so a reused one is never closed under it.
server.keepAliveTimeout = 30000;

server.listen(0, '127.0.0.1', () => {
  const port = String(server.address().port);
  const file = process.env.PORT_FILE;
  if (file) {
    // Written whole and then renamed: the harness must never read half a port number.
    fs.writeFileSync(`${file}.tmp`, `${port}\n`);
    fs.renameSync(`${file}.tmp`, file);
  }
  console.log(`fake-imds listening on 127.0.0.1:${port}`);
});

for (const sig of ['SIGTERM', 'SIGINT']) {
  process.on(sig, () => {
    server.close();
    process.exit(0);
  });
}
