"""Input that would exhaust or crash the loader is refused on one line, at the right line."""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from conftest import GOOD_PROFILE, bundled_copy, problems, write
from movebook import load, publish
from movebook.errors import Problem, ProjectError, describe, field_path
from movebook.load import MAX_DEPTH, MAX_MARKDOWN_BYTES, MAX_YAML_BYTES, parse_yaml

P = "profiles/ana-silva.yaml"
END = GOOD_PROFILE.count("\n") + 1  # the first line after GOOD_PROFILE
E = "content/exercises/integration/band-rotation-chop.md"
VOCABULARY = "content/vocabulary/tasks.yaml"
TOO_DEEP = f"expected at most {MAX_DEPTH} levels of lists and mappings inside each other, got more"
ALIAS_BOMB_MESSAGE = (
    "expected at most 100,000 values, got more (an alias counts everything it repeats)"
)


def alias_bomb(levels: int = 8) -> str:
    """The audit's 4 KB bomb: nine aliases of nine aliases of... (9**8 values when expanded)."""
    lines = ["x0: &a0 [" + ", ".join(["lol"] * 9) + "]"]
    lines += [f"x{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, levels + 1)]
    return "\n".join(lines) + "\n"


def profile(project: Path, text: str | bytes) -> list[str]:
    write(project, P, text)
    return problems(project, "profiles/")


@pytest.fixture(params=["libyaml", "pure-python"])
def either_loader(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """The same rules with libyaml's composer and with PyYAML's own (used when libyaml is
    missing), which recurses once per level of nesting."""
    if request.param == "pure-python":
        monkeypatch.setattr(load, "_Loader", load._safe_loader(yaml.SafeLoader))
    return str(request.param)


# --- aliases ---------------------------------------------------------------------------------


def test_alias_bomb_is_one_problem(project: Path) -> None:
    assert profile(project, GOOD_PROFILE + alias_bomb()) == [f"{P}:{END}: {ALIAS_BOMB_MESSAGE}"]


def test_too_many_values_without_aliases() -> None:
    text = "items:\n" + "- 1\n" * 100_000
    # the mapping, its key and the list are values too: the 99,998th item is one too many
    assert [str(p) for p in parse_yaml(text, "x").problems] == [
        "x:99999: expected at most 100,000 values, got more"
    ]


def test_aliases_that_repeat_a_little_still_work() -> None:
    source = parse_yaml("usual: &usual [mat, chair]\nhome: *usual\nwork: [*usual, *usual]\n", "x")
    assert source.problems == []
    assert source.data == {
        "usual": ["mat", "chair"],
        "home": ["mat", "chair"],
        "work": [["mat", "chair"], ["mat", "chair"]],
    }
    assert source.lines[("work",)] == 3


def test_an_alias_of_a_long_text_counts_its_characters() -> None:
    text = f"note: &n '{'x' * 400_000}'\nagain: [*n, *n, *n]\n"
    assert [str(p) for p in parse_yaml(text, "x").problems] == [
        "x:1: expected at most 1,000,000 characters of text, got more "
        "(an alias counts everything it repeats)"
    ]


def no_more_than(gigabytes: float) -> None:
    """In the child: a regression fails on MemoryError instead of eating the machine."""
    limit = int(gigabytes * 1024**3)
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


@pytest.mark.parametrize("command", [["check"], ["plan", "maria-lopez", "--json"]])
def test_alias_bomb_in_a_sample_profile_fails_fast_in_a_real_process(
    tmp_path: Path, command: list[str]
) -> None:
    root = bundled_copy(tmp_path / "clinic")
    maria = root / "profiles" / "maria-lopez.yaml"
    text = maria.read_text(encoding="utf-8")
    maria.write_text(text + alias_bomb(), encoding="utf-8")
    first = text.count("\n") + 1
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-m", "movebook", *command, "--project", str(root)],
        capture_output=True,
        text=True,
        timeout=60,
        preexec_fn=lambda: no_more_than(1),
        check=False,
    )
    assert time.monotonic() - started < 15
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        f"profiles/maria-lopez.yaml:{first}: {ALIAS_BOMB_MESSAGE}"
    ]
    assert "NaN" not in result.stdout


# --- nesting ---------------------------------------------------------------------------------


def nested(kind: str, depth: int) -> str:
    """`depth` lists (or mappings) inside each other, written on one line."""
    if kind == "flow list":
        return "[" * depth + "]" * depth
    if kind == "flow mapping":
        return "{a: " * depth + "1" + "}" * depth
    return "- " * depth + "1"


