// openid-client 6 with a Client ID Metadata Document as its client_id (what
// an MCP client does): no registration step, a public client whose
// client_id is the URL of its metadata; code flow with PKCE, then a
// refresh. Prints one JSON line the Rust test
// (tests/client_metadata_documents.rs) asserts on.
import * as client from 'openid-client';
import { authorize } from './pages.mjs';

const { ISSUER, CLIENT_ID, USERNAME, PASSWORD, REDIRECT_URI } = process.env;
const insecure = { execute: [client.allowInsecureRequests] }; // tests run on plain http
const report = {};

const config = await client.discovery(new URL(ISSUER), CLIENT_ID, undefined, client.None(), insecure);
report.supported = config.serverMetadata().client_id_metadata_document_supported;
const verifier = client.randomPKCECodeVerifier();
const state = client.randomState();
const url = client.buildAuthorizationUrl(config, {
  redirect_uri: REDIRECT_URI,
  scope: 'openid projects:read',
  code_challenge: await client.calculatePKCECodeChallenge(verifier),
  code_challenge_method: 'S256',
  state,
});
const callback = await authorize(url.href, { username: USERNAME, password: PASSWORD, redirectUri: REDIRECT_URI });
const tokens = await client.authorizationCodeGrant(config, callback, { pkceCodeVerifier: verifier, expectedState: state });
const claims = JSON.parse(Buffer.from(tokens.access_token.split('.')[1], 'base64url').toString());
report.code = { scope: tokens.scope, client_id: claims.client_id };
const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token);
report.refresh = { scope: refreshed.scope };

console.log(JSON.stringify(report));
