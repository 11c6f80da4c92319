"""Pass counts by test function from a JUnit XML report: a function passes when every one of its
parametrised cases passed (a skipped case counts as not passed, so nothing is claimed untested)."""

from __future__ import annotations

import sys
import xml.etree.ElementTree as ET
from collections import defaultdict


def functions(report: str) -> dict[str, bool]:
    passed: dict[str, bool] = defaultdict(lambda: True)
    for case in ET.parse(report).iter("testcase"):
        name = f"{case.get('classname')}::{(case.get('name') or '').split('[')[0]}"
        ok = not any(child.tag in ("failure", "error", "skipped") for child in case)
        passed[name] = passed[name] and ok
    return dict(passed)


if __name__ == "__main__":
    results = functions(sys.argv[1])
    if len(sys.argv) > 2 and sys.argv[2] == "--failed":
        print("\n".join(sorted(name for name, ok in results.items() if not ok)))
    else:
        print(f"{sum(results.values())} {len(results)}")
