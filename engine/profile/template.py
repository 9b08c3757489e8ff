"""The profile template ``pmpath init`` writes: every field commented, optional
ones switched off (not given) so a half-filled template claims no zeros.
"""

from __future__ import annotations

import json
import textwrap
from typing import Any

from pmpath.source import schemas
from pmpath.words import number

# -- the commented template (`pmpath init`) -------------------------------------------

#: example values for the template's optional fields that have no default
_EXAMPLES: dict[str, Any] = {
    "name": "Jane Doe",
    "id": "cand-0042",
    "experience.current_title": "Product Manager",
    "experience.background": "engineering",
    "education.degree": "bachelor",
    "education.field": "computer_science",
}

_TEMPLATE_HEAD = """\
pmpath profile, schema version 1: what a person has done, as pmpath reads it.

Fill in what you know. Only experience.total_years and experience.product_years
are required. A line such as "# launches: 0" is a field switched off: delete the
"# " (and the one before its section) to give it. A field left off is unknown,
not zero: pmpath says what it can place you at, and asks about the rest
(`pmpath recommend --ask`). An explicit 0 or false is a fact. Years may be
fractional (2.5). A missing strength rating means "not rated".

  pmpath recommend THIS_FILE       where you stand, what to do next, and why
  pmpath schema profile            the full JSON Schema of this file
"""


def template(width: int = 88) -> str:
    """A commented profile template with every field of the profile schema.

    Generated from ``profile.schema.json``, so it never drifts from it: each
    field with what it means and its allowed values, set to its default (or 0
    for the required years), or commented out with an example when it has no
    default. The template itself is a valid profile.
    """
    schema = schemas.load("profile")
    lines = [_comment(line, "", width) for line in _TEMPLATE_HEAD.splitlines()]
    required = set(schema.get("required", ()))
    for key, prop in schema["properties"].items():
        lines.append("")
        if prop.get("type") == "object":
            lines.extend(_template_section(key, prop, key in required, width))
        else:
            lines.extend(_template_field(key, key, prop, key in required, "", width))
    return "\n".join(lines) + "\n"


def _template_section(name: str, section: dict, required: bool, width: int) -> list[str]:
    fields = section.get("properties", {})
    needed = set(section.get("required", ()))
    active = bool(needed)
    about = section.get("description", "")
    if required:
        about += " Required section."
    if not active:  # nothing to switch on by default: the section line is commented out too
        about += f' To use it, delete the "# " before "{name}:" and before each field you set.'
    out = _comment_block(about, "", width)
    out.append(f"{name}:" if active else f"# {name}:")
    for key, prop in fields.items():
        out.extend(_template_field(f"{name}.{key}", key, prop, key in needed, "  ", width))
    return out


def _template_field(
    dotted: str, key: str, prop: dict, required: bool, indent: str, width: int
) -> list[str]:
    about = prop.get("description", "").strip()
    parts = (about, "Required." if required else "", _allowed(prop))
    out = _comment_block(" ".join(part for part in parts if part), indent, width)
    if required:
        out.append(f"{indent}{key}: {_yaml_scalar(prop.get('default', 0))}")
    else:  # off: not given is unknown (spec section 6), never a silent 0 or false
        example = prop["default"] if "default" in prop else _example(dotted, prop)
        out.append(f"{indent}# {key}: {_yaml_scalar(example)}")
    return out


_NBSP = "\xa0"  # keeps "Default: 0" on one line when comments are wrapped


def _allowed(prop: dict) -> str:
    """What values a field takes, in words: ``Allowed: ...; Default: ...``."""
    default = prop.get("default")
    kind = prop.get("type")
    lo, hi = prop.get("minimum"), prop.get("maximum")
    if "const" in prop:
        text = f"Allowed: {_yaml_scalar(prop['const'])} only."
    elif "enum" in prop:
        text = "Allowed: " + ", ".join(_yaml_scalar(v) for v in prop["enum"]) + "."
    elif kind in ("number", "integer"):
        noun = "a whole number" if kind == "integer" else "a number"
        if lo is not None and hi is not None:
            noun += f" from {number(lo)} to {number(hi)}"
        text = f"Allowed: {noun}."
    elif kind == "boolean":
        text = "Allowed: true or false."
    elif kind == "string":
        most = prop.get("maxLength")
        text = f"Allowed: text, up to {most} characters." if most else "Allowed: text."
    else:
        text = ""
    if default is not None and "const" not in prop:
        text += f" Default:{_NBSP}{_yaml_scalar(default)}."
    return text.strip()


def _example(dotted: str, prop: dict) -> Any:
    if dotted in _EXAMPLES:
        return _EXAMPLES[dotted]
    if "enum" in prop:
        return prop["enum"][0]
    kind = prop.get("type")
    if kind == "boolean":
        return False
    if kind in ("number", "integer"):
        lo, hi = prop.get("minimum", 0), prop.get("maximum", 0)
        return (lo + hi) // 2 if lo and hi and hi <= 10 else lo
    return "text"


def _yaml_scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return number(value)
    text = str(value)
    plain = text[:1].isalpha() and all(c.isalnum() or c in " _.-" for c in text)
    reserved = text.lower() in {"true", "false", "yes", "no", "on", "off", "null", "y", "n"}
    return text if plain and not reserved else json.dumps(text, ensure_ascii=False)


def _comment_block(text: str, indent: str, width: int) -> list[str]:
    if not text:
        return []
    room = max(width - len(indent) - 2, 30)
    wrapped = textwrap.wrap(text, room, break_on_hyphens=False)
    return [f"{indent}# {line}".replace(_NBSP, " ") for line in wrapped]


def _comment(line: str, indent: str, width: int) -> str:
    return f"{indent}# {line}".rstrip()
