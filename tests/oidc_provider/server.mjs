// A real OpenID Connect provider for Baton's integration tests.
//
// It runs the certified `oidc-provider` package and lays its endpoints out the way
// Keycloak does, so the API's python-keycloak client talks to it unchanged:
//
//   issuer     http://127.0.0.1:{port}/realms/{realm}
//   discovery  GET  /realms/{realm}/.well-known/openid-configuration
//   certs      GET  /realms/{realm}/protocol/openid-connect/certs
//   token      POST /realms/{realm}/protocol/openid-connect/token  (client_credentials,
//              and password: Keycloak's direct grant, for the users of config.users;
//              authorization_code for the browser client config.web_client)
//   login      GET  /realms/{realm}/protocol/openid-connect/auth  (authorization code with
//              PKCE S256) -> GET/POST /realms/{realm}/interaction/{uid}: a username and
//              password form (ids as Keycloak's: username, password, kc-login) checked
//              against config.users; consent is granted at once, as for a Keycloak client
//              without "consent required"
//   logout     GET  /realms/{realm}/protocol/openid-connect/logout  (RP-initiated logout)
//
// Usage: node server.mjs --port N --realm NAME --config FILE
//
// FILE (JSON):
//   {
//     "keys": [<private RSA JWKs with kid and alg RS256>],   // the first one signs
//     "clients": [{"client_id", "client_secret", "username", "roles": [...]}],
//     "users": [{"username", "password", "roles": [...], "name"}],  // optional: direct
//                                                   // grant and the browser login form
//     "web_client": {"client_id", "redirect_uris": [...], "origins": [...]},  // optional:
//                  // a public client (no secret, PKCE required), Keycloak's baton-web; its
//                  // origins may call the token endpoint from a page (CORS)
//     "audience": "baton-api",
//     "access_token_ttl": 300
//   }
//
// Access tokens are RS256 JWTs carrying iss, aud, sub, exp, iat, jti, scope, client_id,
// azp, preferred_username and realm_access.roles (and name, for a user that has one, as
// Keycloak's profile scope adds it). Nothing is persisted: the provider's
// default in-memory adapter holds the (unused) token records for the process lifetime.

import { readFileSync } from 'node:fs';
import http from 'node:http';
import { parseArgs } from 'node:util';

import Provider, { errors } from 'oidc-provider';

const HOST = '127.0.0.1';
// Keycloak's default client scopes, reported when a client asks for none.
const DEFAULT_SCOPE = 'profile email';

function fail(message) {
  process.stderr.write(`oidc-provider: ${message}\n`);
  process.exit(2);
}

function readOptions() {
  const { values } = parseArgs({
    options: {
      port: { type: 'string' },
      realm: { type: 'string' },
      config: { type: 'string' },
    },
    strict: true,
  });
  const port = Number.parseInt(values.port ?? '', 10);
  if (!Number.isInteger(port) || port <= 0 || port > 65535) fail('--port N is required');
  if (!values.realm || !/^[A-Za-z0-9._-]+$/.test(values.realm)) fail('--realm NAME is required');
  if (!values.config) fail('--config FILE is required');

  let config;
  try {
    config = JSON.parse(readFileSync(values.config, 'utf8'));
  } catch (err) {
    fail(`cannot read ${values.config}: ${err.message}`);
  }
  const { keys, clients, audience } = config;
  const users = config.users ?? [];
  if (!Array.isArray(users)) fail('config.users must be a list');
  if (!Array.isArray(keys) || keys.length === 0) fail('config.keys must list at least one JWK');
  for (const key of keys) {
    if (key?.kty !== 'RSA' || !key.d) fail('config.keys must be private RSA JWKs');
    if (typeof key.kid !== 'string' || !key.kid) fail('every key needs a kid');
    if (key.alg !== 'RS256') fail(`key ${key.kid} must have alg RS256`);
  }
  if (!Array.isArray(clients) || clients.length === 0) fail('config.clients must not be empty');
  for (const c of clients) {
    if (typeof c?.client_id !== 'string' || typeof c.client_secret !== 'string') {
      fail('every client needs a client_id and a client_secret');
    }
    if (!Array.isArray(c.roles ?? [])) fail(`client ${c.client_id}: roles must be a list`);
  }
  for (const u of users) {
    if (typeof u?.username !== 'string' || typeof u.password !== 'string') {
      fail('every user needs a username and a password');
    }
  }
  const webClient = config.web_client ?? null;
  if (webClient !== null) {
    if (typeof webClient.client_id !== 'string' || !webClient.client_id) {
      fail('config.web_client needs a client_id');
    }
    for (const key of ['redirect_uris', 'origins']) {
      if (!Array.isArray(webClient[key]) || webClient[key].length === 0) {
        fail(`config.web_client.${key} must list at least one URL`);
      }
    }
  }
  if (typeof audience !== 'string' || !audience) fail('config.audience must be a string');
  const ttl = config.access_token_ttl ?? 300;
  if (!Number.isInteger(ttl) || ttl <= 0) fail('config.access_token_ttl must be a positive integer');

  return { port, realm: values.realm, keys, clients, users, webClient, audience, ttl };
}

