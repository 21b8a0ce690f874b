"""A hub worker process: ``python -m cloud.ingest.worker --db URL --broker HOST:PORT``.

Start it N times with distinct ``--client-id``: the workers share the uplink subscription
(``$share/hub/vitrine/v1/+/up``) and any of them may apply any batch. Pass ``--downlink`` to exactly
one of them. SIGTERM/SIGINT stop it cleanly; a ``kill -9`` loses nothing (the edge resends).
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from pathlib import Path
from types import FrameType

from cloud.errors import CloudError
from cloud.ingest.apply import no_projection
from cloud.ingest.hub import start_hub
from cloud.settings import DEFAULT_SUMMARY_INTERVAL_S
from cloud.storage import make_engine, migrate
from sync.errors import SyncError
from sync.transport import MqttConfig


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m cloud.ingest.worker", description=__doc__)
    p.add_argument(
        "--db", default="sqlite:///var/cloud.db", help="SQLAlchemy URL (sqlite:/// or postgresql+psycopg://)"
    )
    p.add_argument("--broker", default="127.0.0.1:1883", help="HOST:PORT of the MQTT broker")
    p.add_argument("--client-id", default="hub-1", help="stable MQTT client id (persistent session)")
    p.add_argument("--username")
    p.add_argument("--password-file", type=Path, help="file holding the broker password")
    p.add_argument("--tls-ca", type=Path, help="CA certificate: connect with TLS and verify the broker")
    p.add_argument("--downlink", action="store_true", help="also publish the stores' downlinks (one worker)")
    p.add_argument("--no-projections", action="store_true", help="keep cloud_ops only (ingest benchmark)")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    host, _, port = args.broker.rpartition(":")
    if not host or not port.isdigit():
        sys.stderr.write(f"--broker must be HOST:PORT, got {args.broker!r}\n")
        return 2
    password = args.password_file.read_text().strip() if args.password_file else None
    if args.username and not password:
        sys.stderr.write("--username needs --password-file holding a non-empty broker password\n")
        return 2
    try:
        engine = make_engine(args.db)
        migrate(engine)
        hub = start_hub(
            engine,
            MqttConfig(
                host=host,
                port=int(port),
                client_id=args.client_id,
                username=args.username,
                password=password,
                tls_ca=args.tls_ca,
            ),
            projector=no_projection if args.no_projections else None,
            summary_interval_s=None if args.no_projections else DEFAULT_SUMMARY_INTERVAL_S,
            downlink=args.downlink,
        )
    except (CloudError, SyncError) as err:
        sys.stderr.write(f"worker cannot start: {err}\n")
        return 1
    stop = threading.Event()

    def _stop(_sig: int, _frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    sys.stdout.write(f"worker {args.client_id} running\n")
    sys.stdout.flush()
    stop.wait()
    hub.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
