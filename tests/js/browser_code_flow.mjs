// An end user in a real browser (Debian's Chromium, driven by playwright-core,
// with JavaScript switched off) signs in to an app that uses openid-client:
// discovery, authorization code + PKCE, login and consent pages, ID token
// validation, userinfo, refresh; then the account page and the sign-out page.
// Prints one JSON line the Rust test asserts on.
import * as client from 'openid-client';
import { chromium } from 'playwright-core';
import http from 'node:http';

const { ISSUER, CLIENT_ID, CLIENT_SECRET, USERNAME, PASSWORD, CHROMIUM, SCOPE } = process.env;

// The app's callback, on a loopback port of its choosing (RFC 8252 §7.3:
// the registered http://127.0.0.1/callback matches any port).
let callback = null;
const app = http.createServer((req, res) => {
  // Only the callback itself (browsers also ask for /favicon.ico).
  if (req.url.startsWith('/callback')) callback = `http://127.0.0.1:${app.address().port}${req.url}`;
  res.end('app callback');
});
await new Promise((resolve) => app.listen(0, '127.0.0.1', resolve));
const REDIRECT_URI = `http://127.0.0.1:${app.address().port}/callback`;
const insecure = { execute: [client.allowInsecureRequests] }; // tests run on plain http

const config = await client.discovery(new URL(ISSUER), CLIENT_ID, undefined,
  client.ClientSecretBasic(CLIENT_SECRET), insecure);
const verifier = client.randomPKCECodeVerifier();
const state = client.randomState();
const nonce = client.randomNonce();
const authorizationUrl = client.buildAuthorizationUrl(config, {
  redirect_uri: REDIRECT_URI,
  scope: SCOPE,
  code_challenge: await client.calculatePKCECodeChallenge(verifier),
  code_challenge_method: 'S256',
  state,
  nonce,
});

const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
const report = {};
try {
  const context = await browser.newContext({ javaScriptEnabled: false });
  const page = await context.newPage();

  await page.goto(authorizationUrl.href);
  report.login_title = await page.title();
  // Labelled fields, found the way assistive technology finds them.
  await page.getByLabel('Username').fill(USERNAME);
  await page.getByLabel('Password').fill('not the password');
  await page.getByRole('button', { name: 'Sign in' }).click();
  report.login_error = (await page.getByRole('alert').textContent()).trim();
  report.username_kept = await page.getByLabel('Username').inputValue();
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();

  report.consent_heading = (await page.getByRole('heading').first().textContent()).trim();
  report.consent_items = await page.locator('ul.scopes li').allTextContents();
  const cookies = await context.cookies();
  const session = cookies.find((c) => c.name === 'warden_session');
  report.session_cookie = session && { httpOnly: session.httpOnly, sameSite: session.sameSite, path: session.path };
  await page.getByRole('button', { name: 'Allow' }).click();
  await page.waitForURL(`${REDIRECT_URI}**`);
  report.callback_has_code = new URL(callback).searchParams.has('code');

  const tokens = await client.authorizationCodeGrant(config, new URL(callback), {
    pkceCodeVerifier: verifier,
    expectedState: state,
    expectedNonce: nonce,
    idTokenExpected: true,
  });
  const claims = tokens.claims();
  report.sub = claims.sub;
  report.id_token_aud = claims.aud;
  report.id_token_nonce = claims.nonce;
  report.scope = tokens.scope;
  const info = await client.fetchUserInfo(config, tokens.access_token, claims.sub);
  report.userinfo_email = info.email;
  report.userinfo_name = info.name;
  const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token);
  report.refreshed = Boolean(refreshed.access_token) && refreshed.refresh_token !== tokens.refresh_token;

  // Signed in already: the next authorization goes straight back to the app.
  const again = client.buildAuthorizationUrl(config, {
    redirect_uri: REDIRECT_URI, scope: 'openid read', state,
    code_challenge: await client.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256',
  });
  await page.goto(again.href);
  report.second_time_straight_back = page.url().startsWith(REDIRECT_URI) && new URL(page.url()).searchParams.has('code');

  // The account page says what the app got, in the same words as the consent page.
  await page.goto(`${ISSUER}/account`);
  report.account_app_items = await page.locator('#apps ul.scopes li').allTextContents();

  // The app sends the user to sign out: the page names them and the app.
  await page.goto(`${ISSUER}/logout?client_id=${encodeURIComponent(CLIENT_ID)}`);
  report.logout_heading = (await page.getByRole('heading').first().textContent()).trim();
  report.logout_text = (await page.locator('main').textContent()).replace(/\s+/g, ' ').trim();
  await page.getByRole('link', { name: 'Stay signed in' }).click();
  report.stayed_on = new URL(page.url()).pathname;
  report.still_signed_in = (await page.getByRole('heading').first().textContent()).trim() === 'Your account';
  await page.goto(`${ISSUER}/logout`);
  await page.getByRole('button', { name: 'Sign out' }).click();
  report.signed_out_heading = (await page.getByRole('heading').first().textContent()).trim();
} finally {
  await browser.close();
  app.close();
}
console.log(JSON.stringify(report));
