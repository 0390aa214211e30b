"""A CLI written with Authlib (authlib.integrations.requests_client) using the
device authorization grant (RFC 8628): it asks for codes, polls with the
library's fetch_token (authorization_pending surfaces as Authlib's
OAuthError), a person approves on the pages (plain `requests`, as a browser
without JavaScript), and the next poll gets the tokens. Prints one JSON line
the Rust test (tests/device_flow.rs) asserts on."""

import json
import os
import urllib.parse

import requests
from authlib.integrations.base_client.errors import OAuthError
from authlib.integrations.requests_client import OAuth2Session

from harness import _expect, _form

env = os.environ
ISSUER = env["ISSUER"]
GRANT = "urn:ietf:params:oauth:grant-type:device_code"
report = {}

cli = OAuth2Session(env["CLIENT_ID"], scope="openid read")
report["auth_method"] = cli.token_endpoint_auth_method
# The device request is a plain form POST (Authlib has no helper for it).
device = cli.post(
    f"{ISSUER}/device_authorization",
    data={"client_id": env["CLIENT_ID"], "scope": "openid read"},
    withhold_token=True,
).json()
report["user_code"] = device["user_code"]


def poll():
    try:
        token = cli.fetch_token(f"{ISSUER}/token", grant_type=GRANT, device_code=device["device_code"])
        return {"token_type": token["token_type"], "scope": token["scope"], "refresh_token": bool(token.get("refresh_token"))}
    except OAuthError as e:
        return {"error": e.error}


report["before"] = poll()

# The person: the complete verification URI, sign in, check the code, allow.
browser = requests.Session()
login = browser.get(device["verification_uri_complete"], allow_redirects=False)
_expect(login, 200)
form = _form(login)
fields = dict(form["hidden"], username=env["USERNAME"], password=env["PASSWORD"])
r = browser.post(urllib.parse.urljoin(login.url, form["action"]), data=fields, allow_redirects=False)
_expect(r, 303)
approval = browser.get(urllib.parse.urljoin(r.url, r.headers["location"]), allow_redirects=False)
_expect(approval, 200)
report["code_shown"] = device["user_code"] in approval.text
form = _form(approval)
r = browser.post(urllib.parse.urljoin(approval.url, form["action"]), data=dict(form["hidden"], decision="approve"), allow_redirects=False)
_expect(r, 200)

report["after"] = poll()
report["again"] = poll()
print(json.dumps(report))
