"""Stage 1, load: read YAML and Markdown sources, keeping the line of every value."""

from __future__ import annotations

import math
import os
import re
import stat
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from movebook.errors import Problem, describe, field_path, shorten

Loc = tuple[str | int, ...]

# Far above any real file (the biggest bundled one is 4 KB: 235 values, 7 levels deep), low
# enough that a broken or hostile file fails in a moment instead of eating the machine.
MAX_YAML_BYTES = 1_000_000  # a profile, the settings, a vocabulary or another library YAML file
MAX_MARKDOWN_BYTES = 300_000  # an exercise or an education page
MAX_VALUES = 100_000  # built from one YAML document, each use of an alias counted in full
MAX_TEXT = MAX_YAML_BYTES  # characters of text built from one document, aliases counted in full
MAX_DEPTH = 50  # levels of lists and mappings inside each other
MAX_DIGITS = 15  # of a whole number: JSON keeps up to 15 digits exact


_YAML_TAG = "tag:yaml.org,2002:"
# Not read from plain text: see the loader's docstring; and `=` is text, not YAML 1.1's
# "default value" that nothing here could construct.
_UNRESOLVED = frozenset(_YAML_TAG + name for name in ("timestamp", "bool", "value"))


def _safe_loader(base: type[Any]) -> type[Any]:
    class Loader(base):  # type: ignore[misc]
        """Safe YAML that keeps dates as text and reads only true/false as booleans.

        Dates stay text so an impossible date (2026-02-30) becomes a validation
        error with a line number instead of a crash inside PyYAML, and YAML 1.1's
        `no`/`on`/`yes` stay words (a language code `no` is Norwegian, not False).
        """

    Loader.yaml_implicit_resolvers = {
        first: [(tag, regexp) for tag, regexp in resolvers if tag not in _UNRESOLVED]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }
    Loader.add_implicit_resolver(
        _YAML_TAG + "bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
    )
    return Loader


_Loader = _safe_loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # libyaml is ~10x faster

_SEQUENCE_TAG = _YAML_TAG + "seq"
_MAPPING_TAG = _YAML_TAG + "map"
_INT_TAG = _YAML_TAG + "int"
_SCALAR_TAGS = frozenset(_YAML_TAG + name for name in ("str", "int", "float", "bool", "null"))
_TOO_DEEP = f"expected at most {MAX_DEPTH} levels of lists and mappings inside each other, got more"
# What YAML would read as a line break or refuse, and what no one means to type into a file.
_RAW_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029\ufffe\uffff]|\r(?!\n)")
_VALUE_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\ufffe\uffff]")  # \t, \n ok
_KEY_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\ufffe\uffff]")


@dataclass
class Source:
    """A parsed file: its data, the line of each value, and what went wrong reading it."""

    path: str
    data: Any = None
    lines: dict[Loc, int] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    body: str = ""
    body_line: int = 1

    @property
    def ok(self) -> bool:
        return not self.problems

    def line_of(self, loc: Sequence[str | int]) -> int:
        """The line of the deepest part of `loc` that exists in the file."""
        parts = tuple(loc)
        while parts:
            if parts in self.lines:
                return self.lines[parts]
            parts = parts[:-1]
        return self.lines.get((), 1)

    def problem(self, loc: Sequence[str | int], field_name: str, message: str) -> Problem:
        return Problem(self.path, self.line_of(loc), field_name, message)


