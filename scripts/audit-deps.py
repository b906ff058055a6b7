#!/usr/bin/env python3
"""Check Cargo.lock against an offline RustSec advisory database (default ../shared/advisory-db).

Prints one line per advisory that affects a locked crate version (vulnerabilities and "unmaintained" /
"unsound" informational advisories alike) and exits 1 when a vulnerability (no `informational` key) applies.
A small stand-in for `cargo audit --no-fetch --db`, which needs the database as a git checkout.
"""
import re
import sys
import tomllib
from pathlib import Path


def parse_version(v):
    core = v.split("+")[0]
    main, _, pre = core.partition("-")
    nums = [int(x) for x in (main.split(".") + ["0", "0"])[:3]]
    return (nums[0], nums[1], nums[2], 0 if pre else 1, pre)


def matches(version, req):
    """Does `version` satisfy a Cargo semver requirement like ">= 1.2, < 2" or "^0.3.1"?"""
    v = parse_version(version)
    for part in req.split(","):
        part = part.strip()
        m = re.match(r"^(>=|<=|>|<|=|\^|~)?\s*([0-9][0-9A-Za-z.\-+]*)$", part)
        if not m:
            return False
        op, bound = m.group(1) or "^", m.group(2)
        b = parse_version(bound)
        n = len(bound.split("+")[0].split("-")[0].split("."))
        if op == ">=" and not v >= b:
            return False
        if op == ">" and not v > b:
            return False
        if op == "<=" and not v <= b:
            return False
        if op == "<" and not v < b:
            return False
        if op == "=" and v[:3] != b[:3]:
            return False
        if op == "^":
            if v < b:
                return False
            if b[0] > 0 or n == 1:
                upper = (b[0] + 1, 0, 0, 0, "")
            elif b[1] > 0 or n == 2:
                upper = (0, b[1] + 1, 0, 0, "")
            else:
                upper = (0, 0, b[2] + 1, 0, "")
            if not v < upper:
                return False
        if op == "~":
            if v < b or not v < ((b[0], b[1] + 1, 0, 0, "") if n >= 2 else (b[0] + 1, 0, 0, 0, "")):
                return False
    return True


def main():
    root = Path(__file__).resolve().parent.parent
    db = Path(sys.argv[1]) if len(sys.argv) > 1 else root.parent / "shared" / "advisory-db"
    lock = tomllib.loads((root / "Cargo.lock").read_text())
    vulnerable = 0
    checked = 0
    for pkg in lock.get("package", []):
        if pkg.get("source", "").find("crates.io") < 0:
            continue
        checked += 1
        folder = db / "crates" / pkg["name"]
        if not folder.is_dir():
            continue
        for adv in sorted(folder.glob("*.md")):
            text = adv.read_text()
            front = text.split("```toml", 1)[1].split("```", 1)[0] if "```toml" in text else ""
            data = tomllib.loads(front)
            meta = data.get("advisory", {})
            if meta.get("withdrawn"):
                continue
            versions = data.get("versions", {})
            safe = versions.get("patched", []) + versions.get("unaffected", [])
            if any(matches(pkg["version"], r) for r in safe):
                continue
            kind = meta.get("informational") or "vulnerability"
            if kind == "vulnerability":
                vulnerable += 1
            print(f"{meta.get('id')} {pkg['name']} {pkg['version']}: {kind}: {meta.get('title', '').strip()}")
    print(f"{checked} crates checked against {db}; {vulnerable} vulnerabilities")
    return 1 if vulnerable else 0


if __name__ == "__main__":
    sys.exit(main())
