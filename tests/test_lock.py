"""Installs are pinned: what the README's commands install is exactly what the locks say."""

from __future__ import annotations

import importlib.util
import re
import sys
import tomllib
from importlib import metadata
from pathlib import Path

from conftest import REPO

LOCKS = REPO / "requirements"
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)")
# Put there by `python3 -m venv` itself, not by the lock.
VENV_OWN = {"pip"}


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def pins(lock: Path) -> dict[str, str]:
    found: dict[str, str] = {}
    for line in lock.read_text(encoding="utf-8").splitlines():
        if match := PIN.match(line):
            found[canonical(match[1])] = match[2]
    return found


def test_every_installed_distribution_is_pinned_in_the_test_lock() -> None:
    locked = pins(LOCKS / "test.txt")
    installed = {
        canonical(dist.metadata["Name"]): dist.version for dist in metadata.distributions()
    }
    unlisted = sorted(set(installed) - set(locked) - VENV_OWN - {"movebook"})
    assert not unlisted, f"installed but not in requirements/test.txt: {unlisted}"
    different = {
        name: (version, locked[name])
        for name, version in installed.items()
        if name in locked and version != locked[name]
    }
    assert not different, f"installed version differs from the lock: {different}"


def test_the_build_lock_is_the_test_lock_without_the_test_tools() -> None:
    run, test = pins(LOCKS / "run.txt"), pins(LOCKS / "test.txt")
    assert {name: test.get(name) for name in run} == run
    for tool in ("pytest", "hypothesis", "mypy", "ruff", "playwright"):
        assert tool in test
        assert tool not in run


def test_every_pin_is_exact_and_hashed() -> None:
    for lock in ("run.txt", "test.txt"):
        entries = re.split(r"\n(?=\S)", (LOCKS / lock).read_text(encoding="utf-8"))
        requirements = [entry for entry in entries if not entry.startswith("#")]
        assert len(requirements) > 20
        for entry in requirements:
            assert PIN.match(entry), f"{lock}: not an exact pin: {entry.splitlines()[0]}"
            assert "--hash=sha256:" in entry, f"{lock}: no hash for {entry.splitlines()[0]}"


def test_pyproject_keeps_ranges_and_the_locks_cover_them() -> None:
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    run = pins(LOCKS / "run.txt")
    test = pins(LOCKS / "test.txt")
    for requirement in project["dependencies"]:
        name = canonical(re.split(r"[<>=!~;\[ ]", requirement, maxsplit=1)[0])
        assert "==" not in requirement, f"pyproject.toml pins {requirement}: use a range"
        assert name in run, f"{name} is a dependency but not in requirements/run.txt"
    for requirement in project["optional-dependencies"]["test"]:
        name = canonical(re.split(r"[<>=!~;\[ ]", requirement, maxsplit=1)[0])
        assert name in test, f"{name} is a test dependency but not in requirements/test.txt"


def _messages_script() -> object:
    spec = importlib.util.spec_from_file_location("messages", REPO / "scripts" / "messages.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["messages"] = module
    spec.loader.exec_module(module)
    return module


def test_the_catalogue_check_ignores_the_generator_but_not_the_messages() -> None:
    script = _messages_script()
    pot = (REPO / "src/movebook/theme/locale/movebook.pot").read_bytes()
    read = script.messages  # type: ignore[attr-defined]
    other_babel = pot.replace(
        b'"Content-Transfer-Encoding: 8bit\\n"\n',
        b'"Content-Transfer-Encoding: 8bit\\n"\n"Generated-By: Babel 9.9.9\\n"\n',
    ).replace(b"# Translations template", b"# Copyright (C) 2031 ORGANIZATION\n# Translations")
    assert other_babel != pot
    assert read(other_babel) == read(pot)
    first = pot.index(b"\n\n#: ") + 1  # the first message after the header
    second = pot.index(b"\n\n#: ", first) + 1
    assert read(pot[:first] + pot[second:]) == read(pot)[1:]


def test_the_readme_commands_and_ci_install_from_the_locks() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    block = readme.split("```sh\n", 1)[1].split("```", 1)[0].splitlines()
    assert len(block) == 2
    build, test = block
    assert "-r requirements/run.txt" in build and build.endswith("movebook build")
    assert "-r requirements/test.txt" in test and test.endswith("pytest -q")
    for command in block:
        assert "--require-hashes" in command and "--no-deps" in command
    assert (REPO / ".ci" / "run").read_text(encoding="utf-8").splitlines()[-1] == test
