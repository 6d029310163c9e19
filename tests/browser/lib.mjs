// The browser-test harness (run by tests/browser/run.sh, which starts the stack first).
//
// A test file beside this one exports `default function register(suite)` and calls
//   suite.test(name, async (ctx) => {...}, {timeout, apiStatuses})   while the API runs
//   suite.whenApiDown(name, async (ctx) => {...}, {...})             after `serve` is stopped
// Each test is one TAP line; ctx.check() adds one line per page state it checks. A test fails
// on a thrown error, on its time limit, and on any console error, uncaught exception or
// `securitypolicyviolation` event in a page it opened; answers of /api/ with a status listed
// in apiStatuses (e.g. [409, 422]) may log their "Failed to load resource" line, and
// allow(problem) may accept others ({kind, text, url}) that the test causes on purpose.
//
// ctx: base (the site's URL), adminToken, open(path, {width, dark}) -> puppeteer Page with
// the collectors attached, check(page, state, {dark}) (axe-core WCAG 2.0/2.1/2.2 A+AA, no sideways
// scrolling at 320 and 360 px, screenshots at 360 and 1280 px into $SCREENSHOT_DIR),
// api(method, path, {body, admin, headers}) -> {status, headers, data} (node's fetch, with the
// admin token when admin is true), waitFor(fn, what, ms), assert(cond, message), log(text).

import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import fs from 'node:fs';
import path from 'node:path';

