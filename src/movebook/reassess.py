"""`movebook reassess`: append a new assessment to a profile, prefilled from the last one.

The profile is the clinician's own text, so it is never re-dumped: the new
assessment is written as text and inserted right after the last one, and
every byte already in the file stays as it was. Signature, tolerances, goals
and overrides are copied as written (comments included); the measures are
left empty, with a comment listing what to re-measure, and the notes (a
message to the patient about one visit) are left for the clinician.

Before anything is written the new text is parsed and validated in memory;
the file is then replaced in one step (a temporary file beside it, renamed),
re-read and validated again, and restored if it somehow does not validate.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

import yaml

from movebook.errors import Problem, did_you_mean
from movebook.load import PROFILES_DIR, RawProject, Source, load_project_sources, parse_yaml
from movebook.model import Assessment, Profile
from movebook.validate import validate_project

COMMAND = "reassess"

# Where `measures` goes in a new assessment when the last one had none.
_CANONICAL = ("date", "phase", "signature", "tolerances", "measures", "goals", "notes", "overrides")
# Copied from the last assessment as written.
_CARRIED = ("signature", "tolerances", "goals", "overrides")
_ODD_BREAKS = ("\r", "\x85", "\u2028", "\u2029")  # line breaks YAML counts that we do not


class ReassessError(Exception):
    """Why nothing was changed: one or more lines to print, each naming the file."""

    def __init__(self, lines: Iterable[str]) -> None:
        self.lines = list(lines)
        super().__init__("\n".join(self.lines))


class UnknownProfile(ReassessError):
    """No profile file has the id asked for."""


@dataclass(frozen=True)
class Reassessment:
    """What was appended, and where."""

    path: Path  # the profile file
    rel: str  # its path in the project, as problems print it
    line: int  # the line of the new `- date:` item
    date: dt.date
    phase: int
    warnings: list[str] = field(default_factory=list)


def parse_date(text: str) -> dt.date:
    """A YYYY-MM-DD date, or ValueError saying what is wrong with it."""
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        raise ValueError(f"expected a date as YYYY-MM-DD, got {text!r}")
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"expected a real calendar date as YYYY-MM-DD, got {text!r}") from None


def reassess(
    root: Path,
    profile_id: str,
    date: dt.date | str | None = None,
    phase: int | None = None,
) -> Reassessment:
    """Append a new assessment to `profile_id`'s file; raise ReassessError if it cannot."""
    raw = load_project_sources(root)
    source = _profile_source(raw, profile_id)
    rel = source.path
    path = root / rel

    def refuse(message: str, line: int | None = None) -> ReassessError:
        where = f"{rel}:{line}" if line is not None else rel
        return ReassessError([f"{where}: {COMMAND}: {message}"])

    config, library, profiles, report = validate_project(raw)
    shared = [p for p in report.problems if not p.path.startswith(f"{PROFILES_DIR}/")]
    own = [p for p in report.problems if p.path == rel]
    if shared or config is None or library is None:
        raise ReassessError(
            [str(p) for p in shared or report.problems]
            + [f"{rel}: {COMMAND}: the library or settings have errors; nothing changed"]
        )
    profile = profiles.get(profile_id)
    if own or profile is None:
        raise ReassessError(
            [str(p) for p in own]
            + [f"{rel}: {COMMAND}: fix the profile's errors first; nothing changed"]
        )

    last = profile.latest
    last_line = source.line_of(("assessments", len(profile.assessments) - 1, "date"))
    if isinstance(date, str):
        try:
            date = parse_date(date)
        except ValueError as error:
            raise refuse(f"--date: {error}") from None
    today = date is None
    new_date = dt.date.today() if date is None else date
    if new_date <= last.date:
        hint = " (today); give a later one with --date YYYY-MM-DD" if today else ""
        raise refuse(
            f"the new date {new_date.isoformat()}{hint} must be after the last assessment "
            f"({last.date.isoformat()})",
            last_line,
        )
    phases = len(library.phases)
    new_phase = last.phase if phase is None else phase
    if not 1 <= new_phase <= phases:
        raise refuse(f"--phase: expected 1-{phases} (the library's phases), got {new_phase}")

    original = path.read_bytes()
    bom = b"\xef\xbb\xbf" if original.startswith(b"\xef\xbb\xbf") else b""
    text = original[len(bom) :].decode("utf-8")
    warnings: list[str] = []
    index = len(profile.assessments)
    try:
        layout = _layout(text)
        new_text, start = _candidate(layout, profile, new_date, new_phase, text, True)
        problems = _problems_with(raw, source, new_text)
        if problems and all(
            p.field.startswith(f"assessments[{index}].overrides") for p in problems
        ):
            # An `include` that fitted the last phase may not fit the new one: keep the
            # overrides as comments for the clinician rather than refuse.
            warnings = [
                f"{rel}: {COMMAND}: left the overrides of {last.date.isoformat()} that do not "
                f"fit as comments: {p.field}: {p.message}"
                for p in problems
            ]
            new_text, start = _candidate(layout, profile, new_date, new_phase, text, False)
            problems = _problems_with(raw, source, new_text)
    except _Unusual as error:
        raise refuse(
            f"cannot append to this file safely: {error}; add the assessment by hand",
            last_line,
        ) from None
    if problems:
        raise ReassessError(
            [str(p) for p in problems]
            + [f"{rel}: {COMMAND}: the new assessment would not validate; nothing changed"]
        )

    target = path.resolve()
    try:
        _replace(target, bom + new_text.encode("utf-8"), expected=original)
    except _Changed:
        raise refuse("the file changed while reassessing it; nothing changed, try again") from None
    except OSError as error:
        raise refuse(
            f"cannot write the file ({error.strerror or error}); nothing changed"
        ) from None
    after = _check_written(root, rel)
    if after:
        try:
            _replace(target, original, expected=None)
        except OSError as error:
            raise ReassessError(
                [str(p) for p in after]
                + [
                    f"{rel}: {COMMAND}: the profile did not validate after writing, and restoring "
                    f"it failed ({error.strerror or error})"
                ]
            ) from None
        raise ReassessError(
            [str(p) for p in after]
            + [f"{rel}: {COMMAND}: the profile did not validate after writing; restored it"]
        )
    line = new_text.count("\n", 0, start) + 1
    return Reassessment(path, rel, line, new_date, new_phase, warnings)


