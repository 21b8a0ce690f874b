"""``make demo``: one edge node seeded from the real retail data, served on 127.0.0.1.

Seeds ``var/demo/store-1.db`` from the last months of the Online Retail CSV (idempotent, so a
second run starts at once), keeps demo role tokens in ``var/demo/tokens.json`` and prints the
URLs. Ctrl-C stops the server cleanly.
"""

from __future__ import annotations

import argparse
import json
import secrets
import sys
import time
from datetime import timedelta
from pathlib import Path

from edge.errors import EdgeError

REPO = Path(__file__).resolve().parents[1]
DEMO_DIR = Path("var") / "demo"


def _say(text: str) -> None:
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def _tokens(path: Path) -> dict[str, str]:
    if path.is_file():
        tokens: dict[str, str] = json.loads(path.read_text())
        return tokens
    tokens = {role: f"{role}-{secrets.token_urlsafe(18)}" for role in ("kiosk", "staff", "manager")}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(tokens, indent=2))
    path.chmod(0o600)
    return tokens


def main(argv: list[str] | None = None) -> int:
    from edge.seed import DEFAULT_CSV

    parser = argparse.ArgumentParser(prog="python -m edge.demo", description=__doc__)
    parser.add_argument("--path", type=Path, default=REPO / DEFAULT_CSV, help="Online Retail CSV")
    parser.add_argument("--months", type=int, default=3, help="seed only the last N months (speed)")
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--store-id", default="store-1")
    args = parser.parse_args(argv)

    import uvicorn
    from tqdm import tqdm

    from edge.api.app import create_app
    from edge.replica.database import Replica
    from edge.seed import last_date, seed
    from edge.settings import load_settings

    db_path = DEMO_DIR / f"{args.store_id}.db"
    tokens = _tokens(DEMO_DIR / "tokens.json")
    try:
        if not args.path.is_file():
            sys.stderr.write(f"error: retail CSV not found at {args.path} (give --path)\n")
            return 2
        started = time.monotonic()
        since = last_date(args.path) - timedelta(days=30 * args.months)
        replica = Replica.open(db_path, args.store_id)
        with tqdm(desc="seeding", unit="row", leave=False) as bar:

            def progress(phase: str, done: int, total: int) -> None:
                bar.set_description(f"seeding: {phase}")
                bar.total = total or None
                bar.n = done
                bar.refresh()

            report = seed(replica, args.path, since=since, progress=progress)
        replica.close()
        _say(
            f"seeded {db_path} (since {since:%Y-%m-%d}): +{report.products} products, +{report.customers} "
            f"customers, +{report.sales} past sales in {time.monotonic() - started:.1f}s"
        )
        settings = load_settings(
            store_id=args.store_id,
            db_path=db_path,
            host="127.0.0.1",
            port=args.port,
            kiosk_token=tokens["kiosk"],
            staff_token=tokens["staff"],
            manager_token=tokens["manager"],
        )
        app = create_app(settings)
    except EdgeError as err:
        sys.stderr.write(f"error: {err}\n")
        return 2

    base = f"http://127.0.0.1:{args.port}"
    _say(
        "\nVitrine edge node running:\n"
        f"  API docs   {base}/docs\n"
        f"  health     {base}/health\n"
        f"  metrics    {base}/metrics\n"
        f"  kiosk      {base}/kiosk\n"
        f"  handheld   {base}/handheld\n"
        f"  manager    {base}/manager\n"
        f"tokens (Authorization: Bearer …) in {DEMO_DIR / 'tokens.json'}:\n"
        + "".join(f"  {role:8s} {token}\n" for role, token in tokens.items())
        + "Ctrl-C to stop.\n"
    )
    uvicorn.run(app, host="127.0.0.1", port=args.port, log_level="warning")
    _say("stopped.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