DEPTHS = [500, 5_000, 100_000]


def deep_profile(kind: str, depth: int) -> tuple[str, int]:
    """A profile with an `extra:` nested `depth` deep, and the line of the nesting."""
    if kind == "block list":
        return GOOD_PROFILE + "extra:\n  " + nested(kind, depth) + "\n", END + 1
    return GOOD_PROFILE + "extra: " + nested(kind, depth) + "\n", END


def deep_exercise(project: Path, depth: int) -> None:
    path = project / E
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    lines.insert(2, "extra: " + nested("flow list", depth) + "\n")  # line 3
    path.write_text("".join(lines), encoding="utf-8")


@pytest.mark.parametrize("depth", DEPTHS)
@pytest.mark.parametrize("kind", ["flow list", "flow mapping", "block list"])
def test_deep_nesting_in_a_profile_is_one_problem(
    tmp_path: Path, either_loader: str, kind: str, depth: int
) -> None:
    """The file alone (PyYAML's own parser is too slow to read the whole library each time);
    `check` shows a file's load problems as they are, as the next tests show."""
    text, line = deep_profile(kind, depth)
    path = write(tmp_path, P, text)
    assert [str(p) for p in load.load_yaml_file(path, P).problems] == [f"{P}:{line}: {TOO_DEEP}"]


@pytest.mark.parametrize("depth", DEPTHS)
def test_deep_nesting_in_front_matter_is_one_problem(
    project: Path, either_loader: str, depth: int
) -> None:
    deep_exercise(project, depth)
    found = load.load_markdown_file(project / E, E).problems
    assert [str(p) for p in found] == [f"{E}:3: {TOO_DEEP}"]


@pytest.mark.parametrize("kind", ["flow list", "flow mapping", "block list"])
def test_check_reports_deep_nesting_on_one_line(project: Path, kind: str) -> None:
    text, line = deep_profile(kind, 100_000)
    write(project, P, text)
    deep_exercise(project, 100_000)
    assert problems(project) == [f"{E}:3: {TOO_DEEP}", f"{P}:{line}: {TOO_DEEP}"]


def test_nesting_up_to_the_limit_is_read(project: Path) -> None:
    at_limit = GOOD_PROFILE + "extra: " + nested("flow list", MAX_DEPTH) + "\n"
    assert profile(project, at_limit) == [f"{P}:{END}: extra: expected a known key, got 'extra'"]
    over = GOOD_PROFILE + "extra: " + nested("flow list", MAX_DEPTH + 1) + "\n"
    assert profile(project, over) == [f"{P}:{END}: {TOO_DEEP}"]


# --- size ------------------------------------------------------------------------------------

SIZED = [
    (P, MAX_YAML_BYTES, "1 MB"),
    ("movebook.yaml", MAX_YAML_BYTES, "1 MB"),
    ("content/vocabulary/findings.yaml", MAX_YAML_BYTES, "1 MB"),
    (E, MAX_MARKDOWN_BYTES, "300 KB"),
    ("content/education/breathing.md", MAX_MARKDOWN_BYTES, "300 KB"),
]


@pytest.mark.parametrize(("rel", "limit", "shown"), SIZED)
def test_a_file_over_its_size_limit_is_one_problem(
    project: Path, rel: str, limit: int, shown: str
) -> None:
    path = project / rel
    if rel == P:
        write(project, P, GOOD_PROFILE)
    text = path.read_text(encoding="utf-8")
    padding = "\n" + "#" * (limit - len(text.encode()) - 2) + "\n"  # a comment, to the byte
    path.write_text(text + padding, encoding="utf-8")
    assert path.stat().st_size == limit
    assert problems(project) == []
    path.write_text(text + padding + "\n", encoding="utf-8")
    assert problems(project) == [
        f"{rel}:1: expected a file of at most {shown}, got {limit + 1:,} bytes"
    ]


def test_a_50_mb_education_page_stops_check_and_build_at_once(project: Path) -> None:
    write(project, P, GOOD_PROFILE)
    with (project / "content/education/breathing.md").open("ab") as page:
        page.truncate(50 * 1024 * 1024)  # sparse: nothing is read to find it too big
    message = (
        "content/education/breathing.md:1: expected a file of at most 300 KB, got 52,428,800 bytes"
    )
    assert problems(project) == [message]
    with pytest.raises(ProjectError) as error:
        publish.build(project, pdf=False)
    assert [str(p) for p in error.value.problems] == [message]
    assert not (project / "output").exists()


