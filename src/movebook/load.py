"""Stage 1, load: read YAML and Markdown sources, keeping the line of every value."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from movebook.errors import Problem, field_path

Loc = tuple[str | int, ...]


_Base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml is ~10x faster when present


class _Loader(_Base):  # type: ignore[valid-type,misc]
    """Safe YAML that keeps dates as text and reads only true/false as booleans.

    Dates stay text so an impossible date (2026-02-30) becomes a validation
    error with a line number instead of a crash inside PyYAML, and YAML 1.1's
    `no`/`on`/`yes` stay words (a language code `no` is Norwegian, not False).
    """


_Loader.yaml_implicit_resolvers = {
    first: [
        (tag, regexp)
        for tag, regexp in resolvers
        if tag not in ("tag:yaml.org,2002:timestamp", "tag:yaml.org,2002:bool")
    ]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


_SEQUENCE_TAG = "tag:yaml.org,2002:seq"
_MAPPING_TAG = "tag:yaml.org,2002:map"


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


def read_text(path: Path, rel: str) -> tuple[str | None, list[Problem]]:
    """Read a UTF-8 text file, or say why it is not one."""
    try:
        raw = path.read_bytes()
    except OSError as error:
        return None, [Problem(rel, 1, "", f"expected a readable file, got {error.strerror}")]
    if b"\0" in raw:
        return None, [Problem(rel, 1, "", "expected a UTF-8 text file, got binary data")]
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        return None, [
            Problem(rel, line, "", "expected a UTF-8 text file, got bytes that are not UTF-8")
        ]
    return text, []


def parse_yaml(text: str, rel: str, first_line: int = 1) -> Source:
    """Parse one YAML document; report syntax errors and duplicate keys with their lines."""
    source = Source(rel)
    source.lines[()] = first_line
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            source.problems.append(
                Problem(rel, first_line, "", "expected YAML content, got an empty document")
            )
            return source
        source.data = _build(node, (), source, loader, first_line - 1, set())
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + first_line if mark else first_line
        what = error.problem or error.context or "a syntax error"
        source.problems.append(Problem(rel, line, "", f"expected valid YAML, got {what}"))
    except yaml.YAMLError as error:
        source.problems.append(Problem(rel, first_line, "", f"expected valid YAML, got {error}"))
    finally:
        loader.dispose()
    return source


def _build(
    node: yaml.Node, loc: Loc, source: Source, loader: _Loader, offset: int, active: set[int]
) -> Any:
    """Construct plain Python data from a node, recording lines and duplicate keys."""
    line = node.start_mark.line + 1 + offset
    source.lines.setdefault(loc, line)
    if id(node) in active:  # a recursive alias: `&a [*a]`
        source.problems.append(
            Problem(source.path, line, "", "expected plain data, got a recursive alias")
        )
        return None
    if isinstance(node, yaml.ScalarNode):
        try:
            return loader.construct_object(node, deep=True)
        except (yaml.constructor.ConstructorError, ValueError) as error:
            problem = getattr(error, "problem", None) or str(error)
            source.problems.append(
                Problem(source.path, line, "", f"expected a plain value, got {problem}")
            )
            return None
    if node.tag not in (_SEQUENCE_TAG, _MAPPING_TAG):
        source.problems.append(
            Problem(source.path, line, "", f"expected plain data, got the tag {node.tag!r}")
        )
        return None
    active = active | {id(node)}
    if isinstance(node, yaml.SequenceNode):
        return [
            _build(item, (*loc, index), source, loader, offset, active)
            for index, item in enumerate(node.value)
        ]
    mapping: dict[Any, Any] = {}
    first_seen: dict[Any, int] = {}
    for key_node, value_node in node.value:
        key_line = key_node.start_mark.line + 1 + offset
        if not isinstance(key_node, yaml.ScalarNode):
            source.problems.append(
                Problem(source.path, key_line, "", "expected a plain key, got a mapping or list")
            )
            continue
        key = loader.construct_object(key_node)
        if key in first_seen:
            source.problems.append(
                Problem(
                    source.path,
                    key_line,
                    field_path((*loc, key), source.data),
                    f"duplicate key (first set at line {first_seen[key]}; "
                    "YAML would silently keep only the last)",
                )
            )
        first_seen[key] = key_line
        source.lines[(*loc, key)] = key_line
        mapping[key] = _build(value_node, (*loc, key), source, loader, offset, active)
    return mapping


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
    text, problems = read_text(path, rel)
    if text is None:
        return Source(rel, problems=problems)
    return parse_yaml(text, rel)


def load_markdown_file(path: Path, rel: str) -> Source:
    text, problems = read_text(path, rel)
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


def _yaml(root: Path, rel: str) -> Source:
    path = root / rel
    if not path.is_file():
        return Source(rel, problems=[Problem(rel, 1, "", "expected this file to exist, got none")])
    return load_yaml_file(path, rel)


def _files(root: Path, folder: str, pattern: str) -> list[tuple[Path, str]]:
    return [
        (path, path.relative_to(root).as_posix())
        for path in sorted((root / folder).glob(pattern))
        if path.is_file() and not path.name.startswith(".")
    ]


def load_project_sources(root: Path) -> RawProject:
    """Read and parse every file of the project at `root`."""
    return RawProject(
        root=root,
        config=_yaml(root, CONFIG_FILE),
        vocabulary={kind: _yaml(root, rel) for kind, rel in VOCABULARY.items()},
        blocks=_yaml(root, BLOCKS_FILE),
        phases=_yaml(root, PHASES_FILE),
        rituals=_yaml(root, RITUALS_FILE),
        exercises=[load_markdown_file(p, rel) for p, rel in _files(root, EXERCISES_DIR, "**/*.md")],
        education=[load_markdown_file(p, rel) for p, rel in _files(root, EDUCATION_DIR, "*.md")],
        profiles=[load_yaml_file(p, rel) for p, rel in _files(root, PROFILES_DIR, "*.yaml")],
    )
