// The admins' console in the browser (/admin/): sign-in, companies (add, edit with If-Match,
// the 412 when another tab wrote first, delete one, delete several, paging), donors (find by
// city and type, paging, the CSV checked against DynamoDB, open, change, 412, delete), a
// wrong or withdrawn token, signing out, and the console with the API stopped. Registered
// with the harness in lib.mjs (see its header); every page state is checked by ctx.check.
import fs from 'node:fs';
import path from 'node:path';
import { api, assert, browserInstance } from './lib.mjs';

const ADMIN_PAGES = ['/admin/', '/admin/companies/', '/admin/companies/edit.html',
  '/admin/donors/', '/admin/donors/donor.html'];
const SIZE_LIMIT = 60 * 1024;
const run = process.pid;

// ---- helpers ----

// Signs in through the form with the keyboard alone, and waits for the companies page.
async function signIn(ctx, next = '') {
  const page = await ctx.open(null);
  // The browser may revalidate a page it has seen (304): both are the page.
  const response = await page.goto(`${ctx.base}/admin/${next ? `?next=${encodeURIComponent(next)}` : ''}`, { waitUntil: 'load' });
  assert(response && [200, 304].includes(response.status()), `the sign-in page: ${response && response.status()}`);
  await page.focus('#token');
  await page.keyboard.type(ctx.adminToken);
  await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.keyboard.press('Enter')]);
  return page;
}

// A page of the console with a token already in this tab's sessionStorage.
async function openWithToken(ctx, urlPath, token, opts = {}) {
  const page = await ctx.open(null, opts);
  await page.evaluateOnNewDocument((t) => sessionStorage.setItem('savealife-admin-token', t), token);
  await page.goto(ctx.base + urlPath, { waitUntil: 'load' });
  return page;
}

const text = (page, selector) => page.$eval(selector, (e) => e.textContent.replace(/\s+/g, ' ').trim());
const visible = (page, selector) => page.$eval(selector, (e) => !e.closest('[hidden]') && e.getClientRects().length > 0).catch(() => false);
const focusedId = (page) => page.evaluate(() => document.activeElement && document.activeElement.id);
const focusedClass = (page) => page.evaluate(() => document.activeElement && document.activeElement.className);

async function clickAndLoad(page, selector) {
  await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.click(selector)]);
}

async function bannerTitle(ctx, page, pattern, what) {
  return ctx.waitFor(async () => {
    const t = await page.$eval('#messages .banner__title', (e) => e.textContent).catch(() => '');
    return pattern.test(t) ? t : null;
  }, what);
}

async function setField(page, selector, value) {
  await page.$eval(selector, (e) => { e.value = ''; });
  await page.type(selector, value);
}

async function company(name, keywords = []) {
  const r = await api('POST', '/api/companies', { admin: true, body: { name, keywords } });
  assert(r.status === 201, `POST /api/companies ${name}: ${r.status}`);
  return r.data;
}

// Every item of a table straight from DynamoDB (dynalite takes any signature), for read-back.
async function scan(table) {
  const items = [];
  let start;
  for (let n = 0; n < 100; n++) {
    const body = { TableName: `${process.env.SAVEALIFE_TABLE_PREFIX}${table}` };
    if (start) body.ExclusiveStartKey = start;
    const r = await fetch(`${process.env.AWS_ENDPOINT_URL_DYNAMODB}/`, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/x-amz-json-1.0',
        'X-Amz-Target': 'DynamoDB_20120810.Scan',
        'X-Amz-Date': '20260101T000000Z',
        Authorization: 'AWS4-HMAC-SHA256 Credential=AKIDLOCALTEST/20260101/us-east-1/dynamodb/aws4_request, SignedHeaders=host;x-amz-date, Signature=0000',
      },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(10000),
    });
    assert(r.status === 200, `Scan ${table}: ${r.status}`);
    const data = await r.json();
    for (const item of data.Items) {
      const plain = {};
      for (const [k, v] of Object.entries(item)) plain[k] = v.S ?? v.N ?? v;
      items.push(plain);
    }
    start = data.LastEvaluatedKey;
    if (!start) return items;
  }
  throw new Error('Scan did not end');
}

