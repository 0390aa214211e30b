// A newcomer's first minute with `serve --demo`: sign in to the console it
// prints, find the sample app, install it on every project, and see its
// credentials delivered. Debian's Chromium via playwright-core, JavaScript
// off. Prints one JSON line the Rust test asserts on.
import { chromium } from 'playwright-core';

const { CONSOLE, USERNAME, PASSWORD, CHROMIUM } = process.env;
const report = {};
const text = async (locator) => (await locator.allTextContents()).map((t) => t.replace(/\s+/g, ' ').trim());
const h1 = async (page) => (await page.getByRole('heading', { level: 1 }).textContent()).trim();

const browser = await chromium.launch({
  executablePath: CHROMIUM,
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
});
try {
  const page = await (await browser.newContext({ javaScriptEnabled: false })).newPage();
  await page.goto(CONSOLE);
  await page.getByLabel('Username').fill(USERNAME);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  report.after_sign_in = await h1(page);
  await page.getByRole('link', { name: 'Apps', exact: true }).click();
  report.apps = await text(page.locator('#catalog h2'));
  await page.getByRole('link', { name: 'Site Photos' }).click();
  await page.getByRole('link', { name: 'Install', exact: true }).click();
  report.projects = await page.locator('.pick input[type=checkbox]').count();
  await page.getByRole('radio', { name: /^All Projects/ }).check();
  await page.getByRole('button', { name: /^Install Site Photos/ }).click();
  report.installed = await h1(page);
  // The demo's own hook takes the credentials: the delivery is marked delivered.
  for (let i = 0; i < 50; i++) {
    await page.goto(`${CONSOLE}/activity`);
    report.delivered = await page.locator('#deliveries .badge.delivered').count();
    if (report.delivered > 0) break;
    await new Promise((r) => setTimeout(r, 200));
  }
} finally {
  await browser.close();
}
console.log(JSON.stringify(report));
