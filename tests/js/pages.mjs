// Warden's sign-in and consent pages driven as a browser without JavaScript
// would drive them: cookies kept, redirects looked at, forms posted. Shared
// by the openid-client scripts that need an end user.

// The cookie jar of the one browser a script plays.
const cookies = new Map();

export async function visit(url, form) {
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

// The page's form: its absolute action and its hidden fields.
export function theForm(page) {
  const action = page.html.match(/<form method="post" action="([^"]+)"/);
  if (!action) throw new Error(`no form at ${page.url} (${page.status}):\n${page.html}`);
  const hidden = Object.fromEntries(
    [...page.html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)"/g)].map(([, k, v]) => [k, unescape(v)]));
  return { action: new URL(unescape(action[1]), page.url).href, hidden };
}

// Signs in if asked, approves if asked, until the app's callback (returned
// as a URL, with the code).
export async function authorize(authorizationUrl, { username, password, redirectUri }) {
  let page = await visit(authorizationUrl);
  for (let step = 0; step < 4; step++) {
    if (page.status === 303 && page.location.startsWith(redirectUri)) return new URL(page.location);
    if (page.status === 303) { page = await visit(new URL(page.location, page.url).href); continue; }
    if (page.status !== 200) throw new Error(`${page.url}: ${page.status}:\n${page.html}`);
    const form = theForm(page);
    page = page.html.includes('name="password"')
      ? await visit(form.action, { ...form.hidden, username, password })
      : await visit(form.action, { ...form.hidden, decision: 'approve' });
  }
  throw new Error(`no code after four steps, at ${page.url}`);
}

// The RFC 6749 error code, however openid-client surfaced it (a 401 with a
// WWW-Authenticate challenge comes as a challenge error with the response).
export async function errorCode(e) {
  if (e.error) return e.error;
  if (e.response) {
    try { return (await e.response.clone().json()).error; } catch {}
  }
  return e.code || String(e);
}
