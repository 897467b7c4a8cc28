"""The JSON Schema of a patient profile, with the project's own vocabulary as enums.

Editors that read `# yaml-language-server: $schema=...` then validate and
autocomplete profiles while the clinician types.
"""

from __future__ import annotations

import json
from typing import Any

from movebook.model import Context, Profile

SCHEMA_FILE = "profiles/profile.schema.json"
_MARK = "x-movebook-vocabulary"


def profile_schema(context: Context) -> dict[str, Any]:
    schema = Profile.model_json_schema()
    schema = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "profile.schema.json",
        **schema,
        "title": "movebook patient profile",
    }
    enriched: dict[str, Any] = _with_enums(schema, context)
    return enriched


def _choices(kind: str, context: Context) -> list[str]:
    if kind == "contraindication":
        return sorted(context.ids.get("finding", set()) | context.ids.get("precaution", set()))
    return sorted(context.ids.get(kind, ()))


def _with_enums(node: Any, context: Context) -> Any:
    if isinstance(node, dict):
        out = {key: _with_enums(value, context) for key, value in node.items() if key != _MARK}
        if _MARK in node:
            out["enum"] = _choices(node[_MARK], context)
        if "propertyNames" in out and _MARK in node.get("propertyNames", {}):
            out["propertyNames"] = _with_enums(node["propertyNames"], context)
        return out
    if isinstance(node, list):
        return [_with_enums(item, context) for item in node]
    return node


def render_schema(context: Context) -> str:
    return json.dumps(profile_schema(context), indent=2, sort_keys=True) + "\n"