def read_text(path: Path, rel: str, limit: int) -> tuple[str | None, list[Problem]]:
    """Read a UTF-8 text file of at most `limit` bytes, or say why it is not one.

    Only a regular file is opened, and without blocking: a named pipe must never hang a build.
    """

    def refuse(message: str, line: int = 1) -> tuple[None, list[Problem]]:
        return None, [Problem(rel, line, "", message)]

    try:
        info = path.stat()
    except OSError as error:
        if path.is_symlink():
            return refuse("expected a readable file, got a broken link")
        if isinstance(error, FileNotFoundError):
            return refuse("expected this file to exist, got none")
        return refuse(f"expected a readable file, got {error.strerror}")
    if not stat.S_ISREG(info.st_mode):
        return refuse(f"expected a file, got {_kind(info.st_mode)}")
    too_big = f"expected a file of at most {_size(limit)}, got {{}}"
    if info.st_size > limit:
        return refuse(too_big.format(f"{info.st_size:,} bytes"))
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
        with os.fdopen(fd, "rb") as file:
            mode = os.fstat(file.fileno()).st_mode
            if not stat.S_ISREG(mode):  # swapped for something else since the stat
                return refuse(f"expected a file, got {_kind(mode)}")
            raw = file.read(limit + 1)
    except OSError as error:
        return refuse(f"expected a readable file, got {error.strerror}")
    if len(raw) > limit:  # it grew since the stat
        return refuse(too_big.format("more"))
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        if b"\0" in raw:
            return refuse("expected a UTF-8 text file, got binary data")
        line = raw[: error.start].count(b"\n") + 1
        return refuse("expected a UTF-8 text file, got bytes that are not UTF-8", line)
    control = _RAW_CONTROL.search(text)
    if control:
        line = text.count("\n", 0, control.start()) + 1
        if control.group() == "\0":
            return refuse("expected a UTF-8 text file, got binary data", line)
        return refuse(f"expected text without control characters, got {_code(control)}", line)
    return text, []


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a named pipe"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "a special file"


def _size(limit: int) -> str:
    return f"{limit / 1_000_000:g} MB" if limit >= 1_000_000 else f"{limit / 1000:g} KB"


def _code(control: re.Match[str]) -> str:
    return f"U+{ord(control.group()[0]):04X}"


def parse_yaml(text: str, rel: str, first_line: int = 1) -> Source:
    """Parse one YAML document; report syntax errors and duplicate keys with their lines."""
    source = Source(rel)
    source.lines[()] = first_line
    last_line = first_line + max(text.count("\n") - text.endswith("\n"), 0)

    def fail(line: int, message: str) -> None:
        source.data = None
        source.problems.append(Problem(rel, min(max(line, first_line), last_line), "", message))

    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            fail(first_line, "expected YAML content, got an empty document")
            return source
        source.data = _Builder(source, loader, first_line - 1).build(node, (), frozenset())
    except _Refused as refused:
        fail(refused.line, refused.message)
    except RecursionError:  # PyYAML's own composer (without libyaml) recurses at each level
        fail(getattr(loader, "line", 0) + first_line, _TOO_DEEP)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        what = error.problem or error.context or "a syntax error"
        if what == "exceeded maximum nesting depth":  # libyaml's own limit, 1000 levels
            message = _TOO_DEEP
        else:
            message = f"expected valid YAML, got {shorten(what, 120)}"
        fail(mark.line + first_line if mark else first_line, message)
    except yaml.YAMLError as error:  # a ReaderError: read_text lets no such character through
        fail(first_line, f"expected valid YAML, got {shorten(str(error).splitlines()[0], 120)}")
    finally:
        loader.dispose()
    return source


