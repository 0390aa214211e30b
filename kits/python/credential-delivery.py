"""{{name}}: a Warden credential delivery, in Python.

Sends each event as JSON to the app's hook URL. The host signs, retries and
sends only to origins on the binding's `allowed_origins`.
"""
import json

import wit_world
from wit_world.imports.types import Delivery, Event_Credential, Header


class WitWorld(wit_world.WitWorld):
    def deliver(self, event, config: str):
        if isinstance(event, Event_Credential):
            e = event.value
            if e.hook_url is None:
                return []
            body = {"type": f"client.{e.kind.name.lower()}", "tenant": e.tenant, "client_id": e.client_id,
                    "client_secret": e.client_secret, "token_endpoint": e.token_endpoint,
                    "event_id": e.event_id, "occurred_at": e.occurred_at}
            url = e.hook_url
        else:
            e = event.value
            body = {"type": e.type, "tenant": e.tenant, "installation": e.installation.id,
                    "app": e.installation.app, "status": e.status, "sequence": e.sequence,
                    "event_id": e.event_id, "occurred_at": e.occurred_at}
            if e.credentials is not None:
                c = e.credentials
                body["credentials"] = {"client_id": c.client_id, "token_endpoint": c.token_endpoint,
                                       "client_secret_jwe": c.client_secret_jwe, "client_secret": c.client_secret}
            url = e.hook_url
        return [Delivery(url, [Header("content-type", "application/json")], json.dumps(body))]
