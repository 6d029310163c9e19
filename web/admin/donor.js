import { ServiceDown, WriteKey, api, requireSignIn, setFlash } from './session.js';
import { banner, busy, confirmDeletion, checkText, clearBanner, clearErrors, el, problemErrors, serviceDown, showErrors } from './ui.js';

// The page's address names the donor in its fragment (#email=…), which stays in the browser.
const email = new URLSearchParams(location.hash.slice(1)).get('email') || '';
const path = `/api/donors/${encodeURIComponent(email)}`;
const form = document.getElementById('change');
const firstName = document.getElementById('first_name');
const city = document.getElementById('city');
const fields = { first_name: 'first_name', city: 'city', type: 'type' };
const key = new WriteKey();
let etag = null;
let current = null;

function chosenType() {
  return form.querySelector('input[name=type]:checked')?.value || '';
}

function when(stamp) {
  const date = new Date(stamp);
  return Number.isNaN(date.getTime()) ? stamp : date.toLocaleString('en-GB', { dateStyle: 'long', timeStyle: 'short' });
}

function backTo(cityName) {
  return `/admin/donors/?${new URLSearchParams({ city: cityName })}`;
}

function fill(donor) {
  current = donor;
  document.getElementById('heading').textContent = donor.first_name;
  document.title = `${donor.first_name} – donor – savealife admin`;
  document.getElementById('show-email').textContent = donor.email;
  document.getElementById('show-created').textContent = when(donor.created_at);
  document.getElementById('show-updated').textContent = when(donor.updated_at);
  document.getElementById('confirm-email').textContent = donor.email;
  document.getElementById('back').href = backTo(donor.city);
  firstName.value = donor.first_name;
  city.value = donor.city;
  for (const radio of form.querySelectorAll('input[name=type]')) radio.checked = radio.value === donor.type;
}

/** Reads the donor and its ETag; a change or a delete is conditional on that version. */
async function load() {
  let res;
  try {
    res = await api('GET', path);
  } catch (err) {
    if (!(err instanceof ServiceDown)) throw err;
    document.getElementById('loading').hidden = true;
    serviceDown(err, () => {
      clearBanner();
      load();
    });
    return false;
  }
  document.getElementById('loading').hidden = true;
  if (res.status === 404) {
    gone();
    return false;
  }
  if (res.status !== 200) {
    banner('error', 'The donor could not be loaded', res.data?.detail || `The service answered ${res.status}.`);
    return false;
  }
  etag = res.etag;
  fill(res.data);
  document.getElementById('donor').hidden = false;
  return true;
}

function gone() {
  document.getElementById('donor').hidden = true;
  document.getElementById('heading').textContent = 'Donor not found';
  banner('important', 'There is no donor with this email address', [
    'The record may have been deleted.',
    el('p', {}, el('a', { href: '/admin/donors/' }, 'Find donors')),
  ]);
}

function conflict(what) {
  const reload = el('button', { type: 'button', class: 'button secondary' }, 'Load the latest version');
  reload.addEventListener('click', async () => {
    clearBanner();
    clearErrors(form);
    if (await load()) banner('success', 'Latest version loaded', "These are the donor's details as they are now. Make your changes again and save them.");
  });
  banner('error', 'Someone else changed this donor', [
    `The record was changed after you opened it, so your ${what} was not made: nothing was overwritten.`,
    'Load the latest version to see it, then make your changes again. What you typed here will be replaced.',
    reload,
  ]);
}

form.addEventListener('submit', (event) => {
  event.preventDefault();
  clearBanner();
  const errors = [];
  const nameProblem = checkText(firstName.value, 'a first name', 100);
  if (nameProblem) errors.push({ field: 'first_name', message: nameProblem });
  const cityProblem = checkText(city.value, 'a city', 100);
  if (cityProblem) errors.push({ field: 'city', message: cityProblem });
  if (!chosenType()) errors.push({ field: 'type', message: 'Select a blood type' });
  if (errors.length) {
    showErrors(form, errors);
    return;
  }
  const body = {};
  if (firstName.value.trim() !== current.first_name) body.first_name = firstName.value.trim();
  if (city.value.trim() !== current.city) body.city = city.value.trim();
  if (chosenType() !== current.type) body.type = chosenType();
  if (!Object.keys(body).length) {
    clearErrors(form);
    banner('important', 'Nothing to save', 'You have not changed any of the details.');
    return;
  }
  clearErrors(form);
  busy(document.getElementById('save'), async () => {
    let res;
    try {
      res = await api('PATCH', path, { body, ifMatch: etag, key });
    } catch (err) {
      if (!(err instanceof ServiceDown)) throw err;
      serviceDown(err);
      return;
    }
    if (res.status === 200) {
      etag = res.etag;
      fill(res.data);
      banner('success', 'Changes saved', "The donor's details were saved.");
    } else if (res.status === 412) {
      conflict('change');
    } else if (res.status === 404) {
      gone();
    } else {
      showErrors(form, problemErrors(res.data, fields, `The service answered ${res.status}.`));
    }
  });
});

confirmDeletion(() => api('DELETE', path, { ifMatch: etag }), (res) => {
  if (res.status === 204) {
    setFlash(`The donor ${current.email} was deleted.`);
    location.assign(backTo(current.city));
  } else if (res.status === 412) {
    conflict('deletion');
  } else if (res.status === 404) {
    gone();
  } else {
    banner('error', 'The donor was not deleted', res.data?.detail || `The service answered ${res.status}.`);
  }
});

if (requireSignIn()) load();