# --- finding the profile -----------------------------------------------------


def _profile_source(raw: RawProject, profile_id: str) -> Source:
    by_id = {PurePosixPath(source.path).stem: source for source in raw.profiles}
    source = by_id.get(profile_id)
    if source is None:
        raise UnknownProfile(
            [
                f"no profile {profile_id!r} in {raw.root / PROFILES_DIR}"
                + did_you_mean(profile_id, by_id)
            ]
        )
    return source


def _problems_with(raw: RawProject, source: Source, text: str) -> list[Problem]:
    """The problems the profile would have with `text` in place of its file."""
    candidate = parse_yaml(text, source.path)
    profiles = [candidate if s is source else s for s in raw.profiles]
    swapped = RawProject(**{**vars(raw), "profiles": profiles})
    _, _, _, report = validate_project(swapped)
    return [p for p in report.problems if p.path == source.path]


def _check_written(root: Path, rel: str) -> list[Problem]:
    _, _, _, report = validate_project(load_project_sources(root))
    return [p for p in report.problems if p.path == rel]


# --- the file's layout -------------------------------------------------------


class _Changed(Exception):
    """Someone saved the file between our reading and our writing it."""


class _Unusual(Exception):
    """The assessments are written in a way we do not append to (the message says how)."""


@dataclass(frozen=True)
class _Key:
    name: str
    first: int  # first line of the key's text (its leading comments included)
    line: int  # the line of the key itself
    last: int  # last line of its value (inner comments included)


