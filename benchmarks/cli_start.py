"""Benchmark: how long `commission --version` and `commission --help` take to start, against
`python -c pass` (the interpreter's own start) measured in the same session.

The issue's target: both under 0.5 s. Each command runs ``--repeat`` times, interleaved with the
baseline so that a busy machine slows all three alike; the median wall time of each and its
ratio to the baseline are printed, with the machine and its load.

    .venv/bin/python benchmarks/cli_start.py
    .venv/bin/python benchmarks/cli_start.py --repeat 21
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

COMMISSION = str(Path(sys.executable).with_name("commission"))
CASES = {
    "python -c pass": [sys.executable, "-c", "pass"],
    "commission --version": [COMMISSION, "--version"],
    "commission --help": [COMMISSION, "--help"],
}


def wall(argv: list[str]) -> float:
    """Seconds from start to exit of one run (output discarded, exit status checked)."""
    start = time.perf_counter()
    subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True,
                   env={**os.environ, "COLUMNS": "100"})
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=11, help="runs of each (default 11)")
    args = parser.parse_args()
    for argv in CASES.values():  # warm the file cache and the bytecode once
        wall(argv)
    times: dict[str, list[float]] = {name: [] for name in CASES}
    for _ in range(args.repeat):
        for name, argv in CASES.items():
            times[name].append(wall(argv))
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"machine: {platform.system()} {platform.machine()}, {os.cpu_count()} cores, "
          f"Python {platform.python_version()}; load average {load:.2f}; "
          f"{args.repeat} runs each, interleaved")
    base = statistics.median(times["python -c pass"])
    print(f"{'case':<22} {'median s':>9} {'min s':>7} {'max s':>7} {'÷ python -c pass':>17}")
    for name, values in times.items():
        median = statistics.median(values)
        print(f"{name:<22} {median:>9.3f} {min(values):>7.3f} {max(values):>7.3f} "
              f"{median / base:>17.1f}")


if __name__ == "__main__":
    main()
