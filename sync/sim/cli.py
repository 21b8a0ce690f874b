"""``vitrine-sim faults``: run N seeded random fault schedules of the sync protocol; exit 1 on any
failure. ``vitrine-sim retail-week``: run N seeded retail-week business schedules
(:mod:`sync.sim.retail`) and print the verdict; exit 1 on any broken invariant (each failing seed
is printed with the command that replays it)."""

from __future__ import annotations

import argparse
import json
import sys
import time

from sync.sim import retail
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


def retail_week_main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="vitrine-sim retail-week", description=retail.__doc__.split("\n\n")[0])
    p.add_argument("--schedules", type=int, default=1000, help="how many seeded schedules")
    p.add_argument("--seed", type=int, default=0, help="first seed (schedule i uses seed + i)")
    args = p.parse_args(argv)
    if args.schedules < 1:
        p.error("--schedules must be at least 1")
    started = time.perf_counter()
    failed: list[int] = []
    actions = 0
    tally: dict[str, int] = {}
    for i in range(args.schedules):
        result = retail.run(retail.Schedule.random(args.seed + i))
        actions += result.actions
        for what, n in result.counts.items():
            tally[what] = tally.get(what, 0) + n
        if not result.ok:
            failed.append(result.seed)
            print(
                f"seed {result.seed}: FAILED {result.detail} (replay: vitrine-sim retail-week --seed {result.seed} --schedules 1)"
            )
    print("invariants checked:")
    for line in retail.INVARIANTS:
        print(f"  - {line}")
    print(f"verdict: {'GREEN' if not failed else 'RED'} — {args.schedules} schedules, {len(failed)} failed")
    summary = {
        "schedules": args.schedules,
        "failed": len(failed),
        "failed_seeds": failed[:20],
        "actions": actions,
        "events": dict(sorted(tally.items())),
        "wall_s": round(time.perf_counter() - started, 2),
    }
    print(json.dumps(summary))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
