// End to end with the official TypeScript MCP SDK: its OAuth client provider discovers the
// authorization server, registers, and runs PKCE; this program plays the user on the consent page
// (signs in, approves) and delivers the callback. Then: tools/list, tools/call, a forced refresh,
// and a check that a superseded refresh token is refused.
//
// usage: node node-sdk-client.mjs <mcp-url> <redirect-uri> <email> <password>
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import {
  UnauthorizedError,
  discoverAuthorizationServerMetadata,
  refreshAuthorization,
} from '@modelcontextprotocol/sdk/client/auth.js';

const [mcpUrl, redirectUri, email, password] = process.argv.slice(2);
const fail = (message) => { console.error(`FAIL: ${message}`); process.exit(1); };

class Provider {
  constructor() { this.client = undefined; this.stored = undefined; this.verifier = undefined; this.authUrl = undefined; }
  get redirectUrl() { return redirectUri; }
  get clientMetadata() {
    return { client_name: 'node-sdk-e2e', redirect_uris: [redirectUri], grant_types: ['authorization_code', 'refresh_token'],
             response_types: ['code'], token_endpoint_auth_method: 'none' };
  }
  clientInformation() { return this.client; }
  saveClientInformation(info) { this.client = info; }
  tokens() { return this.stored; }
  saveTokens(tokens) { this.stored = tokens; }
  saveCodeVerifier(verifier) { this.verifier = verifier; }
  codeVerifier() { return this.verifier; }
  redirectToAuthorization(url) { this.authUrl = url; }
}

/** The user: open the consent page, sign in and approve; return the code from the redirect. */
async function approve(authUrl) {
  const page = await fetch(authUrl, { redirect: 'manual' });
  if (page.status !== 200) fail(`consent page answered ${page.status}`);
  const cookie = page.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
  const html = await page.text();
  const transaction = html.match(/name="transaction" value="([^"]+)"/)?.[1] ?? fail('no transaction on the consent page');
  const answer = await fetch(new URL('/authorize', authUrl), {
    method: 'POST', redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie },
    body: new URLSearchParams({ transaction, decision: 'approve', email, password }),
  });
  if (answer.status !== 303) fail(`approval answered ${answer.status}: ${await answer.text()}`);
  const location = new URL(answer.headers.get('location'));
  const wanted = new URL(redirectUri);
  if (location.origin !== wanted.origin || location.pathname !== wanted.pathname) fail(`redirected to ${location}`);
  if (location.searchParams.get('iss') === null) fail('no iss in the authorization response');
  return location.searchParams.get('code') ?? fail('no code in the redirect');
}

const provider = new Provider();
const first = new StreamableHTTPClientTransport(new URL(mcpUrl), { authProvider: provider });
try {
  await new Client({ name: 'node-sdk-e2e', version: '1.0.0' }).connect(first);
  fail('connected without authorization');
} catch (error) {
  if (!(error instanceof UnauthorizedError)) throw error;
}
if (!provider.authUrl) fail('the SDK did not start authorization');
await first.finishAuth(await approve(provider.authUrl));

const client = new Client({ name: 'node-sdk-e2e', version: '1.0.0' });
await client.connect(new StreamableHTTPClientTransport(new URL(mcpUrl), { authProvider: provider }));
const tools = await client.listTools();
if (!tools.tools.some((t) => t.name === 'add_note')) fail('add_note missing from tools/list');
const added = await client.callTool({ name: 'add_note', arguments: { title: 'From the TypeScript SDK', body: 'hello' } });
if (added.isError || added.structuredContent?.title !== 'From the TypeScript SDK') fail(`add_note: ${JSON.stringify(added)}`);

// Forced refresh, twice, through the SDK; the first refresh token is then superseded.
const issuer = new URL(mcpUrl).origin;
const metadata = await discoverAuthorizationServerMetadata(issuer);
const original = provider.tokens().refresh_token;
const second = await refreshAuthorization(issuer, { metadata, clientInformation: provider.client, refreshToken: original });
if (!second.refresh_token || second.refresh_token === original) fail('the refresh token did not rotate');
const third = await refreshAuthorization(issuer, { metadata, clientInformation: provider.client, refreshToken: second.refresh_token });
provider.saveTokens(third);
try {
  await refreshAuthorization(issuer, { metadata, clientInformation: provider.client, refreshToken: original });
  fail('a superseded refresh token was accepted');
} catch (error) {
  if (!/invalid.?grant/i.test(`${error.constructor?.name} ${error.message}`)) throw error;
}
console.log(`pass: registered ${provider.client.client_id}, ${tools.tools.length} tools, add_note called, refresh rotated, old refresh token refused`);
await client.close();
