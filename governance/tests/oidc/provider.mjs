// A real OpenID Connect provider for the tests (panva's oidc-provider, OpenID-certified):
// its own discovery document, keys and signed tokens, a login page, end_session and
// back-channel logout to the relying party. Started by governance/tests/oidc/__init__.py:
//
//   node provider.mjs <base URL of the relying party>
//
// It listens on a free loopback port and prints "READY <issuer>" once it serves. The tests
// steer it through /_test/ (loopback only, this file only): the people it knows and a mode
// in which it misbehaves the way a broken or hostile provider would:
//   normal          everything as it should be
//   bad-signature   the JWKS publishes a key that did not sign the tokens (same kid)
//   wrong-audience  the ID token is issued for another client
//   expired         the ID token expired half an hour ago
import { createServer } from 'node:http';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import Provider, { interactionPolicy } from 'oidc-provider';

const rp = process.argv[2].replace(/\/$/, '');
const CLIENT_ID = 'stadtdaten';
const CLIENT_SECRET = 'geheimnis-der-tests-0123456789abcdef';

const state = { mode: 'normal', accounts: {} };

async function key(alg, kid) {
  const { privateKey } = await generateKeyPair(alg, { extractable: true });
  return { ...(await exportJWK(privateKey)), alg, use: 'sig', kid };
}
const rsa = await key('RS256', 'rs-1');
const ec = await key('ES256', 'es-1');
const impostor = await key('RS256', 'rs-1'); // same kid, another key
const publicPart = ({ d, p, q, dp, dq, qi, ...rest }) => rest;

const escape = (text) => String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const page = (title, body) => `<!DOCTYPE html><html lang="de"><head><meta charset="utf-8"><link rel="icon" href="data:,"><title>${escape(title)}</title></head>
<body><main><h1>${escape(title)}</h1>${body}</main></body></html>`;

async function readBody(req) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  return Buffer.concat(chunks).toString('utf8');
}

const known = (sub) => Object.values(state.accounts).some((person) => person.sub === sub);

// A person removed here while their session lives on must sign in again; asked with
// prompt=none (the relying party's refresh), the answer is login_required.
const policy = interactionPolicy.base();
policy.get('login').checks.add(new interactionPolicy.Check(
  'account_removed',
  'the account of this session no longer exists',
  'login_required',
  (ctx) => Boolean(ctx.oidc.session.accountId && !known(ctx.oidc.session.accountId)),
));

const server = createServer();
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const issuer = `http://127.0.0.1:${server.address().port}`;

const provider = new Provider(issuer, {
  // The same relying party twice: ID tokens signed with RS256, and with ES256.
  clients: [[CLIENT_ID, 'RS256'], [`${CLIENT_ID}-es256`, 'ES256']].map(([clientId, alg]) => ({
    client_id: clientId,
    client_secret: CLIENT_SECRET,
    redirect_uris: [`${rp}/oidc/callback/`],
    post_logout_redirect_uris: [`${rp}/`, `${rp}/konto/anmelden/`],
    response_types: ['code'],
    grant_types: ['authorization_code'],
    token_endpoint_auth_method: 'client_secret_post',
    // node resolves localhost to ::1 first; the live server listens on 127.0.0.1.
    backchannel_logout_uri: `${rp.replace('//localhost:', '//127.0.0.1:')}/oidc/backchannel-logout/`,
    backchannel_logout_session_required: true,
    id_token_signed_response_alg: alg,
  })),
  jwks: { keys: [rsa, ec] },
  interactions: { policy, url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  // The provider refuses to call loopback addresses (its SSRF guard); here the relying
  // party is the test's live server on 127.0.0.1, and it is the only one called.
  fetch(url, { dispatcher, ...options }) {
    if (new URL(url).origin !== new URL(rp.replace('//localhost:', '//127.0.0.1:')).origin) {
      return Promise.reject(new Error(`only the relying party is called, not ${url}`));
    }
    return globalThis.fetch(url, options);
  },
  pkce: { required: () => true },
  cookies: { keys: ['schluessel-der-tests-fuer-cookies'] },
  claims: {
    openid: ['sub'],
    profile: ['name', 'given_name', 'family_name'],
    email: ['email', 'email_verified'],
    groups: ['groups'],
    organisation: ['organisation'],
  },
  scopes: ['openid', 'profile', 'email', 'groups', 'organisation'],
  features: {
    devInteractions: { enabled: false },
    backchannelLogout: { enabled: true },
    rpInitiatedLogout: {
      enabled: true,
      async logoutSource(ctx, form) {
        ctx.body = page('Abmelden beim Identitätsanbieter', `${form}
<button type="submit" form="op.logoutForm" value="yes" name="logout">Ja, abmelden</button>`);
      },
      async postLogoutSuccessSource(ctx) {
        ctx.body = page('Abgemeldet', '<p>Sie sind beim Identitätsanbieter abgemeldet.</p>');
      },
    },
  },
  ttl: { Session: 3600, Interaction: 600, Grant: 3600, AccessToken: 600, IdToken: 600, AuthorizationCode: 60 },
  async findAccount(ctx, sub) {
    const entry = Object.entries(state.accounts).find(([, person]) => person.sub === sub);
    if (!entry) return undefined; // removed at the provider
    const person = entry[1];
    return {
      accountId: sub,
      async claims() {
        return { sub, email_verified: true, ...person };
      },
    };
  },
  async loadExistingGrant(ctx) {
    // A first-party client: the person is not asked to consent.
    const grantId = ctx.oidc.result?.consent?.grantId || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
    if (grantId) return ctx.oidc.provider.Grant.find(grantId);
    const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.session.accountId });
    grant.addOIDCScope('openid profile email groups organisation');
    await grant.save();
    return grant;
  },
  renderError(ctx, out) {
    ctx.type = 'html';
    ctx.body = page('Fehler', `<p>${escape(out.error)}: ${escape(out.error_description || '')}</p>`);
  },
});

