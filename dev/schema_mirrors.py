#!/usr/bin/env python3
"""The admin API's schemas (host/src/http/admin/schemas.rs) describe core
types field for field; this checks each still matches the core type of the
same name: the same fields, types and serde attributes, in the same order
(doc comments, derives and `#[schema]` constraints aside). Types described
by hand, with no core type of that shape, are listed in HAND. Exits non-zero
on any difference. Usage: dev/schema_mirrors.py"""
import os
import re
import sys

HERE = os.path.join(os.path.dirname(__file__), "..")
SCHEMAS = os.path.join(HERE, "host", "src", "http", "admin", "schemas.rs")
CORE = os.path.join(HERE, "core", "src")
HAND = {"Instant", "Selection", "AllResources"}


def items(text):
    """name -> the text of each top-level `pub struct`/`pub enum` with its attributes."""
    lines = text.split("\n")
    out = {}
    for i, line in enumerate(lines):
        m = re.match(r"^pub (struct|enum) (\w+)", line)
        if not m:
            continue
        start = i
        while start > 0 and re.match(r"^(#\[|///|\s+[\w:,\s]*\)?\]?,?\s*$|\)\])", lines[start - 1]) \
                and lines[start - 1].strip():
            start -= 1
        end = i
        if "{" in line:
            depth = line.count("{") - line.count("}")
            while depth > 0:
                end += 1
                depth += lines[end].count("{") - lines[end].count("}")
        out[m.group(2)] = "\n".join(lines[start:end + 1])
    return out


def shape(text):
    text = re.sub(r"//[^\n]*", "", text)
    for attr in ("derive", "schema", "sqlx", "allow"):
        text = re.sub(r"#\[" + attr + r"\((?:[^()]|\([^()]*\))*\)\]", "", text, flags=re.S)
    text = re.sub(r"\b(?:crate|super|serde_json|std::collections)::(?:\w+::)*", "", text)
    return re.sub(r"\s+", " ", text).strip()


def main():
    mirrors = items(open(SCHEMAS, encoding="utf-8").read())
    core = {}
    for dirpath, _, files in os.walk(CORE):
        for f in files:
            if f.endswith(".rs"):
                for name, text in items(open(os.path.join(dirpath, f), encoding="utf-8").read()).items():
                    core.setdefault(name, []).append(text)
    bad = []
    for name, text in sorted(mirrors.items()):
        if name in HAND:
            continue
        want = shape(text)
        found = [shape(c) for c in core.get(name, [])]
        if want not in found:
            bad.append(f"{name}:\n  schema: {want}\n  core:   {found or 'no such type'}")
    print(f"{len(mirrors) - len(HAND)} schemas checked against the core, {len(bad)} differ")
    for b in bad:
        print(b)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
