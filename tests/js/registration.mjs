// openid-client 6 registers itself (RFC 7591) the way an MCP tool client
// does: a public client with a loopback redirect URI, then signs a person
// in with PKCE; a confidential service registers for client_credentials.
// The registration is read and deleted with its registration access token
// (RFC 7592), after which the client is gone. Prints one JSON line the
// Rust test (tests/client_registration.rs) asserts on.
import * as client from 'openid-client';
import { authorize, errorCode } from './pages.mjs';

const { ISSUER, USERNAME, PASSWORD, REDIRECT_URI } = process.env;
const insecure = { execute: [client.allowInsecureRequests] }; // tests run on plain http
const report = {};

const tool = await client.dynamicClientRegistration(new URL(ISSUER), {
  client_name: 'Assistant tools',
  redirect_uris: [REDIRECT_URI, 'https://elsewhere.example/cb'],
  grant_types: ['authorization_code', 'refresh_token'],
  token_endpoint_auth_method: 'none',
  scope: 'openid projects:read',
  software_id: 'assistant-tools',
}, client.None(), insecure);
const registered = tool.clientMetadata();
report.tool = {
  client_id: registered.client_id,
  has_secret: 'client_secret' in registered,
  redirect_uris: registered.redirect_uris,
  scope: registered.scope,
  has_registration_token: typeof registered.registration_access_token === 'string',
  registration_client_uri: registered.registration_client_uri,
};

const verifier = client.randomPKCECodeVerifier();
const state = client.randomState();
const url = client.buildAuthorizationUrl(tool, {
  redirect_uri: REDIRECT_URI,
  scope: 'openid projects:read',
  code_challenge: await client.calculatePKCECodeChallenge(verifier),
  code_challenge_method: 'S256',
  state,
});
const callback = await authorize(url.href, { username: USERNAME, password: PASSWORD, redirectUri: REDIRECT_URI });
const tokens = await client.authorizationCodeGrant(tool, callback, { pkceCodeVerifier: verifier, expectedState: state });
report.tool.token_scope = tokens.scope;

// RFC 7592: read with the registration access token; a wrong one is refused.
const bearer = (t) => ({ headers: { authorization: `Bearer ${t}` } });
const read = await fetch(registered.registration_client_uri, bearer(registered.registration_access_token));
report.read = { status: read.status, client_name: (await read.json()).client_name };
const wrong = await fetch(registered.registration_client_uri, bearer('wrg_wrong'));
report.read.wrong_token_status = wrong.status;

// A service registers for client_credentials and gets a secret.
const service = await client.dynamicClientRegistration(new URL(ISSUER), {
  client_name: 'Nightly export',
  grant_types: ['client_credentials'],
  token_endpoint_auth_method: 'client_secret_post',
  scope: 'projects:read',
}, undefined, insecure);
const own = await client.clientCredentialsGrant(service, { scope: 'projects:read' });
report.service = { has_secret: typeof service.clientMetadata().client_secret === 'string', token_type: own.token_type };

// Deleted with its token: the tool's refresh token stops working.
const gone = await fetch(registered.registration_client_uri, { method: 'DELETE', ...bearer(registered.registration_access_token) });
report.deleted = { status: gone.status };
try {
  await client.refreshTokenGrant(tool, tokens.refresh_token);
  report.deleted.refresh_error = null;
} catch (e) {
  report.deleted.refresh_error = await errorCode(e);
}

// Metadata the tenant does not offer is refused as RFC 7591 says.
try {
  await client.dynamicClientRegistration(new URL(ISSUER), {
    redirect_uris: ['https://tool.example/#fragment'], token_endpoint_auth_method: 'none',
  }, client.None(), insecure);
  report.bad_redirect_error = null;
} catch (e) {
  report.bad_redirect_error = await errorCode(e);
}

console.log(JSON.stringify(report));
