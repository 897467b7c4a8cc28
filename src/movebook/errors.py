"""Problems found in a project's files, each reported as `path:line: field: message`."""

from __future__ import annotations

import difflib
import errno
import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SHOWN = 60  # characters of a long value that an error message shows
MAX_MESSAGE = 400  # characters of a field or message, whatever was put into it
_UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong in one file, at one line."""

    path: str
    line: int
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}: "
        field = f"{shorten(_one_line(self.field), MAX_MESSAGE)}: " if self.field else ""
        return where + field + shorten(_one_line(self.message), MAX_MESSAGE)


def _one_line(text: str) -> str:
    """A problem is one line on a terminal, whatever a file put into it."""
    return _UNPRINTABLE.sub(lambda found: repr(found.group())[1:-1], text)


def shorten(text: str, width: int = SHOWN) -> str:
    """`text`, or its start and its length when longer than `width`: `abc… (100,000 characters)`."""
    if len(text) <= width:
        return text
    return f"{text[:width]}… ({len(text):,} characters)"


class ProjectError(Exception):
    """Raised once, after every problem in a project has been collected."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems = sorted(set(problems))
        super().__init__("\n".join(map(str, self.problems)))


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """A ` (did you mean 'x'?)` hint for a misspelt id or key, or ''."""
    close = difflib.get_close_matches(word, sorted(choices), n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


def describe(value: Any) -> str:
    """How a YAML value reads in an error message: `'six'`, `7`, `a list`."""
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        if len(value) > SHOWN:
            return f"{value[:SHOWN]!r}… ({len(value):,} characters)"
        return repr(value) if value else "an empty string"
    if isinstance(value, int) and value.bit_length() > 10_000:  # str() would refuse it
        return "a number of over 3,000 digits"
    if isinstance(value, int | float):
        return shorten(str(value))
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__


def field_path(loc: Sequence[str | int], data: Any = None) -> str:
    """Render a location as `assessments[0].measures.psfs['Lift Leo']`.

    The raw data tells list indexes (`[0]`) from mapping keys (`.key`).
    """
    out = ""
    node = data
    for part in loc:
        if isinstance(node, list) and isinstance(part, int):
            out += f"[{part}]"
        elif isinstance(part, str) and len(part) > SHOWN:
            out += f"[{describe(part)}]"
        elif isinstance(part, str) and part.isidentifier():
            out += f".{part}" if out else part
        else:
            out += f"[{part!r}]"
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            node = None
    return out


def os_culprit(error: OSError) -> tuple[Path | None, str]:
    """The file or folder an OSError is about, and what is wrong with it: the file in the way
    of a folder, the folder a file could not be created in, not the temporary file's name."""
    name = error.filename if error.filename is not None else error.filename2
    reason = error.strerror or str(error)
    if name is None:
        return None, reason  # a full disk names no file: the caller knows which one it was
    path = Path(os.fsdecode(name))
    lineage = [path, *path.parents]
    if error.errno == errno.ENOTDIR or (error.errno == errno.EEXIST and _is_file(path)):
        for folder in lineage:
            if _is_file(folder):
                return folder, "expected a folder, got a file"
    if error.errno == errno.EISDIR:
        return path, "expected a file, got a folder"
    if error.errno != errno.ENOENT:  # creating it failed: the folder it was going into is why
        path = next((p for p in lineage if os.path.lexists(p)), path)
    return path, reason


def _is_file(path: Path) -> bool:
    try:
        return os.path.lexists(path) and not path.is_dir()
    except OSError:
        return False


def shown_path(path: Path, root: Path | None) -> str:
    """A path as messages show it: relative to the project when it is inside it."""
    if root is not None:
        for base in (root, root.resolve()):
            if path.is_relative_to(base) and path != base:
                return path.relative_to(base).as_posix()
    return str(path)


def os_problem(error: OSError, root: Path | None, default: Path | None = None) -> str:
    """An OSError as one line: `output/site: expected a folder, got a file`. `default` is the
    file to name when the error names none (a full disk)."""
    path, reason = os_culprit(error)
    path = path or default
    return f"{shown_path(path, root)}: {reason}" if path is not None else reason