const env = (name) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set (run tests/browser/run.sh)`);
  return value;
};

export const BASE_URL = env('BASE_URL');
export const ADMIN_TOKEN = env('ADMIN_TOKEN');
const SCREENSHOT_DIR = env('SCREENSHOT_DIR');
const HARNESS_DIR = env('HARNESS_DIR');
const SERVE_PID = Number(env('SERVE_PID'));
const BROWSER_PATH = process.env.BROWSER_PATH || '/usr/bin/chromium';
const NODE_MODULES_DIR = env('NODE_MODULES_DIR');

const requireModules = createRequire(path.join(NODE_MODULES_DIR, 'noop.js'));
export async function importModule(name) {
  return import(pathToFileURL(requireModules.resolve(name)).href);
}
const puppeteer = (await importModule('puppeteer-core')).default;
const AXE_SOURCE = fs.readFileSync(requireModules.resolve('axe-core/axe.min.js'), 'utf8');
const AXE_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22a', 'wcag22aa'];

// ---- TAP ----
let count = 0;
let failures = 0;
function tapLine(ok, name, diagnostics = []) {
  count += 1;
  if (!ok) failures += 1;
  console.log(`${ok ? 'ok' : 'not ok'} ${count} - ${name.replace(/#/g, 'no.')}`);
  for (const d of diagnostics) {
    for (const line of String(d).split('\n').slice(0, 40)) console.log(`# ${line}`);
  }
}
export function log(text) {
  for (const line of String(text).split('\n')) console.log(`# ${line}`);
}

// ---- bounded waiting ----
export function withTimeout(promise, ms, what) {
  let timer;
  const limit = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no result within ${ms} ms`)), ms);
  });
  return Promise.race([promise, limit]).finally(() => clearTimeout(timer));
}

// Polls fn (sync or async) until it returns a truthy value, at most ms.
export async function waitFor(fn, what, ms = 10000) {
  const end = Date.now() + ms;
  let last;
  for (;;) {
    try {
      last = await fn();
      if (last) return last;
    } catch (err) {
      last = err;
    }
    if (Date.now() > end) {
      throw new Error(`timed out after ${ms} ms waiting for ${what}` +
        (last instanceof Error ? `: ${last.message}` : ''));
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export function assert(cond, message) {
  if (!cond) throw new Error(message);
}

// ---- the API from node (setup and read-back) ----
export async function api(method, urlPath, { body, admin = false, headers = {} } = {}) {
  const h = { Accept: 'application/json', ...headers };
  if (admin) h.Authorization = `Bearer ${ADMIN_TOKEN}`;
  if (body !== undefined) h['Content-Type'] = 'application/json';
  const response = await fetch(BASE_URL + urlPath, {
    method, headers: h, body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(10000),
  });
  const text = await response.text();
  let data = text;
  try {
    data = text ? JSON.parse(text) : null;
  } catch { /* not JSON: kept as text */ }
  return { status: response.status, headers: response.headers, data };
}

// ---- the browser ----
let browser;
async function launch() {
  const args = ['--headless=new', '--disable-dev-shm-usage', '--disable-gpu',
    '--no-first-run', '--no-default-browser-check', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', '--disable-extensions',
    '--metrics-recording-only', '--password-store=basic', '--use-mock-keychain',
    '--lang=en-GB'];
  if (process.getuid && process.getuid() === 0) args.push('--no-sandbox');
  browser = await withTimeout(puppeteer.launch({
    executablePath: BROWSER_PATH,
    headless: true,
    args,
    userDataDir: path.join(HARNESS_DIR, 'chromium-profile'),
    defaultViewport: { width: 1280, height: 900 },
    protocolTimeout: 60000,
    // Its own process group, so that run.sh can stop it and its children by the pid below.
    handleSIGINT: false,
    handleSIGTERM: false,
    handleSIGHUP: false,
  }), 60000, 'starting chromium');
  const proc = browser.process();
  if (proc && proc.pid) fs.writeFileSync(path.join(HARNESS_DIR, 'browser.pid'), String(proc.pid));
  return browser;
}

export function browserInstance() {
  return browser;
}

// Collectors of one page: console errors, uncaught exceptions, CSP violations, failed loads.
function attach(page, problems) {
  page.on('console', (msg) => {
    if (msg.type() !== 'error') return;
    const url = (msg.location() && msg.location().url) || '';
    problems.push({ kind: 'console', text: msg.text(), url });
  });
  page.on('pageerror', (err) => problems.push({ kind: 'exception', text: String(err && err.message || err) }));
  page.on('requestfailed', (req) => {
    const reason = req.failure() ? req.failure().errorText : 'failed';
    // A navigation away aborts what is still loading: not the page's fault.
    if (reason === 'net::ERR_ABORTED') return;
    problems.push({ kind: 'request', text: `${req.method()} ${req.url()}: ${reason}`, url: req.url() });
  });
}

async function newPage(problems, { width = 1280, dark = false } = {}) {
  const page = await browser.newPage();
  attach(page, problems);
  await page.exposeFunction('__reportCsp', (text) => problems.push({ kind: 'csp', text }));
  await page.evaluateOnNewDocument(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
      window.__reportCsp(`${e.violatedDirective} blocked ${e.blockedURI || 'inline'} ` +
        `(${e.sourceFile || ''}:${e.lineNumber || 0})`);
    });
  });
  await page.setViewport({ width, height: 900 });
  await page.emulateMediaFeatures([{ name: 'prefers-color-scheme', value: dark ? 'dark' : 'light' }]);
  page.setDefaultTimeout(15000);
  page.setDefaultNavigationTimeout(20000);
  return page;
}

// The problems that fail a test: everything but the listed statuses' load errors under /api/.
function unexpected(problems, apiStatuses, apiDown) {
  return problems.filter((p) => {
    if (p.kind === 'console') {
      const m = /status of (\d{3})/.exec(p.text);
      if (m && p.url && new URL(p.url, BASE_URL).pathname.startsWith('/api/') &&
        apiStatuses.includes(Number(m[1]))) return false;
      // With the service stopped, its route answers 502 from nginx: that is the case tested.
      if (apiDown && p.url && new URL(p.url, BASE_URL).pathname.startsWith('/api/')) return false;
    }
    if (p.kind === 'request' && apiDown && new URL(p.url).pathname.startsWith('/api/')) return false;
    return true;
  });
}

// ---- checks of one page state ----
async function runAxe(page) {
  const has = await page.evaluate(() => typeof window.axe === 'object');
  // Runtime.evaluate is not subject to the page's CSP, so axe needs no relaxed policy.
  if (!has) await page.evaluate(AXE_SOURCE);
  return page.evaluate(async (tags) => {
    const result = await window.axe.run(document, { runOnly: { type: 'tag', values: tags },
      resultTypes: ['violations'] });
    return result.violations.map((v) => `${v.id} (${v.impact}): ${v.help}; ` +
      v.nodes.slice(0, 5).map((n) => n.target.join(' ')).join(', '));
  }, AXE_TAGS);
}

function shotName(state, suffix) {
  return path.join(SCREENSHOT_DIR, `${state.replace(/[^a-z0-9-]+/gi, '-')}-${suffix}.png`);
}

// axe at 360 and 1280 px (and in dark mode when dark is set), no sideways scrolling at 320
// and 360 px, screenshots at 360 and 1280 px: one TAP line.
async function checkState(page, state, { dark = false } = {}) {
  const problems = [];
  const original = page.viewport();
  if (dark) await page.emulateMediaFeatures([{ name: 'prefers-color-scheme', value: 'dark' }]);
  try {
    for (const width of [320, 360, 1280]) {
      await page.setViewport({ width, height: 900 });
      if (width !== 320) {
        const violations = await runAxe(page);
        for (const v of violations) problems.push(`axe at ${width} px: ${v}`);
      }
      const overflow = await page.evaluate(() =>
        document.documentElement.scrollWidth - document.documentElement.clientWidth);
      if (width <= 360 && overflow > 0) problems.push(`scrolls sideways by ${overflow} px at ${width} px`);
      if (width !== 320) {
        await page.screenshot({ path: shotName(state, `${width}${dark ? '-dark' : ''}`), fullPage: true });
      }
    }
  } finally {
    if (original) await page.setViewport(original);
    if (dark) await page.emulateMediaFeatures([{ name: 'prefers-color-scheme', value: 'light' }]);
  }
  tapLine(problems.length === 0, `${state}${dark ? ' (dark)' : ''}: axe WCAG 2.2 AA, 320 px, screenshots`, problems);
}

// ---- suites ----
const tests = [];
const downTests = [];
// BROWSER_GREP=regex runs only the tests whose names match (while writing a test).
const grep = process.env.BROWSER_GREP ? new RegExp(process.env.BROWSER_GREP) : null;
const suite = {
  test(name, fn, options = {}) {
    if (!grep || grep.test(name)) tests.push({ name, fn, options });
  },
  whenApiDown(name, fn, options = {}) {
    if (!grep || grep.test(name)) downTests.push({ name, fn, options: { ...options, apiDown: true } });
  },
};

async function runOne({ name, fn, options }) {
  const problems = [];
  const pages = [];
  const ctx = {
    base: BASE_URL,
    adminToken: ADMIN_TOKEN,
    api,
    waitFor,
    assert,
    log,
    async open(urlPath, opts = {}) {
      const page = await newPage(problems, opts);
      pages.push(page);
      if (urlPath !== null && urlPath !== undefined) {
        const response = await page.goto(BASE_URL + urlPath, { waitUntil: 'load' });
        assert(response && response.status() < 400, `GET ${urlPath}: ${response ? response.status() : 'no answer'}`);
      }
      return page;
    },
    async check(page, state, opts = {}) {
      await checkState(page, state, opts);
    },
  };
  let error = null;
  try {
    await withTimeout(fn(ctx), options.timeout || 30000, name);
    // Events of the last moments (a console error after the last await) still count.
    await new Promise((resolve) => setTimeout(resolve, 100));
  } catch (err) {
    error = err;
  }
  for (const page of pages) await page.close().catch(() => {});
  const bad = unexpected(problems, options.apiStatuses || [], options.apiDown)
    .filter((p) => !(options.allow && options.allow(p)));
  const diagnostics = [];
  if (error) diagnostics.push(error.stack || String(error));
  for (const p of bad) diagnostics.push(`${p.kind}: ${p.text}${p.url ? ` [${p.url}]` : ''}`);
  tapLine(!error && bad.length === 0, name, diagnostics);
}

// Stops `savealife serve` (SIGTERM to its master, by pid) and waits until it has exited.
async function stopServe() {
  process.kill(SERVE_PID, 'SIGTERM');
  await waitFor(() => {
    try {
      const stat = fs.readFileSync(`/proc/${SERVE_PID}/stat`, 'utf8');
      return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
    } catch {
      return true;
    }
  }, 'savealife serve to exit', 30000);
}

export async function main(files) {
  for (const file of files) {
    const mod = await import(pathToFileURL(file).href);
    mod.default(suite);
  }
  try {
    await launch();
  } catch (err) {
    console.log(`Bail out! cannot start chromium: ${err.message}`);
    process.exitCode = 1;
    return;
  }
  const started = Date.now();
  try {
    for (const t of tests) {
      await runOne(t);
      if (!browser.connected) throw new Error('the browser has gone');
    }
    if (downTests.length) {
      let stopped = null;
      try {
        await stopServe();
      } catch (err) {
        stopped = err;
      }
      // A sanitizer build reports what it found in the service's log.
      let reports = [];
      try {
        reports = fs.readFileSync(path.join(HARNESS_DIR, 'serve.log'), 'utf8').split('\n')
          .filter((l) => /ERROR: (Address|Leak)Sanitizer|runtime error:/.test(l));
      } catch { /* no log: nothing reported */ }
      const why = [...(stopped ? [stopped.message] : []), ...reports];
      tapLine(!why.length, 'savealife serve stopped by its pid, no sanitizer report in its log', why);
      for (const t of downTests) await runOne(t);
    }
  } catch (err) {
    console.log(`Bail out! ${err.message}`);
    process.exitCode = 1;
  } finally {
    await withTimeout(browser.close(), 15000, 'closing chromium').catch(() => {
      const proc = browser.process();
      if (proc) proc.kill('SIGKILL');
    });
  }
  log(`browser phase: ${((Date.now() - started) / 1000).toFixed(1)} s`);
  console.log(`1..${count}`);
  if (failures) process.exitCode = 1;
}