async function resign(token, change) {
  const [, body] = token.split('.');
  const claims = { ...JSON.parse(Buffer.from(body, 'base64url').toString('utf8')), ...change };
  const { importJWK } = await import('jose');
  const signing = await importJWK(rsa, 'RS256');
  return new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid: rsa.kid }).sign(signing);
}

provider.use(async (ctx, next) => {
  if (ctx.path.startsWith('/_test/') && ctx.method === 'POST') {
    const data = JSON.parse((await readBody(ctx.req)) || '{}');
    if (ctx.path === '/_test/state') {
      if (data.mode) state.mode = data.mode;
      if (data.accounts) state.accounts = data.accounts;
      ctx.body = { ok: true };
    } else if (ctx.path === '/_test/sign') {
      // Signs what the test asks with the provider's own key: logout tokens with a flaw.
      const { importJWK } = await import('jose');
      const signing = await importJWK(rsa, 'RS256');
      ctx.body = { token: await new SignJWT(data).setProtectedHeader({ alg: 'RS256', kid: rsa.kid, typ: 'logout+jwt' }).sign(signing) };
    }
    return;
  }
  const interaction = ctx.path.match(/^\/interaction\/([^/]+)(\/login)?$/);
  if (interaction) {
    const details = await provider.interactionDetails(ctx.req, ctx.res);
    let message = '';
    if (ctx.method === 'POST' && interaction[2]) {
      const form = new URLSearchParams(await readBody(ctx.req));
      const person = state.accounts[form.get('login')];
      if (person && form.get('password') === person.password) {
        const redirect = await provider.interactionResult(ctx.req, ctx.res, { login: { accountId: person.sub } }, { mergeWithLastSubmission: false });
        ctx.redirect(redirect);
        return;
      }
      message = '<p role="alert">Kennung oder Kennwort ist falsch.</p>';
    }
    ctx.type = 'html';
    ctx.body = page('Anmeldung beim Identitätsanbieter der Stadt', `${message}
<form method="post" action="/interaction/${escape(details.uid)}/login">
<p><label for="login">Kennung</label> <input id="login" name="login" autocomplete="username"></p>
<p><label for="password">Kennwort</label> <input id="password" name="password" type="password" autocomplete="current-password"></p>
<p><button type="submit">Weiter</button></p>
</form>`);
    return;
  }
  await next();
  if (ctx.path === '/jwks' && state.mode === 'bad-signature') {
    ctx.body = { keys: [publicPart(impostor)] };
  }
  if (ctx.path === '/token' && ctx.body && ctx.body.id_token) {
    const now = Math.floor(Date.now() / 1000);
    if (state.mode === 'wrong-audience') ctx.body.id_token = await resign(ctx.body.id_token, { aud: 'fremde-anwendung' });
    if (state.mode === 'expired') ctx.body.id_token = await resign(ctx.body.id_token, { iat: now - 3600, exp: now - 1800 });
  }
});

provider.on('backchannel.error', (client, error) => console.error('backchannel.error', error.message));
provider.on('server_error', (ctx, error) => console.error('server_error', error));

server.on('request', provider.callback());
process.stdout.write(`READY ${issuer}\n`);
process.on('SIGTERM', () => server.close(() => process.exit(0)));
