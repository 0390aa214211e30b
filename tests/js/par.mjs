// openid-client 6 with pushed authorization requests (RFC 9126): the
// library pushes the request to the endpoint discovery names and sends the
// browser with only client_id and request_uri. A public client (PKCE, no
// secret) and a confidential one (a secret: client_secret_post, the
// library's default) each sign in; then the browser goes back to a spent
// request_uri. The end user's pages are driven with fetch, as a browser
// without JavaScript would. Prints one JSON line the Rust test
// (tests/pushed_authorization.rs) asserts on.
import * as client from 'openid-client';

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

// A browser without JavaScript: cookies kept, redirects looked at, forms posted.
const cookies = new Map();
async function visit(url, form) {
  const r = await fetch(url, {
    method: form ? 'POST' : 'GET',
    redirect: 'manual',
    headers: {
      cookie: [...cookies].map(([k, v]) => `${k}=${v}`).join('; '),
      ...(form && { 'content-type': 'application/x-www-form-urlencoded' }),
    },
    body: form && new URLSearchParams(form),
  });
  for (const c of r.headers.getSetCookie()) {
    const [pair] = c.split(';');
    const i = pair.indexOf('=');
    cookies.set(pair.slice(0, i), pair.slice(i + 1));
  }
  return { status: r.status, location: r.headers.get('location'), html: await r.text(), url };
}
const unescape = (s) => s.replace(/&quot;/g, '"').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&#39;/g, "'").replace(/&amp;/g, '&');
function theForm(page) {
  const action = page.html.match(/<form method="post" action="([^"]+)"/);
  if (!action) throw new Error(`no form at ${page.url} (${page.status}):\n${page.html}`);
  const hidden = Object.fromEntries(
    [...page.html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)"/g)].map(([, k, v]) => [k, unescape(v)]));
  return { action: new URL(unescape(action[1]), page.url).href, hidden };
}

// Signs in if asked, approves if asked, until the app's callback.
async function authorize(authorizationUrl) {
  let page = await visit(authorizationUrl);
  for (let step = 0; step < 4; step++) {
    if (page.status === 303 && page.location.startsWith(REDIRECT_URI)) return new URL(page.location);
    if (page.status === 303) { page = await visit(new URL(page.location, page.url).href); continue; }
    if (page.status !== 200) throw new Error(`${page.url}: ${page.status}:\n${page.html}`);
    const form = theForm(page);
    page = page.html.includes('name="password"')
      ? await visit(form.action, { ...form.hidden, username: USERNAME, password: PASSWORD })
      : await visit(form.action, { ...form.hidden, decision: 'approve' });
  }
  throw new Error(`no code after four steps, at ${page.url}`);
}

// The RFC 6749 error code, however the library surfaced it (a 401 with a
// WWW-Authenticate challenge comes as a challenge error with the response).
async function errorCode(e) {
  if (e.error) return e.error;
  if (e.response) {
    try { return (await e.response.clone().json()).error; } catch {}
  }
  return e.code || String(e);
}

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
