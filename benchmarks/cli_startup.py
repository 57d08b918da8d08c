"""How long `hindsight --help` and each subcommand's help take, from process start to exit.

Each command is run `--rounds` times in a fresh interpreter; the median and the slowest are
printed. With `--src DIR`, the package is imported from another checkout's `src` (to compare
a branch with the one before it on the same machine and load).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time

COMMANDS = [
    ["--help"],
    ["serve", "--help"],
    ["demo", "--help"],
    ["users", "--help"],
    ["users", "create", "--help"],
    ["audit", "--help"],
    ["retention", "--help"],
    ["twilio-sources", "--help"],
    ["accounts", "--help"],
]
LAUNCH = "import sys; from hindsight.cli.main import app; sys.argv[0] = 'hindsight'; app()"


def seconds(argv: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-c", LAUNCH, *argv],
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--src", help="import hindsight from this src directory instead")
    options = parser.parse_args()
    env = dict(os.environ)
    if options.src:
        env["PYTHONPATH"] = options.src
    print(f"{'command':<32} {'median s':>9} {'max s':>7}")
    medians = []
    for argv in COMMANDS:
        times = [seconds(argv, env) for _ in range(options.rounds)]
        medians.append(statistics.median(times))
        print(f"{'hindsight ' + ' '.join(argv):<32} {medians[-1]:>9.2f} {max(times):>7.2f}")
    print(f"{'all (median of medians)':<32} {statistics.median(medians):>9.2f}")
    print(f"load average when done: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
