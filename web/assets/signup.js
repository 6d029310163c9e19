// The donor sign-up form: the service's rules checked here first (README, "Donors"), then
// POST /api/donors with an Idempotency-Key, so a double click or a resubmit of the same
// answers is applied once. Errors follow the GOV.UK pattern: a summary at the top that takes
// focus and links to each field, and each message next to its field. Nothing typed is lost.
import { request, describe, newIdempotencyKey } from './api.js';

const TYPES = ['A+', 'A-', 'B+', 'B-', 'AB+', 'AB-', 'O+', 'O-'];
const TEXT_MAX = 100;
const EMAIL_MAX = 254;
const LOCAL_MAX = 64;
const LABEL_MAX = 63;
const IN_FLIGHT_RETRIES = 5;

// Each field: its API name, its control's id (the first radio for the type), its label.
const FIELDS = {
  first_name: { id: 'first-name', group: 'first-name-group', error: 'first-name-error', label: 'First name' },
  email: { id: 'email', group: 'email-group', error: 'email-error', label: 'Email address' },
  city: { id: 'city', group: 'city-group', error: 'city-error', label: 'Town or city' },
  type: { id: 'type-a-pos', group: 'type-group', error: 'type-error', label: 'Blood type' },
};

const form = document.getElementById('signup-form');
const summary = document.getElementById('error-summary');
const summaryTitle = document.getElementById('error-summary-title');
const summaryText = document.getElementById('error-summary-text');
const summaryList = document.getElementById('error-summary-list');
const button = document.getElementById('submit');
const baseTitle = document.title;

// ---- the rules ----
function checkText(value, label) {
  if (value === '') return `Enter your ${label.toLowerCase()}`;
  if (typeof value.isWellFormed === 'function' && !value.isWellFormed()) return `${label} must contain only letters, numbers and punctuation`;
  if (/[\u0000-\u001f\u007f-\u009f]/.test(value)) return `${label} must not contain control characters`;
  if ([...value].length > TEXT_MAX) return `${label} must be ${TEXT_MAX} characters or fewer`;
  return null;
}

const ATEXT = /^[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~]$/;
const LABEL = /^[A-Za-z0-9-]+$/;
function checkEmail(value) {
  const shape = 'Enter an email address in the correct format, like name@example.com';
  if (value === '') return 'Enter your email address';
  if (new TextEncoder().encode(value).length > EMAIL_MAX) {
    return `Email address must be ${EMAIL_MAX} characters or fewer`;
  }
  const at = value.indexOf('@');
  if (at < 0) return shape;
  const local = value.slice(0, at);
  if (local.length === 0 || local.length > LOCAL_MAX) {
    return `The part before @ must be 1 to ${LOCAL_MAX} characters`;
  }
  for (let i = 0; i < local.length; i += 1) {
    const c = local[i];
    if (c === '.') {
      if (i === 0 || i === local.length - 1 || local[i + 1] === '.') {
        return 'The part before @ must not start or end with a dot, or have two dots in a row';
      }
    } else if (!ATEXT.test(c)) {
      return shape;
    }
  }
  const labels = value.slice(at + 1).split('.');
  for (const label of labels) {
    if (label !== '' && !LABEL.test(label)) return shape;
  }
  for (const label of labels) {
    if (label.length === 0 || label.length > LABEL_MAX || label.startsWith('-') || label.endsWith('-')) {
      return 'The part after @ must be words of letters, numbers or hyphens, separated by dots';
    }
  }
  if (labels.length < 2) return shape;
  return null;
}

function readForm() {
  const checked = form.querySelector('input[name="type"]:checked');
  return {
    first_name: form.elements.first_name.value.trim(),
    email: form.elements.email.value.trim(),
    city: form.elements.city.value.trim(),
    type: checked ? checked.value : '',
  };
}

function validate(values) {
  const errors = [];
  const add = (field, message) => { if (message) errors.push({ field, message }); };
  add('first_name', checkText(values.first_name, 'First name'));
  add('email', checkEmail(values.email));
  add('city', checkText(values.city, 'Town or city'));
  add('type', TYPES.includes(values.type) ? null : 'Choose your blood type');
  return errors;
}

// ---- showing errors ----
function clearErrors() {
  for (const f of Object.values(FIELDS)) {
    document.getElementById(f.group).classList.remove('has-error');
    const error = document.getElementById(f.error);
    error.hidden = true;
    error.textContent = '';
    const control = document.getElementById(f.id);
    const targets = f.id.startsWith('type-') ? [control.closest('fieldset')] : [control];
    for (const t of targets) {
      t.removeAttribute('aria-invalid');
      const ids = (t.getAttribute('aria-describedby') || '').split(' ').filter((x) => x && x !== f.error);
      if (ids.length) t.setAttribute('aria-describedby', ids.join(' '));
      else t.removeAttribute('aria-describedby');
    }
  }
  summary.hidden = true;
  summaryList.textContent = '';
  summaryText.hidden = true;
  summaryText.textContent = '';
  document.title = baseTitle;
}

