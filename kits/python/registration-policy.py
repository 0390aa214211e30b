"""{{name}}: a Warden registration policy, in Python.

Binding configuration, e.g. `{"redirect_hosts": ["127.0.0.1", "localhost"], "scopes": ["read"]}`:
keeps only redirect URIs on `redirect_hosts` (refusing a client left with
none) and only the scopes on `scopes`.
"""
import json
from urllib.parse import urlsplit

import wit_world
from wit_world.imports.types import (
    RegistrationAllow, RegistrationDecision_Allow, RegistrationDecision_Deny, RegistrationRequest,
)


class WitWorld(wit_world.WitWorld):
    def evaluate(self, request: RegistrationRequest, config: str):
        settings = json.loads(config)
        hosts = settings.get("redirect_hosts")
        redirect_uris = None
        if hosts is not None:
            redirect_uris = [u for u in request.redirect_uris if urlsplit(u).hostname in hosts]
            if request.redirect_uris and not redirect_uris:
                return RegistrationDecision_Deny(
                    f"none of the redirect URIs is on a host this tenant accepts ({', '.join(hosts)})")
        return RegistrationDecision_Allow(RegistrationAllow(redirect_uris, None, settings.get("scopes")))
