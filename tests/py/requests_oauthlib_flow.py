"""An app written with requests-oauthlib, every call with the library's
defaults: a public client's authorization code + PKCE and refresh, a
confidential client's client_credentials, and a wrong secret. Prints one
JSON line the Rust test (tests/client_libraries.rs) asserts on."""

import json
import os

# oauthlib refuses plain http unless told; the test server has no TLS.
os.environ["OAUTHLIB_INSECURE_TRANSPORT"] = "1"

from oauthlib.oauth2 import BackendApplicationClient  # noqa: E402
from requests_oauthlib import OAuth2Session  # noqa: E402

from harness import error_code, record_token_requests, sign_in  # noqa: E402

env = os.environ
TOKEN_URL = f"{env['ISSUER']}/token"
report = {}

# (a) A public client (no secret): authorization code with PKCE S256.
app = OAuth2Session(
    env["PUBLIC_CLIENT_ID"],
    redirect_uri=env["REDIRECT_URI"],
    scope=["openid", "read"],
    pkce="S256",
)
sent = record_token_requests(app, TOKEN_URL)
authorization_url, state = app.authorization_url(f"{env['ISSUER']}/authorize")
callback = sign_in(authorization_url, env["USERNAME"], env["PASSWORD"], env["REDIRECT_URI"])
token = app.fetch_token(TOKEN_URL, authorization_response=callback)
report["code"] = {
    "sent": sent[-1],
    "token_type": token["token_type"],
    "scope": " ".join(token["scope"]),
    "access_token": bool(token.get("access_token")),
    "id_token": bool(token.get("id_token")),
    "refresh_token": bool(token.get("refresh_token")),
}

# refresh_token() with nothing but the URL sends no client identification at
# all (oauthlib's prepare_refresh_body adds no client_id, and no auth is set):
# a public client's refresh token alone is enough (RFC 6749 §6).
try:
    app.refresh_token(TOKEN_URL)
    report["refresh_bare"] = {"sent": sent[-1], "ok": True}
except Exception as e:  # noqa: BLE001
    report["refresh_bare"] = {"sent": sent[-1], "error": error_code(e)}

# The library's documented refresh: the client's credentials as keyword
# arguments (`client.refresh_token(url, **extra)`, extra = {'client_id': …});
# a public client has only its id.
old_refresh = token["refresh_token"]
refreshed = app.refresh_token(TOKEN_URL, client_id=env["PUBLIC_CLIENT_ID"])
report["refresh"] = {
    "sent": sent[-1],
    "token_type": refreshed["token_type"],
    "scope": " ".join(refreshed["scope"]),
    "rotated": refreshed["refresh_token"] != old_refresh,
    "new_access_token": refreshed["access_token"] != token["access_token"],
}

# (b) A confidential client: client_credentials, as the library's docs
# show it (BackendApplicationClient, fetch_token with id and secret).
backend = OAuth2Session(client=BackendApplicationClient(client_id=env["CONFIDENTIAL_CLIENT_ID"]))
sent = record_token_requests(backend, TOKEN_URL)
token = backend.fetch_token(
    TOKEN_URL,
    client_id=env["CONFIDENTIAL_CLIENT_ID"],
    client_secret=env["CONFIDENTIAL_CLIENT_SECRET"],
)
report["client_credentials"] = {
    "sent": sent[-1],
    "token_type": token["token_type"],
    "scope": " ".join(token["scope"]),
    "expires_in": token["expires_in"],
}

# (c) The same with a wrong secret.
wrong = OAuth2Session(client=BackendApplicationClient(client_id=env["CONFIDENTIAL_CLIENT_ID"]))
try:
    wrong.fetch_token(TOKEN_URL, client_id=env["CONFIDENTIAL_CLIENT_ID"], client_secret="wsec_wrong")
    report["wrong_secret_error"] = None
except Exception as e:  # noqa: BLE001
    report["wrong_secret_error"] = error_code(e)

print(json.dumps(report))
