"""Writes N DPoP proofs (RFC 9449) for POST URL, one per line, each with its
own jti and iat = now + AHEAD seconds, signed ES256 by one key: what a
client would send, made ahead so the load generator only replays lines.
Usage: dpop_proofs.py URL N OUT [AHEAD] [ALG]  (ALG ES256, the default, or
EdDSA; run with tests/py/.venv's python)."""
import base64
import json
import os
import sys
import time

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature


def b64(b: bytes) -> str:
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


url, n, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
ahead = int(sys.argv[4]) if len(sys.argv) > 4 else 30
alg = sys.argv[5] if len(sys.argv) > 5 else "ES256"
if alg == "EdDSA":
    key = ed25519.Ed25519PrivateKey.generate()
    raw = key.public_key().public_bytes_raw()
    jwk = {"kty": "OKP", "crv": "Ed25519", "x": b64(raw)}
else:
    key = ec.generate_private_key(ec.SECP256R1())
    nums = key.public_key().public_numbers()
    jwk = {"kty": "EC", "crv": "P-256", "x": b64(nums.x.to_bytes(32, "big")), "y": b64(nums.y.to_bytes(32, "big"))}


def sign(data: bytes) -> bytes:
    if alg == "EdDSA":
        return key.sign(data)
    r, s = decode_dss_signature(key.sign(data, ec.ECDSA(hashes.SHA256())))
    return r.to_bytes(32, "big") + s.to_bytes(32, "big")


header = b64(json.dumps({"typ": "dpop+jwt", "alg": alg, "jwk": jwk}, separators=(",", ":")).encode())
iat = int(time.time()) + ahead
with open(out, "w") as f:
    for _ in range(n):
        claims = b64(json.dumps({"jti": b64(os.urandom(12)), "htm": "POST", "htu": url, "iat": iat},
                                separators=(",", ":")).encode())
        signing = f"{header}.{claims}".encode()
        f.write(f"{header}.{claims}.{b64(sign(signing))}\n")
