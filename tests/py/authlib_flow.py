"""An app written with Authlib (authlib.integrations.requests_client), every
call with the library's defaults: a public client's authorization code +
PKCE and refresh, a confidential client's client_credentials, and a wrong
secret. Prints one JSON line the Rust test (tests/client_libraries.rs)
asserts on."""

import json
import os

from authlib.common.security import generate_token
from authlib.integrations.requests_client import OAuth2Session

from harness import error_code, record_token_requests, sign_in

env = os.environ
TOKEN_URL = f"{env['ISSUER']}/token"
report = {}

# (a) A public client (no secret): authorization code with PKCE S256.
app = OAuth2Session(
    env["PUBLIC_CLIENT_ID"],
    scope="openid read",
    redirect_uri=env["REDIRECT_URI"],
    code_challenge_method="S256",
)
report["public_auth_method"] = app.token_endpoint_auth_method
sent = record_token_requests(app, TOKEN_URL)
code_verifier = generate_token(48)
authorization_url, state = app.create_authorization_url(
    f"{env['ISSUER']}/authorize", code_verifier=code_verifier
)
callback = sign_in(authorization_url, env["USERNAME"], env["PASSWORD"], env["REDIRECT_URI"])
token = app.fetch_token(TOKEN_URL, authorization_response=callback, code_verifier=code_verifier)
report["code"] = {
    "sent": sent[-1],
    "token_type": token["token_type"],
    "scope": token["scope"],
    "access_token": bool(token.get("access_token")),
    "id_token": bool(token.get("id_token")),
    "refresh_token": bool(token.get("refresh_token")),
}

refreshed = app.refresh_token(TOKEN_URL)
report["refresh"] = {
    "sent": sent[-1],
    "token_type": refreshed["token_type"],
    "scope": refreshed["scope"],
    "rotated": refreshed["refresh_token"] != token["refresh_token"],
    "new_access_token": refreshed["access_token"] != token["access_token"],
}

# (b) A confidential client: client_credentials.
backend = OAuth2Session(env["CONFIDENTIAL_CLIENT_ID"], env["CONFIDENTIAL_CLIENT_SECRET"])
report["confidential_auth_method"] = backend.token_endpoint_auth_method
sent = record_token_requests(backend, TOKEN_URL)
token = backend.fetch_token(TOKEN_URL, grant_type="client_credentials")
report["client_credentials"] = {
    "sent": sent[-1],
    "token_type": token["token_type"],
    "scope": token["scope"],
    "expires_in": token["expires_in"],
}

# (c) The same with a wrong secret.
try:
    OAuth2Session(env["CONFIDENTIAL_CLIENT_ID"], "wsec_wrong").fetch_token(
        TOKEN_URL, grant_type="client_credentials"
    )
    report["wrong_secret_error"] = None
except Exception as e:  # noqa: BLE001
    report["wrong_secret_error"] = error_code(e)

print(json.dumps(report))
