#!/usr/bin/env node
// An HTTP proxy in front of a DynamoDB emulator that lets DynamoDB apply a write and then loses
// its answer, as a network or a crashed load balancer would: the service cannot know whether
// the write happened.
//
// Every request is forwarded to $UPSTREAM (e.g. http://127.0.0.1:8000) as it came. A request
// that matches the rule is forwarded too, its whole answer is read from DynamoDB (so the write
// is applied), and then, by the rule's mode, the client gets:
//   "close"  no answer: the connection is closed
//   "crc"    the answer with a wrong x-amz-crc32
//   "delay"  the answer after `ms` milliseconds (past the client's attempt timeout)
// With "then", the proxy itself sends one more request to DynamoDB after the lost one was
// applied and before it loses the answer: another writer's change in between.
//
// Control (by path; everything else is forwarded):
//   POST /_control/lose {"target":"PutItem","mode":"close","ms":0,"count":1,
//                        "then":{"target":"UpdateItem","body":{...}}}
//        the next `count` requests whose X-Amz-Target ends in ".PutItem" (count 0: all)
//   POST /_control/reset  no rule, counters zeroed
//   GET  /_control/stats  {"seen":{"PutItem":N,...},"lost":N,"then":N}
// It listens on 127.0.0.1 port 0 and writes its port to $PORT_FILE.
'use strict';

const fs = require('fs');
const http = require('http');

const upstream = new URL(process.env.UPSTREAM || '');
const MAX_BODY = 1 << 20;
const MODES = ['close', 'crc', 'delay'];

let rule = null;
let stats = null;
const agent = new http.Agent({ keepAlive: true });

function resetStats() {
  stats = { seen: {}, lost: 0, then: 0 };
}
resetStats();

function operation(req) {
  const t = req.headers['x-amz-target'] || '';
  const dot = t.lastIndexOf('.');
  return dot >= 0 ? t.slice(dot + 1) : t || '-';
}

function takeRule(op) {
  if (rule === null || op !== rule.target) return null;
  const r = rule;
  if (r.count > 0) {
    r.count -= 1;
    if (r.count === 0) rule = null;
  }
  return r;
}

function readAll(stream, done) {
  const chunks = [];
  let size = 0;
  stream.on('data', (c) => {
    size += c.length;
    if (size > MAX_BODY) stream.destroy();
    else chunks.push(c);
  });
  stream.on('end', () => done(Buffer.concat(chunks)));
  stream.on('error', () => done(null));
}

// One request to DynamoDB; done(status, headers, body) or done(null) on failure.
function upstreamRequest(headers, body, done) {
  const up = http.request(
    {
      host: upstream.hostname,
      port: upstream.port,
      method: 'POST',
      path: '/',
      headers: { ...headers, host: upstream.host, 'content-length': body.length },
      agent,
    },
    (ur) => readAll(ur, (b) => done(b === null ? null : ur.statusCode, ur.headers, b)),
  );
  up.on('error', (e) => {
    console.log(`upstream error ${e.message}`);
    done(null);
  });
  up.end(body);
}

// The other writer's request: the client's own headers (the emulators do not check
// signatures), another target and body.
function sendThen(r, req, done) {
  if (!r.then) {
    done();
    return;
  }
  const headers = { ...req.headers, 'x-amz-target': `DynamoDB_20120810.${r.then.target}` };
  delete headers['content-length'];
  upstreamRequest(headers, Buffer.from(JSON.stringify(r.then.body)), (status, h, body) => {
    stats.then += 1;
    console.log(`then ${r.then.target} ${status} ${body ? body.toString('utf8') : ''}`);
    done();
  });
}

function lose(r, req, res, status, headers, body) {
  stats.lost += 1;
  console.log(`lost ${operation(req)} ${status} by ${r.mode}`);
  if (r.mode === 'close') {
    req.socket.destroy();
    return;
  }
  if (r.mode === 'crc') {
    const h = { ...headers };
    const crc = Number(h['x-amz-crc32'] || 0);
    h['x-amz-crc32'] = String((crc ^ 0x5a5a5a5a) >>> 0);
    res.writeHead(status, h);
    res.end(body);
    return;
  }
  setTimeout(() => {
    if (res.socket && !res.socket.destroyed) {
      res.writeHead(status, headers);
      res.end(body);
    }
  }, r.ms);
}

function forward(req, res) {
  const op = operation(req);
  stats.seen[op] = (stats.seen[op] || 0) + 1;
  console.log(`seen ${op}`);
  readAll(req, (body) => {
    if (body === null) return;
    const r = takeRule(op);
    upstreamRequest(req.headers, body, (status, headers, answer) => {
      if (status === null) {
        res.destroy();
        return;
      }
      if (r === null) {
        res.writeHead(status, headers);
        res.end(answer);
        return;
      }
      sendThen(r, req, () => lose(r, req, res, status, headers, answer));
    });
  });
}

function sendJson(res, status, obj) {
  res.writeHead(status, { 'Content-Type': 'application/json' });
  res.end(JSON.stringify(obj));
}

function control(req, res) {
  readAll(req, (body) => {
    if (req.method === 'GET' && req.url === '/_control/stats') {
      sendJson(res, 200, stats);
      return;
    }
    if (req.method === 'POST' && req.url === '/_control/reset') {
      rule = null;
      resetStats();
      sendJson(res, 200, { ok: true });
      return;
    }
    if (req.method === 'POST' && req.url === '/_control/lose') {
      let spec;
      try {
        spec = JSON.parse(String(body));
      } catch (e) {
        sendJson(res, 400, { error: String(e) });
        return;
      }
      if (!spec || typeof spec.target !== 'string' || !MODES.includes(spec.mode)) {
        sendJson(res, 400, { error: 'target and mode (close, crc, delay) are required' });
        return;
      }
      rule = {
        target: spec.target,
        mode: spec.mode,
        ms: Number(spec.ms) || 0,
        count: spec.count === undefined ? 1 : Number(spec.count) || 0,
        then: spec.then || null,
      };
      console.log(`rule ${rule.target} ${rule.mode} ${rule.ms}ms count=${rule.count}`);
      sendJson(res, 200, { ok: true });
      return;
    }
    sendJson(res, 404, { error: 'unknown control endpoint' });
  });
}

const server = http.createServer((req, res) => {
  if (req.url.startsWith('/_control/')) control(req, res);
  else forward(req, res);
});
// A delayed answer must be held as long as the rule says.
server.requestTimeout = 0;
server.headersTimeout = 0;

server.listen(0, '127.0.0.1', () => {
  const { port } = server.address();
  const file = process.env.PORT_FILE;
  if (file) {
    fs.writeFileSync(file + '.tmp', String(port));
    fs.renameSync(file + '.tmp', file);
  }
  console.log(`lossy proxy on 127.0.0.1:${port} to ${upstream.href}`);
});

function stop() {
  process.exit(0);
}
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
