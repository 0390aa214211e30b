"""{{name}}: a Warden install policy, in Python.

Binding configuration, e.g. `{"listed_only": true, "withheld_permissions": ["files:write"]}`:
refuses apps that are not in the platform's catalog when `listed_only`, and
leaves the optional permissions on `withheld_permissions` out of what is approved.
"""
import json

import wit_world
from wit_world.imports.types import InstallDecision_Allow, InstallDecision_Deny, InstallRequest


class WitWorld(wit_world.WitWorld):
    def review(self, request: InstallRequest, config: str):
        settings = json.loads(config)
        if settings.get("listed_only") and not request.listed:
            return InstallDecision_Deny(f"{request.app_name} is not in the platform's catalog; this tenant installs listed apps only")
        withheld = settings.get("withheld_permissions", [])
        optional = {p.name for p in request.permissions if not p.required}
        return InstallDecision_Allow([p for p in request.approving if p in withheld and p in optional])
