// The consent page in a real browser: Debian's Chromium, headless, driven by playwright-core (which
// downloads nothing; it is pointed at /usr/bin/chromium or $CHROMIUM). Started by
// crates/local/tests/federation.rs with the server, an account and an OpenID provider in place:
//
//   node scripts/browser-journeys.mjs '{"origin": …, "email": …, "password": …,
//                                       "provider": "Corp SSO", "login": "alice@corp.example"}'
//
// Journeys, each in a fresh browser profile: an account on this server approves read-only (the
// token lists only the read tools and a write is refused), then disconnects the app on /account;
// it denies; a person signs in with the identity provider, comes back and approves everything; the
// account connects the identity provider for tools on /account (the token vault), then
// disconnects it.
// Each approval's code is exchanged and the token calls a tool. A Content-Security-Policy violation on our pages fails the
// journey: the page must work under its own CSP and cookie rules. One line per journey. A journey
// that fails is run once more in a fresh profile, as Playwright's own runner does on CI: a second
// failure fails it, and a pass on the second attempt says so and what the first attempt met. A
// failure names the page it happened on and the start of that page's text.
import { chromium } from 'playwright-core';
import { createHash, randomBytes } from 'node:crypto';

const config = JSON.parse(process.argv[2]);
const { origin } = config;
const redirectUri = 'http://127.0.0.1:9/callback';

const b64url = (bytes) => Buffer.from(bytes).toString('base64url');

async function register() {
  // Named apart, so a second attempt finds its own row on /account beside what a first one left.
  const name = `Browser journey client ${b64url(randomBytes(3))}`;
  const response = await fetch(`${origin}/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      client_name: name,
      redirect_uris: [redirectUri],
      token_endpoint_auth_method: 'none',
    }),
  });
  if (response.status !== 201) throw new Error(`registration answered ${response.status}`);
  const { client_id: clientId } = await response.json();
  const verifier = b64url(randomBytes(32));
  const state = b64url(randomBytes(12));
  const query = new URLSearchParams({
    response_type: 'code',
    client_id: clientId,
    redirect_uri: redirectUri,
    scope: 'mcp mcp:write',
    state,
    code_challenge: b64url(createHash('sha256').update(verifier).digest()),
    code_challenge_method: 'S256',
    resource: `${origin}/mcp`,
  });
  return { name, clientId, verifier, state, url: `${origin}/authorize?${query}` };
}

/// A JSON-RPC request to /mcp with `token`.
async function mcp(token, method, params) {
  return fetch(`${origin}/mcp`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${token}`,
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      'mcp-protocol-version': '2025-11-25',
    },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
  });
}

