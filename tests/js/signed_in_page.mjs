// One page as a signed-in person sees it, in Debian's Chromium at phone and
// desktop width: signs in from PAGE_URL (which sends to the sign-in page
// first), then for each width checks the page with axe and for horizontal
// overflow, reads its heading and text, and photographs it as SHOTS/NAME-
// width.png. Shared by the tests of pages that need a person. Prints one
// JSON line.
import { chromium } from 'playwright-core';
import { a11yContext, axeViolations, horizontalOverflow, screenshot } from './page_checks.mjs';

const { PAGE_URL, USERNAME, PASSWORD, CHROMIUM, SHOTS, NAME } = process.env;
const report = {};
const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
try {
  for (const width of [375, 1280]) {
    const context = await a11yContext(browser, { viewport: { width, height: 800 } });
    const page = await context.newPage();
    await page.goto(PAGE_URL);
    await page.getByLabel('Username').fill(USERNAME);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    const r = await page.goto(PAGE_URL);
    report[width] = {
      status: r.status(),
      heading: (await page.getByRole('heading', { level: 1 }).textContent()).trim(),
      text: (await page.locator('main').textContent()).replace(/\s+/g, ' ').trim(),
      violations: await axeViolations(page),
      overflow: await horizontalOverflow(page),
    };
    await screenshot(page, SHOTS, `${NAME}-${width}`);
    await context.close();
  }
} finally {
  await browser.close();
}
console.log(JSON.stringify(report));
