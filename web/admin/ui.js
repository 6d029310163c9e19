// The GOV.UK Design System's patterns for errors and messages, without its code: an error
// summary that takes focus and links to each field, the message next to the field, and
// notification banners.
import { ServiceDown } from './session.js';

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (name === 'class') node.className = value;
    else node.setAttribute(name, value);
  }
  for (const child of children) {
    if (child !== null && child !== undefined) node.append(child);
  }
  return node;
}
export { el };

/** Hides the summary and every field's message in `form`. */
export function clearErrors(form) {
  const summary = document.getElementById('error-summary');
  if (summary) summary.hidden = true;
  document.title = document.title.replace(/^Error: /, '');
  if (!form) return;
  for (const group of form.querySelectorAll('.has-error')) {
    group.classList.remove('has-error');
  }
  for (const msg of form.querySelectorAll('.field-error')) {
    msg.hidden = true;
    msg.textContent = '';
  }
  for (const input of form.querySelectorAll('[aria-invalid]')) {
    input.removeAttribute('aria-invalid');
    const ids = (input.getAttribute('aria-describedby') || '').split(' ');
    const kept = ids.filter((id) => id && !id.endsWith('-error'));
    if (kept.length) input.setAttribute('aria-describedby', kept.join(' '));
    else input.removeAttribute('aria-describedby');
  }
}

/**
 * Shows errors: [{field, message}] where field is the id of an input (or of a fieldset, whose
 * first input the link focuses) or null for a problem of the whole form. The summary at the
 * top lists them all and takes focus.
 */
export function showErrors(form, errors) {
  clearErrors(form);
  const summary = document.getElementById('error-summary');
  const list = summary.querySelector('ul');
  list.replaceChildren();
  for (const { field, message } of errors) {
    const target = field ? document.getElementById(field) : null;
    if (!target) {
      list.append(el('li', {}, message));
      continue;
    }
    const input = target.matches('fieldset') ? target.querySelector('input') : target;
    list.append(el('li', {}, el('a', { href: `#${input.id}` }, message)));
    const group = target.closest('.form-group');
    const msg = group && group.querySelector('.field-error');
    if (msg && msg.hidden) {
      group.classList.add('has-error');
      msg.replaceChildren(el('span', { class: 'visually-hidden' }, 'Error: '), message);
      msg.hidden = false;
      const describedBy = (target.getAttribute('aria-describedby') || '').split(' ');
      if (!describedBy.includes(msg.id)) describedBy.push(msg.id);
      target.setAttribute('aria-describedby', describedBy.filter(Boolean).join(' '));
      target.setAttribute('aria-invalid', 'true');
    }
  }
  document.title = `Error: ${document.title.replace(/^Error: /, '')}`;
  summary.hidden = false;
  summary.focus();
}

// A link in the summary moves focus to its field and shows the field's label too.
document.addEventListener('click', (event) => {
  const link = event.target.closest('#error-summary a[href^="#"]');
  if (!link) return;
  const input = document.getElementById(link.getAttribute('href').slice(1));
  if (!input) return;
  event.preventDefault();
  const legendOrLabel =
    input.closest('fieldset')?.querySelector('legend') ||
    document.querySelector(`label[for="${input.id}"]`);
  (legendOrLabel || input).scrollIntoView();
  input.focus({ preventScroll: true });
});

/**
 * A notification banner in #messages: kind "success", "important" or "error"; body is text or
 * nodes. The banner takes focus (so a screen reader reads it) unless focus is false.
 */
export function banner(kind, heading, body, { focus = true } = {}) {
  const box = document.getElementById('messages');
  const titleId = 'banner-title';
  const content = el('div', { class: 'banner__content' });
  for (const part of [].concat(body)) {
    content.append(typeof part === 'string' ? el('p', {}, part) : part);
  }
  const node = el(
    'div',
    {
      class: `banner banner--${kind}`,
      tabindex: '-1',
      role: kind === 'important' ? 'region' : 'alert',
      'aria-labelledby': titleId,
    },
    el('h2', { class: 'banner__title', id: titleId }, heading),
    content,
  );
  box.replaceChildren(node);
  if (focus) node.focus();
  return node;
}

export function clearBanner() {
  document.getElementById('messages').replaceChildren();
}

/** The message for a ServiceDown: what happened, that nothing was lost, what to do. */
export function serviceDown(err, retry) {
  const busy = err.status === 503 || err.status === 429;
  const parts = [
    busy
      ? 'The service is busy or its database is not answering just now.'
      : 'The savealife service cannot be reached just now.',
    'Nothing has been changed. Try again in a few minutes; if it goes on, tell the team that runs the service.',
  ];
  if (retry) {
    const again = el('button', { type: 'button', class: 'button secondary' }, 'Try again');
    again.addEventListener('click', retry);
    parts.push(again);
  }
  return banner('error', 'Sorry, there is a problem with the service', parts);
}

/** Maps a 422's errors to our field ids; fields the page does not have go to the summary. */
export function problemErrors(problem, fieldIds, fallback) {
  const errors = [];
  for (const item of problem?.errors || []) {
    const id = fieldIds[item.field] || null;
    const label = id ? '' : `${item.field}: `;
    errors.push({ field: id, message: `${label}${capitalise(item.message)}` });
  }
  if (!errors.length) errors.push({ field: null, message: problem?.detail || fallback });
  return errors;
}

function capitalise(text) {
  return text ? text[0].toUpperCase() + text.slice(1) : text;
}

/**
 * Runs a button's request once at a time: while it runs the button says it is busy
 * (aria-disabled, not disabled, so that keyboard focus stays on it) and further clicks or
 * Enter presses do nothing.
 */
export async function busy(button, work) {
  if (button.getAttribute('aria-disabled') === 'true') return undefined;
  button.setAttribute('aria-disabled', 'true');
  try {
    return await work();
  } finally {
    button.removeAttribute('aria-disabled');
  }
}

/** Length in characters (code points), as the service counts. */
export function chars(text) {
  return [...text].length;
}

// The service's rule for a name or city: 1–100 characters, no control characters, not only
// spaces. Returns a message or null.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
export function checkText(value, what, max) {
  if (value.trim() === '') return `Enter ${what}`;
  if (chars(value) > max) return `${capitalise(what)} must be ${max} characters or fewer`;
  if (CONTROL.test(value)) return `${capitalise(what)} must not contain control characters`;
  return null;
}

/** Shows a one-off message a previous page left (after a create or a delete). */
export function showFlash(text) {
  if (text) banner('success', 'Success', text);
}

/**
 * Wires a page's "Delete" button to its confirmation (#delete, #confirm, #confirm-yes,
 * #confirm-no). "Yes" sends `request()` while its button is busy; when the service answers,
 * the confirmation closes and `answered(res)` says what happened. An unreachable service
 * leaves the confirmation open, under its message, for another try.
 */
export function confirmDeletion(request, answered) {
  const box = document.getElementById('confirm');
  const open = document.getElementById('delete');
  open.addEventListener('click', () => {
    box.hidden = false;
    box.focus();
  });
  document.getElementById('confirm-no').addEventListener('click', () => {
    box.hidden = true;
    open.focus();
  });
  document.getElementById('confirm-yes').addEventListener('click', (event) => {
    busy(event.currentTarget, async () => {
      let res;
      try {
        res = await request();
      } catch (err) {
        if (!(err instanceof ServiceDown)) throw err;
        serviceDown(err);
        return;
      }
      box.hidden = true;
      answered(res);
    });
  });
}
