"""Device-flow poll storm (RFC 8628, issue 35): what 1,000 pending device codes,
each polled at the allowed interval, cost the server in CPU.

Makes a fresh database (SQLite in a temporary directory, or a PostgreSQL
database it creates and drops) with a random master key, a tenant and a public
device_code client through the binary's CLI, starts `serve` on a free port of
127.0.0.1, asks for CODES device authorizations, then polls every code once per
interval (5 s), spread evenly over the interval (CODES / 5 polls/s), on
keep-alive connections. Like a device, it never polls a code sooner than the
interval after the answer to its previous poll (plus MARGIN_MS for clock
slew), so every answer should be authorization_pending; any other is reported.

After WARMUP seconds of polling it measures a window of SECONDS: the server
process's CPU time (utime + stime of /proc/PID/stat, every thread) over the
window's wall time, as % of one core; polls/s achieved; p50/p99 latency (send
to last byte of the answer); answers by status and error code. Also shown: the
server's idle CPU over IDLE seconds before the storm (background pollers), the
whole machine's busy share over the window (/proc/stat; another build running
shows up there), and on PostgreSQL the CPU of the database's backends (the
connections of the benchmark database, from pg_stat_activity). The load
generator's own CPU is shown, not counted.

Usage: python3 bench/device_poll_storm.py [--bin /tmp/warden-bench]
         [--backend sqlite|postgres] [--codes 1000] [--seconds 60] [--warmup 10]
         [--idle 10] [--connections 25]
PostgreSQL: --pg-url postgres://postgres@127.0.0.1:5432 (trust auth; needs psql).
Standard library only.
"""

import argparse
import asyncio
import base64
import json
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time

DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
TICK = os.sysconf("SC_CLK_TCK")


def proc_cpu(pid):
    """utime + stime of a process (all its threads), in seconds."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    # after the command: state is field 3, utime 14, stime 15 (1-based)
    return (int(fields[11]) + int(fields[12])) / TICK


def ctx_switches(pid):
    """Voluntary + involuntary context switches over the process's live threads, and their count."""
    total = threads = 0
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/status") as f:
                for line in f:
                    if line.startswith(("voluntary_ctxt_switches", "nonvoluntary_ctxt_switches")):
                        total += int(line.split()[1])
            threads += 1
        except OSError:
            pass
    return total, threads


def machine_busy():
    """(busy, total) jiffies of all CPUs."""
    with open("/proc/stat") as f:
        vals = [int(v) for v in f.readline().split()[1:]]
    idle = vals[3] + vals[4]  # idle + iowait
    total = sum(vals[:8])  # guest time is already in user
    return total - idle, total


def compilers_running():
    names = set()
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            try:
                with open(f"/proc/{pid}/comm") as f:
                    comm = f.read().strip()
            except OSError:
                continue
            if comm in ("rustc", "cargo", "cc", "cc1", "ld", "rust-lld", "lld", "clang"):
                names.add(comm)
    return sorted(names)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def percentile(sorted_vals, p):
    if not sorted_vals:
        return float("nan")
    k = min(len(sorted_vals) - 1, max(0, round(p / 100 * len(sorted_vals) + 0.5) - 1))
    return sorted_vals[k]


class Conn:
    """One keep-alive HTTP/1.1 connection, requests one at a time."""

    def __init__(self, port):
        self.port = port
        self.reader = self.writer = None
        self.reconnects = -1

    async def open(self):
        if self.writer is not None:
            self.writer.close()
        self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
        self.reconnects += 1

    async def post(self, path, body):
        data = body.encode()
        head = (
            f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{self.port}\r\n"
            "Content-Type: application/x-www-form-urlencoded\r\n"
            f"Content-Length: {len(data)}\r\n\r\n"
        ).encode()
        for attempt in (0, 1):
            if self.writer is None or self.writer.is_closing():
                await self.open()
            try:
                self.writer.write(head + data)
                header = await self.reader.readuntil(b"\r\n\r\n")
                break
            except (ConnectionError, asyncio.IncompleteReadError):
                if attempt:
                    raise
                self.writer = None  # closed by the server between requests: reopen once
        lines = header.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        headers = {}
        for line in lines[1:]:
            if ":" in line:
                k, v = line.split(":", 1)
                headers[k.strip().lower()] = v.strip()
        if "content-length" in headers:
            payload = await self.reader.readexactly(int(headers["content-length"]))
        elif headers.get("transfer-encoding", "").lower() == "chunked":
            payload = b""
            while True:
                size = int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16)
                chunk = await self.reader.readexactly(size + 2)
                if size == 0:
                    break
                payload += chunk[:-2]
        else:
            sys.exit(f"answer without a length: {lines[0]}")
        if headers.get("connection", "").lower() == "close":
            self.writer.close()
            self.writer = None
        return status, payload


def run(cmd, env):
    out = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed ({out.returncode}):\n{out.stderr}")
    return out.stdout


def psql(url, sql):
    return subprocess.run(
        ["psql", url, "-XAtq", "-v", "ON_ERROR_STOP=1", "-c", sql],
        check=True, capture_output=True, text=True,
    ).stdout


