#!/usr/bin/env node
// An HTTP proxy between the service and a DynamoDB emulator that can hold chosen operations
// back, so a test can keep a request busy inside a worker for as long as it needs.
//
// Every request is forwarded to $UPSTREAM (e.g. http://127.0.0.1:8000) as it came. A line is
// printed when a request arrives ("seen N Target") and when its answer has been sent back
// ("done N Target status"), so a test can poll the log to know a request is in flight.
//
// Control (by path; everything else is forwarded):
//   POST /_control/delay {"target":"GetItem","ms":2000,"count":1}
//        holds the next `count` requests whose X-Amz-Target ends in ".GetItem" for `ms`
//        before forwarding them (count 0: every one, until changed); each operation has its
//        own rule, so several can be delayed at once; {"target":"GetItem","ms":0} stops
//        delaying GetItem, {"ms":0} without a target stops delaying anything
//   GET  /_control/stats {"seen":N,"done":N,"delayed":N}
// It listens on 127.0.0.1 port 0 and writes its port to $PORT_FILE.
'use strict';

const fs = require('fs');
const http = require('http');

const upstream = new URL(process.env.UPSTREAM || '');
const MAX_CONTROL_BODY = 4096;

const rules = new Map(); // operation -> { ms, count }
const stats = { seen: 0, done: 0, delayed: 0 };
const agent = new http.Agent({ keepAlive: true });

function operation(req) {
  const t = req.headers['x-amz-target'] || '';
  const dot = t.lastIndexOf('.');
  return dot >= 0 ? t.slice(dot + 1) : t || '-';
}

function takeDelay(op) {
  const rule = rules.get(op);
  if (!rule) return 0;
  if (rule.count > 0) {
    rule.count -= 1;
    if (rule.count === 0) rules.delete(op);
  }
  return rule.ms;
}

function control(req, res) {
  const chunks = [];
  let size = 0;
  req.on('data', (c) => {
    size += c.length;
    if (size > MAX_CONTROL_BODY) req.destroy();
    else chunks.push(c);
  });
  req.on('end', () => {
    if (req.method === 'GET' && req.url === '/_control/stats') {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify(stats));
      return;
    }
    if (req.method === 'POST' && req.url === '/_control/delay') {
      try {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        const ms = Number(body.ms) || 0;
        const target = String(body.target || '');
        const count = Number(body.count) || 0;
        if (ms <= 0 && !target) rules.clear();
        else if (ms <= 0) rules.delete(target);
        else rules.set(target, { ms, count });
        console.log(`rule ${target} ${ms}ms count=${count}`);
        res.writeHead(204);
        res.end();
      } catch (e) {
        res.writeHead(400);
        res.end(String(e));
      }
      return;
    }
    res.writeHead(404);
    res.end();
  });
}

function forward(req, res) {
  const n = ++stats.seen;
  const op = operation(req);
  console.log(`seen ${n} ${op}`);
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const delay = takeDelay(op);
    if (delay > 0) stats.delayed += 1;
    setTimeout(() => {
      const headers = { ...req.headers, host: upstream.host };
      const up = http.request(
        {
          host: upstream.hostname,
          port: upstream.port,
          method: req.method,
          path: req.url,
          headers,
          agent,
        },
        (ur) => {
          res.writeHead(ur.statusCode, ur.headers);
          ur.pipe(res);
          ur.on('end', () => {
            stats.done += 1;
            console.log(`done ${n} ${op} ${ur.statusCode}`);
          });
        },
      );
      up.on('error', (e) => {
        console.log(`error ${n} ${op} ${e.message}`);
        res.destroy();
      });
      up.end(Buffer.concat(chunks));
    }, delay);
  });
}

const server = http.createServer((req, res) => {
  if (req.url.startsWith('/_control/')) control(req, res);
  else forward(req, res);
});

server.listen(0, '127.0.0.1', () => {
  const { port } = server.address();
  const file = process.env.PORT_FILE;
  if (file) {
    fs.writeFileSync(file + '.tmp', String(port));
    fs.renameSync(file + '.tmp', file);
  }
  console.log(`slow proxy on 127.0.0.1:${port} to ${upstream.href}`);
});
