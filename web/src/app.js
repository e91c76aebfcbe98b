// What Cockpit and Tasklist share: signing in, calling the API, the page frame and a few
// DOM helpers. Plain ES module, no framework: the pages are small and the API does the work.

// sessionStorage, not localStorage: the token lives as long as the tab, is not shared with
// other tabs and is gone when the browser closes (see docs/web.md, "Signing in").
const TOKEN = 'baton.token';
const ID_TOKEN = 'baton.id_token';
const PKCE = 'baton.pkce';

let config = null; // /web/config, once boot() has read it
let signedIn = false; // boot() has a session: a later 401 means the token ran out

/** An API answer outside 2xx, with the message the API gave (problem+json's detail,
 * Camunda's message, ONEWEB's message), so the page can show it as it is. */
export class ApiError extends Error {
  constructor(status, message, body) {
    super(message);
    this.status = status;
    this.body = body;
  }
}

/** h('a', {href: '#/', class: 'x', onclick: fn}, 'text', child, ...) -> Element */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith('on') && typeof value === 'function') {
      el.addEventListener(name.slice(2), value);
    } else if (name === 'dataset') {
      Object.assign(el.dataset, value);
    } else if (value === true) {
      el.setAttribute(name, '');
    } else {
      el.setAttribute(name, String(value));
    }
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

export function fmtDate(value) {
  if (!value) return '';
  const d = new Date(value);
  return isNaN(d) ? String(value) : d.toLocaleString();
}

export function token() {
  return sessionStorage.getItem(TOKEN);
}

