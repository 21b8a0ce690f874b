"""The docs and the shipped units name only commands, options and settings that exist: every
``vitrine-edge``/``vitrine-cloud`` command (and each ``--option`` written after it on the same line)
is one of the CLI's, and every ``VITRINE_*`` variable is read by a settings class (the generated env
examples) or by a CLI option."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import typer.main

import cloud.cli
import edge.cli

REPO = Path(__file__).resolve().parents[2]
TEXTS = sorted([*REPO.glob("docs/*.md"), REPO / "README.md", *REPO.glob("firmware-config/systemd/*")])
COMMAND = re.compile(r"\b(vitrine-edge|vitrine-cloud) ([a-z][a-z-]+)((?:[^\n#`|;&)]*))")
OPTION = re.compile(r"(?<![\w-])(--[a-z][a-z-]+)")
VARIABLE = re.compile(r"\bVITRINE_[A-Z0-9_]*[A-Z0-9]\b")
NOT_SETTINGS = {"VITRINE_SCREENSHOTS_DIR"}  # read by the test suite, documented for `make screenshots`
PREFIXES = {"VITRINE_EDGE_MQTT", "VITRINE_EDGE_MODEL", "VITRINE_CLOUD", "VITRINE_EDGE", "VITRINE_WEB"}


def _commands() -> dict[str, dict[str, Any]]:
    """Program -> command name -> the CLI's command object (its ``params`` carry opts and envvar)."""
    return {
        name: dict(typer.main.get_command(app).commands)  # type: ignore[attr-defined]
        for name, app in (("vitrine-edge", edge.cli.app), ("vitrine-cloud", cloud.cli.app))
    }


def _envvars(commands: dict[str, dict[str, Any]]) -> set[str]:
    found = set()
    for by_name in commands.values():
        for command in by_name.values():
            for param in command.params:
                envvar = getattr(param, "envvar", None)
                found.update([envvar] if isinstance(envvar, str) else list(envvar or []))
    return found


@pytest.mark.parametrize("path", TEXTS, ids=lambda p: p.name)
def test_documented_commands_and_options_exist(path: Path) -> None:
    commands = _commands()
    wrong = []
    for program, name, rest in COMMAND.findall(path.read_text(encoding="utf-8")):
        command = commands[program].get(name)
        if command is None:
            wrong.append(f"{program} {name}: no such command")
            continue
        sub = getattr(command, "commands", None)  # a group (``vitrine-cloud user create``)
        if sub is not None:
            word = rest.split()[0] if rest.split() else ""
            if word in sub:
                command = sub[word]
            elif not getattr(command, "invoke_without_command", False):
                wrong.append(f"{program} {name} {word}: no such command")
                continue
        known = {opt for param in command.params for opt in [*param.opts, *param.secondary_opts]}
        wrong += [f"{program} {name} {o}: no such option" for o in OPTION.findall(rest) if o not in known]
    assert wrong == []


def test_documented_variables_exist() -> None:
    examples = "".join(
        p.read_text(encoding="utf-8") for p in (REPO / "firmware-config" / "env").glob("*.example")
    )
    known = set(VARIABLE.findall(examples)) | _envvars(_commands()) | NOT_SETTINGS | PREFIXES
    wrong = {
        f"{path.relative_to(REPO)}: {var}"
        for path in TEXTS
        for var in VARIABLE.findall(path.read_text(encoding="utf-8"))
        if var not in known
    }
    assert sorted(wrong) == []