@dataclass(frozen=True)
class _Layout:
    lines: list[str]  # the file's lines, each with its line break
    dash: int  # the column of the items' `-`
    indent: int  # the column of the items' keys
    keys: list[_Key]  # the last item's keys, in order
    override_keys: list[_Key]  # the keys of its overrides, when a block mapping
    end: int  # the last line of the last item
    after_blank: int  # the last line before what follows the item (blank lines included)
    gap: bool  # the items are separated by a blank line
    newline: str


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _blank(line: str) -> bool:
    return not line.strip()


def _comment(line: str) -> bool:
    return line.lstrip(" ").startswith("#")


def _layout(text: str) -> _Layout:
    if any(mark in text.replace("\r\n", "\n") for mark in _ODD_BREAKS):
        raise _Unusual("it has line breaks other than \\n or \\r\\n")
    node = yaml.compose(text, Loader=yaml.SafeLoader)
    if not isinstance(node, yaml.MappingNode):
        raise _Unusual("the file is not a mapping")
    found = [value for key, value in node.value if getattr(key, "value", None) == "assessments"]
    if len(found) != 1:
        raise _Unusual("expected one `assessments` key")
    items = found[0]
    if not isinstance(items, yaml.SequenceNode) or items.flow_style or not items.value:
        raise _Unusual("the assessments are not a block list of `- date: ...` items")
    item = items.value[-1]
    if not isinstance(item, yaml.MappingNode) or item.flow_style or not item.value:
        raise _Unusual("the last assessment is not a block mapping of `key: value` lines")

    lines = text.splitlines(keepends=True)
    start = item.start_mark.line
    indent = item.start_mark.column
    match = re.fullmatch(r"( *)- +", lines[start][:indent])
    if not match:
        raise _Unusual("the last assessment does not start with `- key:` on one line")
    dash = len(match.group(1))

    end = start
    for number in range(start + 1, len(lines)):
        line = lines[number]
        if _blank(line):
            continue
        if _indent(line) <= dash:
            break
        end = number
    after_blank = end
    while after_blank + 1 < len(lines) and _blank(lines[after_blank + 1]):
        after_blank += 1

    keys = _key_spans(item, lines, indent, end, first_on_dash=True)
    overrides = [value for key, value in item.value if key.value == "overrides"]
    sub_keys: list[_Key] = []
    if overrides and isinstance(overrides[0], yaml.MappingNode) and not overrides[0].flow_style:
        span = next(key for key in keys if key.name == "overrides")
        sub_indent = overrides[0].start_mark.column
        if overrides[0].start_mark.line > span.line and sub_indent > indent:
            sub_keys = _key_spans(overrides[0], lines, sub_indent, span.last)

    gap = False
    if len(items.value) > 1:
        previous_start = items.value[-2].start_mark.line
        between = lines[previous_start:start]
        gap = bool(between) and _blank(between[-1])
    newline = "\r\n" if "\r\n" in text else "\n"
    return _Layout(lines, dash, indent, keys, sub_keys, end, after_blank, gap, newline)


def _key_spans(
    node: yaml.MappingNode, lines: list[str], indent: int, end: int, first_on_dash: bool = False
) -> list[_Key]:
    """Each key of a block mapping with the lines of its text, up to line `end`."""
    keys: list[_Key] = []
    for key_node, _value in node.value:
        name = key_node.value if isinstance(key_node, yaml.ScalarNode) else None
        line = key_node.start_mark.line
        if not isinstance(name, str) or key_node.start_mark.column != indent:
            raise _Unusual("a key of the last assessment is not where expected")
        if (keys or not first_on_dash) and lines[line][:indent].strip():
            raise _Unusual("a key of the last assessment does not start its line")
        first = line
        while keys and first - 1 > keys[-1].line and _is_key_comment(lines[first - 1], indent):
            first -= 1
        if keys:
            keys[-1] = _Key(keys[-1].name, keys[-1].first, keys[-1].line, first - 1)
        keys.append(_Key(name, first, line, end))
    return keys


def _is_key_comment(line: str, indent: int) -> bool:
    """A comment line at a key's indentation, just above it, belongs to that key."""
    return _comment(line) and _indent(line) == indent


