"""Populates a running Warden through its admin API for bench/tenants.sh.

Makes DISTINCT grant-policy components from one by appending a custom section
(a different sha256 each, so each is compiled on its own), adds them, creates
TENANTS tenants with one client each and binds tenant i to component
i % DISTINCT (DISTINCT 0: no plugins). Writes "slug basic" lines to OUT for the wrk script.

Usage: tenants_populate.py PORT WASM TENANTS DISTINCT OUT
"""

import base64
import http.client
import json
import os
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

PORT, WASM, TENANTS, DISTINCT, OUT = (
    int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5])
CONCURRENCY = 8
POLICY = {"allowed_scopes": ["read", "write"], "claims": {"org": "bench"},
          "max_lifetime_seconds": 600}
TOKEN = os.environ["WARDEN_ADMIN_TOKEN"]
local = threading.local()


def call(method, path, body=b"", content_type="application/json"):
    if not isinstance(body, bytes):
        body = json.dumps(body).encode()
    for attempt in (1, 2):
        conn = getattr(local, "conn", None)
        if conn is None:
            conn = local.conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=120)
        try:
            conn.request(method, path, body, {"Authorization": "Bearer " + TOKEN,
                                              "Content-Type": content_type})
            resp = conn.getresponse()
            data = resp.read()
        except (http.client.HTTPException, OSError):
            local.conn = None
            if attempt == 2:
                raise
            continue
        if resp.status >= 300:
            sys.exit(f"{method} {path}: {resp.status} {data[:300]!r}")
        return json.loads(data) if data else None


def leb128(n):
    out = bytearray()
    while True:
        byte, n = n & 0x7F, n >> 7
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def variant(wasm, i):
    """The same component with a custom section naming i: a distinct sha256."""
    name = b"warden-bench"
    payload = leb128(len(name)) + name + str(i).encode()
    return wasm + b"\x00" + leb128(len(payload)) + payload


def timed(label, n, fn, items):
    start = time.perf_counter()
    with ThreadPoolExecutor(CONCURRENCY) as pool:
        results = list(pool.map(fn, items))
    took = time.perf_counter() - start
    print(f"  {label}: {n} in {took:.1f} s ({n / took:.0f}/s)", flush=True)
    return results


def main():
    wasm = open(WASM, "rb").read()
    compile_ms = []

    def add_plugin(i):
        start = time.perf_counter()
        call("POST", f"/admin/v1/plugins?name=policy-{i:04d}", variant(wasm, i),
             "application/wasm")
        compile_ms.append((time.perf_counter() - start) * 1000)

    # One at a time, so each add's time is its own compile.
    start = time.perf_counter()
    for i in range(DISTINCT):
        add_plugin(i)
    compile_ms.sort()
    if DISTINCT:
        print(f"  plugin add (validate + compile, through the API): {DISTINCT} in "
          f"{time.perf_counter() - start:.1f} s, median {compile_ms[len(compile_ms) // 2]:.1f} ms",
          flush=True)

    def tenant(i):
        slug = f"t{i:05d}"
        call("POST", "/admin/v1/tenants", {"slug": slug})
        c = call("POST", f"/admin/v1/tenants/{slug}/clients",
                 {"name": "bench", "scopes": "read write"})
        basic = base64.b64encode(f"{c['client_id']}:{c['client_secret']}".encode()).decode()
        return f"{slug} {basic}"

    lines = timed("tenants with a client", TENANTS, tenant, range(TENANTS))

    def bind(i):
        call("PUT", f"/admin/v1/tenants/t{i:05d}/bindings/grant-policy",
             {"plugin": f"policy-{i % DISTINCT:04d}", "config": POLICY})

    if DISTINCT:
        timed("bindings", TENANTS, bind, range(TENANTS))
    with open(OUT, "w") as f:
        f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
