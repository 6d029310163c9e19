#!/usr/bin/env node
// A continuous request loop for process tests: sends GET requests to a URL, `concurrency` at
// a time, one after another, and prints one line a request:
//   "ok N STATUS MS" when the status is the expected one, "fail N STATUS-or-error MS" if not,
// then, when it stops, a last line "summary {"sent":N,"ok":N,"failed":N,...}".
// It stops after `--count` requests, on SIGTERM or SIGINT, or after `--max-seconds` (a
// safety bound; it then exits 3 so that a test notices).
//
//   node loop.js --url http://127.0.0.1:8080/api/health [--expect 200] [--concurrency 2]
//                [--count 0] [--max-seconds 60] [--timeout-ms 10000] [--pause-ms 0]
// --pause-ms: how long each of the `concurrency` lanes waits after an answer before its next
// request (a client that does not hammer a service answering 503 at once).
'use strict';

const http = require('http');

function parseArgs(argv) {
  const opts = {
    url: '', expect: 200, concurrency: 1, count: 0, maxSeconds: 60, timeoutMs: 10000, pauseMs: 0,
  };
  for (let i = 0; i < argv.length; i += 2) {
    const name = argv[i];
    const value = argv[i + 1];
    if (value === undefined) throw new Error(`${name} needs a value`);
    switch (name) {
      case '--url': opts.url = value; break;
      case '--expect': opts.expect = Number(value); break;
      case '--concurrency': opts.concurrency = Number(value); break;
      case '--count': opts.count = Number(value); break;
      case '--max-seconds': opts.maxSeconds = Number(value); break;
      case '--timeout-ms': opts.timeoutMs = Number(value); break;
      case '--pause-ms': opts.pauseMs = Number(value); break;
      default: throw new Error(`unknown option ${name}`);
    }
  }
  if (!opts.url) throw new Error('--url is required');
  return opts;
}

const opts = parseArgs(process.argv.slice(2));
const url = new URL(opts.url);
// No keep-alive: each request is a new connection, as a stream of separate clients makes.
const agent = new http.Agent({ keepAlive: false });
const summary = { sent: 0, ok: 0, failed: 0, statuses: {} };
let stopping = false;
let running = 0;
let finished = false;

function finish(code) {
  if (finished) return;
  finished = true;
  console.log('summary ' + JSON.stringify(summary));
  process.exitCode = code;
  // Let stdout drain, then leave even if a request is still hanging.
  setTimeout(() => process.exit(code), 50).unref();
}

function record(n, outcome, started) {
  const ms = Date.now() - started;
  const ok = outcome === opts.expect;
  summary.statuses[outcome] = (summary.statuses[outcome] || 0) + 1;
  if (ok) summary.ok += 1;
  else summary.failed += 1;
  console.log(`${ok ? 'ok' : 'fail'} ${n} ${outcome} ${ms}`);
}

function next() {
  if (stopping || (opts.count > 0 && summary.sent >= opts.count)) {
    if (running === 0) finish(0);
    return;
  }
  const n = ++summary.sent;
  const started = Date.now();
  running += 1;
  let done = false;
  const complete = (outcome) => {
    if (done) return;
    done = true;
    running -= 1;
    record(n, outcome, started);
    if (opts.pauseMs > 0) setTimeout(next, opts.pauseMs);
    else setImmediate(next);
  };
  const req = http.get(
    { host: url.hostname, port: url.port, path: url.pathname + url.search, agent },
    (res) => {
      res.resume();
      res.on('end', () => complete(res.statusCode));
      res.on('error', (e) => complete(e.code || 'error'));
    },
  );
  req.setTimeout(opts.timeoutMs, () => req.destroy(new Error('timeout')));
  req.on('error', (e) => complete(e.code || e.message));
}

process.on('SIGTERM', () => { stopping = true; if (running === 0) finish(0); });
process.on('SIGINT', () => { stopping = true; if (running === 0) finish(0); });
setTimeout(() => { stopping = true; finish(3); }, opts.maxSeconds * 1000).unref();

for (let i = 0; i < opts.concurrency; i++) next();
