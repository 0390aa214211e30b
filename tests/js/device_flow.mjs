// The device authorization grant (RFC 8628) as a CLI would use it, with
// openid-client 6: the device asks for codes and polls; a person, in a real
// browser (Debian's Chromium via playwright-core, JavaScript off), signs in,
// types the code and approves. A second request is denied from the approval
// page (the device hears access_denied). The code and approval pages are
// checked with axe at phone and desktop width and photographed. Prints one
// JSON line the Rust test (tests/device_flow.rs) asserts on.
import * as client from 'openid-client';
import { chromium } from 'playwright-core';
import { errorCode } from './pages.mjs';
import { a11yContext, axeViolations, horizontalOverflow, screenshot } from './page_checks.mjs';

const { ISSUER, CLIENT_ID, USERNAME, PASSWORD, CHROMIUM, SHOTS } = process.env;
const insecure = { execute: [client.allowInsecureRequests] }; // tests run on plain http


// A public client, as a CLI is: no secret.
const config = await client.discovery(new URL(ISSUER), CLIENT_ID, undefined, undefined, insecure);
const report = { endpoint: config.serverMetadata().device_authorization_endpoint };
const device = await client.initiateDeviceAuthorization(config, { scope: 'openid read' });
report.device = {
  user_code: device.user_code,
  verification_uri: device.verification_uri,
  verification_uri_complete: device.verification_uri_complete,
  expires_in: device.expires_in,
  interval: device.interval,
};
const polling = client.pollDeviceAuthorizationGrant(config, device);

const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
try {
  // The person goes to the address the device shows and signs in there.
  const person = await (await browser.newContext({ javaScriptEnabled: false })).newPage();
  await person.goto(device.verification_uri);
  report.first_title = await person.title();
  await person.getByLabel('Username').fill(USERNAME);
  await person.getByLabel('Password').fill(PASSWORD);
  await person.getByRole('button', { name: 'Sign in' }).click();
  report.after_sign_in = new URL(person.url()).pathname;
  // A mistyped code, then the right one, typed in lower case.
  await person.getByLabel('Code').fill('BBBB-BBBB');
  await person.getByRole('button', { name: 'Continue' }).click();
  report.wrong_code_alert = (await person.getByRole('alert').textContent()).trim();
  await person.getByLabel('Code').fill(device.user_code.toLowerCase());
  await person.getByRole('button', { name: 'Continue' }).click();
  report.approval = {
    heading: (await person.getByRole('heading', { level: 1 }).textContent()).trim(),
    code_shown: (await person.locator('#user-code').textContent()).trim(),
    scopes: await person.locator('ul.scopes li').allTextContents(),
  };
  await person.getByRole('button', { name: 'Allow' }).click();
  report.done = (await person.getByRole('status').textContent()).trim();

  const tokens = await polling;
  report.tokens = {
    token_type: tokens.token_type,
    scope: tokens.scope,
    refresh_token: Boolean(tokens.refresh_token),
    id_token_sub: tokens.claims()?.sub ?? null,
  };

  // A second device: its pages at both widths, then denied.
  const second = await client.initiateDeviceAuthorization(config, { scope: 'read' });
  report.pages = {};
  for (const width of [375, 1280]) {
    const context = await a11yContext(browser, { viewport: { width, height: 800 } });
    const page = await context.newPage();
    await page.goto(`${ISSUER}/device`);
    await page.getByLabel('Username').fill(USERNAME);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    for (const [name, url] of [['device_code', `${ISSUER}/device`], ['device_approve', second.verification_uri_complete]]) {
      const r = await page.goto(url);
      report.pages[`${name}_${width}`] = {
        status: r.status(),
        violations: await axeViolations(page),
        overflow: await horizontalOverflow(page),
      };
      await screenshot(page, SHOTS, `${name}-${width}`);
    }
    if (width === 1280) {
      await page.getByRole('button', { name: 'Deny' }).click();
      report.denied_page = (await page.getByRole('status').textContent()).trim();
    }
    await context.close();
  }
  try {
    await client.pollDeviceAuthorizationGrant(config, second);
    report.denied_error = null;
  } catch (e) {
    report.denied_error = await errorCode(e);
  }
} finally {
  await browser.close();
}
console.log(JSON.stringify(report));