/// Exchanges the code in `redirect` and calls whoami with the token: the subject it reports,
/// the scope granted and the token.
async function redeem(client, redirect) {
  const answer = new URL(redirect);
  if (answer.searchParams.get('state') !== client.state) throw new Error('state did not come back');
  if (answer.searchParams.get('iss') !== origin) throw new Error('iss is not our issuer');
  const token = await fetch(`${origin}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      code: answer.searchParams.get('code'),
      redirect_uri: redirectUri,
      client_id: client.clientId,
      code_verifier: client.verifier,
      resource: `${origin}/mcp`,
    }),
  }).then((r) => r.json());
  if (!token.access_token) throw new Error(`token endpoint: ${JSON.stringify(token)}`);
  const reply = await mcp(token.access_token, 'tools/call', { name: 'whoami', arguments: {} })
    .then((r) => r.json());
  const subject = reply?.result?.structuredContent?.subject;
  if (!subject) throw new Error(`whoami: ${JSON.stringify(reply)}`);
  return { subject, scope: token.scope, token: token.access_token };
}

/// The pages of the attempt under way, for the failure report.
let pages = [];

/// A fresh profile whose navigations to the client's redirect URI are caught (nothing listens
/// there) and whose CSP violations on our origin are recorded. A violation is attributed by the
/// document it happened in, not by where the page is when the report arrives (it may have
/// navigated on by then).
async function profile(browser) {
  const context = await browser.newContext();
  await context.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
      console.log(`CSP-VIOLATION ${e.documentURI} ${e.violatedDirective} ${e.blockedURI}`);
    });
  });
  const page = await context.newPage();
  pages.push(page);
  const violations = [];
  page.on('console', (message) => {
    const [tag, document, ...what] = message.text().split(' ');
    if (tag === 'CSP-VIOLATION' && document.startsWith(origin)) {
      violations.push(`${new URL(document).pathname}: ${what.join(' ')}`);
    }
  });
  let resolveRedirect;
  const redirected = new Promise((resolve) => { resolveRedirect = resolve; });
  await context.route(`${redirectUri}**`, (route) => {
    resolveRedirect(route.request().url());
    return route.fulfill({ status: 200, contentType: 'text/plain', body: 'back at the client' });
  });
  return { context, page, violations, redirected };
}

const journeys = {
  async 'account on this server, approve read-only'(browser) {
    const client = await register();
    const { context, page, violations, redirected } = await profile(browser);
    await page.goto(client.url);
    await page.getByRole('heading', { name: /Allow .* to access/ }).waitFor();
    // The client asked for everything; the person grants read-only.
    await page.getByLabel(/Read only/).check();
    await page.fill('input[name=email]', config.email);
    await page.fill('input[name=password]', config.password);
    await page.click('button[value=approve]');
    const { subject, scope, token } = await redeem(client, await redirected);
    if (scope !== 'mcp') throw new Error(`read-only approval gave the scope ${scope}`);
    const listed = await mcp(token, 'tools/list', {}).then((r) => r.json());
    const names = (listed?.result?.tools ?? []).map((t) => t.name);
    if (!names.includes('list_notes') || names.includes('add_note') || names.includes('delete_note')) {
      throw new Error(`a read-only token lists ${names.join(', ')}`);
    }
    const write = await mcp(token, 'tools/call', { name: 'add_note', arguments: { title: 't', body: 'b' } });
    if (write.status !== 403) throw new Error(`a write with a read-only token answered ${write.status}`);
    // The same session on the account page: the app is listed, read-only; disconnect it.
    await page.goto(`${origin}/account`);
    const row = page.getByRole('row', { name: new RegExp(client.name) });
    await row.getByRole('cell', { name: 'Read your data', exact: true }).waitFor();
    await row.getByRole('button', { name: 'Disconnect' }).click();
    await row.waitFor({ state: 'detached' });
    await context.close();
    return {
      violations,
      detail: `whoami as ${subject}; tools/list: ${names.join(', ')}; add_note 403; disconnected on /account`,
    };
  },
  async 'account on this server, deny'(browser) {
    const client = await register();
    const { context, page, violations, redirected } = await profile(browser);
    await page.goto(client.url);
    await page.click('button[value=deny]');
    const answer = new URL(await redirected);
    if (answer.searchParams.get('error') !== 'access_denied') throw new Error(`denied: ${answer}`);
    await context.close();
    return { violations, detail: 'error=access_denied back at the client' };
  },
  async 'identity provider, approve'(browser) {
    const client = await register();
    const { context, page, violations, redirected } = await profile(browser);
    await page.goto(client.url);
    await page.getByRole('link', { name: `Continue with ${config.provider}` }).click();
    await page.fill('input[name=login]', config.login);
    await page.fill('input[name=password]', 'anything');
    await page.click('button[type=submit]');
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByText(`Signed in as ${config.login}`).waitFor();
    await page.click('button[value=approve]');
    const { subject, scope } = await redeem(client, await redirected);
    if (scope !== 'mcp mcp:write') throw new Error(`approving everything gave the scope ${scope}`);
    await context.close();
    return { violations, detail: `whoami as ${subject} with ${scope}` };
  },
  async 'account page, connect the identity provider for tools'(browser) {
    const { context, page, violations } = await profile(browser);
    await page.goto(`${origin}/account`);
    await page.fill('input[name=email]', config.email);
    await page.fill('input[name=password]', config.password);
    await page.click('button[type=submit]');
    await page.getByRole('heading', { name: 'Services your tools can use' }).waitFor();
    const row = page.getByRole('row', { name: new RegExp(config.provider) });
    await row.getByRole('button', { name: /^(Connect|Disconnect)$/ }).waitFor();
    if (await row.getByText(`Connected as ${config.connectLogin}`).count()) {
      // Left connected by a first attempt that failed after connecting.
      await row.getByRole('button', { name: 'Disconnect' }).click();
    }
    await row.getByText('Not connected').waitFor();
    await row.getByRole('button', { name: 'Connect' }).click();
    await page.fill('input[name=login]', config.connectLogin);
    await page.fill('input[name=password]', 'anything');
    await page.click('button[type=submit]');
    await page.getByRole('button', { name: 'Continue' }).click();
    await row.getByText(`Connected as ${config.connectLogin}`).waitFor();
    await row.getByRole('button', { name: 'Disconnect' }).click();
    await row.getByText('Not connected').waitFor();
    await context.close();
    return { violations, detail: `connected as ${config.connectLogin}, then disconnected` };
  },
};

/// Where the attempt stood when it failed: each open page's address and the start of its text.
async function whereItStood() {
  const seen = [];
  for (const page of pages) {
    if (page.isClosed()) continue;
    const text = await page.innerText('body', { timeout: 1000 }).catch(() => '');
    seen.push(`${page.url()}: "${text.replace(/\s+/g, ' ').trim().slice(0, 160)}"`);
  }
  return seen.length ? ` [on ${seen.join('; ')}]` : '';
}

/// One attempt at a journey: its detail, or what went wrong and where.
async function attempt(browser, journey) {
  pages = [];
  try {
    const { violations, detail } = await journey(browser);
    if (violations.length) throw new Error(`CSP violations: ${violations.join('; ')}`);
    return { detail };
  } catch (error) {
    console.error(error.stack ?? String(error));
    return { failure: `${error.message.split('\n')[0]}${await whereItStood()}` };
  } finally {
    await Promise.all(pages.map((page) => page.context().close().catch(() => {})));
  }
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-dev-shm-usage', '--disable-background-networking', '--disable-component-update',
    '--disable-sync'],
});
let failed = 0;
for (const [name, journey] of Object.entries(journeys)) {
  const first = await attempt(browser, journey);
  if (first.detail) {
    console.log(`browser ${name}: pass (${first.detail})`);
    continue;
  }
  const second = await attempt(browser, journey);
  if (second.detail) {
    console.log(`browser ${name}: pass on a second attempt (${second.detail}); the first failed: ${first.failure}`);
  } else {
    failed += 1;
    console.log(`browser ${name}: FAIL ${second.failure}; the first attempt: ${first.failure}`);
  }
}
await browser.close();
process.exit(failed ? 1 : 0);
