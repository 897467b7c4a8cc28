"""Draw every base pose into docs/figures/, for the library documentation.

.venv/bin/python scripts/figures.py          # rewrite docs/figures/<base>.svg
.venv/bin/python scripts/figures.py --check  # exit 1 if a drawing is out of date
"""

from __future__ import annotations

import sys
from pathlib import Path

from movebook.figure import BASES, figure_svg
from movebook.model import Figure

DOCS = Path(__file__).resolve().parent.parent / "docs" / "figures"


def drawings() -> dict[str, str]:
    out = {}
    for name, base in BASES.items():
        figure = Figure.model_validate(
            {"props": list(base.props), "frames": [{"base": name}], "alt": name.replace("_", " ")}
        )
        out[f"{name}.svg"] = figure_svg(figure, f"base-{name}") + "\n"
    return out


def main(argv: list[str]) -> int:
    stale = []
    for file, svg in drawings().items():
        path = DOCS / file
        if "--check" in argv:
            if not path.is_file() or path.read_text(encoding="utf-8") != svg:
                stale.append(file)
            continue
        DOCS.mkdir(parents=True, exist_ok=True)
        path.write_text(svg, encoding="utf-8")
        print(f"wrote {path.relative_to(DOCS.parent.parent)}")
    if stale:
        print(f"out of date in docs/figures: {', '.join(stale)} (run scripts/figures.py)")
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
