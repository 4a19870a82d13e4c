// The official TypeScript MCP SDK's own private_key_jwt support, end to end: its
// PrivateKeyJwtProvider (client_credentials, RFC 7523 §2.2 client assertions it signs itself)
// connects a machine client an operator created with `remote-mcp-admin client add-machine
// --jwks-file`, lists the tools and calls whoami, which must name the machine client.
//
// usage: node node-sdk-machine-client.mjs <mcp-url> <issuer> <client-id> <private key PEM file> <alg>
import { readFileSync } from 'node:fs';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { PrivateKeyJwtProvider } from '@modelcontextprotocol/sdk/client/auth-extensions.js';

const [mcpUrl, issuer, clientId, keyFile, algorithm] = process.argv.slice(2);
const fail = (message) => { console.error(`FAIL: ${message}`); process.exit(1); };

const authProvider = new PrivateKeyJwtProvider({
  clientId,
  privateKey: readFileSync(keyFile, 'utf8'),
  algorithm,
  scope: 'mcp',
  expectedIssuer: issuer,
});
const client = new Client({ name: 'node-sdk-machine-e2e', version: '1.0.0' });
await client.connect(new StreamableHTTPClientTransport(new URL(mcpUrl), { authProvider }));
const { tools } = await client.listTools();
const names = tools.map((t) => t.name).sort();
if (names.includes('add_note')) fail(`a read-only machine client lists ${names}`);
const who = await client.callTool({ name: 'whoami', arguments: {} });
if (who.isError) fail(`whoami failed: ${JSON.stringify(who)}`);
if (who.structuredContent?.subject !== `client:${clientId}`) fail(`whoami says ${JSON.stringify(who.structuredContent)}`);
await client.close();
console.log(`pass: PrivateKeyJwtProvider (${algorithm}) got a client_credentials token; ${names.length} tools; whoami is client:${clientId}`);