class _Refused(Exception):
    """A document over a limit: one problem for the whole file."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.message = message


_BAD = object()  # a scalar that could not be read


class _Builder:
    """Plain Python data from one composed document, recording lines, within the limits.

    An alias is built again at each use, so the limits count each use in full: nine aliases of
    nine aliases of nine... (an "alias bomb") is refused long before it fills the memory.
    """

    def __init__(self, source: Source, loader: Any, offset: int) -> None:
        self.source = source
        self.loader = loader
        self.offset = offset
        self.values = 0
        self.text = 0
        self.reported: set[tuple[int, str]] = set()
        self.seen: set[int] = set()  # the nodes built so far: one seen again is an alias
        self.repeated = False

    def line(self, node: yaml.Node) -> int:
        return int(node.start_mark.line) + 1 + self.offset

    def report(self, node: yaml.Node, message: str, loc: Loc | None = None) -> None:
        """A problem at a node (in the field at `loc`), once however many aliases repeat it."""
        if (id(node), message) not in self.reported:
            self.reported.add((id(node), message))
            name = "" if loc is None else field_path(loc)
            self.source.problems.append(Problem(self.source.path, self.line(node), name, message))

    def count(self, node: yaml.Node, loc: Loc, characters: int = 0) -> None:
        self.values += 1
        self.text += characters
        if id(node) in self.seen:
            self.repeated = True
        self.seen.add(id(node))
        if len(loc) > MAX_DEPTH:
            raise _Refused(self.line(node), _TOO_DEEP)
        why = " (an alias counts everything it repeats)" if self.repeated else ""
        if self.values > MAX_VALUES:
            raise _Refused(
                self.line(node), f"expected at most {MAX_VALUES:,} values, got more{why}"
            )
        if self.text > MAX_TEXT:
            raise _Refused(
                self.line(node), f"expected at most {MAX_TEXT:,} characters of text, got more{why}"
            )

    def build(self, node: yaml.Node, loc: Loc, active: frozenset[int]) -> Any:
        """Construct plain Python data from a node, recording lines and duplicate keys."""
        if isinstance(node, yaml.ScalarNode):
            value = self.scalar(node, loc)
            self.source.lines.setdefault(loc, self.line(node))
            return None if value is _BAD else value
        self.count(node, loc)
        self.source.lines.setdefault(loc, self.line(node))
        if id(node) in active:  # a recursive alias: `&a [*a]`
            self.report(node, "expected plain data, got a recursive alias")
            return None
        if node.tag not in (_SEQUENCE_TAG, _MAPPING_TAG):
            self.report(node, f"expected plain data, got the tag {describe(node.tag)}")
            return None
        active = active | {id(node)}
        if isinstance(node, yaml.SequenceNode):
            return [
                self.build(item, (*loc, index), active) for index, item in enumerate(node.value)
            ]
        mapping: dict[Any, Any] = {}
        first_seen: dict[Any, int] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                self.report(key_node, "expected a plain key, got a mapping or list")
                continue
            key = self.scalar(key_node, loc, key=True)
            if key is _BAD:
                continue
            key_line = self.line(key_node)
            if key in first_seen:
                self.report(
                    key_node,
                    f"duplicate key (first set at line {first_seen[key]}; "
                    "YAML would silently keep only the last)",
                    (*loc, key),
                )
            first_seen[key] = key_line
            self.source.lines[(*loc, key)] = key_line
            mapping[key] = self.build(value_node, (*loc, key), active)
        return mapping

    def scalar(self, node: yaml.ScalarNode, loc: Loc, key: bool = False) -> Any:
        """A plain value (text, number, true/false or nothing), or _BAD after a problem.

        A key's problem is reported in the mapping holding it (`loc`)."""
        what = "key" if key else "value"
        self.count(node, loc, len(node.value))
        if node.tag not in _SCALAR_TAGS:
            self.report(node, f"expected a plain {what}, got the tag {describe(node.tag)}")
            return _BAD
        too_long = f"expected a whole number of at most {MAX_DIGITS} digits, got {{}}"
        if node.tag == _INT_TAG and len(node.value) > 2 * MAX_DIGITS:  # int() of it is slow
            self.report(node, too_long.format(shorten(node.value)), loc)
            return _BAD
        try:
            value = self.loader.construct_object(node, deep=True)
        except (yaml.YAMLError, ValueError, LookupError):  # `!!int abc`, `!!bool maybe`
            tag = "!!" + node.tag.removeprefix(_YAML_TAG)
            self.report(
                node, f"expected a {what} that fits its tag {tag}, got {describe(node.value)}", loc
            )
            return _BAD
        if isinstance(value, float) and not math.isfinite(value):
            self.report(node, f"expected a finite number, got {shorten(node.value)}", loc)
            return _BAD
        if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 10**MAX_DIGITS:
            self.report(node, too_long.format(shorten(node.value)), loc)
            return _BAD
        control = isinstance(value, str) and (_KEY_CONTROL if key else _VALUE_CONTROL).search(value)
        if control:
            kind = "a key" if key else "text"
            got = f"{_code(control)} in {describe(value)}"
            self.report(node, f"expected {kind} without control characters, got {got}", loc)
            return _BAD
        return value


