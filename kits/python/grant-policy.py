"""{{name}}: a Warden grant policy, in Python.

Binding configuration, e.g. `{"allowed_scopes": ["read", "write"], "claims": {"org": "acme"}}`:
grants only requested scopes on `allowed_scopes` (invalid_scope when none is
left) and adds `claims` to the token. Tokens for an app's installation keep
what the tenant's admin approved. `"cache_for_seconds": 300` lets the host
reuse a decision for the same request that long without calling the plugin.
"""
import json

import wit_world
from wit_world.imports import host
from wit_world.imports.types import (
    Allow, Deny, DenyCode, GrantAnswer, GrantDecision_Allow, GrantDecision_Deny, GrantRequest, JsonField,
)


class WitWorld(wit_world.WitWorld):
    def evaluate(self, request: GrantRequest, config: str) -> GrantAnswer:
        try:
            settings = json.loads(config)
        except ValueError as e:
            host.log(host.Level.ERROR, f"bad binding configuration: {e}")
            denied = GrantDecision_Deny(Deny(DenyCode.ACCESS_DENIED, "the tenant's grant policy is misconfigured"))
            return GrantAnswer(denied, 0)
        return GrantAnswer(decide(request, settings), int(settings.get("cache_for_seconds", 0)))


def decide(request: GrantRequest, settings: dict):
    claims = [JsonField(name, json.dumps(value)) for name, value in settings.get("claims", {}).items()]
    if request.installation is not None:
        return GrantDecision_Allow(Allow(request.requested_scopes, claims, None))
    allowed = settings.get("allowed_scopes", [])
    scopes = [s for s in request.requested_scopes if s in allowed]
    if request.requested_scopes and not scopes:
        return GrantDecision_Deny(Deny(
            DenyCode.INVALID_SCOPE,
            f"none of the requested scopes is allowed by this tenant (allowed: {' '.join(allowed)})",
        ))
    return GrantDecision_Allow(Allow(scopes, claims, settings.get("max_lifetime_seconds")))
