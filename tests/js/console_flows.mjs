// A tenant admin walks every console flow in a real browser (Debian's
// Chromium via playwright-core, JavaScript off), the app's hook is a small
// HTTP server here, and the app's tokens are fetched as the app would.
// Then every page is checked at a 375-pixel-wide viewport: axe (serious and
// critical violations), horizontal overflow, and a screenshot for review.
// Prints one JSON line the Rust test asserts on.
import http from 'node:http';
import { chromium } from 'playwright-core';
import { a11yContext, axeRuleViolations, axeViolations, horizontalOverflow, screenshot } from './page_checks.mjs';

const { BASE, ADMIN_TOKEN, HOOK_PORT, CHROMIUM, SHOTS, PASSWORD, CONSENT_URL } = process.env;
const T = `${BASE}/t/acme`;
const C = `${T}/console`;
const report = { pages: {} };

// The app's hook: records events; answers 500 to `failing` event types.
const received = [];
const failing = new Set();
const hook = http.createServer((req, res) => {
  let body = '';
  req.on('data', (c) => (body += c));
  req.on('end', () => {
    const event = JSON.parse(body);
    const fail = failing.has(event.type);
    received.push({ type: event.type, data: event.data, failed: fail });
    res.writeHead(fail ? 500 : 200).end();
  });
});
await new Promise((r) => hook.listen(Number(HOOK_PORT), '127.0.0.1', r));

async function waitFor(check, what, ms = 15000) {
  const end = Date.now() + ms;
  for (;;) {
    const v = check();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(received.map((r) => r.type))}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function token(creds) {
  const r = await fetch(creds.token_endpoint, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: 'Basic ' + Buffer.from(`${creds.client_id}:${creds.client_secret}`).toString('base64'),
    },
    body: 'grant_type=client_credentials',
  });
  const body = await r.json();
  if (r.status !== 200) return { status: r.status, error: body.error };
  const claims = JSON.parse(Buffer.from(body.access_token.split('.')[1], 'base64url').toString());
  return { status: 200, scope: claims.scope, authorization_details: claims.authorization_details };
}

