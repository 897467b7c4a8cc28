#!/usr/bin/env bash
# Refresh the pinned installs from pyproject.toml's ranges:
#   requirements/test.txt  everything the tests need (the README's test command, .ci/run)
#   requirements/run.txt   what building booklets needs, at the same versions
# Both pin exact versions with hashes, compiled by a pinned uv. Without arguments the current
# pins are kept and only what changed in pyproject.toml is resolved; `--upgrade` takes the
# newest releases the ranges allow. Commit both files with the change that needed them.
set -euo pipefail
cd "$(dirname "$0")/.."
UV_VERSION=0.13.9
tools=$(mktemp -d)
trap 'rm -rf "$tools"' EXIT
python3 -m venv "$tools"
"$tools/bin/pip" install -q "uv==$UV_VERSION"
compile=("$tools/bin/uv" pip compile --quiet --universal --python-version 3.11 --generate-hashes
         --no-emit-package movebook --custom-compile-command scripts/lock.sh "$@")
"${compile[@]}" pyproject.toml requirements/build.in --extra test -o requirements/test.txt
"${compile[@]}" pyproject.toml requirements/build.in -c requirements/test.txt -o requirements/run.txt
