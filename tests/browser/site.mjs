// The public site in the browser: home, sign-up, partner companies; with the API running
// and with it stopped. Registered with the harness in lib.mjs (see its header).
import { api, assert, waitFor, log, importModule, browserInstance, BASE_URL } from './lib.mjs';

const PAGES = ['/', '/signup/', '/companies/'];
const SIZE_LIMIT = 60 * 1024;
const COMPANIES = 45;

// 45 companies: nine names by five trades, each with the trade's keywords.
const FIRST = ['Acme', 'Northwind', 'Harbour', 'Juniper', 'Meridian', 'Pioneer', 'Riverside', 'Summit', 'Willow'];
const TRADES = [['Bakery', ['food', 'bread']], ['Engineering', ['bridges', 'steel']],
  ['Logistics', ['transport', 'warehousing']], ['Software', ['apps', 'cloud']],
  ['Textiles', ['cotton', 'weaving']]];
const companies = FIRST.flatMap((f) => TRADES.map(([t, k]) => ({ name: `${f} ${t}`, keywords: [...k, 'blood drives'] })));

// ---- page helpers ----
const activeId = (page) => page.evaluate(() => document.activeElement && document.activeElement.id);
// Rendered (the hidden attribute or a display: none hides it): what a visitor sees.
const visible = (page, sel) => page.$eval(sel, (e) => e.getClientRects().length > 0).catch(() => false);
const text = (page, sel) => page.$eval(sel, (e) => e.textContent.replace(/\s+/g, ' ').trim());

// Presses Tab until the element with this id has focus (the keyboard's own way there).
async function tabTo(page, id, most = 20) {
  for (let i = 0; i < most; i += 1) {
    if (await activeId(page) === id) return;
    await page.keyboard.press('Tab');
  }
  assert(await activeId(page) === id, `Tab never reached #${id} (at #${await activeId(page)})`);
}

// Fills the form with the keyboard: typing, arrows in the blood-type radios, Tab between.
async function fillByKeyboard(page, donor) {
  await tabTo(page, 'first-name');
  await page.keyboard.type(donor.first_name);
  await page.keyboard.press('Tab');
  assert(await activeId(page) === 'email', 'Tab from the first name reaches the email');
  await page.keyboard.type(donor.email);
  await page.keyboard.press('Tab');
  assert(await activeId(page) === 'city', 'Tab from the email reaches the city');
  await page.keyboard.type(donor.city);
  await page.keyboard.press('Tab');
  assert(await activeId(page) === 'type-a-pos', 'Tab from the city reaches the first blood type');
  const order = ['A+', 'A-', 'B+', 'B-', 'AB+', 'AB-', 'O+', 'O-'];
  await page.keyboard.press('Space');
  for (let i = 0; i < order.indexOf(donor.type); i += 1) await page.keyboard.press('ArrowDown');
  const chosen = await page.$eval('input[name="type"]:checked', (e) => e.value);
  assert(chosen === donor.type, `the blood type chosen is ${chosen}, not ${donor.type}`);
}

async function fill(page, donor) {
  await page.type('#first-name', donor.first_name);
  await page.type('#email', donor.email);
  await page.type('#city', donor.city);
  await page.click(`input[name="type"][value="${donor.type}"]`);
}

async function confirmed(page) {
  await waitFor(() => visible(page, '#confirmation'), 'the confirmation', 10000);
  assert(await activeId(page) === 'confirmation', `focus is on #${await activeId(page)}, not the confirmation`);
  assert(!(await visible(page, '#error-summary')), 'no error summary beside the confirmation');
}

