/**
 * The operator sign-in page and its script. They are strings in code, not files beside it, because the
 * app runs as one bundle (`dist/apps/ops-api/main.mjs`) that carries no files of its own. The script
 * is served from its own URL on the same origin, so helmet's Content-Security-Policy
 * (`script-src 'self'`, no inline scripts) holds on this page too.
 */

export const SIGN_IN_SCRIPT_PATH = '/admin/login.js';

export const SIGN_IN_PAGE_HTML = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <meta name="robots" content="noindex">
  <title>Ledgerline queues: sign in</title>
  <style>
    body { font-family: system-ui, sans-serif; background: #f4f5f7; color: #1d2430; margin: 0; }
    main { max-width: 22rem; margin: 12vh auto; background: #fff; padding: 2rem; border-radius: 8px; box-shadow: 0 1px 4px rgba(0,0,0,.12); }
    h1 { font-size: 1.25rem; margin: 0 0 1.5rem; }
    label { display: block; margin-bottom: 1rem; font-size: .9rem; }
    input { display: block; width: 100%; box-sizing: border-box; margin-top: .3rem; padding: .5rem; font: inherit; }
    button { font: inherit; padding: .5rem 1rem; cursor: pointer; }
    #status { min-height: 1.5em; font-size: .9rem; }
    #sign-out { margin-top: 1rem; background: none; border: none; color: #3a5ccc; padding: 0; }
  </style>
  <script src="${SIGN_IN_SCRIPT_PATH}" defer></script>
</head>
<body>
  <main>
    <h1>Ledgerline queue dashboard</h1>
    <form id="sign-in">
      <label>Client id
        <input id="client_id" name="client_id" autocomplete="username" required maxlength="128">
      </label>
      <label>Client secret
        <input id="client_secret" name="client_secret" type="password" autocomplete="current-password" required maxlength="256">
      </label>
      <button id="submit" type="submit">Sign in</button>
    </form>
    <p id="status" role="status" aria-live="polite"></p>
    <button id="sign-out" type="button">Sign out</button>
  </main>
</body>
</html>
`;

/**
 * Exchanges the client credentials for an access token (`POST /v1/auth/token`, the accounts service
 * behind the same origin), hands the token to `POST /admin/session` in the Authorization header (that
 * endpoint checks it and the role, and sets the HttpOnly cookie), then opens the dashboard. The token
 * never touches storage a script could read later.
 */
export const SIGN_IN_SCRIPT = `'use strict';
(function () {
  var DASHBOARD = '/admin/queues';
  var form = document.getElementById('sign-in');
  var status = document.getElementById('status');
  var submit = document.getElementById('submit');
  var secret = document.getElementById('client_secret');
  function say(text) { status.textContent = text; }
  function problemDetail(response, fallback) {
    return response.json().then(function (body) {
      return body && typeof body.detail === 'string' ? body.detail : fallback;
    }, function () { return fallback; });
  }
  form.addEventListener('submit', function (event) {
    event.preventDefault();
    submit.disabled = true;
    say('Signing in...');
    var credentials = { client_id: document.getElementById('client_id').value, client_secret: secret.value };
    fetch('/v1/auth/token', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(credentials),
      credentials: 'same-origin',
      cache: 'no-store'
    }).then(function (response) {
      if (!response.ok) return problemDetail(response, 'Sign-in failed (' + response.status + ').').then(function (detail) { throw new Error(detail); });
      return response.json();
    }).then(function (token) {
      return fetch('/admin/session', {
        method: 'POST',
        headers: { authorization: 'Bearer ' + token.access_token },
        credentials: 'same-origin'
      });
    }).then(function (response) {
      if (!response.ok) return problemDetail(response, 'Sign-in failed (' + response.status + ').').then(function (detail) { throw new Error(detail); });
      secret.value = '';
      say('Signed in.');
      window.location.assign(DASHBOARD);
    }).catch(function (error) {
      secret.value = '';
      say(error instanceof TypeError ? 'The service cannot be reached; try again.' : error.message);
    }).then(function () { submit.disabled = false; });
  });
  document.getElementById('sign-out').addEventListener('click', function () {
    fetch('/admin/session', { method: 'DELETE', credentials: 'same-origin' }).then(function (response) {
      say(response.ok ? 'Signed out.' : 'Sign-out failed (' + response.status + ').');
    }, function () { say('The service cannot be reached; try again.'); });
  });
})();
`;
