// The public site in the browser: home, sign-up, partner companies; with the API running
// and with it stopped. Registered with the harness in lib.mjs (see its header).
import { api, assert } from './lib.mjs';

const PAGES = ['/', '/signup/', '/companies/'];
const SIZE_LIMIT = 60 * 1024;

export default function register(suite) {
  suite.test('pages are served with the CSP default-src \'self\'', async () => {
    for (const p of PAGES) {
      const r = await fetch(new URL(p, process.env.BASE_URL), { signal: AbortSignal.timeout(5000) });
      assert(r.status === 200, `GET ${p}: ${r.status}`);
      const csp = r.headers.get('content-security-policy') || '';
      assert(/default-src 'self'/.test(csp), `GET ${p}: Content-Security-Policy is "${csp}"`);
    }
  });

  suite.test('home page: loads, links to the sign-up, no partner yet', async (ctx) => {
    const page = await ctx.open('/');
    await ctx.waitFor(() => page.$eval('#partners', (e) => /no partner companies/.test(e.textContent)),
      'the empty partners message');
    const href = await page.$eval('a.button.start', (a) => a.getAttribute('href'));
    assert(href === '/signup/', `the sign-up link is ${href}`);
    await ctx.check(page, 'home-empty');
  });
}