function buildProvider({ issuer, prefix, keys, clients, users, webClient, audience, ttl }) {
  const byId = new Map(clients.map((c) => [c.client_id, c]));
  const byName = new Map(users.map((u) => [u.username, u]));
  // oidc-provider wants resource indicators to be absolute URIs; Keycloak's audience is
  // a plain client id, so the resource server gets a URN and names the audience itself.
  const resourceId = `urn:baton-test:resource:${encodeURIComponent(audience)}`;
  const signingKid = keys[0].kid;

  const resourceServer = {
    audience,
    scope: DEFAULT_SCOPE,
    accessTokenTTL: ttl,
    accessTokenFormat: 'jwt',
    jwt: { sign: { alg: 'RS256', kid: signingKid } },
  };

  const isWebClient = (client) => webClient !== null && client?.clientId === webClient.client_id;

  const provider = new Provider(issuer, {
    jwks: { keys },
    clients: [
      ...clients.map((c) => ({
        client_id: c.client_id,
        client_secret: c.client_secret,
        grant_types: ['client_credentials', 'password'],
        response_types: [],
        redirect_uris: [],
        // client_secret_post is accepted too: both secret methods share one check.
        token_endpoint_auth_method: 'client_secret_basic',
      })),
      // A public client: no secret, so oidc-provider requires PKCE (S256) for it.
      ...(webClient === null ? [] : [{
        client_id: webClient.client_id,
        token_endpoint_auth_method: 'none',
        grant_types: ['authorization_code'],
        response_types: ['code'],
        redirect_uris: webClient.redirect_uris,
        post_logout_redirect_uris: webClient.redirect_uris,
      }]),
    ],
    // The accounts behind the browser login: the realm's users, with Keycloak's claims.
    findAccount: async (_ctx, sub) => {
      const user = byName.get(sub);
      if (!user) return undefined;
      return {
        accountId: sub,
        claims: async () => ({ sub, preferred_username: sub, ...(user.name ? { name: user.name } : {}) }),
      };
    },
    interactions: {
      // under the realm path, where this server passes requests on (see serve)
      url: async (_ctx, interaction) => `${prefix}/interaction/${interaction.uid}`,
    },
    // Keycloak grants its own clients without a consent screen ("consent required" off):
    // the web client's grant is made on the spot, for the API's audience.
    loadExistingGrant: async (ctx) => {
      const grantId = ctx.oidc.result?.consent?.grantId
        || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
      if (grantId) {
        const found = await ctx.oidc.provider.Grant.find(grantId);
        if (found) return found;
      }
      if (!isWebClient(ctx.oidc.client) || !ctx.oidc.session.accountId) return undefined;
      const grant = new ctx.oidc.provider.Grant({
        clientId: ctx.oidc.client.clientId,
        accountId: ctx.oidc.session.accountId,
      });
      grant.addOIDCScope('openid profile email');
      grant.addResourceScope(resourceId, DEFAULT_SCOPE);
      await grant.save();
      return grant;
    },
    scopes: ['openid', 'offline_access', 'profile', 'email'],
    routes: {
      authorization: '/protocol/openid-connect/auth',
      token: '/protocol/openid-connect/token',
      jwks: '/protocol/openid-connect/certs',
      userinfo: '/protocol/openid-connect/userinfo',
      end_session: '/protocol/openid-connect/logout',
      introspection: '/protocol/openid-connect/token/introspect',
      revocation: '/protocol/openid-connect/revoke',
    },
    features: {
      devInteractions: { enabled: false },
      rpInitiatedLogout: {
        enabled: true,
        // the question oidc-provider asks before ending the session, without its
        // stylesheet from the internet (Keycloak skips it when given the id token)
        logoutSource: async (ctx, form) => {
          ctx.body = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Logging out</title></head>
<body>
  <h1>Do you want to log out?</h1>
  ${form}
  <button id="kc-logout" type="submit" form="op.logoutForm" value="yes" name="logout">Logout</button>
</body></html>`;
        },
      },
      clientCredentials: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: async () => resourceId,
        useGrantedResource: async () => true,
        getResourceServerInfo: async (_ctx, indicator) => {
          if (indicator === resourceId || indicator === audience) return resourceServer;
          throw new errors.InvalidTarget(`unknown resource ${indicator}`);
        },
      },
    },
    extraTokenClaims: async (ctx, token) => {
      if (token.accountId) {
        // a browser login (authorization code): the signed-in user
        const user = byName.get(token.accountId);
        if (!user) return undefined;
        return {
          azp: token.clientId,
          typ: 'Bearer',
          preferred_username: user.username,
          ...(user.name ? { name: user.name } : {}),
          realm_access: { roles: [...(user.roles ?? [])] },
        };
      }
      const client = byId.get(token.clientId);
      if (!client) return undefined;
      const user = ctx?.oidc?.params?.grant_type === 'password'
        ? byName.get(ctx.oidc.params.username)
        : undefined;
      return {
        azp: client.client_id,
        typ: 'Bearer',
        preferred_username: user?.username ?? client.username ?? `service-account-${client.client_id}`,
        ...(user?.name ? { name: user.name } : {}),
        realm_access: { roles: [...((user ?? client).roles ?? [])] },
      };
    },
    formats: {
      customizers: {
        // Keycloak always states the granted scope; oidc-provider omits it when the
        // request named none, so fill in the defaults.
        jwt: async (_ctx, _token, jwt) => {
          jwt.payload.scope ??= DEFAULT_SCOPE;
        },
      },
    },
    ttl: {
      AccessToken: ttl,
      ClientCredentials: ttl,
      AuthorizationCode: 60,
      IdToken: ttl,
      Interaction: 600,
      Grant: 3600,
      Session: 3600,
    },
    // Keycloak's "web origins": only the web client's pages may call the token endpoint
    // from a browser (discovery and certs are open to any origin).
    clientBasedCORS: (_ctx, origin, client) => isWebClient(client) && webClient.origins.includes(origin),
    cookies: { keys: ['baton-test-oidc-provider-cookie-key'] },
  });

  // Keycloak's direct grant (resource owner password credentials): a user's name and
  // password for the realm's access token, the way a server checks HTTP Basic logins.
  provider.registerGrantType('password', async (ctx) => {
    const { username, password } = ctx.oidc.params;
    const user = byName.get(username);
    if (!user || user.password !== password) {
      throw new errors.InvalidGrant('Invalid user credentials');
    }
    const token = new provider.ClientCredentials({ client: ctx.oidc.client, scope: DEFAULT_SCOPE });
    token.resourceServer = new provider.ResourceServer(resourceId, resourceServer);
    ctx.oidc.entity('ClientCredentials', token);
    const value = await token.save();
    ctx.body = {
      access_token: value,
      expires_in: token.expiration,
      token_type: 'Bearer',
      scope: DEFAULT_SCOPE,
    };
  }, ['username', 'password', 'scope']);
  return provider;
}

const escapeHtml = (text) => String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function loginPage(action, { username = '', error = '' } = {}) {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Sign in to baton</title></head>
<body>
  <h1>Sign in to your account</h1>
  ${error ? `<p id="input-error" role="alert">${escapeHtml(error)}</p>` : ''}
  <form id="kc-form-login" method="post" action="${escapeHtml(action)}">
    <label>Username <input id="username" name="username" value="${escapeHtml(username)}" autofocus></label>
    <label>Password <input id="password" name="password" type="password"></label>
    <button id="kc-login" type="submit">Sign In</button>
  </form>
</body></html>`;
}

async function readForm(req) {
  const chunks = [];
  let size = 0;
  for await (const chunk of req) {
    size += chunk.length;
    if (size > 16384) throw new Error('form too large');
    chunks.push(chunk);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

/** The login step of an authorization request: a form, checked against the users. */
async function interaction(provider, byName, action, req, res) {
  const send = (status, html) => {
    res.writeHead(status, {
      'content-type': 'text/html; charset=utf-8',
      'cache-control': 'no-store',
    });
    res.end(html);
  };
  try {
    const details = await provider.interactionDetails(req, res);
    if (details.prompt.name !== 'login') {
      // consent is granted by loadExistingGrant; anything else is not supported here
      send(400, `<p>unsupported prompt ${escapeHtml(details.prompt.name)}</p>`);
      return;
    }
    if (req.method === 'GET') {
      send(200, loginPage(action));
      return;
    }
    if (req.method !== 'POST') {
      send(405, '<p>method not allowed</p>');
      return;
    }
    const form = await readForm(req);
    const username = form.get('username') ?? '';
    const user = byName.get(username);
    if (!user || user.password !== (form.get('password') ?? '')) {
      send(200, loginPage(action, { username, error: 'Invalid username or password.' }));
      return;
    }
    await provider.interactionFinished(
      req,
      res,
      { login: { accountId: user.username } },
      { mergeWithLastSubmission: false },
    );
  } catch (err) {
    // e.g. SessionNotFound: the interaction cookie is missing or expired
    send(400, `<p id="input-error">${escapeHtml(err.error_description ?? err.message)}</p>`);
  }
}

function serve({ port, realm, keys, clients, users, webClient, audience, ttl }) {
  const prefix = `/realms/${realm}`;
  const issuer = `http://${HOST}:${port}${prefix}`;
  const provider = buildProvider({ issuer, prefix, keys, clients, users, webClient, audience, ttl });
  const byName = new Map(users.map((u) => [u.username, u]));
  const handle = provider.callback();

  const server = http.createServer((req, res) => {
    const url = req.url ?? '/';
    const rest = url === prefix ? '/' : url.startsWith(`${prefix}/`) || url.startsWith(`${prefix}?`)
      ? url.slice(prefix.length)
      : null;
    if (rest === null) {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: 'Realm does not exist' }));
      return;
    }
    // Mounted under the realm path: oidc-provider derives its endpoint URLs from
    // originalUrl minus url, the way connect/express mounting does.
    req.originalUrl = url;
    req.url = rest.startsWith('/') ? rest : `/${rest}`;
    const step = /^\/interaction\/([A-Za-z0-9_-]+)$/.exec(req.url);
    if (step) {
      interaction(provider, byName, `${prefix}/interaction/${step[1]}`, req, res);
      return;
    }
    handle(req, res);
  });

  const shutdown = () => {
    server.close(() => process.exit(0));
    server.closeAllConnections();
    setTimeout(() => process.exit(0), 2000).unref();
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);

  server.on('error', (err) => fail(`cannot listen on ${HOST}:${port}: ${err.message}`));
  server.listen(port, HOST, () => {
    process.stdout.write(`oidc-provider ready ${issuer}\n`);
  });
}

serve(readOptions());