# --- values shown in messages ----------------------------------------------------------------


def test_a_long_value_is_shown_cut_with_its_length(project: Path) -> None:
    text = GOOD_PROFILE.replace("phase: 1", f"phase: '{'x' * 100_000}'")
    assert profile(project, text) == [
        f"{P}:5: assessments[0].phase: expected a whole number, got '{'x' * 60}'… "
        "(100,000 characters)"
    ]


def test_a_long_key_is_shown_cut_in_the_field_and_the_message(project: Path) -> None:
    key = "k" * 100_000
    shown = f"'{'k' * 60}'… (100,000 characters)"
    assert profile(project, GOOD_PROFILE + f"? {key}\n: 1\n") == [
        f"{P}:{END}: [{shown}]: expected a known key, got {shown}"
    ]


def test_no_message_is_longer_than_a_few_hundred_characters(project: Path) -> None:
    """validate.py echoes some values as they are (a heading here): the Problem bounds them."""
    path = project / E
    path.write_text(
        path.read_text(encoding="utf-8") + "\n## " + "h" * 100_000 + "\n", encoding="utf-8"
    )
    [found] = problems(project)
    assert found.startswith(f"{E}:")
    assert found.endswith(" characters)") and len(found) < 600


def test_describe_and_field_path_cut_long_text() -> None:
    assert describe("x" * 60) == repr("x" * 60)
    assert describe("x" * 61) == f"'{'x' * 60}'… (61 characters)"
    assert describe(10**80) == "1" + "0" * 59 + "… (81 characters)"
    assert describe(16**5000) == "a number of over 3,000 digits"
    assert field_path(("a" * 61, 0), {"a" * 61: [1]}) == f"['{'a' * 60}'… (61 characters)][0]"


def test_a_problem_is_always_one_line() -> None:
    problem = Problem("p.yaml", 3, "a\nb", "expected x, got 'y\r\nz\x1b[31m'")
    assert str(problem) == "p.yaml:3: a\\nb: expected x, got 'y\\r\\nz\\x1b[31m'"


# --- numbers ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "spelling",
    [".nan", ".NaN", ".NAN", ".inf", ".Inf", ".INF", "+.inf", "-.inf", "-.Inf", "-.INF",
     "!!float nan", "!!float inf", "1.0e+999", "-1.0e+999"],
)  # fmt: skip
def test_nan_and_infinity_are_refused(project: Path, spelling: str) -> None:
    text = GOOD_PROFILE.replace("odi: 42", f"odi: {spelling}")
    shown = spelling.removeprefix("!!float ")
    assert profile(project, text) == [
        f"{P}:11: assessments[0].measures.odi: expected a finite number, got {shown}"
    ]


@pytest.mark.parametrize(
    ("number", "shown"),
    [
        ("1000000000000000", "1000000000000000"),
        ("-1000000000000000", "-1000000000000000"),
        ("1" * 5_000, "1" * 60 + "… (5,000 characters)"),
        ("0x" + "f" * 5_000, "0x" + "f" * 58 + "… (5,002 characters)"),
        ("1:" * 2_000 + "1", "1:" * 30 + "… (4,001 characters)"),
    ],
)
def test_huge_whole_numbers_are_refused(project: Path, number: str, shown: str) -> None:
    text = GOOD_PROFILE.replace("nprs: 6", f"nprs: {number}")
    assert profile(project, text) == [
        f"{P}:11: assessments[0].measures.nprs: expected a whole number of at most 15 digits, "
        f"got {shown}"
    ]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("!!int abc", "expected a value that fits its tag !!int, got 'abc'"),
        ("!!int ''", "expected a value that fits its tag !!int, got an empty string"),
        ("!!bool maybe", "expected a value that fits its tag !!bool, got 'maybe'"),
        ("!!float x", "expected a value that fits its tag !!float, got 'x'"),
    ],
)
def test_a_value_that_does_not_fit_its_tag(project: Path, value: str, message: str) -> None:
    text = GOOD_PROFILE.replace("nprs: 6", f"nprs: {value}")
    assert profile(project, text) == [f"{P}:11: assessments[0].measures.nprs: {message}"]


def test_an_equals_sign_is_text_and_a_merge_key_is_refused() -> None:
    assert parse_yaml("sign: =\n", "x").data == {"sign": "="}
    merged = parse_yaml("base: &b {a: 1}\nmore:\n  <<: *b\n", "x")
    assert [str(p) for p in merged.problems] == [
        "x:3: expected a plain key, got the tag 'tag:yaml.org,2002:merge'"
    ]


