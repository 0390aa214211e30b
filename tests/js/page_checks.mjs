// Page checks for the browser tests: accessibility (axe-core), horizontal
// overflow on small screens, and full-page screenshots.
//
// Warden's pages send `Content-Security-Policy: default-src 'none'; ...`, so
// no script may run in them, and the tests usually browse with JavaScript
// switched off. axe and the overflow probe are scripts, so they need a
// browser context of their own, made with a11yContext() below:
//
//   const context = await a11yContext(browser, { viewport: { width: 375, height: 800 } });
//   const page = await context.newPage();
//   await page.goto(url);
//   const violations = await axeViolations(page);  // [] when the page is fine
//   const overflow = await horizontalOverflow(page); // null when nothing sticks out
//
// A page from a `javaScriptEnabled: false` context cannot be checked: the
// functions throw. Warden's pages ship no script of their own, so the DOM
// they are checked in is the one a script-less browser shows.
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';

const require = createRequire(import.meta.url);
let axeSource = null; // read once, on first use

// A context in which the checks can run: JavaScript on (axe and the overflow
// probe are scripts; with it off, code passed to page.evaluate runs but
// timers never fire, and axe.run would never finish) and the page's CSP
// bypassed. axe goes in through page.evaluate, which Chromium exempts from
// CSP, but a <script> tag (page.addScriptTag) or anything axe might load
// would be refused by `default-src 'none'`, so the bypass keeps the checks
// independent of the policy. Note that the page's own scripts, if it had
// any, would run here too. Other options, such as viewport, are passed
// through; these two always win.
export async function a11yContext(browser, options = {}) {
  return browser.newContext({ ...options, javaScriptEnabled: true, bypassCSP: true });
}

// In a `javaScriptEnabled: false` context page.evaluate still runs code, but
// timers never fire, so axe.run would never settle. Probe with a timer and
// give it a few seconds (an enabled page answers in milliseconds).
async function requireScripts(page, what) {
  let timer;
  const probe = page.evaluate(() => new Promise((resolve) => setTimeout(resolve, 0, 'tick')))
    .then((v) => v === 'tick', () => false);
  const late = new Promise((resolve) => { timer = setTimeout(resolve, 5000, false); });
  const ok = await Promise.race([probe, late]);
  clearTimeout(timer);
  if (!ok) {
    throw new Error(`${what} needs JavaScript: open the page in a context from ` +
      'a11yContext(browser, options) ({ javaScriptEnabled: true, bypassCSP: true })');
  }
}

// Runs axe-core on the current page (and its frames) and returns the
// violations of impact "serious" or "critical":
//   [{ id, impact, help, nodes: [up to 3 target selectors] }]
// `runOptions` go to axe.run (e.g. { runOnly: ['wcag2a', 'wcag2aa'] }).
export async function axeViolations(page, runOptions = {}) {
  await requireScripts(page, 'axeViolations');
  axeSource ??= readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
  // axe in every frame, so the top one can ask the others about their content.
  for (const frame of page.frames()) {
    try {
      if (await frame.evaluate(() => typeof window.axe === 'undefined')) {
        await frame.evaluate(axeSource);
      }
    } catch (e) {
      if (frame === page.mainFrame()) throw e; // a detached child frame is fine
    }
  }
  const violations = await page.evaluate(async (options) => {
    const results = await window.axe.run(document, { ...options, resultTypes: ['violations'] });
    return results.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.slice(0, 3).map((n) => n.target.join(' ')),
    }));
  }, runOptions);
  return violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}

// The violations of the given axe rules, whatever their impact (say
// ['heading-order'], which axe rates moderate): [{ id, impact, nodes }].
export async function axeRuleViolations(page, rules) {
  await axeViolations(page, { runOnly: { type: 'rule', values: rules } }); // loads axe
  return page.evaluate(async (values) => {
    const results = await window.axe.run(document, { runOnly: { type: 'rule', values }, resultTypes: ['violations'] });
    return results.violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.slice(0, 3).map((n) => n.target.join(' ')) }));
  }, rules);
}

// null if nothing sticks out to the right of the viewport, otherwise
//   { scrollWidth, clientWidth, offenders: [up to 5 { tag, id, class, right }] }
// Offenders are elements whose bounding box ends right of
// document.documentElement.clientWidth, outermost only (the children of an
// offender that stick out with it are left out), in document order. Elements
// inside a box that clips or scrolls horizontally (overflow-x other than
// visible, below <body>) are left out: the box itself is checked instead.
// Fixed-position elements count too, although they do not widen the page:
// what sticks out of them cannot be reached at all.
export async function horizontalOverflow(page) {
  await requireScripts(page, 'horizontalOverflow');
  return page.evaluate(() => {
    const root = document.documentElement;
    const clientWidth = root.clientWidth;
    const scrollWidth = root.scrollWidth;
    const sticksOut = new Set();
    const offenders = [];
    const clippedInside = (el) => {
      for (let a = el.parentElement; a && a !== document.body && a !== root; a = a.parentElement) {
        if (getComputedStyle(a).overflowX !== 'visible') return true;
      }
      return false;
    };
    const inFixed = (el) => {
      for (let a = el; a && a !== root; a = a.parentElement) {
        if (getComputedStyle(a).position === 'fixed') return true;
      }
      return false;
    };
    for (const el of document.body ? document.body.querySelectorAll('*') : []) {
      const rect = el.getBoundingClientRect();
      if (rect.width === 0 && rect.height === 0) continue; // not rendered
      // The page may be scrolled: compare in document coordinates, except
      // for fixed-position boxes, which stay put in the viewport.
      const right = rect.right + (inFixed(el) ? 0 : window.scrollX);
      if (right <= clientWidth + 0.5 || clippedInside(el)) continue;
      sticksOut.add(el);
      if (sticksOut.has(el.parentElement)) continue;
      if (offenders.length < 5) {
        offenders.push({
          tag: el.tagName.toLowerCase(),
          id: el.id || null,
          class: el.getAttribute('class') || null,
          right: Math.round(right),
        });
      }
    }
    if (scrollWidth <= clientWidth && offenders.length === 0) return null;
    return { scrollWidth, clientWidth, offenders };
  });
}

// A full-page PNG at `${dir}/${name}.png` (dir is created if need be).
// Returns the file's path. Works with JavaScript on or off.
export async function screenshot(page, dir, name) {
  await mkdir(dir, { recursive: true });
  const file = path.join(dir, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}
