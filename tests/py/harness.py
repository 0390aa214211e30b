"""What the Python client-library scripts share: an end user who signs in on
Warden's login and consent pages (plain `requests`, as a browser without
JavaScript would: GET the page, POST its form), and a record of how each
library authenticated itself at the token endpoint."""

import base64
import html.parser
import urllib.parse

import requests


class _Forms(html.parser.HTMLParser):
    """The page's forms: action, hidden fields, submit buttons."""

    def __init__(self):
        super().__init__()
        self.forms = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self.forms.append({"action": a.get("action", ""), "hidden": {}, "buttons": []})
        elif self.forms and tag == "input" and a.get("type") == "hidden":
            self.forms[-1]["hidden"][a["name"]] = a.get("value", "")
        elif self.forms and tag == "button" and a.get("name"):
            self.forms[-1]["buttons"].append((a["name"], a.get("value", "")))


def _form(page):
    parser = _Forms()
    parser.feed(page.text)
    if len(parser.forms) != 1:
        raise AssertionError(f"expected one form at {page.url} ({page.status_code}):\n{page.text}")
    return parser.forms[0]


def _expect(r, status):
    if r.status_code != status:
        raise AssertionError(f"{r.request.method} {r.url}: {r.status_code}, expected {status}:\n{r.text}")


def sign_in(authorization_url, username, password, redirect_uri):
    """Follows the pages from the authorization URL to the app's callback
    (which nothing serves: its URL, with the code, is returned)."""
    browser = requests.Session()  # keeps the pages' cookies, follows no redirects
    login = browser.get(authorization_url, allow_redirects=False)
    _expect(login, 200)
    form = _form(login)
    fields = dict(form["hidden"], username=username, password=password)
    r = browser.post(urllib.parse.urljoin(login.url, form["action"]), data=fields, allow_redirects=False)
    _expect(r, 303)
    consent = browser.get(urllib.parse.urljoin(r.url, r.headers["location"]), allow_redirects=False)
    _expect(consent, 200)
    form = _form(consent)
    if ("decision", "approve") not in form["buttons"]:
        raise AssertionError(f"no approve button on the consent page:\n{consent.text}")
    fields = dict(form["hidden"], decision="approve")
    r = browser.post(urllib.parse.urljoin(consent.url, form["action"]), data=fields, allow_redirects=False)
    _expect(r, 303)
    callback = r.headers["location"]
    if not callback.startswith(redirect_uri):
        raise AssertionError(f"consent sent the browser to {callback}, not the app")
    return callback


def auth_method(request):
    """How a prepared token request identified its client (RFC 6749 §2.3.1
    names, plus the one this test is about: Basic with an empty password)."""
    header = request.headers.get("Authorization", "")
    body = dict(urllib.parse.parse_qsl(request.body or ""))
    if header.lower().startswith("basic "):
        _, _, password = base64.b64decode(header[6:]).decode().partition(":")
        return "client_secret_basic" if password else "basic_empty_password"
    if "client_secret" in body:
        return "client_secret_post"
    if "client_id" in body:
        return "none"
    return "nothing"


def record_token_requests(session, token_url):
    """Appends the auth method of every request `session` sends to the token
    endpoint to the returned list."""
    seen = []

    def hook(response, *args, **kwargs):
        if response.request.url == token_url:
            seen.append(auth_method(response.request))

    session.hooks["response"].append(hook)
    return seen


def error_code(exc):
    """The OAuth error code a library's exception carries."""
    return getattr(exc, "error", None) or type(exc).__name__