// The summary is shown, has focus, and lists these messages (as links to their fields).
async function summaryShows(page, expected) {
  await waitFor(() => visible(page, '#error-summary'), 'the error summary', 10000);
  assert(await activeId(page) === 'error-summary', `focus is on #${await activeId(page)}, not the summary`);
  const links = await page.$$eval('#error-summary-list a', (as) =>
    as.map((a) => ({ href: a.getAttribute('href'), text: a.textContent.trim() })));
  for (const [id, pattern] of expected) {
    const link = links.find((l) => l.href === `#${id}`);
    assert(link, `no link to #${id} in the summary (${JSON.stringify(links)})`);
    assert(pattern.test(link.text), `summary link to #${id} says "${link.text}"`);
    // The same message next to the field, and the field points at it.
    const group = await page.$eval(`#${id}`, (e) => e.closest('.form-group').id);
    const next = await text(page, `#${group} .field-error`);
    assert(pattern.test(next), `next to #${id}: "${next}"`);
    const described = await page.$eval(`#${id}`, (e) => {
      const t = e.type === 'radio' ? e.closest('fieldset') : e;
      return t.getAttribute('aria-describedby') || '';
    });
    assert(/-error\b/.test(described), `#${id} is not described by its error (${described})`);
  }
  assert(links.length === expected.length, `the summary has ${links.length} links, not ${expected.length}`);
  assert((await page.title()).startsWith('Error: '), 'the title starts with "Error: "');
}

async function formValues(page) {
  return page.evaluate(() => ({
    first_name: document.getElementById('first-name').value,
    email: document.getElementById('email').value,
    city: document.getElementById('city').value,
    type: (document.querySelector('input[name="type"]:checked') || {}).value || '',
  }));
}

async function donorInDb(email) {
  const r = await api('GET', `/api/donors/${encodeURIComponent(email)}`, { admin: true });
  return r.status === 200 ? r.data : null;
}

function newDonor(name, type = 'O-') {
  return { first_name: name, email: `${name.replace(/\W/g, '')}.Donor@Example.ORG`, city: 'Saint-Étienne', type };
}

// ---- Lighthouse ----
async function lighthouse(url) {
  const run = (await importModule('lighthouse')).default;
  const page = await browserInstance().newPage();
  try {
    const result = await run(url, {
      logLevel: 'error', output: 'json',
      onlyCategories: ['performance', 'accessibility', 'best-practices'],
    }, undefined, page);
    const lhr = result.lhr;
    const scores = {};
    for (const [k, v] of Object.entries(lhr.categories)) scores[k] = Math.round(v.score * 100);
    const failing = [];
    for (const cat of ['accessibility', 'best-practices']) {
      for (const ref of lhr.categories[cat].auditRefs) {
        const a = lhr.audits[ref.id];
        if (ref.weight > 0 && a.score !== null && a.score < 1) failing.push(`${cat}: ${ref.id} ${a.title}`);
      }
    }
    const metrics = ['first-contentful-paint', 'largest-contentful-paint', 'total-blocking-time',
      'cumulative-layout-shift', 'speed-index'].map((id) => `${id} ${lhr.audits[id].displayValue}`);
    return { scores, failing, metrics: metrics.join(', ') };
  } finally {
    await page.close().catch(() => {});
  }
}

