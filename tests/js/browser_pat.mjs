// A user in a real browser (Debian's Chromium via playwright-core, JavaScript
// off) signs in to their account page, creates a personal access token,
// a script exchanges it (RFC 8693), and the user revokes it on the page.
// Prints one JSON line the Rust test asserts on.
import { chromium } from 'playwright-core';

const { ISSUER, SCRIPT_CLIENT_ID, USERNAME, PASSWORD, CHROMIUM } = process.env;

async function exchange(pat) {
  const r = await fetch(`${ISSUER}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange',
      client_id: SCRIPT_CLIENT_ID,
      subject_token: pat,
      subject_token_type: 'urn:warden:params:oauth:token-type:personal-access-token',
    }),
  });
  return { status: r.status, body: await r.json() };
}

const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
const report = {};
try {
  const page = await (await browser.newContext({ javaScriptEnabled: false })).newPage();
  await page.goto(`${ISSUER}/account`);
  await page.getByLabel('Username').fill(USERNAME);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  report.account_heading = (await page.getByRole('heading', { level: 1 }).textContent()).trim();

  await page.getByLabel('Name').fill('nightly export');
  await page.getByLabel('Read your documents (read)').check();
  await page.getByLabel('Expires in (days)').fill('7');
  await page.getByRole('button', { name: 'Create token' }).click();
  const pat = (await page.locator('#pat-secret').textContent()).trim();
  report.pat_prefix = pat.slice(0, 5);
  const before = await exchange(pat);
  report.exchange_before = { status: before.status, scope: before.body.scope };

  await page.goto(`${ISSUER}/account`);
  report.listed = (await page.locator('#tokens li').allTextContents()).map((t) => t.replace(/\s+/g, ' ').trim());
  report.secret_shown_again = (await page.content()).includes(pat);
  await page.getByRole('button', { name: 'Revoke token nightly export' }).click();
  report.listed_after = await page.locator('#tokens li').count();
  const after = await exchange(pat);
  report.exchange_after = { status: after.status, error: after.body.error };
} finally {
  await browser.close();
}
console.log(JSON.stringify(report));