@pytest.mark.parametrize("tag", ["binary", "timestamp", "set", "omap"])
def test_tags_beyond_plain_data_are_refused(project: Path, tag: str) -> None:
    value = {"binary": "AAAA", "timestamp": "2026-09-02", "set": "{a}", "omap": "[{a: 1}]"}[tag]
    text = GOOD_PROFILE.replace("name: Ana Silva", f"name: !!{tag} {value}")
    kind = "a plain value" if tag in ("binary", "timestamp") else "plain data"
    assert profile(project, text) == [
        f"{P}:2: expected {kind}, got the tag 'tag:yaml.org,2002:{tag}'"
    ]


# --- control characters ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("escape", "code", "shown"),
    [
        ("\\0", "U+0000", "\\x00"),
        ("\\x01", "U+0001", "\\x01"),
        ("\\e", "U+001B", "\\x1b"),
        ("\\r", "U+000D", "\\r"),
        ("\\x7f", "U+007F", "\\x7f"),
        ("\\N", "U+0085", "\\x85"),
        ("\\L", "U+2028", "\\u2028"),
    ],
)
def test_control_characters_written_as_escapes_are_refused(
    project: Path, escape: str, code: str, shown: str
) -> None:
    text = GOOD_PROFILE.replace("name: Ana Silva", f'name: "Ana{escape}Silva"')
    assert profile(project, text) == [
        f"{P}:2: name: expected text without control characters, got {code} in 'Ana{shown}Silva'"
    ]


def test_a_control_character_in_a_key_is_refused(project: Path) -> None:
    text = GOOD_PROFILE.replace("    measures:", '    "meas\\tures":')
    assert profile(project, text) == [
        f"{P}:11: assessments[0]: expected a key without control characters, "
        "got U+0009 in 'meas\\tures'"
    ]


def test_tabs_and_line_breaks_in_text_are_fine(project: Path) -> None:
    notes = "    notes: |\n      Walks\tdaily.\n      Sleeps well.\n"
    quoted = GOOD_PROFILE.replace("Lift Leo into his car seat", "Lift\\tLeo\\ninto his seat")
    assert profile(project, quoted) == []
    assert profile(project, GOOD_PROFILE + notes) == []


@pytest.mark.parametrize(
    ("character", "code"),
    [("\x01", "U+0001"), ("\x1b", "U+001B"), ("\x7f", "U+007F"), ("\x85", "U+0085"),
     ("\u2028", "U+2028"), ("\r", "U+000D"), ("\ufffe", "U+FFFE")],
)  # fmt: skip
def test_control_characters_in_the_file_are_one_problem_at_their_line(
    project: Path, character: str, code: str
) -> None:
    text = GOOD_PROFILE.replace("lift_child", f"lift{character}child")
    assert profile(project, text) == [
        f"{P}:13: expected text without control characters, got {code}"
    ]


def test_a_nul_byte_in_a_text_file_is_binary_data_at_its_line(project: Path) -> None:
    text = GOOD_PROFILE.replace("lift_child", "lift\0child")
    assert profile(project, text) == [f"{P}:13: expected a UTF-8 text file, got binary data"]


def test_a_control_character_in_a_markdown_body_is_found_at_its_line(project: Path) -> None:
    path = project / E
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    lines[30] = lines[30].replace(" ", " \x07", 1)
    path.write_text("".join(lines), encoding="utf-8")
    assert problems(project) == [f"{E}:31: expected text without control characters, got U+0007"]


def test_windows_line_endings_are_fine(project: Path) -> None:
    assert profile(project, GOOD_PROFILE.replace("\n", "\r\n").encode()) == []


# --- syntax errors at the end ----------------------------------------------------------------


@pytest.mark.parametrize("end", ["\n", "", "\n\n\n"])
def test_a_syntax_error_at_the_end_is_reported_at_the_last_line(project: Path, end: str) -> None:
    text = GOOD_PROFILE + "extra: [1, 2" + end
    last = text.rstrip("\n").count("\n") + 1 + max(end.count("\n") - 1, 0)
    assert profile(project, text) == [
        f"{P}:{last}: expected valid YAML, got did not find expected ',' or ']'"
    ]


