// A real OpenID Provider for the federation and enterprise tests: the `oidc-provider` package
// (OpenID Certified), with its development login form, on 127.0.0.1:<port>.
//
//   node scripts/oidc-provider.mjs <port> '<clients JSON>' [ID token lifetime in seconds, 3600] ['<ID-JAG clients JSON>']
//
// Clients: [{"client_id", "client_secret", "redirect_uris": [...], "grant_types"?: [...]}]
// (confidential, code flow).
// Accounts: the login typed on the form is the account. Its e-mail is the login itself, verified;
// a login starting with "unverified:" has the rest as an unverified e-mail. `sub` is the login.
// Scope claims go to `userinfo`, not the ID token (the provider's default), so relying parties
// exercise both.
//
// Refresh tokens: a client allowed the `refresh_token` grant that asks for `offline_access` (with
// `prompt=consent`, as OpenID Connect Core §11 requires) gets one; every refresh rotates it, and
// presenting a used one is refused (and ends the grant), so two refreshes racing with one token
// show. Revocation (RFC 7009) is on.
//
// Hooks for the token vault's tests, under /test/ (never in a real provider): `GET /test/refreshes`
// counts refresh_token grants served; `GET /test/tokens/<login>` lists the access and refresh
// tokens issued to an account (to prove no log line holds one); `POST /test/revoke/<login>` ends
// every grant of the account, as a person removing the app at their provider would.
//
// Enterprise-Managed Authorization: with the fourth argument, {"<client_id here>": "<its client_id
// at the resource authorization server>"}, the provider also issues Identity Assertion JWT
// Authorization Grants by token exchange (draft-ietf-oauth-identity-assertion-authz-grant §4.3):
// grant_type=urn:ietf:params:oauth:grant-type:token-exchange with
// requested_token_type=urn:ietf:params:oauth:token-type:id-jag, an ID token of this provider as
// subject_token, the resource authorization server's issuer as audience, and optionally resource
// and scope. The ID-JAG is signed with the provider's own key (the one its jwks_uri publishes),
// `typ: oauth-id-jag+jwt`, and lives five minutes. The organisation's policy here grants the scope
// asked for.
import { randomUUID } from 'node:crypto';
import Provider, { errors } from 'oidc-provider';
import { SignJWT, exportJWK, generateKeyPair, jwtVerify } from 'jose';

const [port, clients, idTokenTtl = '3600', idJagClients = '{}'] = process.argv.slice(2);
const issuer = `http://127.0.0.1:${port}`;
const resourceClientIds = JSON.parse(idJagClients);

const TOKEN_EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';
const ID_JAG = 'urn:ietf:params:oauth:token-type:id-jag';
const ID_TOKEN = 'urn:ietf:params:oauth:token-type:id_token';
const ID_JAG_SECONDS = 300;

const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
const signingKey = { ...(await exportJWK(privateKey)), kid: 'idp-key-1', alg: 'RS256', use: 'sig' };

function claimsOf(login) {
  const unverified = login.startsWith('unverified:');
  const email = unverified ? login.slice('unverified:'.length) : login;
  return { sub: login, email, email_verified: !unverified, name: email.split('@')[0] };
}

const provider = new Provider(issuer, {
  clients: JSON.parse(clients),
  jwks: { keys: [signingKey] },
  claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
  findAccount: (ctx, id) => ({ accountId: id, claims: () => claimsOf(id) }),
  features: { devInteractions: { enabled: true }, revocation: { enabled: true } },
  rotateRefreshToken: () => true,
  cookies: { keys: ['federation-tests-only'] },
  pkce: { required: () => true },
  ttl: { IdToken: Number(idTokenTtl) },
});

// The token exchange that issues ID-JAGs (draft §4.3.3: the IdP checks the subject token and its
// policy, then signs a grant for the named audience and client).
async function exchangeForIdJag(ctx) {
  const { params, client } = ctx.oidc;
  if (params.requested_token_type !== ID_JAG) {
    throw new errors.InvalidRequest(`requested_token_type must be ${ID_JAG}`);
  }
  if (params.subject_token_type !== ID_TOKEN) {
    throw new errors.InvalidRequest(`subject_token_type must be ${ID_TOKEN}`);
  }
  if (!params.audience) {
    throw new errors.InvalidRequest('audience is required');
  }
  const resourceClientId = resourceClientIds[client.clientId];
  if (!resourceClientId) {
    throw new errors.UnauthorizedClient('this client may not obtain ID-JAGs');
  }
  let subject;
  try {
    ({ payload: subject } = await jwtVerify(params.subject_token, publicKey, {
      issuer,
      audience: client.clientId,
    }));
  } catch (err) {
    throw new errors.InvalidGrant(`subject_token: ${err.message}`);
  }
  const person = claimsOf(subject.sub);
  const now = Math.floor(Date.now() / 1000);
  const claims = {
    client_id: resourceClientId,
    email: person.email,
    email_verified: person.email_verified,
    name: person.name,
    ...(params.scope ? { scope: params.scope } : {}),
    ...(params.resource ? { resource: params.resource } : {}),
  };
  const idJag = await new SignJWT(claims)
    .setProtectedHeader({ alg: 'RS256', kid: signingKey.kid, typ: 'oauth-id-jag+jwt' })
    .setIssuer(issuer)
    .setSubject(subject.sub)
    .setAudience(params.audience)
    .setIssuedAt(now)
    .setExpirationTime(now + ID_JAG_SECONDS)
    .setJti(randomUUID())
    .sign(privateKey);
  ctx.body = {
    access_token: idJag,
    issued_token_type: ID_JAG,
    token_type: 'N_A',
    expires_in: ID_JAG_SECONDS,
    ...(params.scope ? { scope: params.scope } : {}),
  };
}

provider.registerGrantType(TOKEN_EXCHANGE, exchangeForIdJag, [
  'subject_token',
  'subject_token_type',
  'requested_token_type',
  'audience',
  'resource',
  'scope',
]);
// The token vault's test hooks (see above).
let refreshes = 0;
const issued = new Map(); // login -> [{ value, grantId }]
provider.on('grant.success', (ctx) => {
  if (ctx.oidc.params.grant_type === 'refresh_token') refreshes += 1;
});
for (const event of ['access_token.saved', 'refresh_token.saved']) {
  provider.on(event, (token) => {
    const list = issued.get(token.accountId) ?? [];
    list.push({ value: token.jti, grantId: token.grantId });
    issued.set(token.accountId, list);
  });
}
provider.use(async (ctx, next) => {
  const [, hook, login] = ctx.path.match(/^\/test\/(refreshes|tokens|revoke)\/?(.*)$/) ?? [];
  if (!hook) return next();
  const account = decodeURIComponent(login ?? '');
  if (hook === 'refreshes') {
    ctx.body = { refreshes };
  } else if (hook === 'tokens') {
    ctx.body = { tokens: (issued.get(account) ?? []).map((t) => t.value) };
  } else if (ctx.method === 'POST') {
    const grants = new Set((issued.get(account) ?? []).map((t) => t.grantId));
    for (const grantId of grants) {
      for (const model of [provider.AccessToken, provider.RefreshToken]) {
        await model.adapter.revokeByGrantId(grantId);
      }
      const grant = await provider.Grant.find(grantId);
      if (grant) await grant.destroy();
    }
    ctx.body = { revoked: grants.size };
  } else {
    ctx.status = 405;
  }
});

provider.proxy = false;
provider.listen(Number(port), '127.0.0.1');
