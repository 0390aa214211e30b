#!/usr/bin/env python3
"""Import circles in the server's crates (core/src, host/src): which modules
of a crate reach each other through `crate::…` and `super::…` paths (use
lines and inline paths alike). Between the crates the compiler holds the
direction (the `warden` binary uses `warden-core`, never the reverse).

A parent module declaring and using its children, and a child using its
parent (`super::`), is how Rust nests modules and is not counted; any other
pair of modules that reach each other, directly or round a longer loop, is.
Prints every strongly connected set of modules (a circle) at two levels:
the top-level modules (what a crate split would have to cut) and the files.
Exits non-zero when the file level has a circle in any crate. Usage:
    dev/import_cycles.py [SRC_DIR ...]
"""
import os
import re
import sys

HERE = os.path.join(os.path.dirname(__file__), "..")
ROOTS = sys.argv[1:] or [os.path.join(HERE, "core", "src"), os.path.join(HERE, "host", "src")]


def modules(root):
    """File path -> module path (`http::admin`), `crate` for main.rs."""
    out = {}
    for dirpath, _, files in os.walk(root):
        for f in files:
            if not f.endswith(".rs"):
                continue
            rel = os.path.relpath(os.path.join(dirpath, f), root)[:-3].split(os.sep)
            if rel[-1] in ("mod", "main", "lib"):
                rel = rel[:-1]
            out[os.path.join(dirpath, f)] = "::".join(rel) or "crate"
    return out


def strip_comments(text):
    text = re.sub(r"//[^\n]*", "", text)
    return re.sub(r"/\*.*?\*/", "", text, flags=re.S)


def expand(prefix, body):
    """`a::{b, c::{d, e}}` -> a::b, a::c::d, a::c::e (enough for use lines)."""
    parts, depth, cur = [], 0, ""
    for ch in body:
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
        if ch == "," and depth == 0:
            parts.append(cur)
            cur = ""
        else:
            cur += ch
    parts.append(cur)
    paths = []
    for p in parts:
        p = p.strip()
        if not p or p == "self":
            if p == "self":
                paths.append(prefix)
            continue
        m = re.match(r"^([\w:]*?)::\{(.*)\}$", p, re.S)
        if m:
            paths += expand(prefix + "::" + m.group(1), m.group(2))
        else:
            paths.append(prefix + "::" + p.split(" as ")[0].strip())
    return paths


def references(module, text):
    text = strip_comments(text)
    refs = []
    for m in re.finditer(r"\b(crate|super)::\{([^;]*?)\}\s*;", text, re.S):
        refs += expand(m.group(1), m.group(2))
    text = re.sub(r"\b(crate|super)::\{[^;]*?\}\s*;", "", text, flags=re.S)
    refs += re.findall(r"\b(?:crate|super)(?:::\w+)+", text)
    out = []
    here = module.split("::") if module != "crate" else []
    for r in refs:
        segs = r.split("::")
        if segs[0] == "crate":
            path = segs[1:]
        else:
            base = here[:]
            while segs and segs[0] == "super":
                base = base[:-1]
                segs = segs[1:]
            path = base + segs
        out.append(path)
    return out


def resolve(path, known):
    """The longest prefix of `path` that is a module."""
    for n in range(len(path), 0, -1):
        name = "::".join(path[:n])
        if name in known:
            return name
    return None


def sccs(graph):
    index, low, stack, on, out, counter = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    sys.setrecursionlimit(10000)
    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def main():
    failed = 0
    for root in ROOTS:
        print(f"{os.path.relpath(root, HERE)}:")
        failed |= crate(root)
    return failed


def crate(root):
    mods = modules(root)
    known = set(mods.values())
    files, tops = {}, {}
    for path, module in mods.items():
        with open(path, encoding="utf-8") as f:
            text = f.read()
        for ref in references(module, text):
            target = resolve(ref, known)
            if not target or target == module or target == "crate":
                continue
            # A parent module re-exporting or declaring its children is not an arrow back.
            if module != "crate" and target.startswith(module + "::"):
                continue
            if module == "crate":
                continue
            files.setdefault(module, set()).add(target)
            a, b = module.split("::")[0], target.split("::")[0]
            if a != b:
                tops.setdefault(a, set()).add(b)
    top_circles = sccs(tops)
    file_circles = sccs(files)
    print(f"top-level modules: {len(known and tops)} with imports, {len(top_circles)} circle(s)")
    for c in top_circles:
        print("  " + " <-> ".join(c))
    print(f"files: {len(files)} with imports, {len(file_circles)} circle(s)")
    for c in file_circles:
        print("  " + " <-> ".join(c))
    return 1 if file_circles else 0


if __name__ == "__main__":
    sys.exit(main())
