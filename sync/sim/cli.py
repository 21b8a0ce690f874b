"""``vitrine-sim``: run N seeded random fault schedules of the sync protocol; exit 1 on any failure."""

from __future__ import annotations

import argparse
import json
import sys
import time

from sync.sim.engine import Schedule, run


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="vitrine-sim", description=__doc__)
    p.add_argument("--schedules", type=int, default=1000, help="how many random fault schedules")
    p.add_argument("--seed", type=int, default=0, help="first seed (schedule i uses seed + i)")
    args = p.parse_args(argv)
    if args.schedules < 1:
        p.error("--schedules must be at least 1")
    started = time.perf_counter()
    failures = []
    messages = resends = 0
    for i in range(args.schedules):
        result = run(Schedule.random(args.seed + i))
        messages += result.messages
        resends += result.resends
        if not result.ok:
            failures.append(result)
            print(f"seed {result.seed}: FAILED {result.detail}")
        if (i + 1) % 100 == 0:
            print(f"{i + 1}/{args.schedules} schedules, {len(failures)} failed", file=sys.stderr)
    summary = {
        "schedules": args.schedules,
        "failed": len(failures),
        "messages": messages,
        "resends": resends,
        "wall_s": round(time.perf_counter() - started, 2),
    }
    print(json.dumps(summary))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
