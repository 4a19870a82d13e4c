// A real OpenID Provider for the federation tests: the `oidc-provider` package (OpenID Certified),
// with its development login form, on 127.0.0.1:<port>.
//
//   node scripts/oidc-provider.mjs <port> '<clients JSON>' [ID token lifetime in seconds, 3600]
//
// Clients: [{"client_id", "client_secret", "redirect_uris": [...]}] (confidential, code flow).
// Accounts: the login typed on the form is the account. Its e-mail is the login itself, verified;
// a login starting with "unverified:" has the rest as an unverified e-mail. `sub` is the login.
// Scope claims go to `userinfo`, not the ID token (the provider's default), so relying parties
// exercise both.
import Provider from 'oidc-provider';

const [port, clients, idTokenTtl = '3600'] = process.argv.slice(2);
const issuer = `http://127.0.0.1:${port}`;

function claimsOf(login) {
  const unverified = login.startsWith('unverified:');
  const email = unverified ? login.slice('unverified:'.length) : login;
  return { sub: login, email, email_verified: !unverified, name: email.split('@')[0] };
}

const provider = new Provider(issuer, {
  clients: JSON.parse(clients),
  claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
  findAccount: (ctx, id) => ({ accountId: id, claims: () => claimsOf(id) }),
  features: { devInteractions: { enabled: true } },
  cookies: { keys: ['federation-tests-only'] },
  pkce: { required: () => true },
  ttl: { IdToken: Number(idTokenTtl) },
});
provider.proxy = false;
provider.listen(Number(port), '127.0.0.1');
