import { ServiceDown, api, requireSignIn, takeFlash } from './session.js';
import { banner, busy, checkText, clearBanner, el, serviceDown, showErrors, showFlash } from './ui.js';
import { csvDocument } from './csv.js';

const PAGE = 50;
const TYPES = ['A+', 'A-', 'B+', 'B-', 'AB+', 'AB-', 'O+', 'O-'];
const COLUMNS = ['email', 'first_name', 'city', 'type', 'created_at', 'updated_at'];
const form = document.getElementById('search');
const cityInput = document.getElementById('city');
const typeSelect = document.getElementById('type');
const results = document.getElementById('results');
const rows = document.getElementById('rows');
const status = document.getElementById('donors-status');
const more = document.getElementById('more');
const download = document.getElementById('download');
let search = null;
let cursor = null;
let shown = 0;

function listing(after, limit) {
  const q = new URLSearchParams({ city: search.city, limit: String(limit) });
  if (search.type) q.set('type', search.type);
  if (after) q.set('cursor', after);
  return `/api/donors?${q}`;
}

function row(donor) {
  // The email in the fragment: never sent to the server, so never in its logs.
  const href = `/admin/donors/donor.html#${new URLSearchParams({ email: donor.email })}`;
  return el(
    'tr',
    {},
    el('td', { 'data-label': 'Email' }, el('a', { href }, donor.email)),
    el('td', { 'data-label': 'First name' }, donor.first_name),
    el('td', { 'data-label': 'City' }, donor.city),
    el('td', { 'data-label': 'Blood type' }, donor.type),
  );
}

function describe() {
  return `${search.city}${search.type ? `, blood type ${search.type}` : ''}`;
}

async function page(first) {
  let res;
  try {
    res = await api('GET', listing(first ? null : cursor, PAGE));
  } catch (err) {
    if (!(err instanceof ServiceDown)) throw err;
    serviceDown(err, () => {
      clearBanner();
      page(first);
    });
    return;
  }
  if (res.status !== 200) {
    banner('error', 'The donors could not be found', res.data?.detail || `The service answered ${res.status}.`);
    return;
  }
  const before = rows.children.length;
  for (const donor of res.data.items) rows.append(row(donor));
  shown += res.data.items.length;
  cursor = res.data.next_cursor;
  more.hidden = !cursor;
  download.parentElement.hidden = shown === 0;
  document.getElementById('download-hint').hidden = shown === 0;
  results.hidden = false;
  const title = document.getElementById('results-title');
  title.textContent = shown === 0 ? `No donors found in ${describe()}` : `Donors in ${describe()}`;
  document.getElementById('results-caption').textContent = `Donors in ${describe()}`;
  status.textContent = shown === 0 ? 'Check the spelling of the city, or choose any blood type.' : `Showing ${shown} ${shown === 1 ? 'donor' : 'donors'}${cursor ? '; there are more' : ''}.`;
  if (first) title.focus();
  else if (rows.children[before]) rows.children[before].querySelector('a').focus();
}

/** Every donor of the search, all pages, for the file (bounded: 1000 pages of 100). */
async function everyDonor() {
  const all = [];
  let after = null;
  for (let n = 0; n < 1000; n++) {
    const res = await api('GET', listing(after, 100));
    if (res.status !== 200) throw new Error(res.data?.detail || `the service answered ${res.status}`);
    all.push(...res.data.items);
    after = res.data.next_cursor;
    if (!after) return all;
  }
  throw new Error('too many donors for one file');
}

function saveFile(name, text) {
  // A byte order mark, so that spreadsheets read the file as UTF-8.
  const blob = new Blob(['\ufeff', text], { type: 'text/csv;charset=utf-8' });
  const url = URL.createObjectURL(blob);
  const link = el('a', { href: url, download: name, hidden: '' });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60000);
}

download.addEventListener('click', () =>
  busy(download, async () => {
    let donors;
    try {
      donors = await everyDonor();
    } catch (err) {
      if (err instanceof ServiceDown) serviceDown(err);
      else banner('error', 'The file could not be made', err.message);
      return;
    }
    const slug = `${search.city}${search.type ? `-${search.type}` : ''}`.replace(/[^A-Za-z0-9+-]+/g, '-');
    saveFile(`donors-${slug}.csv`, csvDocument(COLUMNS, donors));
    status.textContent = `Downloaded ${donors.length} ${donors.length === 1 ? 'donor' : 'donors'} as CSV.`;
  }),
);

more.addEventListener('click', () => busy(more, () => page(false)));

form.addEventListener('submit', (event) => {
  const problem = checkText(cityInput.value, 'a city', 100);
  if (problem) {
    event.preventDefault();
    showErrors(form, [{ field: 'city', message: problem }]);
  }
});

if (requireSignIn()) {
  showFlash(takeFlash());
  const params = new URLSearchParams(location.search);
  const city = params.get('city');
  const type = params.get('type') || '';
  if (city !== null) {
    cityInput.value = city;
    typeSelect.value = TYPES.includes(type) ? type : '';
    const problem = checkText(city, 'a city', 100);
    if (problem) {
      showErrors(form, [{ field: 'city', message: problem }]);
    } else {
      search = { city: city.trim(), type: typeSelect.value };
      page(true);
    }
  }
}
