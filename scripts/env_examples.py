"""Write (or check) the example environment files from the settings classes, so they cannot drift.

    python scripts/env_examples.py            # rewrite firmware-config/env/*.env.example
    python scripts/env_examples.py --check    # exit 1 and name the files that differ

Every ``VITRINE_*`` variable a settings class reads appears in its file with its default, its
description and, where the field gives one, an example. Secrets have no default: the file leaves
them empty and the process refuses to start until they are set. Settings that are unset by default
are commented out (an empty value is not the same as none).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from pydantic import BaseModel, SecretStr
from pydantic_settings import BaseSettings

REPO = Path(__file__).resolve().parent.parent
OUT_DIR = REPO / "firmware-config" / "env"
UNITS_DIR = REPO / "firmware-config" / "systemd"


def set_by_units(units: Path = UNITS_DIR) -> dict[str, list[str]]:
    """Variable → the units that set it themselves (``Environment=``). systemd lets an
    EnvironmentFile override Environment=, so the env file must leave these unset."""
    found: dict[str, list[str]] = {}
    for unit in sorted(units.glob("*.service")):
        for line in unit.read_text(encoding="utf-8").splitlines():
            if line.startswith("Environment="):
                name = line.removeprefix("Environment=").split("=", 1)[0]
                found.setdefault(name, []).append(unit.name)
    return found


def _settings_classes() -> dict[str, list[type[BaseSettings]]]:
    from cloud.settings import CloudSettings
    from edge.devices.settings import DeviceSettings
    from edge.recommend import RecommendSettings
    from edge.settings import EdgeSettings
    from edge.web.settings import WebSettings

    return {
        "edge.env.example": [EdgeSettings, WebSettings, DeviceSettings, RecommendSettings],
        "cloud.env.example": [CloudSettings],
    }


HEADERS = {
    "edge.env.example": "/etc/vitrine/edge.env of an edge box (vitrine-edge.service, vitrine-edge-backup.service)",
    "cloud.env.example": "/etc/vitrine/cloud.env of the hub (vitrine-cloud-api, -worker@, -downlink)",
}


def _value(default: Any) -> str:
    if default is None:
        return ""
    if isinstance(default, SecretStr):
        return default.get_secret_value()
    if isinstance(default, bool):
        return "true" if default else "false"
    if isinstance(default, dict | list):
        return json.dumps(default)
    if isinstance(default, BaseModel):
        return default.model_dump_json()
    return str(default)


def render(name: str, classes: list[type[BaseSettings]]) -> str:
    by_units = set_by_units()
    lines = [
        f"# {HEADERS[name]}",
        "# Generated from the settings classes by scripts/env_examples.py: do not edit by hand.",
        "# Mode 0600, owner vitrine. Empty secrets must be set before the service starts.",
    ]
    for cls in classes:
        prefix = str(cls.model_config.get("env_prefix", ""))
        lines += ["", f"# ---- {cls.__module__}.{cls.__name__} ({prefix}*)"]
        for field_name, field in cls.model_fields.items():
            lines.append("")
            if field.description:
                lines.append(f"# {' '.join(field.description.split())}")
            for example in field.examples or []:
                shown = example if isinstance(example, str) else json.dumps(example)
                lines.append(f"# e.g. {prefix}{field_name.upper()}={shown}")
            variable = f"{prefix}{field_name.upper()}"
            default = field.get_default(call_default_factory=True)
            if variable in by_units:
                lines.append(f"# set by {', '.join(by_units[variable])}: leave it out of this file")
            # unset by default: an empty value would be read as "" (e.g. Path("") is the cwd)
            unset = "# " if default is None or variable in by_units else ""
            lines.append(f"{unset}{variable}={_value(default)}")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only compare; exit 1 when a file differs")
    parser.add_argument("--dir", type=Path, default=OUT_DIR, help="where the example files are")
    args = parser.parse_args(argv)
    stale = []
    for name, classes in _settings_classes().items():
        path = args.dir / name
        text = render(name, classes)
        if args.check:
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                stale.append(str(path))
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
    if stale:
        sys.stderr.write(
            "out of date with the settings classes: " + ", ".join(stale) + "\n"
            "run: python scripts/env_examples.py\n"
        )
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
