"""Signs client assertions for bench/pull.sh with the app key it generated.
    pull_assertions.py keygen KEYFILE          → prints the public JWK, writes the private one
    pull_assertions.py sign KEYFILE APP TOKEN_URL INSTALLATION N OUT
"""
import json
import secrets
import sys
import time

from joserfc import jwt
from joserfc.jwk import ECKey

if sys.argv[1] == "keygen":
    key = ECKey.generate_key("P-256", parameters={"kid": "bench", "use": "sig"})
    open(sys.argv[2], "w").write(json.dumps(key.as_dict(private=True)))
    print(json.dumps(key.as_dict(private=False)))
    sys.exit()

_, _, keyfile, app, token_url, installation, n, out = sys.argv
key = ECKey.import_key(json.loads(open(keyfile).read()))
now = int(time.time())
with open(out, "w") as f:
    for _ in range(int(n)):
        claims = {"iss": app, "sub": app, "aud": token_url, "iat": now, "exp": now + 3000,
                  "jti": secrets.token_urlsafe(18)}
        f.write(f"{installation} {jwt.encode({'alg': 'ES256', 'kid': 'bench'}, claims, key)}\n")
