"""Splits a `perf record` profile of a debug (dev-profile) warden binary by how
the sampled code was compiled: the dev profile builds Warden's own crates at
opt-level 0 but every dependency at opt-level 2 (Cargo.toml,
[profile.dev.package."*"]), so only the first share can shrink in a release
build. Each sample's instruction is mapped to its DWARF compile unit (one per
codegen unit): units of host/ and core/ are Warden's, including the generic
code of dependencies instantiated there (async state machines, iterators);
every other unit is a dependency or std (Rust or C: SQLite, mimalloc).

Usage: python3 bench/perf_opt_level.py BINARY PERF_DATA [--top N]
   e.g. perf record -F 999 -g -p PID -o storm.perf -- sleep 30
        python3 bench/perf_opt_level.py /tmp/warden-bench storm.perf
Needs perf, nm and llvm-dwarfdump. Standard library only.
"""

import bisect
import collections
import re
import subprocess
import sys


def sh(*cmd):
    return subprocess.run(cmd, capture_output=True, text=True, check=True).stdout


def main():
    binary, perf_data = sys.argv[1], sys.argv[2]
    top_n = int(sys.argv[sys.argv.index("--top") + 1]) if "--top" in sys.argv else 0

    # compile units: DIE offset -> name (the unit's header is 11 or 12 bytes before it)
    names, die = {}, None
    for line in sh("llvm-dwarfdump", "--debug-info", "--recurse-depth=0", binary).splitlines():
        m = re.match(r"0x([0-9a-f]+): DW_TAG_compile_unit", line)
        if m:
            die = int(m.group(1), 16)
            continue
        m = re.search(r'DW_AT_name\s+\("(.*)"\)', line)
        if m and die is not None:
            names[die], die = m.group(1), None
    ranges, cu = [], None
    for line in sh("llvm-dwarfdump", "--debug-aranges", binary).splitlines():
        m = re.search(r"cu_offset = 0x([0-9a-f]+)", line)
        if m:
            cu = int(m.group(1), 16)
            continue
        m = re.match(r"\[0x([0-9a-f]+), 0x([0-9a-f]+)\)", line)
        if m and cu is not None and int(m.group(2), 16) > int(m.group(1), 16):
            ranges.append((int(m.group(1), 16), int(m.group(2), 16), cu))
    ranges.sort()
    starts = [r[0] for r in ranges]
    symbols = {}
    for line in sh("nm", "--defined-only", binary).splitlines():
        p = line.split()
        if len(p) == 3:
            symbols.setdefault(p[2], int(p[0], 16))

    def unit(addr):
        i = bisect.bisect_right(starts, addr) - 1
        if i >= 0 and ranges[i][0] <= addr < ranges[i][1]:
            off = ranges[i][2]
            return names.get(off + 11) or names.get(off + 12) or "?"
        return None

    own = "Warden's crates (host/, core/), opt-level 0, generic instances included"
    counts, top = collections.Counter(), collections.Counter()
    out = sh("perf", "script", "-i", perf_data, "-F", "ip,sym,symoff,dso", "--no-demangle", "-G")
    for line in out.splitlines():
        line = line.strip()
        if not line:
            continue
        m = re.match(r"[0-9a-f]+\s+(\S+)\+0x([0-9a-f]+)\s+\((.*)\)$", line)
        if not m:
            counts["kernel" if "kernel" in line else "unresolved"] += 1
            continue
        sym, off, dso = m.group(1), int(m.group(2), 16), m.group(3)
        if "kernel" in dso:
            key = "kernel"
        elif not dso.endswith(binary.rsplit("/", 1)[-1]):
            key = "shared libraries (libc, …)"
        elif sym not in symbols:
            key = "binary, symbol not found"
        else:
            name = unit(symbols[sym] + off)
            if name is None:
                key = "binary, no compile unit"
            elif name.startswith(("host/", "core/")):
                key = own
                top[sym] += 1
            else:
                key = "dependencies and std (Rust and C), opt-level 2"
        counts[key] += 1
    total = sum(counts.values())
    for key, n in counts.most_common():
        print(f"{100 * n / total:5.1f}%  {key}")
    print(f"({total} samples)")
    for sym, n in top.most_common(top_n):
        print(f"  {100 * n / total:5.2f}%  {sym[:160]}")


if __name__ == "__main__":
    main()
