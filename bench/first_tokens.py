"""Asks for one client_credentials token per tenant, in order, and prints how
long they took: a tenant's first token builds its directory entry (and loads
its plugin). For bench/tenants.sh and bench/directory.sh.

Usage: first_tokens.py PORT TENANTS_FILE LABEL [SAMPLE]
TENANTS_FILE holds "slug basic" lines; SAMPLE picks that many at random.
"""

import http.client
import random
import sys
import time

port, path, label = int(sys.argv[1]), sys.argv[2], sys.argv[3]
lines = [line.split() for line in open(path) if line.strip()]
if len(sys.argv) > 4:
    lines = random.sample(lines, min(len(lines), int(sys.argv[4])))
conn = http.client.HTTPConnection("127.0.0.1", port)
start = time.perf_counter()
for slug, basic in lines:
    conn.request("POST", f"/t/{slug}/token", "grant_type=client_credentials&scope=read",
                 {"Authorization": "Basic " + basic,
                  "Content-Type": "application/x-www-form-urlencoded"})
    r = conn.getresponse()
    r.read()
    if r.status != 200:
        sys.exit(f"{slug}: token request answered {r.status}")
print(f"{label}: {len(lines)} first tokens in {time.perf_counter() - start:.2f} s", flush=True)