# --- the new assessment ------------------------------------------------------


def _candidate(
    layout: _Layout,
    profile: Profile,
    date: dt.date,
    phase: int,
    text: str,
    keep_overrides: bool,
) -> tuple[str, int]:
    """The new file text, and the offset where the new item starts.

    Without `keep_overrides`, the overrides' `include` (or, when it cannot be
    left out alone, all the overrides) is copied as comments.

    Insert right after the last item's content; if that changes what the old
    text means (a `|+` block scalar keeps trailing blank lines), after the
    blank lines that follow it. The first that reads back as intended wins.
    """
    dropped: str | None = None
    if not keep_overrides:
        names = [key.name for key in layout.override_keys]
        dropped = "include" if "include" in names and len(names) > 1 else "overrides"
    block = _new_item(layout, profile, date, phase, dropped)
    old = parse_yaml(text, "old").data
    for last in dict.fromkeys((layout.end, layout.after_blank)):
        offset = sum(len(line) for line in layout.lines[: last + 1])
        head = text[:offset]
        if head and not head.endswith("\n"):
            head += layout.newline
        new_text = head + block + text[offset:]
        start = len(head) + (len(layout.newline) if layout.gap else 0)
        if _reads_as_intended(old, new_text, start, date, phase, dropped):
            return new_text, start
    raise _Unusual("the new assessment would not read back as written")


def _reads_as_intended(
    old: Any, new_text: str, start: int, date: dt.date, phase: int, dropped: str | None
) -> bool:
    """The old data is all there, unchanged, followed by exactly the new assessment."""
    source = parse_yaml(new_text, "new")
    new = source.data
    if source.problems or not isinstance(new, dict) or not isinstance(old, dict):
        return False
    if list(new) != list(old) or any(new[key] != old[key] for key in old if key != "assessments"):
        return False
    before, after = old["assessments"], new["assessments"]
    if after[:-1] != before or len(after) != len(before) + 1:
        return False
    item, last = after[-1], before[-1]
    expected = {"date": date.isoformat(), "phase": phase, "measures": {}}
    expected |= {key: last[key] for key in _CARRIED if key in last and key != dropped}
    if dropped == "include":
        expected["overrides"] = {k: v for k, v in last["overrides"].items() if k != "include"}
    line = new_text.count("\n", 0, start) + 1
    return bool(item == expected and source.lines.get(("assessments", len(before))) == line)


def _new_item(
    layout: _Layout, profile: Profile, date: dt.date, phase: int, dropped: str | None
) -> str:
    """The new item's text: date and phase first, then the last item's keys in its order."""
    pad = " " * layout.indent
    since = profile.latest.date.isoformat()
    # (text, copied): generated lines get the keys' indentation, copied ones are as written
    out: list[tuple[str, bool]] = [(f"date: {date.isoformat()}", False), (f"phase: {phase}", False)]
    names = [key.name for key in layout.keys]
    later = _CANONICAL[_CANONICAL.index("measures") + 1 :]
    measures_at = (
        "measures" if "measures" in names else next((name for name in names if name in later), None)
    )
    for key in layout.keys:
        if key.name == measures_at:
            out += [(line, False) for line in _measures_lines(profile.assessments)]
        if key.name in ("date", "phase", "measures"):
            continue
        if key.name == "notes":
            comment = "# notes: |  # your message to the patient about this visit (Markdown)"
            out.append((comment, False))
            continue
        copied = _copy(layout.lines, key, layout.indent)
        if key.name == "overrides" and dropped == "overrides":
            why = f"# The overrides of {since} do not all fit phase {phase}: uncomment what does."
            copied = [why, *_commented(copied, layout.indent)]
        elif key.name == "overrides" and dropped == "include":
            copied = _copy(layout.lines, key, layout.indent, upto=layout.override_keys[0].first)
            for sub in layout.override_keys:
                sub_indent = _indent(layout.lines[sub.line])
                sub_lines = _copy(layout.lines, sub, sub_indent)
                if sub.name == "include":
                    why = (
                        f"# The include of {since} does not fit phase {phase}: uncomment what does."
                    )
                    sub_lines = [" " * sub_indent + why, *_commented(sub_lines, sub_indent)]
                copied += sub_lines
        out += [(line, True) for line in copied]
    if measures_at is None:
        out += [(line, False) for line in _measures_lines(profile.assessments)]
    while out and out[-1][1] and not out[-1][0].strip():
        out.pop()

    lines = [line if copied else pad + line for line, copied in out]
    lines[0] = " " * layout.dash + "-" + " " * (layout.indent - layout.dash - 1) + lines[0].lstrip()
    block = "".join(line + layout.newline for line in lines)
    return (layout.newline if layout.gap else "") + block


