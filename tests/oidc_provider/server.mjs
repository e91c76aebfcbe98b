// A real OpenID Connect provider for Baton's integration tests.
//
// It runs the certified `oidc-provider` package and lays its endpoints out the way
// Keycloak does, so the API's python-keycloak client talks to it unchanged:
//
//   issuer     http://127.0.0.1:{port}/realms/{realm}
//   discovery  GET  /realms/{realm}/.well-known/openid-configuration
//   certs      GET  /realms/{realm}/protocol/openid-connect/certs
//   token      POST /realms/{realm}/protocol/openid-connect/token  (client_credentials,
//              and password: Keycloak's direct grant, for the users of config.users)
//
// Usage: node server.mjs --port N --realm NAME --config FILE
//
// FILE (JSON):
//   {
//     "keys": [<private RSA JWKs with kid and alg RS256>],   // the first one signs
//     "clients": [{"client_id", "client_secret", "username", "roles": [...]}],
//     "users": [{"username", "password", "roles": [...]}],      // optional: direct grant
//     "audience": "baton-api",
//     "access_token_ttl": 300
//   }
//
// Access tokens are RS256 JWTs carrying iss, aud, sub, exp, iat, jti, scope, client_id,
// azp, preferred_username and realm_access.roles. Nothing is persisted: the provider's
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
  if (typeof audience !== 'string' || !audience) fail('config.audience must be a string');
  const ttl = config.access_token_ttl ?? 300;
  if (!Number.isInteger(ttl) || ttl <= 0) fail('config.access_token_ttl must be a positive integer');

  return { port, realm: values.realm, keys, clients, users, audience, ttl };
}

function buildProvider({ issuer, keys, clients, users, audience, ttl }) {
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

  const provider = new Provider(issuer, {
    jwks: { keys },
    clients: clients.map((c) => ({
      client_id: c.client_id,
      client_secret: c.client_secret,
      grant_types: ['client_credentials', 'password'],
      response_types: [],
      redirect_uris: [],
      // client_secret_post is accepted too: both secret methods share one check.
      token_endpoint_auth_method: 'client_secret_basic',
    })),
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
      const client = byId.get(token.clientId);
      if (!client) return undefined;
      const user = ctx?.oidc?.params?.grant_type === 'password'
        ? byName.get(ctx.oidc.params.username)
        : undefined;
      return {
        azp: client.client_id,
        typ: 'Bearer',
        preferred_username: user?.username ?? client.username ?? `service-account-${client.client_id}`,
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
    },
    clientBasedCORS: () => false,
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

function serve({ port, realm, keys, clients, users, audience, ttl }) {
  const prefix = `/realms/${realm}`;
  const issuer = `http://${HOST}:${port}${prefix}`;
  const provider = buildProvider({ issuer, keys, clients, users, audience, ttl });
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
