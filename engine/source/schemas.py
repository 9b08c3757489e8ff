"""The JSON Schemas (draft 2020-12) shipped with pmpath, and validators for them.

One schema, two validators: ``fastjsonschema`` compiles a schema into a quick
yes/no check for the hot path; ``jsonschema`` explains a rejection (every
error, with its path). Tests check that the two agree.
"""

from __future__ import annotations

import functools
import hashlib
import json
import marshal
import os
import re
import sys
import tempfile
import types
from collections.abc import Callable, Iterator
from importlib import resources
from pathlib import Path
from typing import Any

from pmpath.words import number

KNOWLEDGE_FILES = (
    "sources",
    "thresholds",
    "levels",
    "kwan",
    "specializations",
    "skills",
    "problems",
    "entry_paths",
    "senior_differentiators",
    "leadership_shifts",
    "steps",
    "questions",
    "imports",
)

NAMES = (
    "profile",
    "output",
    "fit",
    "summary",
    "diff",
    "serve",
    "rules",
    *(f"knowledge-{name}" for name in KNOWLEDGE_FILES),
)


@functools.cache
def load(name: str) -> dict:
    """The schema called ``name`` (see ``NAMES``), as a dict."""
    if name not in NAMES:
        raise KeyError(name)
    text = resources.files("pmpath").joinpath("schemas", f"{name}.schema.json").read_text("utf-8")
    return json.loads(text)


def knowledge_bundle() -> dict:
    """One schema object holding the schema of every knowledge file, by file name."""
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "pmpath knowledge files",
        "description": "The schema of each file under knowledge/, keyed by file name.",
        "files": {f"{name}.yaml": load(f"knowledge-{name}") for name in KNOWLEDGE_FILES},
    }


@functools.cache
def fast_validator(name: str) -> Callable[[Any], Any]:
    """A compiled yes/no check: raises ``fastjsonschema.JsonSchemaException`` on a rejection.

    Compiling the schemas costs ~0.1 s per process, most of a cold start, so the
    compiled code is kept in a cache (see `cache_dir`), keyed by the schema,
    the fastjsonschema version and the Python version, like a ``.pyc``.
    """
    # start-up time: fastjsonschema loads only when a validator is not in the cache
    import fastjsonschema

    schema = load(name)
    key = hashlib.sha256(
        json.dumps([schema, fastjsonschema.VERSION, sys.version], sort_keys=True).encode()
    ).hexdigest()
    cached = _read_cached(key)
    if cached is None:
        source = fastjsonschema.compile_to_code(schema, use_default=False)
        entry = re.search(r"^def (\w+)\(", source, re.MULTILINE).group(1)
        cached = entry, compile(source, f"<pmpath schema {name}>", "exec")
        _write_cached(key, cached)
    entry, code = cached
    namespace: dict = {}
    exec(code, namespace)
    return namespace[entry]


def cache_dir() -> Path | None:
    """Where compiled validators are kept: ``$PMPATH_CACHE_DIR``, else the user's cache.

    ``PMPATH_CACHE_DIR=""`` turns the cache off.
    """
    configured = os.environ.get("PMPATH_CACHE_DIR")
    if configured is not None:
        return Path(configured) if configured else None
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "pmpath" / "validators"


def _read_cached(key: str):
    directory = cache_dir()
    if directory is None:
        return None
    try:
        entry, code = marshal.loads((directory / f"{key}.bin").read_bytes())
    except Exception:  # missing, unreadable, corrupt or from another Python: recompile
        return None
    if not isinstance(entry, str) or not isinstance(code, types.CodeType):
        return None
    return entry, code


def _write_cached(key: str, value: tuple) -> None:
    directory = cache_dir()
    if directory is None:
        return
    try:
        directory.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=".tmp-")
        with os.fdopen(fd, "wb") as fh:
            fh.write(marshal.dumps(value))
        os.replace(tmp, directory / f"{key}.bin")  # atomic: readers see all or nothing
    except OSError:
        pass  # a read-only home is fine: the validator still works, uncached


@functools.cache
def explainer(name: str):
    """A ``jsonschema`` validator that lists every error with its path."""
    # start-up time: jsonschema (slow to import) is for wording rejections only
    import jsonschema

    schema = load(name)
    cls = jsonschema.validators.validator_for(schema)
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


def is_valid(name: str, data: Any) -> bool:
    # start-up time: only the exception class, and only once a validator ran
    import fastjsonschema

    try:
        fast_validator(name)(data)
    except fastjsonschema.JsonSchemaException:
        return False
    return True


