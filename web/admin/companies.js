import { ServiceDown, api, requireSignIn, takeFlash } from './session.js';
import { banner, busy, clearBanner, clearErrors, el, serviceDown, showErrors, showFlash } from './ui.js';

const PAGE = 20;
const form = document.getElementById('companies');
const rows = document.getElementById('rows');
const status = document.getElementById('companies-status');
const more = document.getElementById('more');
const confirmBox = document.getElementById('confirm');
let cursor = null;
let shown = 0;

function row(company) {
  const n = rows.children.length + 1;
  const box = el('input', { type: 'checkbox', class: 'checkbox', id: `select-${n}`, name: 'id', value: company.id });
  box.dataset.name = company.name;
  const edit = el(
    'a',
    { href: `/admin/companies/edit.html?id=${encodeURIComponent(company.id)}` },
    'Edit',
    el('span', { class: 'visually-hidden' }, ` ${company.name}`),
  );
  return el(
    'tr',
    {},
    el('td', { class: 'table__select' }, box, el('label', { for: box.id, class: 'checkbox__label' }, el('span', { class: 'visually-hidden' }, `Select ${company.name}`))),
    el('th', { scope: 'row' }, company.name),
    el('td', { 'data-label': 'Keywords' }, (company.keywords || []).join(', ') || '–'),
    el('td', {}, edit),
  );
}

async function load(reset) {
  const q = new URLSearchParams({ limit: String(PAGE) });
  if (!reset && cursor) q.set('cursor', cursor);
  let res;
  try {
    res = await api('GET', `/api/companies?${q}`);
  } catch (err) {
    if (!(err instanceof ServiceDown)) throw err;
    status.textContent = 'The companies could not be loaded.';
    serviceDown(err, () => {
      clearBanner();
      load(reset);
    });
    return;
  }
  if (res.status !== 200) {
    banner('error', 'The companies could not be loaded', res.data?.detail || `The service answered ${res.status}.`);
    return;
  }
  if (reset) {
    rows.replaceChildren();
    shown = 0;
  }
  const first = rows.children.length;
  for (const company of res.data.items) rows.append(row(company));
  shown += res.data.items.length;
  cursor = res.data.next_cursor;
  more.hidden = !cursor;
  status.textContent = shown === 0 ? 'There are no companies yet.' : `Showing ${shown} ${shown === 1 ? 'company' : 'companies'}${cursor ? '; there are more' : ''}.`;
  form.querySelector('#delete-selected').hidden = shown === 0;
  if (!reset && rows.children[first]) rows.children[first].querySelector('input').focus();
}

function selected() {
  return [...rows.querySelectorAll('input[type=checkbox]:checked')];
}

form.addEventListener('submit', (event) => {
  event.preventDefault();
  const boxes = selected();
  if (!boxes.length) {
    showErrors(form, [{ field: 'select-1', message: 'Select at least one company to delete' }]);
    return;
  }
  if (boxes.length > 100) {
    showErrors(form, [{ field: 'select-1', message: 'Select 100 companies or fewer at a time' }]);
    return;
  }
  clearErrors(form);
  document.getElementById('confirm-list').replaceChildren(...boxes.map((b) => el('li', {}, b.dataset.name)));
  document.getElementById('confirm-title').textContent =
    boxes.length === 1 ? 'Delete this company?' : `Delete these ${boxes.length} companies?`;
  confirmBox.hidden = false;
  confirmBox.focus();
});

document.getElementById('confirm-no').addEventListener('click', () => {
  confirmBox.hidden = true;
  document.getElementById('delete-selected').focus();
});

document.getElementById('confirm-yes').addEventListener('click', (event) => {
  const boxes = selected();
  const q = new URLSearchParams();
  for (const b of boxes) q.append('id', b.value);
  busy(event.currentTarget, async () => {
    let res;
    try {
      res = await api('DELETE', `/api/companies?${q}`);
    } catch (err) {
      if (!(err instanceof ServiceDown)) throw err;
      serviceDown(err);
      return;
    }
    confirmBox.hidden = true;
    if (res.status !== 200) {
      banner('error', 'The companies were not deleted', res.data?.detail || `The service answered ${res.status}.`);
      return;
    }
    const n = res.data.deleted.length;
    cursor = null;
    await load(true);
    banner('success', 'Deleted', `${n} ${n === 1 ? 'company was' : 'companies were'} deleted.`);
  });
});

more.addEventListener('click', () => busy(more, () => load(false)));

if (requireSignIn()) {
  showFlash(takeFlash());
  load(true);
}