function showFieldError(name, message) {
  const f = FIELDS[name];
  document.getElementById(f.group).classList.add('has-error');
  const error = document.getElementById(f.error);
  const prefix = document.createElement('span');
  prefix.className = 'visually-hidden';
  prefix.textContent = 'Error: ';
  error.textContent = '';
  error.append(prefix, message);
  error.hidden = false;
  const control = document.getElementById(f.id);
  const target = name === 'type' ? control.closest('fieldset') : control;
  if (name !== 'type') target.setAttribute('aria-invalid', 'true');
  const ids = (target.getAttribute('aria-describedby') || '').split(' ').filter(Boolean);
  if (!ids.includes(f.error)) ids.push(f.error);
  target.setAttribute('aria-describedby', ids.join(' '));
}

// The summary: a title, an optional paragraph, a link per field error; then it takes focus.
function showSummary(title, text, errors) {
  summaryTitle.textContent = title;
  if (text) {
    summaryText.textContent = text;
    summaryText.hidden = false;
  }
  for (const e of errors) {
    const li = document.createElement('li');
    if (FIELDS[e.field]) {
      const a = document.createElement('a');
      a.href = `#${FIELDS[e.field].id}`;
      a.textContent = e.message;
      a.dataset.field = e.field;
      li.append(a);
    } else {
      li.textContent = e.message;
    }
    summaryList.append(li);
  }
  summary.hidden = false;
  document.title = `Error: ${baseTitle}`;
  summary.focus();
}

function showErrors(errors, text) {
  clearErrors();
  for (const e of errors) if (FIELDS[e.field]) showFieldError(e.field, e.message);
  showSummary('There is a problem', text, errors);
}

// A link in the summary moves focus to its field and shows the field's label or legend.
summaryList.addEventListener('click', (event) => {
  const link = event.target.closest('a[data-field]');
  if (!link) return;
  event.preventDefault();
  const f = FIELDS[link.dataset.field];
  const control = document.getElementById(f.id);
  const checked = link.dataset.field === 'type' ? form.querySelector('input[name="type"]:checked') : null;
  (checked || control).focus({ preventScroll: true });
  const caption = link.dataset.field === 'type'
    ? control.closest('fieldset').querySelector('legend')
    : form.querySelector(`label[for="${f.id}"]`);
  caption.scrollIntoView();
});

// The service's words for a field ("must not be empty") after the field's label.
function serverMessage(field, message) {
  const label = FIELDS[field] ? FIELDS[field].label : field;
  return /^(must|is) /.test(message) ? `${label} ${message}` : `${label}: ${message}`;
}

function showApiError(err) {
  if (err.status === 422 && err.fields.length) {
    showErrors(err.fields.map((e) => ({ field: e.field, message: serverMessage(e.field, e.message) })),
      `The service did not accept these answers: please check them.${
        err.requestId ? ` Reference ${err.requestId}.` : ''}`);
    return;
  }
  if (err.status === 409) {
    clearErrors();
    showFieldError('email', 'This email address is already registered as a donor');
    showSummary('You are already signed up',
      'This email address is already on the donor list, so you do not need to sign up again. ' +
      'To sign up someone else, use their own email address.',
      [{ field: 'email', message: 'This email address is already registered as a donor' }]);
    return;
  }
  clearErrors();
  let text = describe(err);
  if (err.status === 429 || err.status === 503) {
    text = 'The service is busy. Your answers are kept: please try again in a few minutes.' +
      (err.requestId ? ` (reference ${err.requestId})` : '');
  } else {
    text += ' Your answers are kept.';
  }
  showSummary('Sorry, your sign-up was not sent', text, []);
}

function showConfirmation(donor) {
  clearErrors();
  form.hidden = true;
  document.getElementById('signup-intro').hidden = true;
  const panel = document.getElementById('confirmation');
  document.getElementById('confirmation-text').textContent =
    `Thank you, ${donor.first_name}. You are on the donor list for ${donor.city} with blood ` +
    `type ${donor.type}. We will write to ${donor.email} when donors like you are needed.`;
  panel.hidden = false;
  document.title = `You are signed up – savealife`;
  panel.focus();
}

// ---- sending ----
let sending = false;
let lastBody = null;
let key = null;

// One sign-up: while the first request with this key is still running (a double click that
// got through, or a retry too soon), the service answers 409 with Retry-After: wait, ask again.
async function send(values) {
  for (let attempt = 0; ; attempt += 1) {
    try {
      return await request('POST', '/api/donors', { body: values, idempotencyKey: key });
    } catch (err) {
      if (!(err.status === 409 && err.retryAfter !== null) || attempt >= IN_FLIGHT_RETRIES) throw err;
      await new Promise((resolve) => setTimeout(resolve, Math.min(err.retryAfter || 1, 5) * 1000));
    }
  }
}

form.addEventListener('submit', async (event) => {
  event.preventDefault();
  if (sending) return;
  const values = readForm();
  const errors = validate(values);
  if (errors.length) {
    showErrors(errors);
    return;
  }
  // The same answers again (a resubmit after an error) keep their key, so that a sign-up
  // whose answer was lost is not made twice; changed answers are a new request.
  const body = JSON.stringify(values);
  if (body !== lastBody) {
    lastBody = body;
    key = newIdempotencyKey();
  }
  sending = true;
  button.setAttribute('aria-disabled', 'true');
  button.textContent = 'Sending…';
  try {
    const { data } = await send(values);
    showConfirmation(data);
  } catch (err) {
    showApiError(err);
  } finally {
    sending = false;
    button.removeAttribute('aria-disabled');
    button.textContent = 'Sign up';
  }
});
