"""Extract every patient-facing string into the message catalogues.

    .venv/bin/python scripts/messages.py           # rewrite movebook.pot and update each .po
    .venv/bin/python scripts/messages.py --check   # exit 1 if a catalogue is out of date
    .venv/bin/python scripts/messages.py --new fr  # start locale/fr/LC_MESSAGES/movebook.po

A new language is a new catalogue (`--new`, with the language's plural forms from Babel) with
every msgstr filled in, and its library translation under content/locale/<code>/: see
docs/translating.md. tests/test_i18n.py checks that every catalogue is complete.
"""

from __future__ import annotations

import io
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

PACKAGE = Path(__file__).resolve().parent.parent / "src" / "movebook"
LOCALE = PACKAGE / "theme" / "locale"
METHODS = [
    ("theme/templates/**.html", "jinja2"),
    ("theme/templates/**.css", "jinja2"),
    ("wording.py", "python"),
    ("chart.py", "python"),  # ChartLabels' defaults, marked N_()
    ("figure.py", "python"),  # FigureLabels' defaults, marked N_()
]
SOURCE_LANGUAGE = "en"
OPTIONS = {"theme/templates/**": {"extensions": "jinja2.ext.i18n"}}


# No year and no generator version in the header: they would change the files (and fail the
# check) on New Year's Day or with a newer Babel, while no message changed.
HEADER = """\
# Translations template for movebook.
# This file is distributed under the same license as the movebook project.
#"""


def template() -> Catalog:
    catalog = Catalog(project="movebook", domain="movebook", charset="utf-8", header_comment=HEADER)
    for filename, lineno, message, comments, context in extract_from_dir(
        PACKAGE,
        METHODS,
        OPTIONS,  # type: ignore[arg-type]
    ):
        catalog.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
    return catalog


def render(catalog: Catalog) -> bytes:
    buffer = io.BytesIO()
    # A message no template or module says any more leaves the catalogue with its translation.
    write_po(buffer, catalog, width=100, omit_header=False, sort_output=True, ignore_obsolete=True)
    # Pin the header dates so an unchanged catalogue stays byte-identical.
    lines = [
        line
        for line in buffer.getvalue().split(b"\n")
        if not line.startswith(
            (b'"POT-Creation-Date', b'"PO-Revision-Date', b'"Generated-By', b"#. Translations")
        )
    ]
    return b"\n".join(lines)


def catalogues() -> dict[Path, bytes]:
    """Every catalogue file as it should be: the .pot and each language's .po, updated."""
    pot = template()
    files = {LOCALE / "movebook.pot": render(pot)}
    for po in sorted(LOCALE.glob("*/LC_MESSAGES/movebook.po")):
        language = po.parent.parent.name
        catalog = read_po(io.BytesIO(po.read_bytes()), locale=language, domain="movebook")
        catalog.update(pot, no_fuzzy_matching=True)
        if language == SOURCE_LANGUAGE:  # the source text is its own complete translation
            for message in catalog:
                if message.id:
                    message.string = message.id
        files[po] = render(catalog)
    return files


def messages(data: bytes) -> list[tuple[object, ...]]:
    """A catalogue as what it says, not how a Babel version lays it out: every message with its
    translation, context, places, flags and comments; the header is left out."""
    catalog = read_po(io.BytesIO(data), domain="movebook")
    return [
        (m.id, m.string, m.context, sorted(m.locations), sorted(m.flags), m.auto_comments)
        for m in catalog
        if m.id
    ]


def new_catalogue(language: str) -> Path:
    """An empty catalogue for a language, with its plural forms, for a translator to fill."""
    po = LOCALE / language.replace("-", "_") / "LC_MESSAGES" / "movebook.po"
    if po.exists():
        raise SystemExit(f"{po}: already there")
    catalog = Catalog(locale=language.replace("-", "_"), project="movebook", domain="movebook")
    catalog.update(template(), no_fuzzy_matching=True)
    po.parent.mkdir(parents=True)
    po.write_bytes(render(catalog))
    return po


def main() -> int:
    if "--new" in sys.argv:
        print(f"wrote {new_catalogue(sys.argv[sys.argv.index('--new') + 1])}")
        return 0
    english = LOCALE / "en" / "LC_MESSAGES" / "movebook.po"
    if not english.exists():
        english.parent.mkdir(parents=True, exist_ok=True)
        empty = Catalog(locale="en", project="movebook", domain="movebook", header_comment=HEADER)
        english.write_bytes(render(empty))
    stale = [
        path
        for path, data in catalogues().items()
        if not path.exists() or messages(path.read_bytes()) != messages(data)
    ]
    if "--check" in sys.argv:
        for path in stale:
            print(f"{path}: out of date; run scripts/messages.py", file=sys.stderr)
        return 1 if stale else 0
    for path, data in catalogues().items():
        path.write_bytes(data)
        print(f"wrote {path.relative_to(PACKAGE.parent.parent)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
