"""``vitrine-sim``: the fleet simulator and the deterministic fault-schedule simulator.

    vitrine-sim run SCENARIO.toml   a fleet of real processes through a scenario, then the verdict
    vitrine-sim demo                the demo fleet (3 stores, shoppers, online orders) until Ctrl-C
    vitrine-sim faults [...]        seeded fault schedules over in-memory nodes (sync.sim.cli)
    vitrine-sim retail-week [...]   seeded retail-week business schedules, invariants verdict
                                    (sync.sim.retail)

``run`` prints progress, the figures, and as its LAST line one JSON object; exit code 0 only when
the verdict is green (1 red, 2 bad scenario or fleet failure).
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path

from sync.fleet.errors import FleetError, ScenarioError

REPO = Path(__file__).resolve().parents[2]


def _say(text: str) -> None:
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def _run(args: argparse.Namespace) -> int:
    from sync.fleet.runner import run_scenario
    from sync.fleet.scenario import DEFAULT_CSV, load

    try:
        scenario = load(args.scenario)
    except ScenarioError as err:
        sys.stderr.write(f"error: {err}\n")
        return 2
    root = args.root or Path("var") / "sim" / scenario.name
    if args.fresh and root.exists():
        shutil.rmtree(root)
    csv = args.csv or REPO / DEFAULT_CSV
    _say(f"scenario {scenario.name}: {len(scenario.stores)} stores, {scenario.duration_s:.0f}s of trading, "
         f"{len(scenario.outages)} outages, {len(scenario.broker_restarts)} broker restarts, "
         f"{len(scenario.worker_kills)} worker kills, {len(scenario.reader_faults)} reader faults")  # fmt: skip
    try:
        result = run_scenario(scenario, root, REPO, csv, _say)
    except FleetError as err:
        sys.stderr.write(f"error: {err}\n")
        _say(json.dumps({"scenario": scenario.name, "green": False, "error": str(err)[:500]}))
        return 2
    _say("\nverdict:")
    for check in result.verdict.checks:
        _say(
            f"  {'ok ' if check.ok else 'RED'}  {check.name}"
            + ("" if check.ok or not check.detail else f"  -- {check.detail}")
        )
    summary = result.summary()
    _say("\nfigures:")
    for sid, ops in summary["ops_per_store"].items():
        act = summary["activity"].get(sid, {})
        _say(f"  {sid}: {ops} ops; " + ", ".join(f"{k} {v}" for k, v in act.items()))
    for o in summary["outages"]:
        _say(f"  outage {o['store']}: {o['duration_s']}s offline, {o['offline_backlog']} ops queued, "
             f"caught up in {o['catch_up_s']}s, {o['pickups_placed_before_cut']} pickups placed before the cut")  # fmt: skip
    _say(f"  fleet start {summary.get('fleet_start_s')}s, trading {summary.get('trading_s')}s, "
         f"settle {summary.get('settle_s')}s, verdict {summary.get('verdict_s')}s")  # fmt: skip
    _say(f"VERDICT: {'GREEN' if result.verdict.green else 'RED'}")
    _say(json.dumps({"scenario": scenario.name, **summary}, separators=(",", ":")))
    return 0 if result.verdict.green else 1


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] == "faults":
        from sync.sim.cli import main as faults_main

        return faults_main(argv[1:])
    if argv and argv[0] == "retail-week":
        from sync.sim.cli import retail_week_main

        return retail_week_main(argv[1:])
    if argv and argv[0] == "demo":
        from sync.fleet.demo import main as demo_main

        return demo_main(argv[1:])
    parser = argparse.ArgumentParser(prog="vitrine-sim", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="run a scenario on a fleet of real processes")
    run.add_argument("scenario", type=Path, help="scenario TOML (see firmware-config/scenarios/)")
    run.add_argument("--root", type=Path, help="working directory (default var/sim/<scenario name>)")
    run.add_argument("--csv", type=Path, help="Online Retail CSV (default ../shared/data/retail/...)")
    run.add_argument("--fresh", action="store_true", help="start from empty databases")
    sub.add_parser("demo", help="the demo fleet until Ctrl-C (see vitrine-sim demo --help)")
    sub.add_parser("faults", help="seeded fault schedules (see vitrine-sim faults --help)")
    sub.add_parser("retail-week", help="seeded retail-week schedules (see vitrine-sim retail-week --help)")
    args = parser.parse_args(argv)
    return _run(args)


if __name__ == "__main__":
    sys.exit(main())