async function admin(method, path, body) {
  const r = await fetch(`${BASE}/admin/v1${path}`, {
    method,
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: r.status, body: await r.json().catch(() => null) };
}

async function signIn(page, url, username) {
  await page.goto(url);
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

const text = async (locator) => (await locator.allTextContents()).map((t) => t.replace(/\s+/g, ' ').trim());
const h1 = async (page) => (await page.getByRole('heading', { level: 1 }).textContent()).trim();
const notice = async (page) => (await page.locator('.notice').first().textContent()).replace(/\s+/g, ' ').trim();

// What Chromium renders in `selector`, generated content included (a CSS
// counter is not in the DOM; the accessibility tree has its value). Works
// with JavaScript off.
async function renderedText(page, selector) {
  const cdp = await page.context().newCDPSession(page);
  try {
    const { root } = await cdp.send('DOM.getDocument', { depth: 0 });
    const { nodeId } = await cdp.send('DOM.querySelector', { nodeId: root.nodeId, selector });
    const { node } = await cdp.send('DOM.describeNode', { nodeId });
    const { nodes: all } = await cdp.send('Accessibility.getFullAXTree');
    const byId = new Map(all.map((n) => [n.nodeId, n]));
    const start = all.find((n) => n.backendDOMNodeId === node.backendNodeId);
    if (!start) return null;
    const out = [];
    const walk = (n) => {
      if (n.role?.value === 'StaticText' || n.role?.value === 'InlineTextBox') {
        if (n.role.value === 'StaticText') out.push(n.name?.value ?? '');
        return;
      }
      for (const c of n.childIds || []) if (byId.has(c)) walk(byId.get(c));
    };
    walk(start);
    return out.join('').replace(/\s+/g, ' ').trim();
  } finally {
    await cdp.detach();
  }
}

const browser = await chromium.launch({
  executablePath: CHROMIUM,
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
});
try {
  const alice = await (await browser.newContext({ javaScriptEnabled: false })).newPage();

  // Signing in from the console's address comes back to it.
  await signIn(alice, C, 'alice');
  report.after_login = { path: new URL(alice.url()).pathname, heading: await h1(alice) };
  report.admin_nav = await text(alice.locator('nav.console a'));

  // The catalog and an app's page: plain language, no markup from the app.
  await alice.getByRole('link', { name: 'Apps', exact: true }).click();
  report.catalog_apps = await text(alice.locator('#catalog h2'));
  report.catalog_cards = {
    perms: await text(alice.locator('#catalog .perms')),
    tiles: await text(alice.locator('#catalog .logo.tile')),
  };
  await alice.getByLabel('Search apps').fill('timesheets');
  await alice.getByRole('button', { name: 'Search', exact: true }).click();
  report.catalog_search = { apps: await text(alice.locator('#catalog h2')), count: (await alice.locator('#catalog-count').textContent()).replace(/\s+/g, ' ').trim() };
  await alice.getByRole('link', { name: 'Show all' }).click();
  await alice.getByRole('link', { name: 'Docs Sync <b>bold</b>' }).click();
  report.detail = {
    heading: await h1(alice),
    permissions: await text(alice.locator('main ul.scopes li')),
    description_has_tag_text: (await alice.locator('main').textContent()).includes('<script>alert(1)</script>'),
    scripts: await alice.locator('script').count(),
    injected_images: await alice.locator('main .card img').count(),
    bold_elements: await alice.locator('main h1 b').count(),
  };

  // Install with a searched selection of projects and an optional permission.
  await alice.getByRole('link', { name: 'Install', exact: true }).click();
  report.install_heading = await h1(alice);
  await alice.getByRole('radio', { name: /Only the Projects I select/ }).check();
  await alice.getByLabel('Search Projects').fill('Harbour 10');
  await alice.getByRole('button', { name: 'Search', exact: true }).click();
  report.search_matches = await alice.locator('.pick input[type=checkbox]').count();
  await alice.getByLabel('Project Harbour 100', { exact: true }).check();
  await alice.getByLabel('Project Harbour 104', { exact: true }).check();
  // The counter follows the boxes with no reload (and no script).
  report.counter_live = {
    loaded: await alice.locator('#selection-count .live').getAttribute('data-loaded'),
    shown: await renderedText(alice, '#selection-count'),
  };
  await alice.getByLabel('Project Harbour 104', { exact: true }).uncheck();
  report.counter_live.after_untick = await renderedText(alice, '#selection-count');
  await alice.getByLabel('Project Harbour 104', { exact: true }).check();
  await alice.getByLabel('Search Projects').fill('Harbour 2');
  await alice.getByRole('button', { name: 'Search', exact: true }).click();
  report.kept_after_search = await text(alice.locator('.pick input:checked + span'));
  report.install_page = await alice.locator('main').textContent();
  await alice.getByLabel(/Read budgets/).check();
  await alice.getByRole('button', { name: /^Install Docs Sync/ }).click();
  report.installed = { heading: await h1(alice), service_account: (await alice.locator('#service-account').textContent()).trim() };
  const created = await waitFor(() => received.find((r) => r.type === 'installation.created'), 'installation.created');
  const creds = created.data.credentials;
  report.token_after_install = await token(creds);

  // Edit the projects: every "North 5…" one instead.
  await alice.getByRole('link', { name: 'See the installation' }).click();
  const installationUrl = alice.url();
  report.crumbs = await text(alice.locator('nav.crumbs li'));
  report.installed_line = (await alice.locator('main p', { has: alice.locator('#status') }).textContent()).replace(/\s+/g, ' ').trim();
  await alice.getByRole('link', { name: 'Change Projects' }).click();
  await alice.getByRole('button', { name: 'Clear selection' }).click();
  await alice.getByLabel('Search Projects').fill('North 5');
  await alice.getByRole('button', { name: 'Search', exact: true }).click();
  await alice.getByRole('button', { name: 'Select all matching' }).click();
  await alice.getByRole('button', { name: 'Save' }).click();
  report.resources_notice = await notice(alice);
  report.selected_after_edit = (await text(alice.locator('#selected-resources li'))).length;
  report.token_after_edit = await token(creds);

  // An upgrade asking for more: the difference, then approve.
  const manifest = JSON.parse(process.env.MANIFEST);
  manifest.permissions.push({ name: 'documents:delete', level: 'resource', resource_type: 'project', description: 'Delete documents' });
  report.publish = (await admin('POST', '/apps/docs-sync/versions', manifest)).status;
  await alice.goto(C);
  report.overview_upgrades = await text(alice.locator('#upgrades li'));
  await alice.goto(installationUrl);
  report.upgrade_added = await text(alice.locator('#upgrade-added li'));
  report.status_before_approval = (await alice.locator('#status').textContent()).trim();
  await alice.getByRole('button', { name: 'Approve version 2' }).click();
  report.upgrade_notice = await notice(alice);
  report.token_after_upgrade = await token(creds);

  // Suspend while the hook is down: that delivery dies; retry it later.
  failing.add('installation.suspended');
  await alice.getByRole('button', { name: 'Suspend' }).click();
  // Said once: the page's own status line, no second banner.
  report.suspend_notice = (await alice.locator('[role=status]').allTextContents())
    .filter((t) => /suspended/i.test(t)).map((t) => t.replace(/\s+/g, ' ').trim()).join(' | ');
  report.token_while_suspended = await token(creds);
  await waitFor(() => received.find((r) => r.type === 'installation.suspended' && r.failed), 'a failed delivery');
  failing.clear();
  await alice.getByRole('link', { name: 'Activity' }).first().click();
  // The worker marks it dead after its only attempt; reload until the page shows it.
  for (let i = 0; i < 50 && (await alice.locator('#deliveries .badge.dead').count()) === 0; i++) {
    await new Promise((r) => setTimeout(r, 200));
    await alice.goto(`${C}/activity`);
  }
  report.dead_before_retry = await alice.locator('#deliveries .badge.dead').count();
  await alice.getByRole('button', { name: /^Retry delivery Suspended/ }).click();
  report.retry_notice = await notice(alice);
  await waitFor(() => received.find((r) => r.type === 'installation.suspended' && !r.failed), 'the retried delivery');
  report.retried_delivered = true;
  await alice.goto(installationUrl);
  await alice.getByRole('button', { name: 'Resume' }).click();
  report.token_after_resume = (await token(creds)).status;

  // Its usage: four tokens and the refused one, today's bar drawn.
  await alice.goto(installationUrl);
  report.usage_totals = await text(alice.locator('#usage-totals li'));
  report.usage_bars = await alice.locator('.area .bar:not([style="height:0.0%"])').count();
  report.usage_chart = {
    bars: await alice.locator('.area .bar').count(),
    y_labels: await text(alice.locator('.y-axis span')),
    x_labels: (await text(alice.locator('.x-axis span'))).filter((t) => t !== ''),
    caption: (await alice.locator('figure.usage figcaption').textContent()).replace(/\s+/g, ' ').trim(),
  };
  await alice.getByRole('link', { name: 'Last 7 days' }).click();
  report.usage_chart.bars_7 = await alice.locator('.area .bar').count();
  report.usage_chart.rows_7 = await text(alice.locator('#usage-days tbody td:first-child'));
  await alice.getByRole('link', { name: 'Requests refused' }).click();
  report.usage_chart.refused = {
    caption: (await alice.locator('figure.usage figcaption').textContent()).replace(/\s+/g, ' ').trim(),
    bars: await alice.locator('.area .bar:not([style="height:0.0%"])').count(),
  };
  await alice.getByRole('link', { name: 'Last 90 days' }).click();
  report.usage_chart.bars_90 = await alice.locator('.area .bar').count();
  report.usage_chart.x_labels_90 = (await text(alice.locator('.x-axis span'))).filter((t) => t !== '');

  // An hourly token limit, set and removed on the installation's page.
  await alice.goto(installationUrl);
  await alice.getByLabel('Most tokens an hour').fill('1,000');
  await alice.getByRole('button', { name: 'Set limit' }).click();
  report.quota = { notice: await notice(alice), shown: (await alice.locator('#quota').textContent()).replace(/\s+/g, ' ').trim() };
  await alice.getByLabel('Most tokens an hour').fill('2');
  await alice.getByRole('button', { name: 'Set limit' }).click();
  // Tokens of this hour from before the limit count once they are stored;
  // at most two more are issued in any case.
  const statuses = [];
  for (let i = 0; i < 3; i++) statuses.push((await token(creds)).status);
  report.quota.statuses_over_limit = statuses;
  await alice.getByLabel('Most tokens an hour').fill('lots');
  await alice.getByRole('button', { name: 'Set limit' }).click();
  report.quota.bad = (await alice.locator('[role=alert]').textContent()).trim();
  await alice.goto(installationUrl);
  await alice.getByRole('button', { name: 'Remove limit' }).click();
  report.quota.cleared = { notice: await notice(alice), shown: (await alice.locator('#quota').textContent()).replace(/\s+/g, ' ').trim() };
  report.quota.token_after_clear = (await token(creds)).status;

  // The audit trail, filtered by installation.
  const installationId = installationUrl.split('/').pop();
  await alice.goto(`${C}/activity?installation=${installationId}`);
  report.audit_sentences = await text(alice.locator('#audit td[data-label="What happened"]'));
  report.activity_installation_choice = (await alice.locator('#f-installation option[selected]').textContent()).trim();
  await alice.getByRole('link', { name: 'Record' }).first().click();
  report.record_panel = {
    visible: await alice.locator('section.record').first().isVisible(),
    hidden_others: await alice.locator('section.record:visible').count(),
    text: await alice.locator('section.record pre').first().textContent(),
  };
  await alice.goto(`${C}/activity`);
  await alice.locator('#f-actor').selectOption({ label: 'Alice Admin' });
  await alice.getByRole('button', { name: 'Filter' }).click();
  report.activity_by_actor = {
    query: new URL(alice.url()).search,
    rows: await alice.locator('#audit tbody tr').count(),
    all_alice: (await text(alice.locator('#audit td[data-label="What happened"]'))).every((t) => t.startsWith('Alice Admin')),
  };
  report.deliveries_header = await text(alice.locator('#deliveries thead th'));

  // Branding, and who may install: users may ask.
  await alice.goto(`${C}/settings`);
  await alice.getByLabel('Organisation name').fill('Acme Builders');
  await alice.getByLabel('Accent colour').fill('#7a2e8a');
  await alice.getByLabel(/Support link/).fill('mailto:it@acme.test');
  await alice.getByRole('radio', { name: /People may ask/ }).check();
  await alice.getByLabel('Times on these pages are shown in').fill('Asia/Tokyo');
  await alice.getByRole('button', { name: 'Save settings' }).click();
  report.settings_notice = await notice(alice);
  report.nav_with_requests = await text(alice.locator('nav.console a'));
  await alice.getByLabel('Times on these pages are shown in').fill('Mars/Olympus');
  await alice.getByRole('button', { name: 'Save settings' }).click();
  report.bad_zone = (await alice.locator('[role=alert]').textContent()).trim();
  await alice.goto(`${C}/activity`);
  report.activity_times = await text(alice.locator('#audit td[data-label=When]'));

  // A user asks for an app; the admin approves it.
  const bobContext = await browser.newContext({ javaScriptEnabled: false });
  const bob = await bobContext.newPage();
  await signIn(bob, C, 'bob');
  report.bob_lands_on = new URL(bob.url()).pathname;
  report.bob_nav = await text(bob.locator('nav.console a'));
  await bob.getByRole('link', { name: 'Time Tracker' }).click();
  await bob.getByRole('link', { name: 'Install or request' }).click();
  report.bob_request_heading = await h1(bob);
  await bob.getByLabel(/Why do you need it/).fill('For the site timesheets');
  await bob.getByRole('button', { name: 'Send request' }).click();
  report.bob_notice = await notice(bob);
  await bob.goto(`${C}/people`);
  report.bob_people = { status_heading: await h1(bob) };
  await alice.goto(`${C}/requests`);
  report.request_card = (await alice.locator('.request').first().textContent()).replace(/\s+/g, ' ').trim();
  await alice.getByRole('button', { name: /^Approve and install Time Tracker/ }).click();
  report.request_installed = await h1(alice);
  await waitFor(() => received.filter((r) => r.type === 'installation.created').length >= 2, 'time-tracker installed');

  // The legacy credential Docs Sync replaces, and the days left.
  await alice.goto(`${C}/legacy`);
  report.legacy_rows = await text(alice.locator('#legacy tbody tr'));
  report.sunset = (await alice.locator('#sunset p').first().textContent()).replace(/\s+/g, ' ').trim();

  // People: add one, make them an admin, delete them.
  await alice.goto(`${C}/people`);
  await alice.getByLabel('Username').fill('dave');
  await alice.getByLabel('Name (optional)').fill('Dave Diaz');
  await alice.getByLabel('Initial password').fill(PASSWORD);
  await alice.getByRole('button', { name: 'Add person' }).click();
  report.person_added = await notice(alice);
  await alice.getByRole('button', { name: 'Make admin: Dave Diaz' }).click();
  report.people_after_grant = await text(alice.locator('#people tbody tr'));
  report.service_accounts = await text(alice.locator('#service-accounts tbody tr'));
  // Search, edit, and a one-time password link Dave uses once.
  await alice.getByLabel('Search people').fill('diaz');
  await alice.getByRole('button', { name: 'Search', exact: true }).click();
  report.people_search = { count: (await alice.locator('#people-count').textContent()).replace(/\s+/g, ' ').trim(), rows: await text(alice.locator('#people tbody tr')) };
  await alice.getByRole('link', { name: 'Edit Dave Diaz' }).click();
  await alice.getByLabel('E-mail').fill('dave@acme.test');
  await alice.getByRole('button', { name: 'Save' }).click();
  report.people_edited = { notice: await notice(alice), rows: await text(alice.locator('#people tbody tr')) };
  await alice.getByRole('link', { name: 'Edit Dave Diaz' }).click();
  await alice.getByRole('button', { name: 'Make a password link' }).click();
  const link = (await alice.locator('#password-link code').textContent()).trim();
  report.password_link = { shape: link.replace(/password\/[A-Za-z0-9_-]{43}$/, 'password/TOKEN').replace(BASE, '') };
  const daveContext = await browser.newContext({ javaScriptEnabled: false });
  const dave = await daveContext.newPage();
  await dave.goto(link);
  report.password_link.form_heading = await h1(dave);
  await dave.getByLabel('New password', { exact: true }).fill('dave-new-password-1');
  await dave.getByLabel('The same password again').fill('something else entirely');
  await dave.getByRole('button', { name: 'Set password' }).click();
  report.password_link.mismatch = (await dave.locator('[role=alert]').textContent()).trim();
  await dave.getByLabel('New password', { exact: true }).fill('dave-new-password-1');
  await dave.getByLabel('The same password again').fill('dave-new-password-1');
  await dave.getByRole('button', { name: 'Set password' }).click();
  report.password_link.set_heading = await h1(dave);
  const again = await dave.goto(link);
  report.password_link.second_use = { status: again.status(), heading: await h1(dave) };
  await dave.goto(C);
  await dave.getByLabel('Username').fill('dave');
  await dave.getByLabel('Password').fill('dave-new-password-1');
  await dave.getByRole('button', { name: 'Sign in' }).click();
  report.password_link.signed_in_to = await h1(dave);
  await daveContext.close();
  await alice.goto(`${C}/people?q=dave`);
  report.people_last_sign_in = await alice.locator('#people td[data-label="Last sign-in"]').first().textContent();
  await alice.goto(`${C}/people`);
  await alice.getByRole('link', { name: 'Delete Dave Diaz' }).click();
  report.delete_heading = await h1(alice);
  await alice.getByRole('button', { name: 'Delete Dave Diaz' }).click();
  report.person_deleted = await notice(alice);
  report.people_after_delete = (await text(alice.locator('#people tbody tr'))).length;
  await alice.goto(`${C}/activity`);
  report.sentences_after_delete = (await text(alice.locator('#audit td[data-label="What happened"]'))).slice(0, 6);

  // Uninstall Docs Sync, confirming; its credentials stop working.
  await alice.goto(`${installationUrl}/uninstall`);
  await alice.getByLabel(/I understand/).check();
  await alice.getByRole('button', { name: /^Uninstall Docs Sync/ }).click();
  report.uninstall_notice = await notice(alice);
  report.installed_after_uninstall = await text(alice.locator('#installations td[data-label=App]'));
  report.token_after_uninstall = await token(creds);

  // The login page wears the tenant's brand.
  const anon = await (await browser.newContext({ javaScriptEnabled: false })).newPage();
  await anon.goto(`${T}/account`);
  report.login_brand = {
    name: (await anon.locator('header.brand .name').textContent()).trim(),
    background: await anon.locator('header.brand').evaluate((e) => getComputedStyle(e).backgroundColor),
    support: await anon.locator('footer a').getAttribute('href'),
  };
  // The support link sits in the form's column, at both widths.
  for (const width of [1280, 375]) {
    await anon.setViewportSize({ width, height: 800 });
    const form = await anon.locator('main').boundingBox();
    const footer = await anon.locator('footer').boundingBox();
    report.login_brand[`support_aligned_${width}`] = Math.abs(form.x - footer.x) < 1 && Math.abs(form.width - footer.width) < 1;
  }

  // Back to admins only: the user gets the 403 page.
  await admin('PUT', '/tenants/acme/settings', { display_name: 'Acme Builders', accent_color: '#7a2e8a', support_url: 'mailto:it@acme.test', user_installs: 'admins' });
  await bob.goto(C);
  report.bob_forbidden = { heading: await h1(bob), alert: (await bob.locator('[role=alert]').textContent()).trim() };

  // Every page at 375 pixels: axe, overflow, screenshot.
  const pages = {
    overview: C, catalog: `${C}/catalog`, app: `${C}/catalog/time-tracker`, install: `${C}/catalog/docs-sync/install`,
    installations: `${C}/installations`, requests: `${C}/requests`, people: `${C}/people`,
    legacy: `${C}/legacy`, activity: `${C}/activity`, settings: `${C}/settings`,
    person_delete: `${C}/people/bob/delete`, account: `${T}/account`,
  };
  const narrow = await a11yContext(browser, { viewport: { width: 375, height: 800 } });
  const wide = await a11yContext(browser, { viewport: { width: 1280, height: 900 } });
  const checker = await narrow.newPage();
  await signIn(checker, C, 'alice');
  const desk = await wide.newPage();
  await signIn(desk, C, 'alice');
  await checker.goto(`${C}/installations`);
  const ttId = (await checker.locator('#installations a').first().getAttribute('href')).split('/').pop();
  pages.installation = `${C}/installations/${ttId}`;
  pages.uninstall = `${C}/installations/${ttId}/uninstall`;
  pages.consent = CONSENT_URL;
  pages.person_edit = `${C}/people/bob/edit`;
  await desk.goto(`${C}/people/bob/edit`);
  await desk.getByRole('button', { name: 'Make a password link' }).click();
  pages.password_link = (await desk.locator('#password-link code').textContent()).trim();
  pages.password_link_gone = `${T}/password/not-a-link`;
  pages.catalog_search = `${C}/catalog?q=nothing-matches-this`;
  async function check(name, page, url) {
    const r = await page.goto(url);
    report.pages[name] = {
      status: r.status(),
      violations: await axeViolations(page),
      heading_order: await axeRuleViolations(page, ['heading-order']),
      overflow: await horizontalOverflow(page),
    };
    await screenshot(page, SHOTS, `${name}-375`);
  }
  for (const [name, url] of Object.entries(pages)) {
    await check(name, checker, url);
    await desk.goto(url);
    // At desktop width too: axe, then the screenshot.
    const deskViolations = await axeViolations(desk);
    report.pages[name].violations_1280 = deskViolations;
    await screenshot(desk, SHOTS, `${name}-1280`);
  }
  const out = await (await a11yContext(browser, { viewport: { width: 375, height: 800 } })).newPage();
  await check('login', out, `${T}/account`);
  const bobChecker = await (await a11yContext(browser, { viewport: { width: 375, height: 800 } })).newPage();
  await signIn(bobChecker, C, 'bob');
  await check('forbidden', bobChecker, C);
} finally {
  await browser.close();
  hook.close();
}
console.log(JSON.stringify(report));
