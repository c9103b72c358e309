#!/usr/bin/python3
"""Summarize a `go test -v` log of the acceptance suite: passed, skipped and
failed top-level tests (and subtests), the skips grouped by their reason,
and the failures by name.

Usage: suite-summary.py LOG [LABEL]
"""
import collections
import re
import sys


def main():
    path = sys.argv[1]
    label = sys.argv[2] if len(sys.argv) > 2 else path
    results, messages, current = {}, collections.defaultdict(list), None
    with open(path, errors="replace") as f:
        for line in f:
            line = line.rstrip("\n")
            m = re.match(r"^=== (RUN|CONT|NAME|PAUSE)\s+(\S+)", line)
            if m:
                current = m.group(2)
                continue
            m = re.match(r"^(\s*)--- (PASS|FAIL|SKIP): (\S+)", line)
            if m:
                results[m.group(3)] = (m.group(2), len(m.group(1)) > 0)
                continue
            m = re.match(r"^\s+\S+\.go:\d+: (.*)", line)
            if m and current:
                messages[current].append(m.group(1))
    for kind, sub in (("top-level tests", False), ("subtests", True)):
        counts = collections.Counter(st for st, is_sub in results.values() if is_sub == sub)
        print(f"{label}: {kind}: {counts['PASS']} passed, {counts['SKIP']} skipped, {counts['FAIL']} failed")
    groups = collections.defaultdict(list)
    for name, (st, _) in results.items():
        if st == "SKIP":
            reason = (messages.get(name) or ["(no reason printed)"])[-1]
            reason = re.sub(r"^needs the simulator \(the target is real [^)]*\)\): ", "simulator only: ", reason)
            reason = reason.split(". It is still worth")[0].split(". The test checks")[0]
            groups[reason].append(name)
    for reason, names in sorted(groups.items(), key=lambda kv: (-len(kv[1]), kv[0])):
        print(f"  skipped {len(names)}: {reason}\n      {', '.join(sorted(names))}")
    failed = sorted(n for n, (st, _) in results.items() if st == "FAIL")
    if failed:
        print(f"  failed: {', '.join(failed)}")


if __name__ == "__main__":
    main()
