// openid-client 6 with pushed authorization requests (RFC 9126): the
// library pushes the request to the endpoint discovery names and sends the
// browser with only client_id and request_uri. A public client (PKCE, no
// secret) and a confidential one (a secret: client_secret_post, the
// library's default) each sign in; then the browser goes back to a spent
// request_uri. The end user's pages are driven with fetch, as a browser
// without JavaScript would. Prints one JSON line the Rust test
// (tests/pushed_authorization.rs) asserts on.
import * as client from 'openid-client';
import { authorize as walk, errorCode, visit } from './pages.mjs';

const {
  ISSUER, PUBLIC_CLIENT_ID, WEB_CLIENT_ID, WEB_CLIENT_SECRET, USERNAME, PASSWORD, REDIRECT_URI,
} = process.env;
const PAR_URL = `${ISSUER}/par`;

// How each push identified its client, through the library's customFetch hook.
const pushes = [];
function recording(config) {
  config[client.customFetch] = (url, options) => {
    if (url === PAR_URL) {
      const body = new URLSearchParams(options.body?.toString() ?? '');
      const basic = new Headers(options.headers).get('authorization');
      pushes.push({
        auth: basic ? 'client_secret_basic' : body.has('client_secret') ? 'client_secret_post' : 'none',
        params: [...body.keys()].sort(),
      });
    }
    return fetch(url, options);
  };
  return config;
}
const insecure = { execute: [client.allowInsecureRequests] }; // tests run on plain http



const authorize = (url) => walk(url, { username: USERNAME, password: PASSWORD, redirectUri: REDIRECT_URI });
const report = {};

// A public client: PKCE, no secret.
const app = recording(await client.discovery(new URL(ISSUER), PUBLIC_CLIENT_ID, undefined, undefined, insecure));
report.endpoint = app.serverMetadata().pushed_authorization_request_endpoint;
const verifier = client.randomPKCECodeVerifier();
const state = client.randomState();
const nonce = client.randomNonce();
const url = await client.buildAuthorizationUrlWithPAR(app, {
  redirect_uri: REDIRECT_URI,
  scope: 'openid read',
  code_challenge: await client.calculatePKCECodeChallenge(verifier),
  code_challenge_method: 'S256',
  state,
  nonce,
});
report.browser_params = [...url.searchParams.keys()].sort();
report.request_uri_prefix = url.searchParams.get('request_uri').split(':').slice(0, 5).join(':');
const callback = await authorize(url.href);
const tokens = await client.authorizationCodeGrant(app, callback, {
  pkceCodeVerifier: verifier, expectedState: state, expectedNonce: nonce, idTokenExpected: true,
});
report.public = { push: pushes.at(-1), scope: tokens.scope, id_token_aud: tokens.claims().aud };

// The same request_uri again, after it gave its code: refused on a page.
const again = await visit(url.href);
report.spent = { status: again.status, says_expired: again.html.includes('expired or was already used') };

// A confidential client: its secret authenticates the push.
const web = recording(await client.discovery(new URL(ISSUER), WEB_CLIENT_ID, WEB_CLIENT_SECRET, undefined, insecure));
const webVerifier = client.randomPKCECodeVerifier();
const webState = client.randomState();
const webUrl = await client.buildAuthorizationUrlWithPAR(web, {
  redirect_uri: REDIRECT_URI,
  scope: 'read',
  code_challenge: await client.calculatePKCECodeChallenge(webVerifier),
  code_challenge_method: 'S256',
  state: webState,
});
const webCallback = await authorize(webUrl.href);
const webTokens = await client.authorizationCodeGrant(web, webCallback, {
  pkceCodeVerifier: webVerifier, expectedState: webState,
});
report.confidential = { push: pushes.at(-1), scope: webTokens.scope, token_type: webTokens.token_type };

// A wrong secret cannot push.
try {
  const wrong = recording(await client.discovery(new URL(ISSUER), WEB_CLIENT_ID, 'wsec_wrong', undefined, insecure));
  await client.buildAuthorizationUrlWithPAR(wrong, { redirect_uri: REDIRECT_URI, scope: 'read' });
  report.wrong_secret_error = null;
} catch (e) {
  report.wrong_secret_error = await errorCode(e);
}

console.log(JSON.stringify(report));
