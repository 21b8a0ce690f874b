"""Reading a provisioning bundle (written by ``vitrine-cloud provision-store --bundle FILE``).

The bundle's ``edge_env`` settings become defaults of this process's environment: a variable
already set (e.g. ``VITRINE_EDGE_DB_PATH``, ``VITRINE_EDGE_PORT`` or a broker host seen through a
different address) wins over the bundle.
"""

from __future__ import annotations

import json
import os
from collections.abc import MutableMapping
from pathlib import Path

from edge.errors import ConfigError

FORMAT = "vitrine-bundle/1"
ALLOWED_PREFIXES = ("VITRINE_EDGE_", "VITRINE_WEB_", "VITRINE_DEVICES_")


def read(path: Path) -> dict[str, str]:
    """The bundle's edge settings; raises :class:`ConfigError` saying what to do."""
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except OSError as err:
        raise ConfigError(f"cannot read the bundle {path}: {err.strerror or err}") from err
    except ValueError as err:
        raise ConfigError(f"{path} is not a provisioning bundle (not JSON: {err})") from err
    if not isinstance(doc, dict) or doc.get("format") != FORMAT or not isinstance(doc.get("edge_env"), dict):
        raise ConfigError(
            f"{path} is not a {FORMAT} provisioning bundle: get one with `vitrine-cloud provision-store "
            "STORE --bundle FILE` at the hub"
        )
    env = {str(k): str(v) for k, v in doc["edge_env"].items()}
    foreign = sorted(k for k in env if not k.startswith(ALLOWED_PREFIXES))
    if foreign:
        raise ConfigError(f"{path}: unexpected settings in the bundle: {', '.join(foreign)}")
    return env


def apply(path: Path, environ: MutableMapping[str, str] | None = None) -> dict[str, str]:
    """Put the bundle's settings into ``environ`` (``os.environ``) where not already set; returns them."""
    target = os.environ if environ is None else environ
    env = read(path)
    for key, value in env.items():
        target.setdefault(key, value)
    return env
