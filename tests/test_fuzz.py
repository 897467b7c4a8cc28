"""Fuzzed profiles and exercise files: never a traceback, a hang or a silent acceptance.

Each example mutates one sample file (a wrong type, a deleted or duplicated key, broken
indentation, a huge number, NaN, a tag, control characters, unicode, an alias bomb, deep nesting,
a file too big...) and runs `movebook check` in-process. Every problem must be one line,
`path:line: ...`, with a line inside its file; a mutation known to break the file must give at
least one problem. The examples are derandomized: CI runs the same ones every time, so a failure
there is a failure here too (a new example is found by changing the test, not by luck).
"""

from __future__ import annotations

import re
import shutil
import signal
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from types import FrameType

import pytest
import yaml
from click.testing import CliRunner
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from conftest import REPO
from movebook.cli import main
from movebook.load import MAX_MARKDOWN_BYTES, MAX_YAML_BYTES
from movebook.project import check_project

PROFILES = ["maria-lopez", "amara-okonkwo", "rangi-parata", "fatima-al-sayed"]
EXERCISES = [
    "integration/band-rotation-chop.md",
    "strength/goblet-squat.md",
    "stability/dead-bug.md",
]
REQUIRED = {
    "profile": ("id", "name", "assessments"),
    "exercise": ("title", "summary", "block", "phases", "position", "dose", "breathing"),
}
ONE_LINE = re.compile(r"^[^:\n]+:\d+: [^\n]*$")
FUZZ = settings(
    derandomize=True,  # the same examples on every run and machine: CI failures reproduce
    database=None,  # no failing example is replayed from an earlier run: each run is the same
    deadline=timedelta(seconds=5),
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
HARD_LIMIT_S = 30  # per example, even if a hang never returns to hypothesis' deadline


@dataclass(frozen=True)
class Layout:
    """Where in a sample file a mutation can aim."""

    kind: str  # profile or exercise
    rel: str
    text: str
    values: tuple[tuple[int, int], ...]  # character spans of plain or quoted scalar values
    key_lines: tuple[tuple[int, int], ...]  # spans of lines that start with a block-mapping key
    required: tuple[tuple[int, int], ...]  # spans of the lines of required top-level keys
    yaml_end: int  # where more YAML can go: the end of a profile, before a closing ---
    limit: int  # the file's size limit


def layout(kind: str, rel: str, text: str) -> Layout:
    if kind == "exercise":
        offset, yaml_end = len("---\n"), text.index("\n---\n", 3) + 1
        document = text[offset:yaml_end]
    else:
        offset, document, yaml_end = 0, text, len(text)
    root = yaml.compose(document, Loader=yaml.SafeLoader)  # indexes in characters, not bytes
    values: list[tuple[int, int]] = []
    key_lines: list[tuple[int, int]] = []
    required: list[tuple[int, int]] = []

    def line_span(index: int) -> tuple[int, int]:
        start = text.rfind("\n", 0, index) + 1
        return start, text.index("\n", index) + 1

    def visit(node: yaml.Node, top: bool) -> None:
        if isinstance(node, yaml.ScalarNode):
            if node.style in (None, "'", '"'):
                values.append((node.start_mark.index + offset, node.end_mark.index + offset))
        elif isinstance(node, yaml.SequenceNode):
            for item in node.value:
                visit(item, False)
        elif isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                start, end = line_span(key.start_mark.index + offset)
                if not node.flow_style and not text[start : key.start_mark.index + offset].strip():
                    key_lines.append((start, end))
                    if top and key.value in REQUIRED[kind]:
                        required.append((start, end))
                visit(value, False)

    visit(root, True)
    limit = MAX_MARKDOWN_BYTES if kind == "exercise" else MAX_YAML_BYTES
    return Layout(
        kind, rel, text, tuple(values), tuple(key_lines), tuple(required), yaml_end, limit
    )


LAYOUTS = [
    layout("profile", f"profiles/{name}.yaml", (REPO / "profiles" / f"{name}.yaml").read_text())
    for name in PROFILES
] + [
    layout("exercise", f"content/exercises/{rel}", (REPO / "content/exercises" / rel).read_text())
    for rel in EXERCISES
]


def alias_bomb(levels: int) -> str:
    lines = ["x0: &a0 [" + ", ".join(["lol"] * 9) + "]"]
    lines += [f"x{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, levels + 1)]
    return "\n".join(lines) + "\n"


# Values that make any field invalid, whatever its type.
BREAKING_VALUES = {
    "wrong type": st.sampled_from(["[[[]]]", "{zz_unknown: [[]]}"]),
    "not finite": st.sampled_from(
        [".nan", ".NaN", ".NAN", ".inf", "-.Inf", "+.INF", "!!float nan", "1.0e+999"]
    ),
    "huge number": st.one_of(
        st.integers(min_value=10**15, max_value=10**80).map(str),
        st.integers(min_value=-(10**80), max_value=-(10**15)).map(str),
        st.integers(min_value=16**13, max_value=16**300).map(hex),
    ),
    "tag": st.sampled_from(
        [
            "!!python/object/apply:os.system [ls]",
            "!custom x",
            "!!binary AAAA",
            "!!set {a}",
            "!!timestamp 2026-01-01",
            "!!int abc",
            "!!bool maybe",
        ]
    ),
    "control escape": st.sampled_from(['"\\0"', '"a\\x07b"', '"\\e[31m"', '"\\N"', '"x\\L"']),
    "deep nesting": st.integers(min_value=51, max_value=3_000).map(lambda d: "[" * d + "]" * d),
}
RAW_CONTROL = st.sampled_from(
    [chr(c) for c in [*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), *range(0x7F, 0xA0)]]
    + ["\u2028", "\u2029", "\ufffe"]
)
ANY_VALUE = st.one_of(
    st.text(max_size=30).map(
        lambda text: '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
    ),
    st.integers().map(str),
    st.floats(allow_nan=False, allow_infinity=False).map(repr),
    st.sampled_from(["", "null", "~", "true", "no", "[]", "{}", "-", "'", "*nowhere", "&a x", "|"]),
)


@dataclass(frozen=True)
class Mutation:
    what: str
    content: str | bytes
    breaks: bool  # whether the file is certainly invalid afterwards


@st.composite
def mutations(draw: st.DrawFn, base: Layout) -> Mutation:
    text = base.text
    what = draw(
        st.sampled_from(
            [*BREAKING_VALUES, "any value", "delete required key", "duplicate key",
             "indentation", "delete line", "raw control", "unicode", "byte", "alias bomb",
             "very large file"]
        )
    )  # fmt: skip
    if what in BREAKING_VALUES or what == "any value":
        start, end = draw(st.sampled_from(base.values))
        value = draw(BREAKING_VALUES.get(what, ANY_VALUE))
        return Mutation(what, text[:start] + value + text[end:], what != "any value")
    if what == "delete required key":
        start, end = draw(st.sampled_from(base.required))
        return Mutation(what, text[:start] + text[end:], True)
    if what == "duplicate key":
        start, end = draw(st.sampled_from(base.key_lines))
        return Mutation(what, text[:end] + text[start:end] + text[end:], True)
    if what in ("indentation", "delete line"):
        lines = text.splitlines(keepends=True)
        index = draw(st.integers(min_value=0, max_value=len(lines) - 1))
        if what == "delete line":
            del lines[index]
        else:
            shift = draw(st.integers(min_value=-3, max_value=3))
            stripped = lines[index].lstrip(" ")
            indent = max(len(lines[index]) - len(stripped) + shift, 0)
            lines[index] = " " * indent + stripped
        return Mutation(what, "".join(lines), False)
    index = draw(st.integers(min_value=0, max_value=len(text)))
    if what == "raw control":
        return Mutation(what, text[:index] + draw(RAW_CONTROL) + text[index:], True)
    if what == "unicode":
        return Mutation(
            what, text[:index] + draw(st.text(min_size=1, max_size=20)) + text[index:], False
        )
    if what == "byte":
        raw = bytearray(text.encode())
        raw[min(index, len(raw) - 1)] = draw(st.integers(min_value=0, max_value=255))
        return Mutation(what, bytes(raw), False)
    if what == "alias bomb":
        bomb = alias_bomb(draw(st.integers(min_value=6, max_value=9)))
        end = base.yaml_end
        return Mutation(what, text[:end] + bomb + text[end:], True)
    over = draw(st.integers(min_value=1, max_value=5_000))
    padding = "\n#" + "#" * (base.limit - len(text.encode()) + over) + "\n"
    return Mutation(what, text + padding, True)


class Hang(Exception):
    pass


@contextmanager
def hard_limit(seconds: int) -> Iterator[None]:
    """Fail instead of hanging, even where hypothesis' deadline would wait forever."""

    def alarm(signum: int, frame: FrameType | None) -> None:
        raise Hang(f"no answer within {seconds} s")

    previous = signal.signal(signal.SIGALRM, alarm)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def line_count(path: Path) -> int:
    return max(path.read_bytes().count(b"\n") + (not path.read_bytes().endswith(b"\n")), 1)


def assert_one_line_problems(root: Path, lines: list[str], paths: list[str]) -> None:
    for line, path in zip(lines, paths, strict=True):
        assert ONE_LINE.match(line), line
        number = int(line.removeprefix(path + ":").split(":", 1)[0])
        assert 1 <= number <= line_count(root / path), line


@pytest.fixture(scope="module")
def clinic(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One copy of the library for all the examples; each example restores what it changed."""
    root = tmp_path_factory.mktemp("fuzz") / "clinic"
    shutil.copytree(REPO / "content", root / "content")
    shutil.copy(REPO / "movebook.yaml", root / "movebook.yaml")
    (root / "profiles").mkdir()
    return root


def check_mutated(clinic: Path, base: Layout, mutation: Mutation) -> None:
    path = clinic / base.rel
    original = path.read_bytes() if path.exists() else None
    if isinstance(mutation.content, bytes):
        path.write_bytes(mutation.content)
    else:
        path.write_text(mutation.content, encoding="utf-8")
    started = time.monotonic()
    try:
        with hard_limit(HARD_LIMIT_S):
            _, report = check_project(clinic)
        assert time.monotonic() - started < HARD_LIMIT_S
        lines = [str(problem) for problem in report.problems]
        assert_one_line_problems(clinic, lines, [problem.path for problem in report.problems])
        if mutation.breaks:
            assert any(problem.path == base.rel for problem in report.problems), mutation.what
    finally:
        if original is None:
            path.unlink()
        else:
            path.write_bytes(original)


PROFILE_LAYOUTS = [base for base in LAYOUTS if base.kind == "profile"]
EXERCISE_LAYOUTS = [base for base in LAYOUTS if base.kind == "exercise"]


@settings(FUZZ, max_examples=200)
@given(data=st.data())
def test_fuzzed_profiles(clinic: Path, data: st.DataObject) -> None:
    base = data.draw(st.sampled_from(PROFILE_LAYOUTS))
    mutation = data.draw(mutations(base))
    event(mutation.what)
    check_mutated(clinic, base, mutation)


@settings(FUZZ, max_examples=100)
@given(data=st.data())
def test_fuzzed_exercises(clinic: Path, data: st.DataObject) -> None:
    base = data.draw(st.sampled_from(EXERCISE_LAYOUTS))
    mutation = data.draw(mutations(base))
    event(mutation.what)
    check_mutated(clinic, base, mutation)


def test_the_samples_are_valid_before_mutation(clinic: Path) -> None:
    """Otherwise "at least one problem" would prove nothing."""
    for base in PROFILE_LAYOUTS:
        (clinic / base.rel).write_text(base.text, encoding="utf-8")
    try:
        assert check_project(clinic)[1].problems == []
    finally:
        for base in PROFILE_LAYOUTS:
            (clinic / base.rel).unlink()


NAMES = st.text(
    st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp")), min_size=1, max_size=40
).filter(str.strip)


@st.composite
def renamed(draw: st.DrawFn, base: Layout) -> Mutation:
    """A patient's name in any script: a change that must still build."""
    name = draw(NAMES)
    quoted = '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'
    text = re.sub(r"(?m)^name: .*$", lambda _: f"name: {quoted}", base.text, count=1)
    return Mutation("renamed", text, False)


@settings(FUZZ, max_examples=10, deadline=timedelta(seconds=20))
@given(data=st.data())
def test_fuzzed_builds_fail_on_one_line_or_succeed(clinic: Path, data: st.DataObject) -> None:
    """A real `movebook build --no-pdf` of one mutated profile: the booklet, or exactly the
    one-line problems `check` reports."""
    base = PROFILE_LAYOUTS[0]
    mutation = data.draw(st.one_of(mutations(base), renamed(base)))
    event(mutation.what)
    path = clinic / base.rel
    if isinstance(mutation.content, bytes):
        path.write_bytes(mutation.content)
    else:
        path.write_text(mutation.content, encoding="utf-8")
    try:
        checked = [str(problem) for problem in check_project(clinic)[1].problems]
        with hard_limit(HARD_LIMIT_S):
            result = CliRunner().invoke(
                main, ["build", "--no-pdf", "--jobs", "1", "--project", str(clinic)]
            )
        assert result.exception is None or isinstance(result.exception, SystemExit), result
        assert "Traceback" not in result.output + result.stderr
        errors = [line for line in result.stderr.splitlines() if line != "Building booklets"]
        event(f"exit {result.exit_code}")
        assert errors == checked
        assert result.exit_code == (1 if checked else 0), result.output
        assert not (mutation.breaks and result.exit_code == 0), mutation.what
        assert all(ONE_LINE.match(line) for line in errors), errors
    finally:
        path.unlink()
        shutil.rmtree(clinic / "output", ignore_errors=True)