def test_a_syntax_error_at_the_end_of_front_matter_is_reported_inside_it(project: Path) -> None:
    path = project / E
    text = path.read_text(encoding="utf-8")
    closing = text.index("\n---\n")
    path.write_text(text[:closing] + "\nextra: [1, 2" + text[closing:], encoding="utf-8")
    line = text[:closing].count("\n") + 2
    assert problems(project) == [
        f"{E}:{line}: expected valid YAML, got did not find expected ',' or ']'"
    ]


# --- what is in the folders ------------------------------------------------------------------


def test_files_movebook_would_not_read_are_reported(project: Path) -> None:
    write(project, "profiles/ana.yml", GOOD_PROFILE)
    write(project, "profiles/bo.YAML", GOOD_PROFILE)
    (project / "profiles/cy.yaml").mkdir()
    (project / "profiles/dee.yaml").symlink_to("nowhere.yaml")
    (project / "profiles/ed.yaml").symlink_to("ed.yaml")
    (project / "content/education/gone.md").symlink_to("gone-too.md")
    write(project, "content/education/breath.markdown", "---\ntitle: x\n---\nText\n")
    (project / "content/exercises/strength/new.md").mkdir()
    assert problems(project) == [
        "content/education/breath.markdown:1: expected a .md file, got .markdown "
        "(movebook reads content/education/*.md)",
        "content/education/gone.md:1: expected a readable file, got a broken link",
        "content/exercises/strength/new.md:1: expected a file, got a folder",
        "profiles/ana.yml:1: expected a .yaml file, got .yml (movebook reads profiles/*.yaml)",
        "profiles/bo.YAML:1: expected a .yaml file, got .YAML (movebook reads profiles/*.yaml)",
        "profiles/cy.yaml:1: expected a file, got a folder",
        "profiles/dee.yaml:1: expected a readable file, got a broken link",
        "profiles/ed.yaml:1: expected a readable file, got a broken link",
    ]


def test_a_lookalike_beside_the_real_file_takes_the_blame(project: Path) -> None:
    write(project, "content/education/breathing.markdown", "---\ntitle: x\n---\nText\n")
    assert problems(project) == [
        "content/education/breathing.markdown:1: expected a .md file, got .markdown "
        "(movebook reads content/education/*.md)",
        "content/education/breathing.markdown:1: id: expected a unique education page id, "
        "got 'breathing' again (also content/education/breathing.md)",
    ]


def test_hidden_files_backups_and_other_files_are_left_alone(project: Path) -> None:
    write(project, P, GOOD_PROFILE)
    for rel in [
        "profiles/.DS_Store",
        "profiles/.ana-silva.yaml.swp",
        "profiles/ana-silva.yaml~",
        "profiles/#ana-silva.yaml#",
        "profiles/ana-silva.yaml.bak",
        "profiles/README.md",
        "profiles/profile.schema.json",
        "profiles/archive/old.yaml",
        "content/exercises/.drafts/idea.md",
        "content/education/.breathing.md.swp",
    ]:
        write(project, rel, "\0 not for movebook")
    (project / "profiles/.hidden.yaml").mkdir()
    assert problems(project) == []


def test_a_link_to_a_real_profile_is_read(project: Path) -> None:
    write(project, "elsewhere/ana-silva.yaml", GOOD_PROFILE)
    (project / P).symlink_to(project / "elsewhere/ana-silva.yaml")
    assert problems(project) == []


def test_a_library_file_that_is_a_folder_or_missing(project: Path) -> None:
    (project / "content/blocks.yaml").unlink()
    (project / "content/rituals.yaml").unlink()
    (project / "content/rituals.yaml").mkdir()
    found = problems(project)
    assert "content/blocks.yaml:1: expected this file to exist, got none" in found
    assert "content/rituals.yaml:1: expected a file, got a folder" in found


@pytest.fixture
def pipes(project: Path) -> Iterator[Path]:
    for rel in ["profiles/ana.yaml", "content/exercises/strength/pipe.md", VOCABULARY]:
        if (project / rel).exists():
            (project / rel).unlink()
        os.mkfifo(project / rel)
    yield project


def test_named_pipes_never_block_the_loader(pipes: Path) -> None:
    """A real process: if it opened a pipe it would wait for a writer forever."""
    result = subprocess.run(
        [sys.executable, "-m", "movebook", "check", "--project", str(pipes)],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        "content/exercises/strength/pipe.md:1: expected a file, got a named pipe",
        f"{VOCABULARY}:1: expected a file, got a named pipe",
        "profiles/ana.yaml:1: expected a file, got a named pipe",
    ]
