"""Answers to pmpath's questions: reading them, and writing them back into a profile.

`parse_answer(field, text)` turns what a person typed into a value of the
field's type and range, from the profile schema (``yes``/``no`` for a
boolean, a whole number for a count, a number for years), or `NOT_KNOWN` for
"don't know" (an empty answer, ``?``, ``don't know``), or raises
`AnswerError` with what is allowed. `with_answers(text, answers, fmt)` gives
the profile file's text with the answers written in, keeping comments and
layout where it can: a field switched off in a template (``# launches: 0``)
is switched on, a given field is replaced, a missing one is added to its
section, a missing section is appended. The edited text is parsed again and
must hold exactly the answered profile; otherwise (a flow-style section, an
odd layout) the profile is written out afresh and `with_answers` says so.
"""

from __future__ import annotations

import json
import re
from typing import Any

import yaml

from pmpath.errors import AnswerError
from pmpath.source import schemas
from pmpath.source.documents import dump_yaml
from pmpath.words import number

NOT_KNOWN = object()
_UNKNOWN_WORDS = {"", "?", "dont know", "don't know", "do not know", "unknown", "skip", "-"}
_YES = {"y", "yes", "true", "1"}
_NO = {"n", "no", "false", "0"}


def field_schema(field: str) -> dict:
    section, _, name = field.partition(".")
    return schemas.load("profile")["properties"][section]["properties"][name]


def describe(field: str) -> str:
    """What an answer to ``field`` may be, in a few words."""
    prop = field_schema(field)
    kind = prop.get("type")
    if "enum" in prop:
        return "one of " + ", ".join(prop["enum"])
    if kind == "boolean":
        return "yes or no"
    lo, hi = prop.get("minimum", 0), prop.get("maximum")
    noun = "a whole number" if kind == "integer" else "a number"
    return f"{noun} from {number(lo)} to {number(hi)}" if hi is not None else noun


def parse_answer(field: str, text: str) -> Any:
    """The value ``text`` gives ``field``, or `NOT_KNOWN`; `AnswerError` if it cannot."""
    said = " ".join(text.strip().lower().replace("’", "'").split())
    if said in _UNKNOWN_WORDS:
        return NOT_KNOWN
    prop = field_schema(field)
    kind = prop.get("type")
    if "enum" in prop:
        if said in prop["enum"]:
            return said
    elif kind == "boolean":
        if said in _YES:
            return True
        if said in _NO:
            return False
    elif kind in ("integer", "number"):
        try:
            value = float(said)
        except ValueError:
            value = None
        if value is not None and value == value and abs(value) != float("inf"):
            if kind == "integer" and value.is_integer():
                value = int(value)
            elif kind == "number":
                value = int(value) if value.is_integer() else round(value, 4)
            if isinstance(value, int) or kind == "number":
                lo, hi = prop.get("minimum"), prop.get("maximum")
                if (lo is None or value >= lo) and (hi is None or value <= hi):
                    return value
    raise AnswerError(f"{text.strip()!r} is not {describe(field)}; leave it empty if unsure")


def with_answers(text: str, answers: dict[str, Any], fmt: str) -> tuple[str, bool]:
    """``text`` (a profile file) with ``answers`` ({"section.field": value}) written in;
    and whether its layout and comments were kept (False: written out afresh)."""
    data = (json.loads(text) if fmt == "json" else yaml.safe_load(text)) or {}
    want = _merged(data, answers)
    if fmt != "json":
        edited = text
        for dotted, value in answers.items():
            edited = _set_line(edited, *dotted.split(".", 1), value)
        try:
            if yaml.safe_load(edited) == want:
                return edited, True
        except yaml.YAMLError:
            pass
        return dump_yaml(want, sort_keys=False, allow_unicode=True), False
    return json.dumps(want, indent=2, ensure_ascii=False) + "\n", True


def _merged(data: dict, answers: dict[str, Any]) -> dict:
    out = {k: (dict(v) if isinstance(v, dict) else v) for k, v in data.items()}
    for dotted, value in answers.items():
        section, name = dotted.split(".", 1)
        if not isinstance(out.get(section), dict):
            out[section] = {}
        out[section][name] = value
    return out


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _set_line(text: str, section: str, name: str, value: Any) -> str:
    lines = text.split("\n")
    head = re.compile(rf"^(#\s*)?{re.escape(section)}:\s*(#.*)?$")
    start = next((i for i, line in enumerate(lines) if head.match(line)), None)
    if start is None:
        tail = "" if text.endswith("\n") or not text else "\n"
        return f"{text}{tail}{section}:\n  {name}: {_scalar(value)}\n"
    if lines[start].startswith("#"):
        lines[start] = f"{section}:"
    end = start + 1
    while end < len(lines) and (lines[end].startswith((" ", "\t")) or not lines[end].strip()):
        end += 1
    child = re.compile(rf"^(\s+)(#\s*)?{re.escape(name)}:(\s.*)?$")
    indent = "  "
    for i in range(start + 1, end):
        m = child.match(lines[i])
        if m:
            lines[i] = f"{m.group(1)}{name}: {_scalar(value)}"
            return "\n".join(lines)
        field = re.match(r"^(\s+)[a-z_]+:", lines[i])
        if field:
            indent = field.group(1)
    lines.insert(start + 1, f"{indent}{name}: {_scalar(value)}")
    return "\n".join(lines)
