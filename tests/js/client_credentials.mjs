// An app developer's integration, written with openid-client (npm):
// discovery (OIDC and RFC 8414), client_credentials, introspection, revocation.
// Prints one JSON line the Rust test asserts on.
import * as client from 'openid-client';

const { ISSUER, CLIENT_ID, CLIENT_SECRET } = process.env;
const insecure = { execute: [client.allowInsecureRequests] }; // tests run on plain http

async function errorCode(e) {
  if (e.error) return e.error;
  if (e.response) {
    try { return (await e.response.clone().json()).error; } catch {}
  }
  return e.code || String(e);
}

const config = await client.discovery(new URL(ISSUER), CLIENT_ID, undefined,
  client.ClientSecretBasic(CLIENT_SECRET), insecure);
const viaRfc8414 = await client.discovery(new URL(ISSUER), CLIENT_ID, CLIENT_SECRET,
  undefined, { ...insecure, algorithm: 'oauth2' });

const token = await client.clientCredentialsGrant(config, { scope: 'read' });
const introspected = await client.tokenIntrospection(viaRfc8414, token.access_token);
await client.tokenRevocation(config, token.access_token);
const after = await client.tokenIntrospection(config, token.access_token);

let badSecretError = null;
try {
  const wrong = await client.discovery(new URL(ISSUER), CLIENT_ID, undefined,
    client.ClientSecretBasic('wsec_wrong'), insecure);
  await client.clientCredentialsGrant(wrong, { scope: 'read' });
} catch (e) {
  badSecretError = await errorCode(e);
}
let badScopeError = null;
try {
  await client.clientCredentialsGrant(config, { scope: 'admin' });
} catch (e) {
  badScopeError = await errorCode(e);
}

console.log(JSON.stringify({
  issuer: config.serverMetadata().issuer,
  rfc8414_issuer: viaRfc8414.serverMetadata().issuer,
  token_type: token.token_type,
  scope: token.scope,
  introspected_active: introspected.active,
  introspected_client_id: introspected.client_id,
  after_revocation_active: after.active,
  bad_secret_error: badSecretError,
  bad_scope_error: badScopeError,
}));
