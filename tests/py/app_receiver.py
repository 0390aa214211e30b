"""An integrator's hook, as Provet Cloud's integrators run one: receives an
app's lifecycle events from Warden, verifies each with the `standardwebhooks`
package unchanged, decrypts pushed client secrets (a JWE to its own X25519
key, with joserfc) and gets a token with them.

Files in $RECEIVER_DIR: it writes `public.jwk` (its encryption key, for the
app's manifest) and `port`; it reads `secret` (the app's whsec_ secret, once
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
from joserfc.jwk import OKPKey
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

DIR = Path(os.environ["RECEIVER_DIR"])
KEY = OKPKey.generate_key("X25519")
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
            plain = jwe.decrypt_compact(creds["client_secret_jwe"], KEY).plaintext
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
    server = ThreadingHTTPServer(("127.0.0.1", 0), Hook)
    (DIR / "public.jwk").write_text(json.dumps(public))
    (DIR / "port").write_text(str(server.server_address[1]))
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        sys.exit(0)


if __name__ == "__main__":
    main()
