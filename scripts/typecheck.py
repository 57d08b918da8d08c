"""Run mypy and compare its findings with the recorded baseline (scripts/mypy-baseline.txt).

The domain and the typed records are checked strictly and have no baseline entries; the rest of
the code is checked non-strictly, and the baseline lists what it reported when mypy was added.
A finding that is not in the baseline fails the run; a baseline entry that no longer occurs is
reported so the baseline can shrink (`--update` rewrites it). Entries are `path: [code] message`
without line numbers, so edits elsewhere in a file do not disturb them; a repeated entry counts
once per occurrence.
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BASELINE = ROOT / "scripts" / "mypy-baseline.txt"
FINDING = re.compile(
    r"^(?P<path>[^:]+):\d+(?::\d+)?: error: (?P<message>.*?)\s+\[(?P<code>[\w-]+)\]$"
)
HEADER = "# mypy findings accepted when mypy was added; regenerate: scripts/typecheck.py --update\n"


def findings() -> Counter[str]:
    run = subprocess.run(
        [sys.executable, "-m", "mypy", "--no-error-summary", "--hide-error-context"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if run.returncode not in (0, 1):
        sys.stderr.write(run.stdout + run.stderr)
        raise SystemExit(run.returncode)
    found: Counter[str] = Counter()
    for line in run.stdout.splitlines():
        match = FINDING.match(line)
        if match:
            found[f"{match['path']}: [{match['code']}] {match['message']}"] += 1
    return found


def recorded() -> Counter[str]:
    if not BASELINE.exists():
        return Counter()
    lines = BASELINE.read_text().splitlines()
    return Counter(line for line in lines if line and not line.startswith("#"))


def main() -> int:
    found = findings()
    if "--update" in sys.argv[1:]:
        BASELINE.write_text(HEADER + "".join(f"{e}\n" for e in sorted(found.elements())))
        print(f"baseline: {sum(found.values())} findings")
        return 0
    new = found - recorded()
    gone = recorded() - found
    for entry in sorted(gone.elements()):
        print(f"fixed (remove from the baseline): {entry}")
    for entry in sorted(new.elements()):
        print(f"new: {entry}")
    if new:
        print(f"mypy: {sum(new.values())} findings not in {BASELINE.name}", file=sys.stderr)
        return 1
    print(f"mypy: clean against the baseline ({sum(found.values())} accepted findings)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
