// The comparison `make load` runs beside ours: the official TypeScript SDK's resource server, as its
// documentation builds one. Express, the SDK's own bearer middleware (`requireBearerAuth`) with a
// verifier that checks our ES256 access tokens against our JWKS (jose, keys fetched once and
// kept, as ours are), and a stateless Streamable HTTP transport with JSON answers and a fresh
// `McpServer` per request (the SDK's stateless example), offering the same `whoami` tool.
//
//   node e2e/ts-sdk-server.mjs <port> <issuer>
import express from 'express';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { requireBearerAuth } from '@modelcontextprotocol/sdk/server/auth/middleware/bearerAuth.js';
import { z } from 'zod';

const [port, issuer] = process.argv.slice(2);
const keys = createRemoteJWKSet(new URL(`${issuer}/.well-known/jwks.json`));

const verifier = {
  async verifyAccessToken(token) {
    const { payload } = await jwtVerify(token, keys, { issuer, audience: `${issuer}/mcp` });
    return {
      token,
      clientId: payload.client_id,
      scopes: String(payload.scope ?? '').split(' ').filter(Boolean),
      expiresAt: payload.exp,
      extra: { subject: payload.sub, email: payload.email, name: payload.name },
    };
  },
};

function server() {
  const mcp = new McpServer({ name: 'ts-sdk-comparison', version: '1.0.0' });
  mcp.registerTool(
    'whoami',
    {
      title: 'Who am I',
      description: 'Shows who this connection acts for.',
      inputSchema: {},
      outputSchema: {
        subject: z.string(),
        client_id: z.string(),
        scopes: z.array(z.string()),
        email: z.string().optional(),
        name: z.string().optional(),
      },
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    async (_args, extra) => {
      const auth = extra.authInfo;
      const identity = {
        subject: auth.extra.subject,
        client_id: auth.clientId,
        scopes: auth.scopes,
        ...(auth.extra.email ? { email: auth.extra.email } : {}),
        ...(auth.extra.name ? { name: auth.extra.name } : {}),
      };
      return { content: [{ type: 'text', text: JSON.stringify(identity) }], structuredContent: identity };
    },
  );
  return mcp;
}

const app = express();
app.use(express.json());
app.post('/mcp', requireBearerAuth({ verifier }), async (req, res) => {
  const mcp = server();
  const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
  res.on('close', () => {
    transport.close();
    mcp.close();
  });
  await mcp.connect(transport);
  await transport.handleRequest(req, res, req.body);
});
app.listen(Number(port), '127.0.0.1');
