import { ServiceDown, WriteKey, api, requireSignIn, setFlash } from './session.js';
import { banner, busy, confirmDeletion, chars, checkText, clearBanner, clearErrors, el, problemErrors, serviceDown, showErrors } from './ui.js';

const id = new URLSearchParams(location.search).get('id');
const form = document.getElementById('company');
const nameInput = document.getElementById('name');
const keywordsInput = document.getElementById('keywords');
const save = document.getElementById('save');
const fields = { name: 'name', keywords: 'keywords' };
const key = new WriteKey();
let etag = null;
let current = null;
const path = id === null ? null : `/api/companies/${encodeURIComponent(id)}`;

function keywords() {
  return keywordsInput.value.split('\n').map((k) => k.trim()).filter((k) => k !== '');
}

function check() {
  const errors = [];
  const nameProblem = checkText(nameInput.value, 'the company name', 100);
  if (nameProblem) errors.push({ field: 'name', message: nameProblem });
  else if (current && nameInput.value.trim().toLowerCase() !== current.name.toLowerCase())
    errors.push({ field: 'name', message: 'Only the letter case of the name can change. To rename the company, add a new one and delete this one' });
  const list = keywords();
  if (list.length > 20) errors.push({ field: 'keywords', message: 'Enter 20 keywords or fewer' });
  else {
    const long = list.findIndex((k) => chars(k) > 50);
    if (long >= 0) errors.push({ field: 'keywords', message: `Keyword ${long + 1} must be 50 characters or fewer` });
  }
  return errors;
}

function fill(company) {
  current = company;
  nameInput.value = company.name;
  keywordsInput.value = (company.keywords || []).join('\n');
  document.getElementById('heading').textContent = `Edit ${company.name}`;
  document.getElementById('confirm-name').textContent = company.name;
  document.title = `Edit ${company.name} – savealife admin`;
}

/** Reads the company and its ETag; the next write is conditional on that version. */
async function load() {
  const loading = document.getElementById('loading');
  loading.hidden = false;
  form.hidden = true;
  let res;
  try {
    res = await api('GET', path);
  } catch (err) {
    if (!(err instanceof ServiceDown)) throw err;
    loading.hidden = true;
    serviceDown(err, () => {
      clearBanner();
      load();
    });
    return false;
  }
  loading.hidden = true;
  if (res.status === 404) {
    gone();
    return false;
  }
  if (res.status !== 200) {
    banner('error', 'The company could not be loaded', res.data?.detail || `The service answered ${res.status}.`);
    return false;
  }
  etag = res.etag;
  fill(res.data);
  form.hidden = false;
  document.getElementById('delete-section').hidden = false;
  return true;
}

function gone() {
  form.hidden = true;
  document.getElementById('delete-section').hidden = true;
  document.getElementById('heading').textContent = 'Company not found';
  banner('important', 'This company no longer exists', [
    'Someone may have deleted it.',
    el('p', {}, el('a', { href: '/admin/companies/' }, 'Go back to the companies')),
  ]);
}

/** 412: someone else wrote first. Nothing is overwritten; the admin may load their version. */
function conflict(what) {
  const reload = el('button', { type: 'button', class: 'button secondary' }, 'Load the latest version');
  reload.addEventListener('click', async () => {
    clearBanner();
    if (await load()) banner('success', 'Latest version loaded', 'This is the company as it is now. Make your changes again and save them.');
  });
  banner('error', 'Someone else changed this company', [
    `It was changed after you opened it, so your ${what} was not made: nothing was overwritten.`,
    'Load the latest version to see it, then make your changes again. What you typed here will be replaced.',
    reload,
  ]);
}

form.addEventListener('submit', (event) => {
  event.preventDefault();
  clearBanner();
  const errors = check();
  if (errors.length) {
    showErrors(form, errors);
    return;
  }
  clearErrors(form);
  const body = { name: nameInput.value.trim(), keywords: keywords() };
  busy(save, async () => {
    let res;
    try {
      res = current
        ? await api('PUT', path, { body, ifMatch: etag, key })
        : await api('POST', '/api/companies', { body, key });
    } catch (err) {
      if (!(err instanceof ServiceDown)) throw err;
      serviceDown(err);
      return;
    }
    if (res.status === 200 || res.status === 201) {
      setFlash(current ? `The changes to ${res.data.name} were saved.` : `${res.data.name} was added.`);
      location.assign('/admin/companies/');
    } else if (res.status === 412) {
      conflict('change');
    } else if (res.status === 404) {
      gone();
    } else if (res.status === 409) {
      showErrors(form, [{ field: 'name', message: 'A company with this name already exists. Choose another name, or edit that company' }]);
    } else {
      showErrors(form, problemErrors(res.data, fields, `The service answered ${res.status}.`));
    }
  });
});

confirmDeletion(() => api('DELETE', path, { ifMatch: etag }), (res) => {
  if (res.status === 200) {
    setFlash(`${current.name} was deleted.`);
    location.assign('/admin/companies/');
  } else if (res.status === 412) {
    conflict('deletion');
  } else if (res.status === 404) {
    gone();
  } else {
    banner('error', 'The company was not deleted', res.data?.detail || `The service answered ${res.status}.`);
  }
});

if (requireSignIn()) {
  if (path) {
    save.textContent = 'Save changes';
    load();
  } else {
    document.title = 'Add a company – savealife admin';
  }
}
