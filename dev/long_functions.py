#!/usr/bin/env python3
"""Functions longer than a limit (80 lines unless told) in the server's
crates, longest first: what issue 32's "no function over ~80 lines" counts.
Usage: dev/long_functions.py [LIMIT]"""
import os
import re
import sys

LIMIT = int(sys.argv[1]) if len(sys.argv) > 1 else 80
HERE = os.path.join(os.path.dirname(__file__), "..")


def functions(path):
    lines = open(path, encoding="utf-8").read().split("\n")
    i = 0
    while i < len(lines):
        m = re.match(r"^(\s*)(?:pub(?:\([^)]*\))? )?(?:async )?fn (\w+)", lines[i])
        if m:
            indent, name = m.group(1), m.group(2)
            # A signature without a body (a trait's declaration) ends in `;`.
            j = i
            while j < len(lines) and not lines[j].rstrip().endswith(("{", ";")):
                j += 1
            if j < len(lines) and lines[j].rstrip().endswith("{") and not lines[j].strip().startswith("where"):
                k = j + 1
                while k < len(lines) and not re.match("^" + indent + r"\}", lines[k]):
                    k += 1
                yield name, i + 1, k - i + 1
                i = k
        i += 1


def main():
    found = []
    for crate in ("core", "host"):
        root = os.path.join(HERE, crate, "src")
        for dirpath, _, files in os.walk(root):
            for f in files:
                if f.endswith(".rs"):
                    path = os.path.join(dirpath, f)
                    for name, line, n in functions(path):
                        if n > LIMIT:
                            found.append((n, os.path.relpath(path, HERE), line, name))
    found.sort(reverse=True)
    print(f"{len(found)} function(s) over {LIMIT} lines")
    for n, path, line, name in found:
        print(f"{n:5} {path}:{line} {name}")


if __name__ == "__main__":
    main()
