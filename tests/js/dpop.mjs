// openid-client 6 with DPoP (RFC 9449), as an app developer would turn it
// on: a DPoP handle over a fresh key pair passed to each grant. A backend
// (client_credentials, its secret) and a public client (code + PKCE, then
// refresh) get DPoP-bound tokens; introspection shows the binding; the
// public client's refresh token works only with its key. The end user's
// pages are driven with fetch. Prints one JSON line the Rust test
// (tests/dpop.rs) asserts on.
import * as client from 'openid-client';
import * as jose from 'jose';
import { authorize as walk, errorCode } from './pages.mjs';

const {
  ISSUER, BACKEND_ID, BACKEND_SECRET, PUBLIC_CLIENT_ID, USERNAME, PASSWORD, REDIRECT_URI,
} = process.env;
const insecure = { execute: [client.allowInsecureRequests] }; // tests run on plain http

const thumbprint = async (keyPair) => jose.calculateJwkThumbprint(await jose.exportJWK(keyPair.publicKey));


const authorize = (url) => walk(url, { username: USERNAME, password: PASSWORD, redirectUri: REDIRECT_URI });
const report = {};

// A backend service: client_credentials with its secret and a DPoP key.
const backend = await client.discovery(new URL(ISSUER), BACKEND_ID, BACKEND_SECRET, undefined, insecure);
report.algs = backend.serverMetadata().dpop_signing_alg_values_supported;
const backendKey = await client.randomDPoPKeyPair('ES256');
const cc = await client.clientCredentialsGrant(backend, { scope: 'read' }, { DPoP: client.getDPoPHandle(backend, backendKey) });
const introspected = await client.tokenIntrospection(backend, cc.access_token);
report.client_credentials = {
  token_type: cc.token_type,
  jkt_is_the_keys: introspected.cnf?.jkt === await thumbprint(backendKey),
  introspected_type: introspected.token_type,
  active: introspected.active,
};
// Without a key: an ordinary bearer token, as before.
const plain = await client.clientCredentialsGrant(backend, { scope: 'read' });
report.bearer_still = plain.token_type;

// A public client: code + PKCE with an EdDSA key, then refreshes.
const app = await client.discovery(new URL(ISSUER), PUBLIC_CLIENT_ID, undefined, undefined, insecure);
const appKey = await client.randomDPoPKeyPair('EdDSA');
const DPoP = client.getDPoPHandle(app, appKey);
const verifier = client.randomPKCECodeVerifier();
const state = client.randomState();
const callback = await authorize(client.buildAuthorizationUrl(app, {
  redirect_uri: REDIRECT_URI,
  scope: 'openid read',
  code_challenge: await client.calculatePKCECodeChallenge(verifier),
  code_challenge_method: 'S256',
  state,
}).href);
const tokens = await client.authorizationCodeGrant(app, callback, { pkceCodeVerifier: verifier, expectedState: state }, undefined, { DPoP });
const claims = jose.decodeJwt(tokens.access_token);
report.code = { token_type: tokens.token_type, jkt_is_the_keys: claims.cnf?.jkt === await thumbprint(appKey) };
// userinfo with the bound token: the library sends Authorization: DPoP and a
// proof with the token's hash.
const info = await client.fetchUserInfo(app, tokens.access_token, claims.sub, { DPoP });
report.userinfo_sub_matches = info.sub === claims.sub;
// Without the key, the token is worth nothing there.
const stolen = await fetch(`${ISSUER}/userinfo`, { headers: { authorization: `Bearer ${tokens.access_token}` } });
report.stolen_userinfo = { status: stolen.status, error: (await stolen.json()).error };
const refreshed = await client.refreshTokenGrant(app, tokens.refresh_token, undefined, { DPoP });
report.refresh = {
  token_type: refreshed.token_type,
  jkt_is_the_keys: jose.decodeJwt(refreshed.access_token).cnf?.jkt === await thumbprint(appKey),
};
// A thief with the refresh token but not the key: refused, with a key of
// its own or with none.
const thiefKey = await client.randomDPoPKeyPair('ES256');
try {
  await client.refreshTokenGrant(app, refreshed.refresh_token, undefined, { DPoP: client.getDPoPHandle(app, thiefKey) });
  report.other_key_error = null;
} catch (e) {
  report.other_key_error = await errorCode(e);
}
try {
  await client.refreshTokenGrant(app, refreshed.refresh_token);
  report.no_key_error = null;
} catch (e) {
  report.no_key_error = await errorCode(e);
}
// The owner still can.
const again = await client.refreshTokenGrant(app, refreshed.refresh_token, undefined, { DPoP });
report.owner_again = again.token_type;

console.log(JSON.stringify(report));