_FRONT_MATTER = re.compile(r"\A---[ \t]*\r?\n(.*?)^---[ \t]*\r?$\n?", re.DOTALL | re.MULTILINE)


def parse_front_matter(text: str, rel: str) -> Source:
    """Split `---` front matter from a Markdown body; the front matter is parsed as YAML."""
    match = _FRONT_MATTER.match(text)
    if not match:
        source = Source(rel)
        source.problems.append(
            Problem(
                rel, 1, "", "expected front matter between two '---' lines at the top, got none"
            )
        )
        return source
    source = parse_yaml(match.group(1), rel, first_line=2)
    source.body = text[match.end() :]
    source.body_line = text[: match.end()].count("\n") + 1
    return source


def load_yaml_file(path: Path, rel: str) -> Source:
    text, problems = read_text(path, rel, MAX_YAML_BYTES)
    if text is None:
        return Source(rel, problems=problems)
    return parse_yaml(text, rel)


def load_markdown_file(path: Path, rel: str) -> Source:
    text, problems = read_text(path, rel, MAX_MARKDOWN_BYTES)
    if text is None:
        return Source(rel, problems=problems)
    return parse_front_matter(text, rel)


# --- the project layout ------------------------------------------------------

CONFIG_FILE = "movebook.yaml"
VOCABULARY = {
    "finding": "content/vocabulary/findings.yaml",
    "task": "content/vocabulary/tasks.yaml",
    "precaution": "content/vocabulary/precautions.yaml",
    "red_flag": "content/vocabulary/red_flags.yaml",
    "equipment": "content/vocabulary/equipment.yaml",
    "position": "content/vocabulary/positions.yaml",
    "direction": "content/vocabulary/directions.yaml",
}
BLOCKS_FILE = "content/blocks.yaml"
PHASES_FILE = "content/phases.yaml"
RITUALS_FILE = "content/rituals.yaml"
EXERCISES_DIR = "content/exercises"
EDUCATION_DIR = "content/education"
PROFILES_DIR = "profiles"
LOCALE_DIR = "content/locale"  # content/locale/<language>/ mirrors content/, words only


@dataclass
class RawLocale:
    """The translation files of one language that exist; a missing one is English."""

    language: str
    vocabulary: dict[str, Source]
    blocks: Source | None
    phases: Source | None
    rituals: Source | None
    exercises: list[Source]
    education: list[Source]


def locale_path(language: str, rel: str) -> str:
    """Where the translation of the English file `rel` (content/...) lives."""
    return f"{LOCALE_DIR}/{language}/{rel.removeprefix('content/')}"


@dataclass
class RawProject:
    """Every source file of a project, parsed but not yet validated."""

    root: Path
    config: Source
    vocabulary: dict[str, Source]
    blocks: Source
    phases: Source
    rituals: Source
    exercises: list[Source]
    education: list[Source]
    profiles: list[Source]
    locales: dict[str, RawLocale] = field(default_factory=dict)


def is_scratch(rel: str) -> bool:
    """Files nobody means as input: dotfiles (.DS_Store, swap files), #autosaves# and backups~."""
    return any(part.startswith((".", "#")) or part.endswith("~") for part in rel.split("/"))


# Names that say "profile" or "page" but that movebook would not read: said, never skipped.
_LOOKALIKES = {".yaml": (".yaml", ".yml"), ".md": (".md", ".markdown", ".mdown", ".mkd")}