/** Call the API. JSON in, JSON out (null for 204); ApiError otherwise. */
export async function api(method, path, body) {
  const headers = { Accept: 'application/json' };
  const bearer = token();
  if (bearer) headers.Authorization = `Bearer ${bearer}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const answer = await fetch(path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await answer.text();
  let data = null;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = text;
    }
  }
  if (!answer.ok) {
    const message =
      (data && (data.detail || data.message || data.title)) || `${answer.status} ${answer.statusText}`;
    if (answer.status === 401 && bearer) {
      sessionStorage.removeItem(TOKEN);
      if (signedIn) {
        // the token expired (or was revoked): sign in again and come back to this view;
        // with a live session at the provider that is a round trip without a form
        signedIn = false;
        notify('Your session ended: signing in again…', 'error');
        location.reload();
      } else {
        notify('Your session ended: sign in again.', 'error');
      }
    }
    throw new ApiError(answer.status, typeof message === 'string' ? message : JSON.stringify(message), data);
  }
  return data;
}

export const get = (path) => api('GET', path);

/** A line at the top of the page; errors stay until the next notice. */
export function notify(message, kind = 'info') {
  const bar = document.getElementById('notice');
  if (!bar) return;
  bar.textContent = message;
  bar.className = `notice ${kind}`;
  bar.hidden = false;
  clearTimeout(notify.timer);
  if (kind !== 'error') notify.timer = setTimeout(() => (bar.hidden = true), 4000);
}

/** Run an action, tell how it went; answers true when it succeeded. */
export async function act(label, action) {
  try {
    await action();
    notify(`${label}: done`);
    return true;
  } catch (err) {
    notify(`${label}: ${err.message}`, 'error');
    return false;
  }
}

/** A modal dialog with some fields; resolves to their values, or null when cancelled.
 * fields: [{name, label, type: 'text'|'textarea'|'select', value, options, required}] */
export function dialog(title, { text = '', fields = [], confirm = 'OK', danger = false } = {}) {
  return new Promise((resolve) => {
    const inputs = {};
    const body = fields.map((f) => {
      let input;
      if (f.type === 'select') {
        input = h('select', { name: f.name }, f.options.map((o) => h('option', { value: o, selected: o === f.value }, o)));
      } else if (f.type === 'textarea') {
        input = h('textarea', { name: f.name, rows: 4, required: f.required });
        input.value = f.value ?? '';
      } else {
        input = h('input', { name: f.name, type: f.type || 'text', required: f.required });
        input.value = f.value ?? '';
      }
      inputs[f.name] = input;
      return h('label', {}, h('span', {}, f.label || f.name), input);
    });
    const box = h(
      'dialog',
      { class: 'dialog' },
      h(
        'form',
        { method: 'dialog' },
        h('h3', {}, title),
        text ? h('p', {}, text) : null,
        body,
        h(
          'menu',
          {},
          h('button', { value: 'cancel', type: 'button', onclick: () => box.close('cancel') }, 'Cancel'),
          h('button', { value: 'ok', class: danger ? 'danger' : 'primary' }, confirm),
        ),
      ),
    );
    box.addEventListener('close', () => {
      const ok = box.returnValue === 'ok';
      const values = Object.fromEntries(Object.entries(inputs).map(([k, el]) => [k, el.value]));
      box.remove();
      resolve(ok ? values : null);
    });
    document.body.append(box);
    box.showModal();
  });
}

export const confirmDialog = async (title, text, confirm = 'Confirm') =>
  (await dialog(title, { text, confirm, danger: true })) !== null;

// ---- signing in ---------------------------------------------------------------------

function b64url(bytes) {
  return btoa(String.fromCharCode(...new Uint8Array(bytes)))
    .replace(/\+/g, '-')
    .replace(/\//g, '_')
    .replace(/=+$/, '');
}

async function discovery(oidc) {
  const answer = await fetch(`${oidc.authority}/.well-known/openid-configuration`);
  if (!answer.ok) throw new Error(`the login provider did not answer (${answer.status})`);
  return answer.json();
}

/** Authorization code with PKCE (RFC 7636) against the realm's public client. */
async function oidcLogin(oidc) {
  const meta = await discovery(oidc);
  const verifier = b64url(crypto.getRandomValues(new Uint8Array(32)));
  const state = b64url(crypto.getRandomValues(new Uint8Array(16)));
  const challenge = b64url(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier)));
  sessionStorage.setItem(PKCE, JSON.stringify({ verifier, state, back: location.hash }));
  const url = new URL(meta.authorization_endpoint);
  url.search = new URLSearchParams({
    response_type: 'code',
    client_id: oidc.clientId,
    redirect_uri: location.origin + location.pathname,
    scope: 'openid',
    state,
    code_challenge: challenge,
    code_challenge_method: 'S256',
  });
  location.assign(url);
  return new Promise(() => {}); // the page is leaving
}

/** The provider sent the browser back (?code=&state= or ?error=&state=): check the answer
 * belongs to the login this tab started, then exchange the code (with the PKCE verifier)
 * for the tokens. The pending login is used up whatever happens. */
async function oidcCallback(oidc, params) {
  const saved = JSON.parse(sessionStorage.getItem(PKCE) || 'null');
  sessionStorage.removeItem(PKCE);
  if (!saved || !params.get('state') || saved.state !== params.get('state')) {
    throw new Error('the login answer does not match the request');
  }
  if (params.has('error')) throw new Error(params.get('error_description') || params.get('error'));
  const meta = await discovery(oidc);
  // RFC 9207: a provider that names itself must be the one this page asked
  if (params.has('iss') && params.get('iss') !== meta.issuer) {
    throw new Error('the login answer comes from another provider');
  }
  const answer = await fetch(meta.token_endpoint, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      code: params.get('code'),
      redirect_uri: location.origin + location.pathname,
      client_id: oidc.clientId,
      code_verifier: saved.verifier,
    }),
  });
  const tokens = await answer.json();
  if (!answer.ok || !tokens.access_token) throw new Error(tokens.error_description || tokens.error || 'no token');
  sessionStorage.setItem(TOKEN, tokens.access_token);
  if (tokens.id_token) sessionStorage.setItem(ID_TOKEN, tokens.id_token);
  history.replaceState(null, '', location.pathname + (saved.back || ''));
}

function pickDemoAccount(config) {
  return new Promise((resolve) => {
    const box = h(
      'div',
      { class: 'signin', id: 'signin' },
      h('h2', {}, 'Sign in'),
      h('p', {}, 'Dev mode: choose a demo account.'),
      config.demoAccounts.map((a) =>
        h(
          'button',
          {
            class: 'account',
            dataset: { account: a.id },
            onclick: () => {
              sessionStorage.setItem(TOKEN, `demo-${a.id}`);
              box.remove();
              resolve();
            },
          },
          h('strong', {}, a.name),
          h('small', {}, a.roles.join(', ') || 'no role'),
        ),
      ),
    );
    document.querySelector('main').replaceChildren(box);
  });
}

/** Forget the token; outside dev mode also end the session at the provider (else the
 * next page load would sign straight back in), which then sends the browser back here. */
export async function signOut() {
  const idToken = sessionStorage.getItem(ID_TOKEN);
  sessionStorage.removeItem(TOKEN);
  sessionStorage.removeItem(ID_TOKEN);
  signedIn = false;
  if (config?.oidc && !config.devMode) {
    const meta = await discovery(config.oidc).catch(() => ({}));
    if (meta.end_session_endpoint) {
      const url = new URL(meta.end_session_endpoint);
      url.search = new URLSearchParams({
        client_id: config.oidc.clientId,
        post_logout_redirect_uri: location.origin + location.pathname,
        ...(idToken ? { id_token_hint: idToken } : {}),
      });
      location.assign(url);
      return;
    }
  }
  location.hash = '';
  location.reload();
}

/** Sign in, draw the frame (title, navigation, who is signed in) and answer
 * {config, me, main}: main is the element the page draws into. */
export async function boot(current) {
  config = await (await fetch('/web/config')).json();
  document.body.prepend(frame(current));
  const failed = (message) => {
    sessionStorage.removeItem(TOKEN);
    sessionStorage.removeItem(ID_TOKEN);
    document.querySelector('main').replaceChildren(
      h('p', { id: 'signin-error' }, `Sign-in failed: ${message} `, h('a', { href: location.pathname }, 'try again')),
    );
    return new Promise(() => {});
  };
  const params = new URLSearchParams(location.search);
  let fresh = false; // the token was issued just now, for this page load
  if (config.oidc && !config.devMode && (params.has('code') || params.has('error'))) {
    try {
      await oidcCallback(config.oidc, params);
      fresh = true;
    } catch (err) {
      history.replaceState(null, '', location.pathname); // the answer is spent: drop it
      return failed(err.message);
    }
  }
  if (!token()) {
    if (config.devMode) await pickDemoAccount(config);
    else if (config.oidc) await oidcLogin(config.oidc).catch((err) => failed(err.message));
    else {
      document.querySelector('main').replaceChildren(h('p', {}, 'No login is configured (BATON_OIDC_SERVER_URL).'));
      return new Promise(() => {});
    }
  }
  let me;
  try {
    me = await get('/web/session');
  } catch (err) {
    // a token kept from earlier in this tab that the API no longer takes (expired, or a
    // demo token after the API left dev mode): sign in afresh, once
    if (err.status === 401 && !fresh && config.oidc && !config.devMode) {
      sessionStorage.removeItem(TOKEN);
      await oidcLogin(config.oidc).catch((again) => failed(again.message));
    }
    return failed(err.message);
  }
  signedIn = true;
  me.can = (privilege) =>
    me.privileges.some((p) => p === '*' || p === privilege || (p.endsWith(':*') && privilege.startsWith(p.slice(0, -1))));
  document.getElementById('who').replaceChildren(
    h('span', { class: 'user', title: me.roles.join(', ') }, me.name),
    h('button', { class: 'link', onclick: signOut }, 'Sign out'),
  );
  return { config, me, main: document.querySelector('main') };
}

function frame(current) {
  const link = (href, label) => h('a', { href, class: current === label ? 'current' : null }, label);
  return h(
    'header',
    { class: 'top' },
    h('span', { class: 'brand' }, 'Baton'),
    h('nav', {}, link('/cockpit', 'Cockpit'), link('/tasklist', 'Tasklist')),
    h('div', { id: 'who', class: 'who' }),
    h('div', { id: 'notice', class: 'notice', hidden: true, role: 'status' }),
  );
}

/** Call fn now and every `ms` until the returned stop() is called or the hash changes:
 * how a page follows an instance without reload. */
export function every(ms, fn) {
  let stopped = false;
  const hash = location.hash;
  const tick = async () => {
    if (stopped || location.hash !== hash) return;
    try {
      await fn();
    } catch (err) {
      notify(err.message, 'error');
    }
    if (!stopped && location.hash === hash) setTimeout(tick, ms);
  };
  tick();
  return () => (stopped = true);
}
