"""Reading a provisioning bundle (``edge.bootstrap.bundle``)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from edge.bootstrap import bundle
from edge.errors import ConfigError


def _write(tmp_path: Path, doc: object) -> Path:
    path = tmp_path / "b.json"
    path.write_text(json.dumps(doc))
    return path


def test_bundle_settings_are_defaults_the_environment_overrides(tmp_path: Path) -> None:
    path = _write(tmp_path, {"format": "vitrine-bundle/1", "edge_env": {
        "VITRINE_EDGE_STORE_ID": "s1", "VITRINE_EDGE_DB_PATH": "var/edge/s1.db", "VITRINE_EDGE_BOOTSTRAP": "true"}})  # fmt: skip
    env = {"VITRINE_EDGE_DB_PATH": "/srv/s1.db"}
    bundle.apply(path, env)
    assert env == {
        "VITRINE_EDGE_DB_PATH": "/srv/s1.db",
        "VITRINE_EDGE_STORE_ID": "s1",
        "VITRINE_EDGE_BOOTSTRAP": "true",
    }


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        ({"format": "other", "edge_env": {}}, "provision-store"),
        ({"format": "vitrine-bundle/1", "edge_env": {"PATH": "/tmp"}}, "unexpected settings"),
        ("not json", "not JSON"),
    ],
)
def test_a_bad_bundle_says_what_to_do(tmp_path: Path, doc: object, message: str) -> None:
    path = tmp_path / "b.json"
    path.write_text(doc if isinstance(doc, str) else json.dumps(doc))
    with pytest.raises(ConfigError, match=message):
        bundle.read(path)
    with pytest.raises(ConfigError, match="cannot read"):
        bundle.read(tmp_path / "missing.json")
