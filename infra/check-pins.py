#!/usr/bin/env python3
"""Fails when a package pinned in Directory.Packages.props resolved to another version in any restored project.

NuGet takes the next version silently when a registry lacks the pinned one (NU1603, a warning), so a build can run a
version nobody chose. After `dotnet restore`, every obj*/project.assets.json says what was resolved; this compares each
package named in Directory.Packages.props with its pin, exactly.

Usage: infra/check-pins.py [REPO] [--obj NAME]   (default: the folder above this script; every obj* folder, or only
those named NAME, e.g. obj-cpu for the CPU-only build). Exit 0 all exact, 1 a mismatch, 2 no input.
"""
import json
import pathlib
import sys
import xml.etree.ElementTree as ET


def pins(props: pathlib.Path) -> dict:
    result = {}
    for item in ET.parse(props).getroot().iter("PackageVersion"):
        name, version = item.get("Include"), item.get("Version")
        if name and version:
            result[name.lower()] = (name, version)
    return result


def resolved(assets: pathlib.Path) -> dict:
    data = json.loads(assets.read_text(encoding="utf-8"))
    found = {}
    for key, library in data.get("libraries", {}).items():
        if library.get("type") != "package":
            continue
        name, _, version = key.partition("/")
        found.setdefault(name.lower(), set()).add(version)
    return found


def main(argv: list) -> int:
    only = None
    if "--obj" in argv:
        at = argv.index("--obj")
        only = argv[at + 1]
        argv = argv[:at] + argv[at + 2:]
    repo = pathlib.Path(argv[1] if len(argv) > 1 else pathlib.Path(__file__).resolve().parent.parent)
    props = repo / "Directory.Packages.props"
    if not props.is_file():
        print(f"check-pins: {props} not found", file=sys.stderr)
        return 2
    wanted = pins(props)
    files = sorted(p for p in repo.rglob("project.assets.json") if (p.parent.name == only if only else p.parent.name.startswith("obj")))
    if not files:
        print(f"check-pins: no obj*/project.assets.json under {repo}: run dotnet restore first", file=sys.stderr)
        return 2
    problems = []
    for assets in files:
        for key, versions in resolved(assets).items():
            if key in wanted and versions != {wanted[key][1]}:
                name, pin = wanted[key]
                problems.append(f"{name}: pinned {pin}, resolved {', '.join(sorted(versions))} in {assets.relative_to(repo)}")
    for p in problems:
        print(f"check-pins: {p}", file=sys.stderr)
    if problems:
        print("check-pins: pin a version the registry serves so restore takes it exactly", file=sys.stderr)
        return 1
    print(f"check-pins: {len(wanted)} pins, {len(files)} restored projects, every pinned package resolved exactly")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
