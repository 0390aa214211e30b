// openid-client with its defaults, no client authentication chosen: a
// public client (no secret: openid-client then sends `none`, client_id in the
// body) through authorization code + PKCE, ID token and refresh, and a
// confidential client (a secret: `client_secret_post` by default) through
// client_credentials. The end user's login and consent pages are driven with
// fetch, as a browser without JavaScript would. Prints one JSON line the Rust
// test (tests/client_libraries.rs) asserts on.
import * as client from 'openid-client';
import { errorCode, theForm, visit } from './pages.mjs';

const {
  ISSUER, PUBLIC_CLIENT_ID, CONFIDENTIAL_CLIENT_ID, CONFIDENTIAL_CLIENT_SECRET,
  USERNAME, PASSWORD, REDIRECT_URI,
} = process.env;
const TOKEN_URL = `${ISSUER}/token`;

// How each token request identified its client, recorded through the
// library's customFetch hook.
const sent = [];
function recording(config) {
  config[client.customFetch] = (url, options) => {
    if (url === TOKEN_URL) {
      const headers = new Headers(options.headers);
      const body = new URLSearchParams(options.body?.toString() ?? '');
      const basic = headers.get('authorization')?.match(/^Basic (.+)$/i);
      if (basic) {
        const password = atob(basic[1]).split(':').slice(1).join(':');
        sent.push(password ? 'client_secret_basic' : 'basic_empty_password');
      } else if (body.has('client_secret')) sent.push('client_secret_post');
      else if (body.has('client_id')) sent.push('none');
      else sent.push('nothing');
    }
    return fetch(url, options);
  };
  return config;
}
const insecure = { execute: [client.allowInsecureRequests] }; // tests run on plain http


function expect(page, status) {
  if (page.status !== status) throw new Error(`${page.url}: ${page.status}, expected ${status}:\n${page.html}`);
}
async function signIn(authorizationUrl) {
  const login = await visit(authorizationUrl);
  expect(login, 200);
  let form = theForm(login);
  const back = await visit(form.action, { ...form.hidden, username: USERNAME, password: PASSWORD });
  expect(back, 303);
  const consent = await visit(new URL(back.location, form.action).href);
  expect(consent, 200);
  form = theForm(consent);
  const done = await visit(form.action, { ...form.hidden, decision: 'approve' });
  expect(done, 303);
  if (!done.location.startsWith(REDIRECT_URI)) throw new Error(`consent sent the browser to ${done.location}`);
  return new URL(done.location);
}

const report = {};

// A public client: no secret, no client authentication given.
const app = recording(await client.discovery(new URL(ISSUER), PUBLIC_CLIENT_ID, undefined, undefined, insecure));
const verifier = client.randomPKCECodeVerifier();
const state = client.randomState();
const nonce = client.randomNonce();
const callback = await signIn(client.buildAuthorizationUrl(app, {
  redirect_uri: REDIRECT_URI,
  scope: 'openid read',
  code_challenge: await client.calculatePKCECodeChallenge(verifier),
  code_challenge_method: 'S256',
  state,
  nonce,
}).href);
const tokens = await client.authorizationCodeGrant(app, callback, {
  pkceCodeVerifier: verifier, expectedState: state, expectedNonce: nonce, idTokenExpected: true,
});
report.code = {
  sent: sent.at(-1),
  token_type: tokens.token_type,
  scope: tokens.scope,
  id_token_aud: tokens.claims().aud,
  id_token_nonce: tokens.claims().nonce,
  refresh_token: Boolean(tokens.refresh_token),
};
const refreshed = await client.refreshTokenGrant(app, tokens.refresh_token);
report.refresh = {
  sent: sent.at(-1),
  token_type: refreshed.token_type,
  scope: refreshed.scope,
  rotated: refreshed.refresh_token !== tokens.refresh_token,
  new_access_token: refreshed.access_token !== tokens.access_token,
};

// A confidential client: a secret, no client authentication given.
const backend = recording(await client.discovery(new URL(ISSUER), CONFIDENTIAL_CLIENT_ID, CONFIDENTIAL_CLIENT_SECRET, undefined, insecure));
const cc = await client.clientCredentialsGrant(backend);
report.client_credentials = { sent: sent.at(-1), token_type: cc.token_type, scope: cc.scope };
try {
  const wrong = recording(await client.discovery(new URL(ISSUER), CONFIDENTIAL_CLIENT_ID, 'wsec_wrong', undefined, insecure));
  await client.clientCredentialsGrant(wrong);
  report.wrong_secret_error = null;
} catch (e) {
  report.wrong_secret_error = await errorCode(e);
}

console.log(JSON.stringify(report));
