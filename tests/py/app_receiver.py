"""An integrator's hook, as Provet Cloud's integrators run one: receives an
app's lifecycle events from Warden, verifies each with the `standardwebhooks`
package unchanged, decrypts pushed client secrets (a JWE to its own key, with joserfc) and gets
a token with them. $RECEIVER_KEY picks the key: X25519 (the default), P-256
or RSA (RSA-OAEP-256, what most JOSE libraries generate by default).

Files in $RECEIVER_DIR: it writes `public.jwk` (its encryption key, for the
app's manifest), `private.jwk` (so a second JOSE library can decrypt too) and
`port`; it reads `secret` (the app's whsec_ secret, once
the test has registered the app); it appends one JSON line per event to
`events.jsonl`. Answers 503 while `fail` exists (a hook that is down)."""

import json
import os
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import requests
from joserfc import jwe
from joserfc.jwk import ECKey, OKPKey, RSAKey
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

DIR = Path(os.environ["RECEIVER_DIR"])
KIND = os.environ.get("RECEIVER_KEY", "X25519")
KEY = {
    "X25519": lambda: OKPKey.generate_key("X25519"),
    "P-256": lambda: ECKey.generate_key("P-256"),
    "RSA": lambda: RSAKey.generate_key(2048),
}[KIND]()
# joserfc leaves RSA-OAEP-256 out of its default JWE algorithms: allow it.
REGISTRY = jwe.JWERegistry(algorithms=["ECDH-ES", "RSA-OAEP-256", "A256GCM"])
LOCK = threading.Lock()


def record(entry):
    with LOCK, open(DIR / "events.jsonl", "a") as f:
        f.write(json.dumps(entry) + "\n")


class Hook(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("content-length", 0)))
        if (DIR / "fail").exists():
            self.send_response(503)
            self.end_headers()
            return
        entry = {"webhook_id": self.headers.get("webhook-id")}
        try:
            secret = (DIR / "secret").read_text().strip()
            event = Webhook(secret).verify(body, dict(self.headers.items()))
        except (WebhookVerificationError, FileNotFoundError) as e:
            entry.update(verified=False, error=str(e))
            record(entry)
            self.send_response(400)
            self.end_headers()
            return
        data = event["data"]
        entry.update(
            verified=True,
            type=event["type"],
            timestamp=event["timestamp"],
            sequence=data["installation"]["sequence"],
            installation=data["installation"]["id"],
            tenant=data["tenant"]["slug"],
            service_account=data["service_account"]["name"],
            permissions=data["permissions"],
            resources=data["resources"],
        )
        creds = data.get("credentials")
        if creds:
            entry["clear_secret_sent"] = "client_secret" in creds
            entry["client_secret_jwe"] = creds.get("client_secret_jwe")
            plain = jwe.decrypt_compact(
                creds["client_secret_jwe"], KEY, registry=REGISTRY
            ).plaintext
            client_secret = json.loads(plain)["client_secret"]
            # What the integrator does next: get a token for this tenant.
            r = requests.post(
                creds["token_endpoint"],
                auth=(creds["client_id"], client_secret),
                data={"grant_type": "client_credentials"},
                timeout=10,
            )
            entry.update(token_status=r.status_code, expires_in=r.json().get("expires_in"),
                         access_token=r.json().get("access_token"))
        record(entry)
        self.send_response(204)
        self.end_headers()


def main():
    public = KEY.as_dict(private=False)
    public.update(use="enc", kid="receiver-enc")
    if KIND == "RSA":
        public["alg"] = "RSA-OAEP-256"
    (DIR / "private.jwk").write_text(json.dumps(KEY.as_dict(private=True)))
    server = ThreadingHTTPServer(("127.0.0.1", 0), Hook)
    (DIR / "public.jwk").write_text(json.dumps(public))
    (DIR / "port").write_text(str(server.server_address[1]))
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        sys.exit(0)


if __name__ == "__main__":
    main()