def _sources(
    root: Path, folder: str, suffix: str, load: Callable[[Path, str], Source], nested: bool
) -> list[Source]:
    """Every `*suffix` in a folder (and its subfolders if `nested`), then a problem for each
    lookalike (`.yml`, `.YAML`), last so that an id both use is reported on the lookalike.
    Anything else there (a README, profile.schema.json) is left alone; a folder, a pipe or a
    broken link with the right name is a problem of its own."""
    base = root / folder
    pattern = f"{'**/' if nested else ''}*{suffix}"
    sources: list[Source] = []
    lookalikes: list[Source] = []
    for path in sorted(base.glob("**/*" if nested else "*")):
        rel = path.relative_to(root).as_posix()
        if is_scratch(path.relative_to(base).as_posix()):
            continue
        if path.suffix == suffix:
            sources.append(load(path, rel))
        elif path.suffix.lower() in _LOOKALIKES[suffix] and not path.is_dir():
            message = (
                f"expected a {suffix} file, got {path.suffix} (movebook reads {folder}/{pattern})"
            )
            lookalikes.append(Source(rel, problems=[Problem(rel, 1, "", message)]))
    return sources + lookalikes


def _optional(root: Path, rel: str) -> Source | None:
    path = root / rel
    return load_yaml_file(path, rel) if path.exists() or path.is_symlink() else None


def load_locale_sources(root: Path, language: str) -> RawLocale:
    """Read and parse the translation files of one language, those that exist."""
    vocabulary = {
        kind: source
        for kind, rel in VOCABULARY.items()
        if (source := _optional(root, locale_path(language, rel))) is not None
    }
    return RawLocale(
        language=language,
        vocabulary=vocabulary,
        blocks=_optional(root, locale_path(language, BLOCKS_FILE)),
        phases=_optional(root, locale_path(language, PHASES_FILE)),
        rituals=_optional(root, locale_path(language, RITUALS_FILE)),
        exercises=_sources(
            root, locale_path(language, EXERCISES_DIR), ".md", load_markdown_file, nested=True
        ),
        education=_sources(
            root, locale_path(language, EDUCATION_DIR), ".md", load_markdown_file, nested=False
        ),
    )


def locale_languages(root: Path) -> list[str]:
    """The languages with a folder under content/locale/."""
    folder = root / LOCALE_DIR
    if not folder.is_dir():
        return []
    return sorted(p.name for p in folder.iterdir() if p.is_dir() and not is_scratch(p.name))


def load_profile_sources(
    root: Path, load: Callable[[Path, str], Source] = load_yaml_file
) -> list[Source]:
    """Every profile (by `load`), then a problem for each lookalike (`.yml`...)."""
    return _sources(root, PROFILES_DIR, ".yaml", load, nested=False)


def file_bytes(path: Path, limit: int) -> bytes | None:
    """The bytes of a regular file of at most `limit` bytes, or None for anything else (a
    pipe, a folder, a file too big or unreadable: read_text says what is wrong with it)."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    except OSError:
        return None
    with os.fdopen(fd, "rb") as file:
        info = os.fstat(file.fileno())
        if not stat.S_ISREG(info.st_mode) or info.st_size > limit:
            return None
        try:
            data = file.read(limit + 1)
        except OSError:
            return None
    return data if len(data) <= limit else None


def load_project_sources(root: Path, profiles: bool = True) -> RawProject:
    """Read and parse every file of the project at `root` (but the profiles, if not asked)."""
    return RawProject(
        root=root,
        config=load_yaml_file(root / CONFIG_FILE, CONFIG_FILE),
        vocabulary={kind: load_yaml_file(root / rel, rel) for kind, rel in VOCABULARY.items()},
        blocks=load_yaml_file(root / BLOCKS_FILE, BLOCKS_FILE),
        phases=load_yaml_file(root / PHASES_FILE, PHASES_FILE),
        rituals=load_yaml_file(root / RITUALS_FILE, RITUALS_FILE),
        exercises=_sources(root, EXERCISES_DIR, ".md", load_markdown_file, nested=True),
        education=_sources(root, EDUCATION_DIR, ".md", load_markdown_file, nested=False),
        profiles=load_profile_sources(root) if profiles else [],
        locales={
            language: load_locale_sources(root, language) for language in locale_languages(root)
        },
    )
