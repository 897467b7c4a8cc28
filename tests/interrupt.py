"""Run `movebook` in a real process stopped at one exact step of a build: killed there (as a
power cut or `kill -9` would) or paused there until a file appears, so that a test can start
another build in the middle of this one.

    python tests/interrupt.py POINT ACTION movebook-arguments...

POINT is one of:
  retire   right after a booklet folder was moved aside, before the new one is moved in
  swap     right before a new booklet folder is moved in
  asset    right before a site asset's temporary file is renamed into place
ACTION is `kill` (SIGKILL itself) or `pause:FILE` (say PAUSED on stderr, wait for FILE).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

PAUSED = "PAUSED"
HERE = Path(__file__).resolve()


def run(point: str, action: str, *args: str, env: dict[str, str] | None = None) -> Any:
    """Start movebook under this script; returns the Popen (text mode, pipes for output)."""
    return subprocess.Popen(
        [sys.executable, str(HERE), point, action, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "NO_COLOR": "1", **(env or {})},
    )


def _staging(path: Any) -> bool:
    return Path(path).name.startswith(".staging-")


def _booklet(path: Any) -> bool:
    return Path(path).parent.name == "p"


POINTS: dict[str, tuple[str, Callable[[Any, Any], bool], bool]] = {
    # point -> (the os function, which call, stop after the call rather than before it)
    "retire": (
        "rename",
        lambda src, dst: _booklet(src) and not _staging(src) and _staging(dst),
        True,
    ),
    "swap": (
        "rename",
        lambda src, dst: _booklet(dst) and _staging(src) and not _staging(dst),
        False,
    ),
    "asset": ("replace", lambda src, dst: "assets" in Path(dst).parts, False),
}


def _stop(action: str) -> None:
    if action == "kill":
        os.kill(os.getpid(), signal.SIGKILL)
    go = Path(action.removeprefix("pause:"))
    print(PAUSED, file=sys.stderr, flush=True)
    while not go.exists():
        time.sleep(0.02)


def main() -> None:
    point, action, *args = sys.argv[1:]
    name, matches, after = POINTS[point]
    original = getattr(os, name)
    done = False

    def patched(src: Any, dst: Any, *rest: Any, **options: Any) -> Any:
        nonlocal done
        hit = not done and matches(src, dst)
        done = done or hit
        if hit and not after:
            _stop(action)
        result = original(src, dst, *rest, **options)
        if hit and after:
            _stop(action)
        return result

    setattr(os, name, patched)
    from movebook.cli import main as movebook

    movebook(args, prog_name="movebook")


if __name__ == "__main__":
    main()