def iter_errors(name: str, data: Any) -> Iterator:
    """Every ``jsonschema.ValidationError`` for ``data``, deepest paths first."""
    errors = list(explainer(name).iter_errors(data))
    errors.sort(key=lambda e: (list(map(str, e.absolute_path)), e.validator))
    return iter(errors)


def describe(error) -> str:
    """A plain-words message for a ``jsonschema.ValidationError``."""
    v = error.validator
    inst = error.instance
    schema = error.schema if isinstance(error.schema, dict) else {}
    if v == "type":
        return type_message(error.validator_value, inst)
    if v in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
        lo, hi = schema.get("minimum"), schema.get("maximum")
        if lo is not None and hi is not None:
            return f"{shown(inst)} is out of range (allowed: {number(lo)} to {number(hi)})"
        bound = "at least" if v.startswith(("minimum", "exclusiveMinimum")) else "at most"
        return f"{shown(inst)} must be {bound} {number(error.validator_value)}"
    if v == "enum":
        options = ", ".join(str(o) for o in error.validator_value)
        return f"{shown(inst)} is not one of: {options}"
    if v == "const":
        return f"{shown(inst)} must be {shown(error.validator_value)}"
    if v == "required":
        missing = [k for k in error.validator_value if isinstance(inst, dict) and k not in inst]
        return f"'{missing[0] if missing else error.validator_value}' is required"
    if v == "additionalProperties":
        allowed = sorted(schema.get("properties", {}))
        extra = sorted(k for k in inst if k not in allowed) if isinstance(inst, dict) else []
        return f"unknown key '{extra[0] if extra else '?'}'"
    if v in ("minLength", "maxLength", "minItems", "maxItems", "minProperties", "maxProperties"):
        return f"{v} {error.validator_value} not satisfied by {shown(inst)}"
    if v == "pattern":
        return f"{shown(inst)} does not match the pattern {error.validator_value}"
    if v == "oneOf":
        return f"{shown(inst)} is not a valid value here"
    return error.message


#: a JSON Schema type in words, as a message says what a value must be
_TYPE_WORDS = {
    "integer": "a whole number",
    "number": "a number",
    "string": "text",
    "boolean": "true or false",
    "object": "a mapping",
    "array": "a list",
    "null": "empty",
}


def type_message(want: str | list[str], value: Any) -> str:
    """``must be a number, got text 'x'``: the one wording of a value of the wrong type
    (knowledge and rules files, profiles and CSV cells alike)."""
    wants = want if isinstance(want, list) else [want]
    if "integer" in wants and "number" not in wants and isinstance(value, float):
        return f"{shown(value)} must be a whole number"
    words = " or ".join(dict.fromkeys(_TYPE_WORDS.get(w, w) for w in wants))
    return f"must be {words}, got {got(value)}"


def got(value: Any) -> str:
    """What a wrong value is, for "got ...": ``text 'x'``, ``a list``, ``nothing``."""
    return f"{kind_of(value)} {shown(value)}".rstrip() if value is not None else "nothing"


def kind_of(value: Any) -> str:
    """A value's kind in words: boolean, number, text, a list, a mapping."""
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__


def shown(value: Any) -> str:
    """A scalar as a message quotes it (60 characters at most); "" for a list or mapping."""
    if isinstance(value, dict | list):
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        text = repr(value)
    elif isinstance(value, float) and value.is_integer():
        text = str(int(value))
    else:
        text = str(value)
    return text if len(text) <= 60 else text[:57] + "..."


def path_of(error) -> tuple:
    """The absolute path of a ``jsonschema`` error, plus the offending key for unknown keys."""
    path = tuple(error.absolute_path)
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        allowed = error.schema.get("properties", {}) if isinstance(error.schema, dict) else {}
        extra = sorted(k for k in error.instance if k not in allowed)
        if extra:
            path = (*path, extra[0])
    elif error.validator == "required" and isinstance(error.instance, dict):
        missing = [k for k in error.validator_value if k not in error.instance]
        if missing:
            path = (*path, missing[0])
    return path


__all__ = [
    "KNOWLEDGE_FILES",
    "NAMES",
    "cache_dir",
    "describe",
    "explainer",
    "fast_validator",
    "got",
    "is_valid",
    "iter_errors",
    "kind_of",
    "knowledge_bundle",
    "load",
    "path_of",
    "shown",
    "type_message",
]
