"""{{name}}: a Warden permission check (AuthZEN), in Python.

Permits an app's service account an action it was granted, on a resource the
tenant's admin selected for it; denies everything else, saying why.
`{"cache_for_seconds": 60}` lets the host reuse a decision for the same
evaluation that long without calling the plugin.
"""
import json

import wit_world
from wit_world.imports.types import Evaluation, PermissionAnswer, Resources_All


class WitWorld(wit_world.WitWorld):
    def check(self, request: Evaluation, config: str) -> PermissionAnswer:
        try:
            cache_for = int(json.loads(config).get("cache_for_seconds", 0))
        except (ValueError, AttributeError):
            cache_for = 0
        decision, reason = decide(request)
        return PermissionAnswer(decision, reason, cache_for)


def decide(request: Evaluation) -> tuple[bool, str]:
    installation = request.installation
    if installation is None:
        return False, f"{request.subject.id} is not an app's service account"
    if request.action.name not in installation.permissions:
        return False, f"{installation.app} was not granted {request.action.name}"
    resources = installation.resources
    if not isinstance(resources, Resources_All):
        selected = [i for s in resources.value if s.type == request.resource.type for i in s.ids]
        if request.resource.id not in selected:
            return False, f"{installation.app} may not touch {request.resource.type} {request.resource.id}"
    return True, f"{installation.app} holds {request.action.name} on {request.resource.type} {request.resource.id}"
