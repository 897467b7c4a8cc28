"""Problems found in a project's files, each reported as `path:line: field: message`."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
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
