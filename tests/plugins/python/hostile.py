"""A grant policy that misbehaves as its binding configuration says: the
sandbox must fail it closed, whatever the language."""
import json

import wit_world
from wit_world.imports.types import Allow, GrantAnswer, GrantDecision_Allow


class WitWorld(wit_world.WitWorld):
    def evaluate(self, request, config: str):
        mode = json.loads(config)
        if mode == "loop":
            while True:
                pass
        if mode == "memory":
            hoard = []
            while True:
                hoard.append(bytearray(1 << 20))
        if mode == "throw":
            raise RuntimeError("the policy gave up")
        if mode == "file":
            with open("/etc/passwd") as f:
                return GrantAnswer(GrantDecision_Allow(Allow([f.read()], [], None)), 0)
        return GrantAnswer(GrantDecision_Allow(Allow(request.requested_scopes, [], None)), 0)
