"""Run every benchmark module (``bench_*.py``) or the ones named: ``python -m benchmarks dsr``."""

from __future__ import annotations

import argparse
import importlib
import pkgutil
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("topics", nargs="*", help="benchmark modules to run (default: all)")
    parser.add_argument("--scale", type=float, default=1.0, help="multiply workload sizes")
    args = parser.parse_args()
    here = Path(__file__).parent
    names = sorted(m.name for m in pkgutil.iter_modules([str(here)]) if m.name.startswith("bench_"))
    if args.topics:
        names = [n for n in names if n.removeprefix("bench_") in args.topics or n in args.topics]
    for name in names:
        print(f"== {name.removeprefix('bench_')} ==", flush=True)
        importlib.import_module(f"benchmarks.{name}").run(scale=args.scale)


if __name__ == "__main__":
    main()
