// The partner-companies directory: the public listing a page at a time, following the API's
// cursor; "Show more companies" loads the next page and moves focus to the first new one.
import { request, describe } from './api.js';
import { companyItem, errorMessage } from './companies-view.js';

const PAGE = 18; // fills rows of one, two or three columns
const list = document.getElementById('company-list');
const status = document.getElementById('companies-status');
const errorBox = document.getElementById('companies-error');
const more = document.getElementById('more');
let cursor = null;
let shown = 0;
let loading = false;

function plural(n) {
  return `${n} ${n === 1 ? 'company' : 'companies'}`;
}

async function load(first) {
  if (loading) return;
  loading = true;
  more.setAttribute('aria-disabled', 'true');
  errorBox.textContent = '';
  const query = `limit=${PAGE}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
  try {
    const { data } = await request('GET', `/api/companies?${query}`);
    const items = Array.isArray(data && data.items) ? data.items : [];
    let firstNew = null;
    for (const c of items) {
      const li = companyItem(c, 2);
      list.append(li);
      firstNew = firstNew || li;
    }
    shown += items.length;
    cursor = data && typeof data.next_cursor === 'string' ? data.next_cursor : null;
    more.hidden = cursor === null;
    if (shown === 0) status.textContent = 'There are no partner companies yet.';
    else if (cursor === null) status.textContent = `Showing all ${plural(shown)}.`;
    else status.textContent = `Showing ${plural(shown)}. There are more.`;
    // After "more", focus goes to the first company loaded (its heading is read out).
    if (!first && firstNew) {
      const heading = firstNew.querySelector('h2');
      heading.tabIndex = -1;
      heading.focus();
    }
  } catch (err) {
    status.textContent = shown ? `Showing ${plural(shown)}.` : '';
    errorBox.append(errorMessage(
      shown ? 'More partner companies cannot be shown right now.'
        : 'The partner companies cannot be shown right now.',
      describe(err)));
    // Retry from where it stopped: the button stays for the next page, or the first.
    more.textContent = shown ? 'Show more companies' : 'Try again';
    more.hidden = false;
  } finally {
    loading = false;
    more.removeAttribute('aria-disabled');
  }
}

more.addEventListener('click', () => {
  const first = shown === 0;
  load(first).then(() => {
    if (shown > 0) more.textContent = 'Show more companies';
  });
});

load(true);