async def authorize(port, path, client_id, n, concurrency=16):
    codes = []
    body = f"client_id={client_id}&scope=read"

    async def worker(count):
        conn = Conn(port)
        for _ in range(count):
            status, payload = await conn.post(path, body)
            if status != 200:
                sys.exit(f"device_authorization answered {status}: {payload[:300]!r}")
            d = json.loads(payload)
            if d.get("interval") != 5:
                print(f"note: interval is {d.get('interval')}", flush=True)
            codes.append((d["device_code"], d["interval"]))
        conn.writer.close()

    per = [n // concurrency + (i < n % concurrency) for i in range(concurrency)]
    await asyncio.gather(*(worker(c) for c in per if c))
    return codes


async def storm(port, path, client_id, codes, args, pid, pg_pids):
    n = len(codes)
    interval = codes[0][1]
    margin = args.margin_ms / 1000
    loop = asyncio.get_running_loop()
    t0 = loop.time() + 0.5
    w_start = t0 + args.warmup
    w_end = w_start + args.seconds
    latencies = []
    answers = {}
    late = [0.0]  # the largest lag of a send behind its slot in the grid, in the window
    conns = [Conn(port) for _ in range(args.connections)]
    sample = {}

    async def sampler():
        await asyncio.sleep(max(0, w_start - loop.time()))
        sample["start"] = (loop.time(), proc_cpu(pid), machine_busy(), os.times(),
                           {p: proc_cpu(p) for p in pg_pids}, compilers_running(), ctx_switches(pid))
        await asyncio.sleep(max(0, w_end - loop.time()))
        sample["end"] = (loop.time(), proc_cpu(pid), machine_busy(), os.times(),
                         {p: proc_cpu(p) for p in pg_pids if os.path.exists(f"/proc/{p}")},
                         compilers_running(), ctx_switches(pid))

    async def poller(j):
        conn = conns[j]
        mine = list(range(j, n, args.connections))
        last_answer = {i: float("-inf") for i in mine}
        k = 0
        while True:
            for i in mine:
                slot = t0 + i * interval / n + k * interval
                # never sooner than the interval after this code's previous answer
                when = max(slot, last_answer[i] + interval + margin)
                if when >= w_end:
                    return
                delay = when - loop.time()
                if delay > 0:
                    await asyncio.sleep(delay)
                sent = loop.time()
                body = f"grant_type={DEVICE_GRANT}&client_id={client_id}&device_code={codes[i][0]}"
                status, payload = await conn.post(path, body)
                done = loop.time()
                last_answer[i] = done
                if w_start <= sent < w_end:
                    latencies.append(done - sent)
                    late[0] = max(late[0], sent - slot)
                    try:
                        err = json.loads(payload).get("error", "(none)")
                    except ValueError:
                        err = "(not JSON)"
                    key = f"{status} {err}"
                    answers[key] = answers.get(key, 0) + 1
            k += 1

    await asyncio.gather(sampler(), *(poller(j) for j in range(args.connections)))
    for c in conns:
        if c.writer is not None:
            c.writer.close()
    return sample, latencies, answers, late[0], sum(max(c.reconnects, 0) for c in conns)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--bin", default="/tmp/warden-bench")
    ap.add_argument("--backend", choices=["sqlite", "postgres"], default="sqlite")
    ap.add_argument("--pg-url", default="postgres://postgres@127.0.0.1:5432")
    ap.add_argument("--codes", type=int, default=1000)
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--warmup", type=float, default=10)
    ap.add_argument("--idle", type=float, default=10)
    ap.add_argument("--connections", type=int, default=25)
    ap.add_argument("--margin-ms", type=float, default=10)
    args = ap.parse_args()

    work = tempfile.mkdtemp(prefix="warden-storm-")
    env = dict(os.environ)
    env.update({
        "WARDEN_MASTER_KEY": base64.b64encode(os.urandom(32)).decode(),
        "WARDEN_LOG": env.get("WARDEN_LOG", "warn"),
        "WARDEN_PLUGIN_CACHE_DIR": os.path.join(work, "plugin-cache"),
    })
    dbname = None
    if args.backend == "sqlite":
        env["WARDEN_DATABASE_URL"] = f"sqlite://{work}/bench.db"
    else:
        dbname = "warden_bench_storm_" + secrets.token_hex(4)
        psql(f"{args.pg_url}/postgres", f"CREATE DATABASE {dbname}")
        env["WARDEN_DATABASE_URL"] = f"{args.pg_url}/{dbname}"
    port = free_port()
    env["WARDEN_LISTEN"] = f"127.0.0.1:{port}"
    server = None
    try:
        run([args.bin, "tenant", "create", "bench", "--json"], env)
        client = json.loads(run([args.bin, "client", "create", "--tenant", "bench", "--name",
                                 "storm", "--public", "--grant-types", "device_code",
                                 "--scopes", "read", "--json"], env))
        client_id = client["client_id"]
        log_path = os.path.join(work, "serve.log")
        log = open(log_path, "w")
        server = subprocess.Popen([args.bin, "serve"], env=env, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while "listening on http://" not in open(log_path).read():
            if server.poll() is not None or time.monotonic() > deadline:
                sys.exit("serve did not start:\n" + open(log_path).read())
            time.sleep(0.05)

        pg_pids = []
        idle_box = []
        if dbname:
            pg_pids_sql = f"SELECT pid FROM pg_stat_activity WHERE datname = '{dbname}' AND pid <> pg_backend_pid()"

        async def main_async():
            t = time.monotonic()
            codes = await authorize(port, "/t/bench/device_authorization", client_id, args.codes)
            made = time.monotonic() - t
            print(f"{len(codes)} device authorizations in {made:.2f} s", flush=True)
            c0, w0 = proc_cpu(server.pid), time.monotonic()
            await asyncio.sleep(args.idle)
            idle = (proc_cpu(server.pid) - c0) / (time.monotonic() - w0)
            print(f"server idle: {100 * idle:.2f}% of one core over {args.idle:.0f} s", flush=True)
            idle_box.append(idle)
            if dbname:
                # the pool's connections are open once the polls have begun: read them after the warm-up
                async def pids_later():
                    await asyncio.sleep(max(0, args.warmup - 1))
                    out = await asyncio.to_thread(psql, env["WARDEN_DATABASE_URL"], pg_pids_sql)
                    pg_pids.extend(int(p) for p in out.split())
                waiter = asyncio.create_task(pids_later())
                # storm() reads pg_pids at the window's start, a second after this
                result = await storm(port, "/t/bench/token", client_id, codes, args, server.pid, pg_pids)
                await waiter
                return result
            return await storm(port, "/t/bench/token", client_id, codes, args, server.pid, pg_pids)

        sample, lat, answers, late, reconnects = asyncio.run(main_async())
        idle_cpu = idle_box[0]
        if server.poll() is not None:
            sys.exit("the server exited during the run:\n" + open(log_path).read())
        (ws, cs, bs, os_s, pg_s, comp_s, sw_s), (we, ce, be, os_e, pg_e, comp_e, sw_e) = sample["start"], sample["end"]
        wall = we - ws
        cpu = (ce - cs) / wall
        busy = (be[0] - bs[0]) / (be[1] - bs[1]) * os.cpu_count()
        gen = ((os_e.user - os_s.user) + (os_e.system - os_s.system)) / wall
        lat.sort()
        polls = sum(answers.values())
        pending = answers.get("400 authorization_pending", 0)
        print(f"backend: {args.backend}, binary: {args.bin}, {args.codes} codes, "
              f"{args.connections} keep-alive connections, window {wall:.1f} s after {args.warmup:.0f} s warm-up")
        print(f"polls: {polls} in the window, {polls / wall:.1f} polls/s "
              f"(target {args.codes / 5:.0f}/s; largest lag behind schedule {1000 * late:.1f} ms; "
              f"reconnects {reconnects})")
        print(f"answers: " + ", ".join(f"{k}: {v}" for k, v in sorted(answers.items())))
        print(f"latency: p50 {1000 * percentile(lat, 50):.2f} ms, p99 {1000 * percentile(lat, 99):.2f} ms, "
              f"max {1000 * lat[-1]:.2f} ms")
        print(f"server CPU: {ce - cs:.2f} s over {wall:.1f} s = {100 * cpu:.2f}% of one core "
              f"({1e6 * (ce - cs) / max(polls, 1):.0f} µs per poll, idle share included)")
        print(f"server context switches: {(sw_e[0] - sw_s[0]) / max(polls, 1):.1f} per poll "
              f"({sw_e[1]} threads)")
        print(f"server idle before the storm: {100 * idle_cpu:.2f}% of one core; "
              f"the storm above idle: {100 * (cpu - idle_cpu):.2f}%")
        if dbname:
            pg = sum(pg_e[p] - pg_s[p] for p in pg_e if p in pg_s)
            print(f"PostgreSQL backends of {dbname} ({len(pg_e)} connections): "
                  f"{100 * pg / wall:.2f}% of one core (not in the server's figure)")
        print(f"load generator CPU: {100 * gen:.1f}% of one core (not counted)")
        print(f"machine busy over the window: {100 * busy:.0f}% of one core of {os.cpu_count()} "
              f"(compilers running at start: {', '.join(comp_s) or 'none'}; "
              f"at end: {', '.join(comp_e) or 'none'})")
        status = "all authorization_pending" if pending == polls else f"{polls - pending} NOT authorization_pending"
        print(f"RESULT {args.backend} polls/s={polls / wall:.1f} cpu%={100 * cpu:.2f} "
              f"idle%={100 * idle_cpu:.2f} p50ms={1000 * percentile(lat, 50):.2f} p99ms={1000 * percentile(lat, 99):.2f} "
              f"{status}", flush=True)
        if pending != polls:
            sys.exit(1)
    finally:
        if server is not None and server.poll() is None:
            server.terminate()
            try:
                server.wait(15)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
        if dbname:
            psql(f"{args.pg_url}/postgres", f"DROP DATABASE IF EXISTS {dbname} WITH (FORCE)")
        subprocess.run(["rm", "-rf", work])


if __name__ == "__main__":
    main()