export default function register(suite) {
  suite.test('pages are served with the CSP default-src \'self\'', async () => {
    for (const p of PAGES) {
      const r = await fetch(new URL(p, BASE_URL), { signal: AbortSignal.timeout(5000) });
      assert(r.status === 200, `GET ${p}: ${r.status}`);
      const csp = r.headers.get('content-security-policy') || '';
      assert(/default-src 'self'/.test(csp), `GET ${p}: Content-Security-Policy is "${csp}"`);
    }
  });

  suite.test('every page\'s HTML, CSS and JS together is under 60 KB', async (ctx) => {
    for (const p of PAGES) {
      const page = await ctx.open(null);
      const sizes = [];
      page.on('response', (r) => {
        const type = r.request().resourceType();
        if (['document', 'stylesheet', 'script'].includes(type)) {
          sizes.push(r.buffer().then((b) => ({ url: r.url(), bytes: b.length })).catch(() => ({ url: r.url(), bytes: 0 })));
        }
      });
      await page.goto(BASE_URL + p, { waitUntil: 'networkidle0' });
      const all = await Promise.all(sizes);
      const total = all.reduce((n, s) => n + s.bytes, 0);
      log(`${p}: ${total} bytes in ${all.length} files`);
      assert(all.length >= 3, `${p}: only ${all.length} files loaded`);
      assert(total < SIZE_LIMIT, `${p}: ${total} bytes (${all.map((s) => `${s.url} ${s.bytes}`).join(', ')})`);
    }
  });

  suite.test('home: loads, links to the sign-up, says there is no partner yet', async (ctx) => {
    const page = await ctx.open('/');
    await waitFor(() => page.$eval('#partners', (e) => /no partner companies/.test(e.textContent)),
      'the empty partners message');
    const href = await page.$eval('a.button.start', (a) => a.getAttribute('href'));
    assert(href === '/signup/', `the sign-up link is ${href}`);
    await ctx.check(page, 'home-no-partners');
  });

  suite.test(`setup: ${COMPANIES} companies created through the API`, async () => {
    for (let i = 1; i <= COMPANIES; i += 5) {
      const batch = [];
      for (let j = i; j < i + 5 && j <= COMPANIES; j += 1) {
        batch.push(api('POST', '/api/companies', { admin: true, body: companies[j - 1] }));
      }
      for (const r of await Promise.all(batch)) assert(r.status === 201, `create: ${r.status} ${JSON.stringify(r.data)}`);
    }
  });

  suite.test('home: shows partner companies with their keywords', async (ctx) => {
    const page = await ctx.open('/');
    await waitFor(() => page.$$eval('#partners .company', (l) => l.length > 0), 'the partners');
    const items = await page.$$eval('#partners .company', (l) => l.map((li) => ({
      name: li.querySelector('h3').textContent, keywords: [...li.querySelectorAll('.keywords li')].map((k) => k.textContent),
    })));
    assert(items.length === 6, `${items.length} partners shown`);
    for (const it of items) assert(it.keywords.includes('blood drives'), `${it.name} without its keywords`);
    await ctx.check(page, 'home');
    await ctx.check(page, 'home', { dark: true });
    // The skip link is the first stop of the keyboard and leads to the main content.
    await page.keyboard.press('Tab');
    assert(await page.evaluate(() => document.activeElement.className) === 'skip-link', 'Tab 1 is the skip link');
    await page.keyboard.press('Enter');
    await waitFor(async () => await activeId(page) === 'main', 'focus on main after the skip link', 3000);
  });

  suite.test('sign-up with the keyboard: confirmation has focus; DynamoDB holds it as typed, email lower-cased', async (ctx) => {
    const page = await ctx.open('/signup/');
    await ctx.check(page, 'signup');
    await ctx.check(page, 'signup', { dark: true });
    const donor = newDonor('Ann-Marie', 'O-');
    await fillByKeyboard(page, donor);
    await page.keyboard.press('Tab');
    assert(await activeId(page) === 'submit', 'Tab from the blood type reaches the button');
    await page.keyboard.press('Enter');
    await confirmed(page);
    const said = await text(page, '#confirmation');
    assert(said.includes(donor.first_name) && said.includes(donor.email.toLowerCase()), `confirmation: ${said}`);
    const item = await donorInDb(donor.email.toLowerCase());
    assert(item, 'the donor is not in DynamoDB');
    for (const f of ['first_name', 'city', 'type']) assert(item[f] === donor[f], `${f}: ${item[f]} != ${donor[f]}`);
    assert(item.email === donor.email.toLowerCase(), `email stored as ${item.email}`);
    await ctx.check(page, 'signup-confirmation');
  }, { timeout: 45000 });

  suite.test('sign-up, nothing filled in: each field\'s message beside it and in the summary, which has focus', async (ctx) => {
    const page = await ctx.open('/signup/');
    await page.click('#submit');
    await summaryShows(page, [
      ['first-name', /Enter your first name/], ['email', /Enter your email address/],
      ['city', /Enter your town or city/], ['type-a-pos', /Choose your blood type/],
    ]);
    await ctx.check(page, 'signup-errors-empty');
    await ctx.check(page, 'signup-errors-empty', { dark: true });
    // A link of the summary takes the keyboard to its field.
    await page.keyboard.press('Tab');
    await page.keyboard.press('Tab');
    await page.keyboard.press('Enter');
    assert(await activeId(page) === 'email', `the second link leads to #${await activeId(page)}`);
  });

  suite.test('sign-up, invalid values: the page\'s own checks, values kept', async (ctx) => {
    const page = await ctx.open('/signup/');
    const bad = { first_name: 'x'.repeat(101), email: 'ann..smith@example', city: 'Lyon', type: 'B+' };
    await fill(page, bad);
    await page.click('#submit');
    await summaryShows(page, [
      ['first-name', /100 characters or fewer/], ['email', /before @ must not .* two dots/],
    ]);
    const kept = await formValues(page);
    assert(JSON.stringify(kept) === JSON.stringify(bad), `form now holds ${JSON.stringify(kept)}`);
    await ctx.check(page, 'signup-errors-invalid');
  });

  suite.test('sign-up, the service\'s 422: its messages beside each field and in the summary', async (ctx) => {
    const page = await ctx.open('/signup/');
    // What the page would have refused is put into the request on its way, so that the
    // service's own validation answers.
    await page.setRequestInterception(true);
    page.on('request', (req) => {
      if (req.method() === 'POST' && req.url().endsWith('/api/donors')) {
        const body = JSON.parse(req.postData());
        req.continue({ postData: JSON.stringify({ ...body, first_name: 'y'.repeat(101), city: '   ' }) });
      } else {
        req.continue();
      }
    });
    const donor = newDonor('Bea', 'A+');
    await fill(page, donor);
    await page.click('#submit');
    await summaryShows(page, [
      ['first-name', /First name must be at most 100 characters/], ['city', /Town or city must not be only spaces/],
    ]);
    const ref = await text(page, '#error-summary-text');
    assert(/ Reference [0-9a-f]{32}\.$/.test(ref), `the summary gives no reference: "${ref}"`);
    assert(JSON.stringify(await formValues(page)) === JSON.stringify(donor), 'the form lost what was typed');
    assert(!(await donorInDb(donor.email.toLowerCase())), 'the donor was created');
    await ctx.check(page, 'signup-errors-service');
  }, { apiStatuses: [422] });

  suite.test('sign-up, an address already registered (another case): the 409 message, values kept', async (ctx) => {
    const donor = newDonor('Chloe', 'AB-');
    const first = await api('POST', '/api/donors', { body: { ...donor, email: donor.email.toLowerCase() } });
    assert(first.status === 201, `first sign-up: ${first.status}`);
    const page = await ctx.open('/signup/');
    await fill(page, { ...donor, first_name: 'Chloé' });
    await page.click('#submit');
    await summaryShows(page, [['email', /already registered/]]);
    assert(/do not need to sign up again/.test(await text(page, '#error-summary')), 'the summary says what to do');
    assert((await formValues(page)).email === donor.email, 'the email was lost');
    const item = await donorInDb(donor.email.toLowerCase());
    assert(item && item.first_name === 'Chloe', 'the first sign-up was changed');
    await ctx.check(page, 'signup-already-registered');
  }, { apiStatuses: [409] });

  suite.test('sign-up, double click: one request, one donor, no error', async (ctx) => {
    const page = await ctx.open('/signup/');
    const posts = [];
    page.on('request', (r) => { if (r.method() === 'POST') posts.push(r.headers()['idempotency-key']); });
    const donor = newDonor('Dora', 'B-');
    await fill(page, donor);
    await page.click('#submit', { count: 2 });
    await page.keyboard.press('Enter');
    await confirmed(page);
    assert(posts.length >= 1 && posts.every((k) => k && k === posts[0]), `keys sent: ${JSON.stringify(posts)}`);
    assert(await donorInDb(donor.email.toLowerCase()), 'the donor is not in DynamoDB');
  });

  suite.test('sign-up, the key still in flight (409 with Retry-After): asked again with the same key, no error', async (ctx) => {
    const page = await ctx.open('/signup/');
    const donor = newDonor('Hana', 'O+');
    const keys = [];
    await page.setRequestInterception(true);
    page.on('request', (req) => {
      if (req.method() !== 'POST') return req.continue();
      keys.push(req.headers()['idempotency-key']);
      if (keys.length > 1) return req.continue();
      // What the service answers while another request with this key is still running.
      return req.respond({
        status: 409, contentType: 'application/problem+json', headers: { 'Retry-After': '1' },
        body: JSON.stringify({ type: 'about:blank', title: 'Conflict', status: 409,
          detail: 'a request with this Idempotency-Key is still being processed' }),
      });
    });
    await fill(page, donor);
    await page.click('#submit');
    await confirmed(page);
    assert(keys.length === 2 && keys[0] === keys[1], `keys: ${JSON.stringify(keys)}`);
    assert(await donorInDb(donor.email.toLowerCase()), 'the donor is not in DynamoDB');
  }, { apiStatuses: [409] });

  suite.test('sign-up, answer lost then sent again: the same Idempotency-Key, replayed, one donor', async (ctx) => {
    const page = await ctx.open('/signup/');
    const donor = newDonor('Erin', 'A-');
    const keys = [];
    let replayed = null;
    await page.setRequestInterception(true);
    page.on('request', async (req) => {
      if (req.method() !== 'POST') return req.continue();
      keys.push(req.headers()['idempotency-key']);
      if (keys.length > 1) return req.continue();
      // The first reaches the service, but its answer never reaches the page.
      const r = await fetch(req.url(), { method: 'POST', headers: req.headers(), body: req.postData() });
      assert(r.status === 201, `first request: ${r.status}`);
      return req.abort('connectionreset');
    });
    page.on('response', (r) => {
      if (r.request().method() === 'POST') replayed = r.headers()['idempotent-replayed'];
    });
    await fill(page, donor);
    await page.click('#submit');
    await waitFor(() => visible(page, '#error-summary'), 'the unreachable message');
    assert(/cannot be reached/.test(await text(page, '#error-summary')), 'the summary says it could not reach the service');
    assert(JSON.stringify(await formValues(page)) === JSON.stringify(donor), 'the form lost what was typed');
    await ctx.check(page, 'signup-unreachable');
    await page.click('#submit');
    await confirmed(page);
    assert(keys.length === 2 && keys[0] === keys[1], `keys: ${JSON.stringify(keys)}`);
    assert(replayed === 'true', `Idempotent-Replayed: ${replayed}`);
  }, { allow: (p) => /ERR_CONNECTION_RESET/.test(p.text) });

  suite.test('sign-up, 429 and 503: try again later, with the reference, answers kept; then it goes through', async (ctx) => {
    const page = await ctx.open('/signup/');
    const donor = newDonor('Gwen', 'B+');
    const answers = [429, 503];
    await page.setRequestInterception(true);
    page.on('request', (req) => {
      if (req.method() !== 'POST' || !answers.length) return req.continue();
      // What the service (503, its breaker open) or a rate limit in front of it answers.
      const status = answers.shift();
      return req.respond({
        status, contentType: 'application/problem+json',
        headers: { 'X-Request-Id': `feedc0de${status}`, 'Retry-After': '30' },
        body: JSON.stringify({ type: 'about:blank', title: 'busy', status, detail: 'retry later', request_id: `feedc0de${status}` }),
      });
    });
    await fill(page, donor);
    for (const status of [429, 503]) {
      await page.click('#submit');
      await waitFor(async () => (await text(page, '#error-summary')).includes(`feedc0de${status}`), `the ${status} message`);
      const said = await text(page, '#error-summary');
      assert(/busy/.test(said) && /try again in a few minutes/.test(said), `${status}: ${said}`);
      assert(await activeId(page) === 'error-summary', 'the summary has focus');
      assert(JSON.stringify(await formValues(page)) === JSON.stringify(donor), 'the form lost what was typed');
      if (status === 503) await ctx.check(page, 'signup-busy');
    }
    await page.click('#submit');
    await confirmed(page);
  }, { apiStatuses: [429, 503] });

  suite.test(`companies: pages through all ${COMPANIES} with "more", each once, with keywords`, async (ctx) => {
    // What the API lists, page by page.
    const want = new Map();
    let cursor = null;
    for (let i = 0; i < 20; i += 1) {
      const r = await api('GET', `/api/companies?limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      assert(r.status === 200, `listing: ${r.status}`);
      for (const c of r.data.items) want.set(c.name, c.keywords);
      cursor = r.data.next_cursor;
      if (!cursor) break;
    }
    const page = await ctx.open('/companies/');
    await waitFor(() => page.$$eval('#company-list > li', (l) => l.length > 0), 'the first page');
    await ctx.check(page, 'companies-first-page');
    let clicks = 0;
    while (await visible(page, '#more')) {
      assert(clicks < 10, 'more than 10 pages');
      const before = await page.$$eval('#company-list > li', (l) => l.length);
      await page.focus('#more');
      await page.keyboard.press('Enter');
      clicks += 1;
      await waitFor(async () => (await page.$$eval('#company-list > li', (l) => l.length)) > before ||
        !(await visible(page, '#more')), 'the next page');
      const focused = await page.evaluate(() => document.activeElement.tagName + document.activeElement.textContent);
      assert(!(await visible(page, '#more')) || focused.startsWith('H2'), `focus after "more": ${focused}`);
    }
    const shown = await page.$$eval('#company-list > li', (l) => l.map((li) => ({
      name: li.querySelector('h2').textContent, keywords: [...li.querySelectorAll('.keywords li')].map((k) => k.textContent),
    })));
    const names = shown.map((s) => s.name);
    const ours = names.filter((n) => companies.some((c) => c.name === n));
    assert(ours.length === COMPANIES, `${ours.length} of our ${COMPANIES} companies shown`);
    assert(new Set(names).size === names.length, 'a company is shown twice');
    assert(names.length === want.size && names.every((n) => want.has(n)), `shown ${names.length}, listed ${want.size}`);
    for (const s of shown) assert(JSON.stringify(s.keywords) === JSON.stringify(want.get(s.name)), `${s.name}: keywords ${s.keywords}`);
    assert(!(await visible(page, '#more')), 'the "more" button is still shown');
    assert(/Showing all 45 companies/.test(await text(page, '#companies-status')), 'the status says all are shown');
    log(`${clicks} clicks on "more"`);
    await ctx.check(page, 'companies-all');
    await ctx.check(page, 'companies-all', { dark: true });
  }, { timeout: 60000 });

  for (const url of ['/', '/signup/']) {
    suite.test(`Lighthouse ${url}: accessibility and best practices 100, performance at least 95`, async () => {
      // Accessibility and best practices do not vary between runs; performance is measured
      // on a machine shared with other work, so a slow run is tried again (three at most).
      for (let run = 1; ; run += 1) {
        const { scores, failing, metrics } = await lighthouse(BASE_URL + url);
        log(`${url}: ${JSON.stringify(scores)}; ${metrics}`);
        assert(scores.accessibility === 100 && scores['best-practices'] === 100,
          `${JSON.stringify(scores)} ${failing.join('; ')}`);
        if (scores.performance >= 95) break;
        assert(run < 3, `performance ${scores.performance} in three runs`);
      }
    }, { timeout: 240000 });
  }

  // ---- with `savealife serve` stopped ----
  suite.whenApiDown('API stopped: home shows its message in place of the partners', async (ctx) => {
    const page = await ctx.open('/');
    await waitFor(() => page.$('#partners .message'), 'the message');
    assert(/cannot be shown right now/.test(await text(page, '#partners')), 'the message');
    assert(/not answering|cannot be reached/.test(await text(page, '#partners')), 'says why');
    await ctx.check(page, 'home-api-down');
  });

  suite.whenApiDown('API stopped: sign-up says to try later and keeps the answers', async (ctx) => {
    const page = await ctx.open('/signup/');
    const donor = newDonor('Fay', 'AB+');
    await fill(page, donor);
    await page.click('#submit');
    await waitFor(() => visible(page, '#error-summary'), 'the summary');
    assert(await activeId(page) === 'error-summary', 'the summary has focus');
    assert(/try again/.test(await text(page, '#error-summary')), `summary: ${await text(page, '#error-summary')}`);
    assert(JSON.stringify(await formValues(page)) === JSON.stringify(donor), 'the form lost what was typed');
    await ctx.check(page, 'signup-api-down');
  });

  suite.whenApiDown('API stopped: companies shows its message and a way to try again', async (ctx) => {
    const page = await ctx.open('/companies/');
    await waitFor(() => page.$('#companies-error .message'), 'the message');
    assert(/cannot be shown right now/.test(await text(page, '#companies-error')), 'the message');
    assert(await visible(page, '#more'), 'a button to try again');
    await ctx.check(page, 'companies-api-down');
  });
}
