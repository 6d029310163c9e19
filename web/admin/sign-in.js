import { ServiceDown, checkToken, forgetToken, getToken, setToken, takeNext } from './session.js';
import { banner, busy, clearErrors, serviceDown, showErrors } from './ui.js';

const params = new URLSearchParams(location.search);
const next = takeNext(params.get('next'));
const form = document.getElementById('sign-in');
const input = document.getElementById('token');

if (params.has('expired')) {
  forgetToken();
  banner('important', 'Sign in again', 'The service did not accept your token (it may have been withdrawn). Sign in again to go on.', { focus: false });
} else if (params.has('signedout')) {
  banner('success', 'Signed out', 'You have signed out. The token is forgotten in this tab.', { focus: false });
} else if (getToken()) {
  location.replace(next);
}

// The service takes printable ASCII without spaces, up to 4096 bytes.
function tokenError(token) {
  if (token === '') return 'Enter your admin token';
  if (!/^[\x21-\x7e]+$/.test(token)) return 'The token can only contain letters, numbers and symbols, with no spaces';
  if (token.length > 4096) return 'The token must be 4096 characters or fewer';
  return null;
}

form.addEventListener('submit', (event) => {
  event.preventDefault();
  const token = input.value.trim();
  const problem = tokenError(token);
  if (problem) {
    showErrors(form, [{ field: 'token', message: problem }]);
    return;
  }
  busy(document.getElementById('sign-in-button'), async () => {
    let accepted;
    try {
      accepted = await checkToken(token);
    } catch (err) {
      if (!(err instanceof ServiceDown)) throw err;
      clearErrors(form);
      serviceDown(err);
      return;
    }
    if (!accepted) {
      showErrors(form, [{ field: 'token', message: 'The service did not accept this token. Check it and try again' }]);
      return;
    }
    setToken(token);
    location.assign(next);
  });
});