def _copy(lines: Sequence[str], key: _Key, indent: int, upto: int | None = None) -> list[str]:
    """A key's lines as written, without line breaks; on the item's `- ` line, without the dash."""
    copied = [line.rstrip("\r\n") for line in lines[key.first : key.last + 1]]
    copied[key.line - key.first] = " " * indent + copied[key.line - key.first][indent:]
    return copied if upto is None else copied[: upto - key.first]


def _commented(lines: Sequence[str], indent: int) -> list[str]:
    """Lines commented out at `indent`, keeping their own indentation after the `#`."""
    return [
        line[:indent] + "# " + line[indent:] if line.strip() else " " * indent + "#"
        for line in lines
    ]


def _measures_lines(history: Sequence[Assessment]) -> list[str]:
    """`measures: {}` with comments: what was measured last, and a blank form to fill in."""
    nprs = next(
        ((a.date, a.measures.nprs) for a in reversed(history) if a.measures.nprs is not None), None
    )
    odi = next(
        ((a.date, a.measures.odi) for a in reversed(history) if a.measures.odi is not None), None
    )
    psfs = next(((a.date, a.measures.psfs) for a in reversed(history) if a.measures.psfs), None)
    parts: dict[dt.date, list[str]] = {}
    if nprs:
        parts.setdefault(nprs[0], []).append(f"nprs {nprs[1]:g}")
    if odi:
        parts.setdefault(odi[0], []).append(f"odi {odi[1]:g}")
    if psfs:
        parts.setdefault(psfs[0], []).append(
            "psfs " + ", ".join(f"{_quoted(name)} {score}" for name, score in psfs[1].items())
        )
    last = "; ".join(
        f"{when.isoformat()}: {', '.join(what)}"
        for when, what in sorted(parts.items(), reverse=True)
    )
    activities = list(psfs[1]) if psfs else []
    return [
        "measures: {}  # not measured yet: the booklet says so until you fill them in",
        *(
            f"  {line}"  # indented under `measures`, so that the next reassess leaves them out
            for line in (
                f"# Last measured {last}" if last else "# Not measured at any earlier visit",
                "# To fill in, replace {} above with this visit's scores:",
                "# nprs:     # pain 0-10",
                "# odi:      # Oswestry 0-100",
                "# psfs:     # 0-10 each" + ("; rate these again" if activities else ""),
                *(f"#   {_quoted(name)}:" for name in activities),
            )
        ),
    ]


def _quoted(text: str) -> str:
    """A YAML double-quoted scalar on one line (JSON's string syntax is a subset of YAML's)."""
    quoted = json.dumps(text, ensure_ascii=False)
    for mark in _ODD_BREAKS[1:]:  # line breaks to YAML, not to JSON
        quoted = quoted.replace(mark, f"\\u{ord(mark):04x}")
    return quoted


# --- writing -----------------------------------------------------------------


def _replace(target: Path, data: bytes, *, expected: bytes | None) -> None:
    """Write `data` to `target` in one step, keeping its mode; check it did not change since."""
    mode = target.stat().st_mode & 0o7777
    handle, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    temporary = Path(name)
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.chmod(temporary, mode)
        if expected is not None and target.read_bytes() != expected:
            raise _Changed
        os.replace(temporary, target)
    finally:
        temporary.unlink(missing_ok=True)
