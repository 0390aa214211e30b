"""An integrator's pull-mode app written with Authlib: one ES256 signing key
(the app key, published in the manifest's jwks), tokens for two tenants'
installations with `private_key_jwt` (PrivateKeyJWT, the library's own
client authentication) and `installation_id` — no secret is ever pushed.
Then the assertions Warden must refuse. Prints one JSON line.

    KEYGEN=1 pull_app.py    → {"private": JWK, "public": JWK}
    pull_app.py             (APP_ID, APP_KEY, TENANT_A/B = "issuer installation_id",
                             OTHER_INSTALLATION: another app's)
"""

import base64
import hashlib
import hmac
import json
import os
import sys
import time

import requests
from authlib.integrations.requests_client import OAuth2Session
from authlib.oauth2.rfc7523 import PrivateKeyJWT, private_key_jwt_sign
from joserfc.jwk import ECKey

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"

if os.environ.get("KEYGEN"):
    key = ECKey.generate_key("P-256", parameters={"kid": "app-key-1", "use": "sig"})
    print(json.dumps({"private": key.as_dict(private=True), "public": key.as_dict(private=False)}))
    sys.exit()

env = os.environ
app_id = env["APP_ID"]
key = ECKey.import_key(json.loads(env["APP_KEY"]))
report = {}

issuer, installation = env["TENANT_A"].split(" ")
token_url = f"{issuer}/token"


def post(assertion, **extra):
    form = {
        "grant_type": "client_credentials",
        "installation_id": installation,
        "client_assertion_type": ASSERTION_TYPE,
        "client_assertion": assertion,
        **extra,
    }
    r = requests.post(token_url, data=form)
    body = r.json()
    return {"status": r.status_code, "error": body.get("error"), "description": body.get("error_description")}


def signed(claims=None, alg="ES256", signing_key=key, **kw):
    return private_key_jwt_sign(signing_key, app_id, token_url, alg=alg, claims=claims, **kw)


def b64(d):
    return base64.urlsafe_b64encode(json.dumps(d).encode()).rstrip(b"=").decode()


if env.get("ONE_REQUEST"):
    print(json.dumps(post(signed())))
    sys.exit()

for name in ("TENANT_A", "TENANT_B"):
    tenant_issuer, tenant_installation = env[name].split(" ")
    session = OAuth2Session(app_id, key, token_endpoint_auth_method=PrivateKeyJWT(alg="ES256"))
    token = session.fetch_token(
        f"{tenant_issuer}/token", grant_type="client_credentials", installation_id=tenant_installation
    )
    report[name] = {k: token.get(k) for k in ("access_token", "expires_in", "scope", "token_type")}

# An ordinary client that registered the same kind of key: no installation.
ordinary_issuer, ordinary_id = env["ORDINARY_CLIENT"].split(" ")
session = OAuth2Session(ordinary_id, key, token_endpoint_auth_method=PrivateKeyJWT(alg="ES256"))
token = session.fetch_token(f"{ordinary_issuer}/token", grant_type="client_credentials")
report["ordinary"] = {k: token.get(k) for k in ("access_token", "scope")}

now = int(time.time())
fresh = signed()
report["first_use"] = post(fresh)
report["replayed"] = post(fresh)
report["expired"] = post(signed(issued_at=now - 7200, expires_at=now - 3600))
report["too_long"] = post(signed(expires_at=now + 86400))
report["wrong_audience"] = post(
    private_key_jwt_sign(key, app_id, "https://elsewhere.example/token", alg="ES256")
)
report["unknown_key"] = post(signed(signing_key=ECKey.generate_key("P-256")))
claims = {"iss": app_id, "sub": app_id, "aud": token_url, "exp": now + 60, "jti": "none-1"}
report["alg_none"] = post(b64({"alg": "none"}) + "." + b64(claims) + ".")
# The classic confusion attack: HMAC keyed with the public key's PEM.
signing_input = b64({"alg": "HS256", "typ": "JWT"}) + "." + b64({**claims, "jti": "hs-1"})
mac = hmac.new(key.as_pem(private=False), signing_input.encode(), hashlib.sha256).digest()
hs = signing_input + "." + base64.urlsafe_b64encode(mac).rstrip(b"=").decode()
report["hs256_with_public_key"] = post(hs)
report["no_installation"] = post(signed(), installation_id="")
report["someone_elses_installation"] = post(signed(), installation_id=env["OTHER_INSTALLATION"])
report["garbage"] = post("not-a-jwt")
print(json.dumps(report))