// RFC 4180 parsed by hand (quoted fields, doubled quotes, CRLF), independently of the page.
function parseCsv(data) {
  const rows = [];
  let row = [];
  let field = '';
  let i = 0;
  let quoted = false;
  while (i < data.length) {
    const c = data[i];
    if (quoted) {
      if (c === '"' && data[i + 1] === '"') { field += '"'; i += 2; continue; }
      if (c === '"') { quoted = false; i += 1; continue; }
      field += c;
      i += 1;
      continue;
    }
    if (c === '"' && field === '') { quoted = true; i += 1; continue; }
    if (c === ',') { row.push(field); field = ''; i += 1; continue; }
    if (c === '\r' && data[i + 1] === '\n') { row.push(field); rows.push(row); row = []; field = ''; i += 2; continue; }
    assert(c !== '\n' && c !== '\r', `a bare line break at ${i}`);
    field += c;
    i += 1;
  }
  assert(field === '' && row.length === 0, 'the file does not end with CRLF');
  return rows;
}

export default function register(suite) {
  suite.test('admin: every page is HTML, CSS and JS under 60 KB, served with the CSP', async (ctx) => {
    for (const p of ADMIN_PAGES) {
      const r = await fetch(ctx.base + p, { signal: AbortSignal.timeout(5000) });
      assert(r.status === 200, `GET ${p}: ${r.status}`);
      const csp = r.headers.get('content-security-policy') || '';
      assert(/default-src 'self'/.test(csp), `GET ${p}: Content-Security-Policy is "${csp}"`);
      const html = await r.text();
      assert(!/<script(?![^>]*\bsrc=)[^>]*>/i.test(html), `${p} has an inline script`);
      assert(!/\sstyle=|<style/i.test(html), `${p} has an inline style`);
      assert(!/(src|href)="(https?:)?\/\//i.test(html), `${p} loads something from another site`);
      // The page, its stylesheets, its module and every module that imports, transitively.
      const seen = new Set();
      const queue = [...html.matchAll(/(?:href|src)="(\/[^"]+\.(?:css|js))"/g)].map((m) => m[1]);
      let total = Buffer.byteLength(html);
      while (queue.length) {
        const url = queue.shift();
        if (seen.has(url)) continue;
        seen.add(url);
        const f = await fetch(ctx.base + url, { signal: AbortSignal.timeout(5000) });
        assert(f.status === 200, `GET ${url}: ${f.status}`);
        const body = await f.text();
        total += Buffer.byteLength(body);
        for (const m of body.matchAll(/(?:from|import)\s*'(\.{1,2}\/[^']+)'/g)) {
          queue.push(new URL(m[1], ctx.base + url).pathname);
        }
      }
      ctx.log(`${p}: ${total} bytes in ${seen.size + 1} files`);
      assert(total < SIZE_LIMIT, `${p} and its files weigh ${total} bytes`);
    }
  });

  suite.test('admin: the CSV writer (web/admin/csv.js): RFC 4180 quoting, formula guard', async () => {
    // Loaded as the browser loads it, a module (node would guess its type and warn).
    const source = fs.readFileSync(new URL('../../web/admin/csv.js', import.meta.url), 'utf8');
    const { csvDocument, csvField } = await import(`data:text/javascript,${encodeURIComponent(source)}`);
    const cases = [
      ['plain', 'plain'], ['', ''], [null, ''], [12, '12'], ['Zoë', 'Zoë'], ['a=b', 'a=b'], [' =x', ' =x'],
      ['a,b', '"a,b"'], ['say "hi"', '"say ""hi"""'], ['two\nlines', '"two\nlines"'], ['cr\rin', '"cr\rin"'],
      ['=1+2', "'=1+2"], ['+1', "'+1"], ['-1', "'-1"], ['@SUM(A1)', "'@SUM(A1)"], ['\tx', "'\tx"],
      ['\rx', `"'\rx"`], ['=A1,"b"', `"'=A1,""b"""`],
    ];
    for (const [value, want] of cases) {
      const got = csvField(value);
      assert(got === want, `csvField(${JSON.stringify(value)}) is ${JSON.stringify(got)}, not ${JSON.stringify(want)}`);
    }
    const doc = csvDocument(['a', 'b'], [{ a: '1', b: 'x,y' }, { a: '-2' }]);
    assert(doc === "a,b\r\n1,\"x,y\"\r\n'-2,\r\n", `the document is ${JSON.stringify(doc)}`);
    assert(parseCsv(doc).length === 3, 'the document does not parse back');
  });

  suite.test('admin: a wrong token shows the sign-in again, with its message', async (ctx) => {
    const page = await ctx.open('/admin/companies/');
    // No token: the console sends the admin to sign in first.
    await ctx.waitFor(() => new URL(page.url()).pathname === '/admin/', 'the redirect to the sign-in page');
    await page.waitForSelector('#token');
    await ctx.check(page, 'admin-sign-in');
    await page.focus('#token');
    await page.keyboard.press('Enter');
    await ctx.waitFor(() => visible(page, '#error-summary'), 'the error summary');
    assert(await focusedId(page) === 'error-summary', 'the error summary did not take focus');
    assert(/Enter your admin token/.test(await text(page, '#token-error')), 'no message next to the field');
    assert((await page.title()).startsWith('Error: '), 'the title does not say Error');
    await ctx.check(page, 'admin-sign-in-empty');
    await page.focus('#token');
    await page.keyboard.type(`${ctx.adminToken}x`);
    await page.keyboard.press('Enter');
    await ctx.waitFor(async () => /did not accept/.test(await text(page, '#token-error')), 'the not-accepted message');
    assert(await focusedId(page) === 'error-summary', 'the error summary did not take focus');
    // The summary's link takes the admin to the field.
    await page.click('#error-summary a');
    assert(await focusedId(page) === 'token', 'the summary link did not focus the field');
    assert(await page.evaluate(() => sessionStorage.length === 0 && localStorage.length === 0 && document.cookie === ''),
      'a wrong token was kept somewhere');
    await ctx.check(page, 'admin-sign-in-wrong');
  }, { apiStatuses: [401] });

  suite.test('admin: signs in with the keyboard; the token only in sessionStorage; signs out', async (ctx) => {
    const page = await signIn(ctx);
    assert(new URL(page.url()).pathname === '/admin/companies/', `after signing in: ${page.url()}`);
    const kept = await page.evaluate(() => ({
      session: sessionStorage.getItem('savealife-admin-token'),
      local: localStorage.length,
      cookie: document.cookie,
    }));
    assert(kept.session === ctx.adminToken, 'the token is not in sessionStorage');
    assert(kept.local === 0 && kept.cookie === '', 'the token went to localStorage or a cookie');
    await ctx.waitFor(async () => /no companies|Showing/.test(await text(page, '#companies-status')), 'the list');
    // Sign out: the token is forgotten, the console asks to sign in again.
    await clickAndLoad(page, '#sign-out');
    await bannerTitle(ctx, page, /Signed out/, 'the signed-out message');
    assert(await page.evaluate(() => sessionStorage.getItem('savealife-admin-token')) === null, 'the token is still kept');
    await ctx.check(page, 'admin-signed-out');
    await page.goto(`${ctx.base}/admin/donors/`, { waitUntil: 'load' });
    await ctx.waitFor(() => new URL(page.url()).pathname === '/admin/', 'the redirect to sign in');
  });

  suite.test('admin: a withdrawn token on any call sends the admin back to sign in', async (ctx) => {
    const page = await openWithToken(ctx, '/admin/donors/?city=Leeds', 'not-the-token');
    await ctx.waitFor(() => new URL(page.url()).pathname === '/admin/', 'the redirect to sign in');
    await page.waitForSelector('#token');
    await bannerTitle(ctx, page, /Sign in again/, 'the sign-in-again message');
    assert(new URL(page.url()).search === '?expired=1', `the sign-in address: ${page.url()}`);
    assert(await page.evaluate(() => sessionStorage.getItem('savealife-admin-token')) === null, 'the bad token is kept');
    await ctx.check(page, 'admin-sign-in-expired');
    // Signing in takes the admin back where they were.
    await page.focus('#token');
    await page.keyboard.type(ctx.adminToken);
    await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.keyboard.press('Enter')]);
    assert(page.url().endsWith('/admin/donors/?city=Leeds'), `after signing in: ${page.url()}`);
  }, { apiStatuses: [401] });

  suite.test('admin: adds a company (errors first), which then appears on the public page', async (ctx) => {
    const page = await signIn(ctx);
    await clickAndLoad(page, 'main a.button');
    await page.waitForSelector('#name');
    await ctx.check(page, 'admin-company-new');
    await page.type('#keywords', `${'k'.repeat(51)}\n`);
    await page.click('#save');
    await ctx.waitFor(() => visible(page, '#error-summary'), 'the error summary');
    assert(await focusedId(page) === 'error-summary', 'the error summary did not take focus');
    assert(/Enter the company name/.test(await text(page, '#name-error')), 'no name message');
    assert(/Keyword 1 must be 50 characters or fewer/.test(await text(page, '#keywords-error')), 'no keywords message');
    assert(await page.$$eval('#error-summary a', (as) => as.map((a) => a.getAttribute('href')).join()) === '#name,#keywords',
      'the summary does not link to both fields');
    await ctx.check(page, 'admin-company-errors');
    const name = `Northern Blood ${run}`;
    await setField(page, '#name', name);
    await setField(page, '#keywords', 'blood\nLeeds\n');
    // Two clicks in a row (in one task, as fast as can be) send one request.
    let posts = 0;
    const count = (req) => { if (req.method() === 'POST' && req.url().endsWith('/api/companies')) posts += 1; };
    page.on('request', count);
    await Promise.all([page.waitForNavigation({ waitUntil: 'load' }),
      page.$eval('#save', (b) => { b.click(); b.click(); })]);
    page.off('request', count);
    assert(posts === 1, `a double click sent ${posts} requests`);
    await bannerTitle(ctx, page, /Success/, 'the added message');
    assert((await text(page, '#messages')).includes(`${name} was added`), 'the message does not name the company');
    const r = await api('GET', `/api/companies/${encodeURIComponent(name.toLowerCase())}`);
    assert(r.status === 200 && r.data.name === name && r.data.keywords.join() === 'blood,Leeds', `in the API: ${JSON.stringify(r.data)}`);
    // On the public directory.
    const pub = await fetch(`${ctx.base}/companies/`, { signal: AbortSignal.timeout(5000) });
    if (pub.status === 200) {
      const publicPage = await ctx.open('/companies/');
      // The directory is paged: "more" until the company shows or the pages end.
      await ctx.waitFor(async () => {
        if ((await publicPage.$eval('body', (b) => b.textContent)).includes(name)) return true;
        const more = await publicPage.$('#more:not([hidden])');
        if (more) await more.click();
        return false;
      }, 'the company on /companies/');
    } else {
      ctx.log('no /companies/ page here: checked through GET /api/companies');
      const list = await api('GET', '/api/companies?limit=100');
      assert(list.data.items.some((c) => c.name === name), 'not in GET /api/companies');
    }
    // Adding it again is the 409's message next to the name.
    await page.bringToFront();
    await clickAndLoad(page, 'main a.button');
    await page.type('#name', name.toUpperCase());
    await page.click('#save');
    await ctx.waitFor(async () => /already exists/.test(await text(page, '#name-error').catch(() => '')), 'the 409 message');
    await ctx.check(page, 'admin-company-exists');
  }, { apiStatuses: [409] });

  suite.test('admin: edits a company; a 412 when another tab changed it first; deletes it', async (ctx) => {
    const name = `Edit Me ${run}`;
    const created = await company(name, ['one']);
    const editPath = `/admin/companies/edit.html?id=${encodeURIComponent(created.id)}`;
    const page = await signIn(ctx, editPath);
    await ctx.waitFor(async () => (await page.$eval('#name', (e) => e.value)) === name, 'the form filled');
    await ctx.check(page, 'admin-company-edit');
    // Another tab (a second page, signed in on its own) changes it first.
    const other = await signIn(ctx, editPath);
    await ctx.waitFor(async () => (await other.$eval('#name', (e) => e.value)) === name, 'the other form filled');
    await setField(other, '#keywords', 'from the other tab');
    await clickAndLoad(other, '#save');
    await bannerTitle(ctx, other, /Success/, 'the other tab saved');
    // This tab's change is refused: nothing is overwritten.
    // Back to the first tab (a tab in the background gets no animation frames to click in).
    await page.bringToFront();
    await setField(page, '#keywords', 'from this tab');
    await page.click('#save');
    await bannerTitle(ctx, page, /Someone else changed this company/, 'the 412 message');
    assert(await focusedClass(page) === 'banner banner--error', 'the 412 message did not take focus');
    let r = await api('GET', `/api/companies/${encodeURIComponent(created.id)}`);
    assert(r.data.keywords.join() === 'from the other tab', `overwritten: ${JSON.stringify(r.data)}`);
    await ctx.check(page, 'admin-company-conflict');
    // Reload, change again, and it is saved on the new version.
    await page.click('#messages button');
    await bannerTitle(ctx, page, /Latest version loaded/, 'the reloaded message');
    assert(await page.$eval('#keywords', (e) => e.value) === 'from the other tab', 'the form was not reloaded');
    await setField(page, '#keywords', 'from this tab\nagain');
    await setField(page, '#name', name.toUpperCase());
    await clickAndLoad(page, '#save');
    await bannerTitle(ctx, page, /Success/, 'the saved message');
    r = await api('GET', `/api/companies/${encodeURIComponent(created.id)}`);
    assert(r.data.name === name.toUpperCase() && r.data.keywords.join() === 'from this tab,again' && r.data.version === 3,
      `after the edit: ${JSON.stringify(r.data)}`);
    // A rename is refused in the page, before the service is asked.
    await page.goto(ctx.base + editPath, { waitUntil: 'load' });
    await ctx.waitFor(async () => (await page.$eval('#name', (e) => e.value)) === name.toUpperCase(), 'the form filled');
    await setField(page, '#name', 'Another Name');
    await page.click('#save');
    await ctx.waitFor(async () => /Only the letter case/.test(await text(page, '#name-error').catch(() => '')), 'the rename message');
    // Delete it, after a confirmation.
    await page.click('#delete');
    await ctx.waitFor(() => visible(page, '#confirm-yes'), 'the confirmation');
    assert(await focusedId(page) === 'confirm', 'the confirmation did not take focus');
    await ctx.check(page, 'admin-company-delete-confirm');
    await clickAndLoad(page, '#confirm-yes');
    await bannerTitle(ctx, page, /Success/, 'the deleted message');
    r = await api('GET', `/api/companies/${encodeURIComponent(created.id)}`);
    assert(r.status === 404, `after the delete: ${r.status}`);
  }, { apiStatuses: [412], timeout: 60000 });

  suite.test('admin: pages through the companies and deletes several at once', async (ctx) => {
    const names = [];
    for (let i = 0; i < 23; i++) names.push(`Bulk ${run} ${String(i).padStart(2, '0')}`);
    for (const n of names) await company(n, ['bulk']);
    const before = (await scan('companies')).length;
    const page = await signIn(ctx);
    await ctx.waitFor(async () => /Showing 20 companies; there are more/.test(await text(page, '#companies-status')), 'the first page');
    await page.click('#delete-selected');
    await ctx.waitFor(() => visible(page, '#error-summary'), 'the nothing-selected message');
    assert(/Select at least one company/.test(await text(page, '#selection-error')), 'no message next to the list');
    await ctx.check(page, 'admin-companies-none-selected');
    for (let n = 0; n < 10 && await visible(page, '#more'); n++) {
      const was = await text(page, '#companies-status');
      await page.click('#more');
      await ctx.waitFor(async () => (await text(page, '#companies-status')) !== was, 'the next page');
    }
    assert(/Showing \d+ companies\.$/.test(await text(page, '#companies-status')), 'not every page was shown');
    const shown = await page.$$eval('#rows th', (ths) => ths.map((t) => t.textContent));
    assert(shown.length === before && new Set(shown).size === before, `shown ${shown.length} of ${before}, or twice`);
    for (const n of names) assert(shown.includes(n), `${n} is not listed`);
    const doomed = names.slice(0, 3).concat(names[21]);
    for (const n of doomed) {
      const id = await page.$$eval('#rows tr', (trs, want) => trs.find((tr) => tr.querySelector('th').textContent === want).querySelector('input').id, n);
      await page.focus(`#${id}`);
      await page.keyboard.press('Space');
    }
    await ctx.check(page, 'admin-companies-list');
    await page.click('#delete-selected');
    await ctx.waitFor(() => visible(page, '#confirm-yes'), 'the confirmation');
    assert(/Delete these 4 companies/.test(await text(page, '#confirm-title')), 'the confirmation does not count them');
    await ctx.check(page, 'admin-companies-confirm');
    await page.click('#confirm-yes');
    await bannerTitle(ctx, page, /Deleted/, 'the deleted message');
    assert(/4 companies were deleted/.test(await text(page, '#messages')), 'the message does not count them');
    const left = (await scan('companies')).map((c) => c.name);
    for (const n of doomed) assert(!left.includes(n), `${n} is still in DynamoDB`);
    for (const n of names.filter((x) => !doomed.includes(x))) assert(left.includes(n), `${n} was deleted too`);
    await ctx.check(page, 'admin-companies-deleted');
  }, { timeout: 60000 });

  suite.test('admin: finds donors by city and type, pages, downloads the CSV that DynamoDB holds', async (ctx) => {
    const city = `Ripon ${run}`;
    const tricky = [
      ['=HYPERLINK("http://x.invalid")', "'=HYPERLINK(\"http://x.invalid\")"],
      ['+44 Smith', "'+44 Smith"],
      ['-Ann', "'-Ann"],
      ['@Bob', "'@Bob"],
      ['O\'Brien, "Jr"', 'O\'Brien, "Jr"'],
      ['Zoë', 'Zoë'],
    ];
    const donors = [];
    for (let i = 0; i < 55; i++) {
      const first = i < tricky.length ? tricky[i][0] : `Donor${i}`;
      donors.push({ email: `D${i}.${run}@Example.org`, first_name: first, city, type: 'O+' });
    }
    donors.push({ email: `a1.${run}@example.org`, first_name: 'Other type', city, type: 'A-' });
    donors.push({ email: `y1.${run}@example.org`, first_name: 'Other city', city: `York ${run}`, type: 'O+' });
    for (const d of donors) {
      const r = await api('POST', '/api/donors', { body: d });
      assert(r.status === 201, `POST /api/donors: ${r.status} ${JSON.stringify(r.data)}`);
    }
    const page = await signIn(ctx, '/admin/donors/');
    await ctx.check(page, 'admin-donors-search');
    // No city: the message next to the field.
    await page.click('main form button');
    await ctx.waitFor(() => visible(page, '#error-summary'), 'the error summary');
    assert(/Enter a city/.test(await text(page, '#city-error')), 'no city message');
    await ctx.check(page, 'admin-donors-search-error');
    await page.type('#city', `Nowhere ${run}`);
    await clickAndLoad(page, 'main form button');
    await ctx.waitFor(async () => /No donors found/.test(await text(page, '#results-title')), 'the none-found result');
    await ctx.check(page, 'admin-donors-none');
    await setField(page, '#city', city);
    await page.select('#type', 'O+');
    await clickAndLoad(page, 'main form button');
    assert(new URL(page.url()).searchParams.get('type') === 'O+', `the search is not in the address: ${page.url()}`);
    await ctx.waitFor(async () => /Showing 50 donors; there are more/.test(await text(page, '#donors-status')), 'the first page');
    assert(await focusedId(page) === 'results-title', 'the results heading did not take focus');
    await ctx.check(page, 'admin-donors-results');
    await page.click('#more');
    await ctx.waitFor(async () => /Showing 55 donors\./.test(await text(page, '#donors-status')), 'the second page');
    const listed = await page.$$eval('#rows a', (as) => as.map((a) => a.textContent));
    assert(new Set(listed).size === 55, 'a donor is shown twice');

    // The download, captured by the browser into a folder of this run.
    const dir = fs.mkdtempSync(path.join(process.env.HARNESS_DIR, 'downloads-'));
    const cdp = await browserInstance().target().createCDPSession();
    await cdp.send('Browser.setDownloadBehavior', { behavior: 'allow', downloadPath: dir });
    await page.click('#download');
    const file = await ctx.waitFor(() => {
      const done = fs.readdirSync(dir).filter((f) => f.endsWith('.csv'));
      return done.length ? path.join(dir, done[0]) : null;
    }, 'the CSV file', 15000);
    await cdp.detach();
    assert(path.basename(file) === `donors-Ripon-${run}-O+.csv`, `the file is named ${path.basename(file)}`);
    const bytes = fs.readFileSync(file);
    assert(bytes.subarray(0, 3).equals(Buffer.from([0xef, 0xbb, 0xbf])), 'no UTF-8 byte order mark');
    const rows = parseCsv(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(3)));
    const header = rows.shift();
    assert(header.join() === 'email,first_name,city,type,created_at,updated_at', `header: ${header}`);
    // What DynamoDB holds for the city and type, attribute for attribute.
    const held = (await scan('donors')).filter((d) => d.city === city && d.type === 'O+');
    assert(held.length === 55 && rows.length === 55, `${rows.length} rows, ${held.length} items`);
    const guard = (v) => (/^[=+\-@\t\r]/.test(v) ? `'${v}` : v);
    const byEmail = new Map(rows.map((r) => [r[0], r]));
    for (const item of held) {
      const row = byEmail.get(guard(item.email));
      assert(row, `${item.email} is not in the file`);
      const want = [item.email, item.first_name, item.city, item.type, item.created_at, item.updated_at].map(guard);
      assert(row.join('\u0001') === want.join('\u0001'), `row ${JSON.stringify(row)} is not ${JSON.stringify(want)}`);
    }
    for (const [typed, written] of tricky) {
      assert(rows.some((r) => r[1] === written), `${typed} is not written as ${written}`);
    }
    assert(/Downloaded 55 donors/.test(await text(page, '#donors-status')), 'no downloaded message');
    await ctx.check(page, 'admin-donors-downloaded');
  }, { timeout: 90000 });

  suite.test('admin: opens a donor, changes a field with If-Match, a 412, deletes the donor', async (ctx) => {
    const email = `open.${run}@example.org`;
    const city = `Whitby ${run}`;
    const created = await api('POST', '/api/donors', { body: { email, first_name: 'Ada', city, type: 'B-' } });
    assert(created.status === 201, `POST /api/donors: ${created.status}`);
    const page = await signIn(ctx, `/admin/donors/?city=${encodeURIComponent(city)}`);
    await ctx.waitFor(async () => /Showing 1 donor\./.test(await text(page, '#donors-status')), 'the result');
    await clickAndLoad(page, '#rows a');
    await ctx.waitFor(async () => (await page.$eval('#first_name', (e) => e.value)) === 'Ada', 'the donor');
    assert(await page.$eval('#type-4', (e) => e.checked), 'the blood type is not chosen');
    await ctx.check(page, 'admin-donor');
    // Empty first name: the page's own check.
    await setField(page, '#first_name', ' ');
    await page.click('#save');
    await ctx.waitFor(async () => /Enter a first name/.test(await text(page, '#first_name-error').catch(() => '')), 'the message');
    await ctx.check(page, 'admin-donor-errors');
    await setField(page, '#first_name', 'Ada');
    await setField(page, '#city', 'Scarborough');
    await page.click('#save');
    await bannerTitle(ctx, page, /Changes saved/, 'the saved message');
    let r = await api('GET', `/api/donors/${encodeURIComponent(email)}`, { admin: true });
    assert(r.data.city === 'Scarborough' && r.data.version === 2, `after the change: ${JSON.stringify(r.data)}`);
    // Someone else changes it (straight through the API); this page's change is refused.
    const theirs = await api('PATCH', `/api/donors/${encodeURIComponent(email)}`,
      { admin: true, body: { type: 'AB+' }, headers: { 'If-Match': '"2"' } });
    assert(theirs.status === 200, `the other PATCH: ${theirs.status}`);
    await page.click('#type-1');
    await page.click('#save');
    await bannerTitle(ctx, page, /Someone else changed this donor/, 'the 412 message');
    r = await api('GET', `/api/donors/${encodeURIComponent(email)}`, { admin: true });
    assert(r.data.type === 'AB+', `overwritten: ${JSON.stringify(r.data)}`);
    await ctx.check(page, 'admin-donor-conflict');
    await page.click('#messages button');
    await bannerTitle(ctx, page, /Latest version loaded/, 'the reloaded message');
    assert(await page.$eval('#type-5', (e) => e.checked), 'the form was not reloaded');
    // The donor asks to be forgotten.
    await page.click('#delete');
    await ctx.waitFor(() => visible(page, '#confirm-yes'), 'the confirmation');
    await ctx.check(page, 'admin-donor-delete-confirm');
    await clickAndLoad(page, '#confirm-yes');
    await bannerTitle(ctx, page, /Success/, 'the deleted message');
    assert(new URL(page.url()).searchParams.get('city') === 'Scarborough', `back to ${page.url()}`);
    r = await api('GET', `/api/donors/${encodeURIComponent(email)}`, { admin: true });
    assert(r.status === 404, `after the delete: ${r.status}`);
    // Its page now says so.
    await page.goto(`${ctx.base}/admin/donors/donor.html#email=${encodeURIComponent(email)}`, { waitUntil: 'load' });
    await bannerTitle(ctx, page, /no donor with this email/, 'the not-found message');
    await ctx.check(page, 'admin-donor-gone');
    // The console's own pages never carried the address to the server (nginx's access log).
    const logged = fs.readFileSync(path.join(process.env.HARNESS_DIR, 'nginx', 'access.log'), 'utf8')
      .split('\n').filter((line) => /"[A-Z]+ \/admin\//.test(line));
    assert(logged.length > 0, 'no request for the console in the access log');
    const leaks = logged.filter((line) => line.includes(email) || line.includes(encodeURIComponent(email)));
    assert(leaks.length === 0, `the donor's address is in the access log: ${leaks[0]}`);
  }, { apiStatuses: [404, 412], timeout: 60000 });

  suite.test('admin: the keyboard alone: skip link, search, open a donor, change, save', async (ctx) => {
    const email = `keys.${run}@example.org`;
    const city = `Keys ${run}`;
    const r = await api('POST', '/api/donors', { body: { email, first_name: 'Kay', city, type: 'A+' } });
    assert(r.status === 201, `POST /api/donors: ${r.status}`);
    const page = await signIn(ctx, '/admin/donors/');
    const kb = page.keyboard;
    const active = () => page.evaluate(() => {
      const e = document.activeElement;
      return e ? `${e.tagName.toLowerCase()}#${e.id}.${e.className}|${e.textContent.trim().slice(0, 30)}` : '';
    });
    // The first Tab reaches the skip link, which moves focus to the main content.
    await kb.press('Tab');
    assert(/skip-link/.test(await active()), `the first Tab is on ${await active()}`);
    await kb.press('Enter');
    await ctx.waitFor(async () => /^main#main/.test(await active()), 'focus on the main content');
    // Tab to the city, type, Tab to the blood type, choose it with the arrows.
    for (let n = 0; n < 10 && !/^input#city/.test(await active()); n++) await kb.press('Tab');
    assert(/^input#city/.test(await active()), `not on the city: ${await active()}`);
    await kb.type(city);
    await kb.press('Tab');
    assert(/^select#type/.test(await active()), `not on the blood type: ${await active()}`);
    await kb.press('ArrowDown');
    assert(await page.$eval('#type', (e) => e.value) === 'A+', 'the arrow did not choose A+');
    // Enter on a select does not submit (browsers submit only from a text field): Tab on.
    await kb.press('Tab');
    assert(/^button#\..*Find donors/.test(await active()), `not on the button: ${await active()}`);
    await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), kb.press('Enter')]);
    await ctx.waitFor(async () => /Showing 1 donor\./.test(await text(page, '#donors-status')), 'the result');
    // From the results' heading, Tab reaches the download, then the donor's link.
    for (let n = 0; n < 5 && !/^a#\..*keys\./.test(await active()); n++) await kb.press('Tab');
    assert(/^a#\..*keys\./.test(await active()), `not on the donor's link: ${await active()}`);
    await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), kb.press('Enter')]);
    await ctx.waitFor(async () => (await page.$eval('#first_name', (e) => e.value)) === 'Kay', 'the donor');
    for (let n = 0; n < 20 && !/^input#first_name/.test(await active()); n++) await kb.press('Tab');
    assert(/^input#first_name/.test(await active()), `not on the first name: ${await active()}`);
    await kb.press('End');
    await kb.type('la');
    await kb.press('Enter');
    await bannerTitle(ctx, page, /Changes saved/, 'the saved message');
    const after = await api('GET', `/api/donors/${encodeURIComponent(email)}`, { admin: true });
    assert(after.data.first_name === 'Kayla', `after saving: ${JSON.stringify(after.data)}`);
  });

  suite.test('admin: the console in the browser\'s dark mode', async (ctx) => {
    const email = `dark.${run}@example.org`;
    const r = await api('POST', '/api/donors', { body: { email, first_name: 'Dee', city: `Dark ${run}`, type: 'O-' } });
    assert(r.status === 201, `POST /api/donors: ${r.status}`);
    await company(`Dark Mode ${run}`, ['night']);
    const list = await openWithToken(ctx, '/admin/companies/', ctx.adminToken, { dark: true });
    await ctx.waitFor(async () => /Showing/.test(await text(list, '#companies-status')), 'the list');
    await list.click('#delete-selected');
    await ctx.waitFor(() => visible(list, '#error-summary'), 'the error summary');
    await ctx.check(list, 'admin-companies-dark', { dark: true });
    const donor = await openWithToken(ctx, `/admin/donors/donor.html#email=${encodeURIComponent(email)}`, ctx.adminToken, { dark: true });
    await ctx.waitFor(async () => (await donor.$eval('#first_name', (e) => e.value)) === 'Dee', 'the donor');
    await donor.click('#delete');
    await ctx.waitFor(() => visible(donor, '#confirm-yes'), 'the confirmation');
    await ctx.check(donor, 'admin-donor-dark', { dark: true });
  });

  suite.whenApiDown('admin: with the API stopped, each page says the service cannot be reached', async (ctx) => {
    const page = await ctx.open('/admin/');
    await page.type('#token', ctx.adminToken);
    await page.click('#sign-in-button');
    await bannerTitle(ctx, page, /problem with the service/, 'the sign-in page\'s message');
    assert(await page.evaluate(() => sessionStorage.length) === 0, 'a token was kept without being checked');
    await ctx.check(page, 'admin-down-sign-in');
    for (const [urlPath, state] of [['/admin/companies/', 'admin-down-companies'],
      ['/admin/companies/edit.html?id=x', 'admin-down-company'],
      ['/admin/donors/?city=Leeds', 'admin-down-donors'],
      ['/admin/donors/donor.html#email=a%40b.c', 'admin-down-donor']]) {
      const p = await openWithToken(ctx, urlPath, ctx.adminToken);
      await bannerTitle(ctx, p, /problem with the service/, `the message on ${urlPath}`);
      assert(/cannot be reached/.test(await text(p, '#messages')), `${urlPath}: not the unreachable message`);
      await ctx.check(p, state);
      await p.close();
    }
  }, { timeout: 60000 });
}
