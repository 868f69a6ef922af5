#!/usr/bin/env python3
"""Prints each failed test of the .trx files in a folder: its name, its error message and the top of its stack trace.

`dotnet test` prints a failure's message above the test's own output, and a distributed test's output (every process's
log) is long, so a log that is read from its end (CI shows its last lines) can lose the one line that says what broke.
infra/test.sh runs this after the suite, so the reasons come last.

Usage: infra/failed-tests.py FOLDER [--lines N]   (N lines of each message and stack trace, default 25). Exit 0.
"""
import pathlib
import sys
import xml.etree.ElementTree as ET

NS = {"t": "http://microsoft.com/schemas/VisualStudio/TeamTest/2010"}


def clip(text: str, lines: int) -> str:
    rows = (text or "").strip().splitlines()
    more = f"\n    ... {len(rows) - lines} more lines" if len(rows) > lines else ""
    return "\n".join("    " + r for r in rows[:lines]) + more


def main() -> int:
    args = sys.argv[1:]
    lines = 25
    if "--lines" in args:
        i = args.index("--lines")
        lines = int(args[i + 1])
        del args[i:i + 2]
    if len(args) != 1:
        print(__doc__.strip(), file=sys.stderr)
        return 0
    failed = []
    for trx in sorted(pathlib.Path(args[0]).glob("*.trx")):
        for result in ET.parse(trx).getroot().iterfind(".//t:UnitTestResult", NS):
            if result.get("outcome") != "Failed":
                continue
            message = result.findtext("t:Output/t:ErrorInfo/t:Message", default="", namespaces=NS)
            stack = result.findtext("t:Output/t:ErrorInfo/t:StackTrace", default="", namespaces=NS)
            failed.append((result.get("testName"), result.get("duration"), message, stack))
    for name, duration, message, stack in failed:
        print(f"FAILED {name} ({duration})\n  message:\n{clip(message, lines)}\n  stack:\n{clip(stack, lines)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
