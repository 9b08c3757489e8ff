"""Reading YAML and JSON documents safely, remembering where each value was.

A `Document` is the parsed data plus a map from each value's path (a tuple of
keys and indexes) to its 1-based line, so errors can point at
``profile.yaml:7`` rather than only at ``experience.product_years``.

Untrusted input is bounded: a size cap before parsing, a node budget while
building (a YAML alias bomb expands past it within milliseconds), no custom
tags, no duplicate keys, no NaN or infinity, UTF-8 only.
"""

from __future__ import annotations

import contextlib
import json
import math
import re
from dataclasses import dataclass, field
from typing import Any

import yaml

from pmpath.errors import DocumentError

try:  # libyaml's composer is several times faster; fall back to pure Python.
    _Loader = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - depends on how PyYAML was built
    _Loader = yaml.SafeLoader

Path = tuple

DEFAULT_MAX_BYTES = 1 << 20  # 1 MiB: a profile is a few hundred bytes
DEFAULT_MAX_NODES = 100_000

_STR = "tag:yaml.org,2002:str"
_SCALAR_TAGS = {
    "tag:yaml.org,2002:str",
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:null",
    "tag:yaml.org,2002:timestamp",
}
_COLLECTION_TAGS = {"tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"}
_constructor = yaml.constructor.SafeConstructor()


@dataclass
class Document:
    data: Any
    file: str
    lines: dict[Path, int] = field(default_factory=dict)
    #: paths of plain scalars written in exponent form (1e-7, 2.5E+3)
    exponents: set[Path] = field(default_factory=set)

    def line_of(self, path: Path | list) -> int:
        """The line of ``path``, or of its nearest ancestor that has one (else 1)."""
        path = tuple(path)
        while path:
            line = self.lines.get(path)
            if line is not None:
                return line
            path = path[:-1]
        return self.lines.get((), 1)


_WIDE_BOMS = (
    (b"\x00\x00\xfe\xff", "UTF-32"),
    (b"\xff\xfe\x00\x00", "UTF-32"),
    (b"\xfe\xff", "UTF-16"),
    (b"\xff\xfe", "UTF-16"),
)


def decode(raw: bytes, max_bytes: int = DEFAULT_MAX_BYTES) -> str:
    if len(raw) > max_bytes:
        raise DocumentError(
            "too-large", f"larger than the {max_bytes:,}-byte limit; a profile is a few KB at most"
        )
    for bom, name in _WIDE_BOMS:
        if raw.startswith(bom):
            raise DocumentError(
                "encoding", f"the file is {name} text, not UTF-8", hint="save it as UTF-8"
            )
    if b"\x00" in raw:
        raise DocumentError(
            "binary",
            "binary data (NUL bytes), not a text file",
            hint="a profile is a YAML or JSON text file",
        )
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise DocumentError(
            "encoding",
            f"not valid UTF-8 (byte {exc.start} on line {line})",
            line,
            hint="save the file as UTF-8",
        ) from None
    return text


def parse_yaml(text: str, file: str = "<string>", max_nodes: int = DEFAULT_MAX_NODES) -> Document:
    """Parse one YAML document into plain data and a line map."""
    try:
        node = yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        raise _syntax_error(exc, text) from None
    except yaml.reader.ReaderError as exc:  # a control character: say where, in one line
        before = text[: exc.position]
        line = before.count("\n") + 1
        column = exc.position - (before.rfind("\n") + 1) + 1
        char = exc.character if isinstance(exc.character, int) else ord(str(exc.character))
        raise DocumentError(
            "syntax",
            f"control character U+{char:04X} is not allowed in YAML",
            line,
            column,
            hint='remove it, or write it as an escape inside double quotes, e.g. "\\t"',
        ) from None
    except yaml.YAMLError as exc:  # pragma: no cover - libyaml marks every error it raises
        raise DocumentError("syntax", f"YAML error: {exc}") from None
    except RecursionError:  # pragma: no cover - libyaml caps nesting first
        raise DocumentError("too-large", "YAML nested too deeply") from None
    doc = Document(data=None, file=file)
    if node is None:
        return doc
    budget = [max_nodes, text, max_nodes]  # nodes left, the source (for tags), the cap
    doc.data = _build(node, (), doc, budget)
    return doc


_CONTEXTS = {
    "while parsing a flow sequence": "the [ list",
    "while parsing a flow mapping": "the { mapping",
    "while scanning a quoted scalar": "the quoted text",
    "while parsing a block collection": "the list",
    "while parsing a block mapping": "the mapping",
    "while scanning a simple key": "the key",
}


def _syntax_error(exc: yaml.MarkedYAMLError, text: str) -> DocumentError:
    """A YAML error in plain words: what, where, where the unfinished part began, and a hint."""
    mark = exc.problem_mark or exc.context_mark
    line = mark.line + 1 if mark else None
    column = mark.column + 1 if mark else None
    problem = exc.problem or exc.context or "invalid YAML"
    context = exc.context or ""
    hint = ""
    if context.startswith("expected a single document"):
        return DocumentError(
            "syntax",
            "more than one YAML document in the file",
            line,
            column,
            hint="a profile is one document; remove the second '---' and what follows it",
        )
    message = f"YAML syntax error: {problem}"
    cmark = exc.context_mark
    if context and cmark is not None and (cmark.line, cmark.column) != (mark.line, mark.column):
        what = _CONTEXTS.get(context, context.removeprefix("while ").replace("parsing ", ""))
        message += f" ({what} that starts at line {cmark.line + 1}, column {cmark.column + 1})"
    lines = text.splitlines()
    at = lines[mark.line] if mark and mark.line < len(lines) else ""
    if mark is not None and "\t" in at[: mark.column + 1]:
        hint = "indent with spaces; YAML does not allow tabs for indentation"
    elif problem.startswith("mapping values are not allowed"):
        hint = "put quotes around a value that contains ': '"
    elif problem.startswith("found undefined alias"):
        hint = "'*' starts an alias in YAML; put quotes around a value that starts with '*'"
    elif problem == "found unexpected end of stream" and "quoted" in context:
        hint = "close the quotes"
    elif problem.startswith("did not find expected ',' or ']'"):
        hint = "close the list with ']', with commas between its items"
    elif problem.startswith("did not find expected ',' or '}'"):
        hint = "close the mapping with '}', with commas between its entries"
    elif problem.startswith("exceeded maximum nesting depth"):
        hint = "a profile is sections of fields, two levels deep"
    elif problem.startswith("found character") and "cannot start any token" in problem:
        hint = "put quotes around a value that starts with a special character"
    return DocumentError("syntax", message, line, column, hint=hint)


_EXPONENT = re.compile(r"^[-+]?(\d+\.?\d*|\.\d+)[eE][-+]?\d+$")


def _build(node: yaml.Node, path: Path, doc: Document, budget: list) -> Any:
    lines = doc.lines
    budget[0] -= 1
    if budget[0] < 0:
        aliases = bool(_ALIAS.search(budget[1]))
        raise DocumentError(
            "too-large",
            "document expands to too many values through YAML aliases (an alias bomb?); "
            "aliases are not needed here"
            if aliases
            else f"document holds too many values (more than {budget[2]:,}); a profile has "
            "a few dozen",
            node.start_mark.line + 1,
        )
    lines.setdefault(path, node.start_mark.line + 1)
    if not isinstance(node, yaml.ScalarNode) and node.tag not in _COLLECTION_TAGS:
        raise DocumentError(
            "syntax",
            f"unsupported YAML tag {node.tag!r}; use plain values",
            node.start_mark.line + 1,
            node.start_mark.column + 1,
        )
    if isinstance(node, yaml.MappingNode):
        out: dict = {}
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                raise DocumentError(
                    "syntax", "YAML merge keys (<<) are not supported", key_node.start_mark.line + 1
                )
            if not isinstance(key_node, yaml.ScalarNode):
                raise DocumentError(
                    "syntax", "mapping keys must be plain strings", key_node.start_mark.line + 1
                )
            key = key_node.value if key_node.tag == _STR else _scalar(key_node)
            if not isinstance(key, str):
                key = str(key) if key is not None else "null"
            if key in out:
                raise DocumentError(
                    "duplicate-key",
                    f"duplicate key '{key}' (first at line {lines.get((*path, key), '?')})",
                    key_node.start_mark.line + 1,
                    key_node.start_mark.column + 1,
                )
            child = (*path, key)
            lines[child] = key_node.start_mark.line + 1
            out[key] = _build(value_node, child, doc, budget)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_build(item, (*path, i), doc, budget) for i, item in enumerate(node.value)]
    # plain scalars only; libyaml reports their style as '' where PyYAML says None
    plain = not node.style
    if plain and _EXPONENT.match(node.value):
        doc.exponents.add(path)
    _as_written(node, plain, budget[1])
    return _scalar(node)


_RESOLVER = yaml.resolver.Resolver()
_INT, _FLOAT = "tag:yaml.org,2002:int", "tag:yaml.org,2002:float"
#: number forms YAML 1.1 reads as something else than a reader sees
_NOT_DECIMAL = (
    (re.compile(r"^[-+]?0[xX][0-9a-fA-F_]+$"), "hexadecimal"),
    (re.compile(r"^[-+]?0[oO]?[0-7_]+$"), "octal"),
    (re.compile(r"^[-+]?0[bB][01_]+$"), "binary"),
    (re.compile(r"^[-+]?[0-9][0-9_]*(:[0-5]?[0-9])+(\.[0-9_]*)?$"), "base 60 (hours:minutes)"),
    (re.compile(r"_"), "digits with underscores"),
)


_ALIAS = re.compile(r"(^|[\s\[{,:-])\*[^\s,\]}]")  # an alias (*name) used somewhere
_PROPERTIES = re.compile(r"(&\S+\s+)?!")  # an anchor, then a tag


def _as_written(node: yaml.ScalarNode, plain: bool, text: str) -> None:
    """Refuse a scalar whose value is not what it reads as: an explicit tag (``!!int 5``,
    ``!!str 5``), or a YAML 1.1 number form (``010`` is 8, ``0x10`` 16, ``0b11`` 3,
    ``1_0`` 10, ``1:30`` 90). Decimal numbers such as ``10``, ``2.5`` and ``0`` pass."""
    tag = node.tag
    implicit = _RESOLVER.resolve(yaml.ScalarNode, node.value, (True, False)) if plain else _STR
    line, column = node.start_mark.line + 1, node.start_mark.column + 1
    if tag != implicit or _PROPERTIES.match(text, node.start_mark.index):
        raise DocumentError(
            "syntax",
            f"YAML tags are not supported: {node.value!r} is tagged {_tag_name(tag)}",
            line,
            column,
            hint=f"remove the tag and write the plain value, e.g. {node.value or 'text'}",
        )
    if tag not in (_INT, _FLOAT) or node.value in ("0", "-0", "+0"):
        return
    written = node.value
    for pattern, form in _NOT_DECIMAL:
        if pattern.search(written):
            value = _constructor.construct_object(node)
            shown = f"{value:g}" if isinstance(value, float) else str(value)
            # 010 may be a ten with a leading zero: say so
            decimal = written.lstrip("+").lstrip("0") if form == "octal" else ""
            other = f", or {decimal} if you mean {decimal}" if decimal else ""
            raise DocumentError(
                "number",
                f"{written} is not a plain decimal number: YAML reads it as {form}, "
                f"that is {shown}",
                line,
                column,
                hint=f"write {shown} if you mean {shown}{other}; put quotes around it if it "
                "is text",
            )


def _tag_name(tag: str) -> str:
    return "!!" + tag.rsplit(":", 1)[-1] if tag.startswith("tag:yaml.org,2002:") else tag


def _scalar(node: yaml.Node) -> Any:
    tag = node.tag
    if tag not in _SCALAR_TAGS:
        raise DocumentError(
            "syntax", f"unsupported YAML tag {tag!r}; use plain values", node.start_mark.line + 1
        )
    if tag == _STR or tag == "tag:yaml.org,2002:timestamp":
        return node.value
    value = _constructor.construct_object(node)
    if isinstance(value, float) and not math.isfinite(value):
        raise DocumentError(
            "syntax", f"{node.value!r} is not a finite number", node.start_mark.line + 1
        )
    return value


class _Dumper(yaml.SafeDumper):
    """PyYAML's safe dumper, but a string holding a line break other than "\n" (NEL,
    U+2028, U+2029) is double-quoted, where it is escaped: PyYAML writes it raw in a
    plain or single-quoted scalar, which reads back as a space."""


def _represent_str(dumper: yaml.SafeDumper, text: str) -> yaml.ScalarNode:
    style = '"' if any(c in text for c in "\x85\u2028\u2029") else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", text, style=style)


_Dumper.add_representer(str, _represent_str)


def dump_yaml(data: Any, **options: Any) -> str:
    """``yaml.safe_dump(data, **options)`` that reads back as the same data."""
    return yaml.dump(data, Dumper=_Dumper, **options)


def parse_json(text: str, file: str = "<string>", *, with_lines: bool = True) -> Document:
    """Parse JSON strictly (no NaN, no duplicate keys); lines are best effort."""
    try:
        data = json.loads(text, object_pairs_hook=_no_duplicates, parse_constant=_no_constant)
    except json.JSONDecodeError as exc:
        raise DocumentError(
            "syntax",
            f"JSON syntax error: {exc.msg}",
            exc.lineno,
            exc.colno,
            hint=_json_hint(exc),
        ) from None
    except DocumentError:
        raise
    except RecursionError:
        raise DocumentError("too-large", "JSON nested too deeply") from None
    doc = Document(data=data, file=file)
    if with_lines and "\n" in text.strip():
        with contextlib.suppress(DocumentError):  # JSON is (almost always) YAML
            doc.lines = parse_yaml(text, file).lines
    return doc


def _json_hint(exc: json.JSONDecodeError) -> str:
    before = exc.doc[: exc.pos].rstrip()
    here = exc.doc[exc.pos : exc.pos + 1]
    if not exc.doc[exc.pos :].strip():
        return "the JSON ends too early; close every { and ["
    if before.endswith(",") and here in ("}", "]"):
        return "JSON does not allow a comma after the last item"
    if here == "'":
        return "JSON strings and keys take double quotes"
    if exc.msg.startswith("Expecting property name") and here.isalpha():
        return "JSON keys need double quotes"
    if exc.msg == "Expecting ',' delimiter":
        return "put a comma between items"
    return ""


def _no_duplicates(pairs: list) -> dict:
    out = dict(pairs)
    if len(out) != len(pairs):  # the rare case: find the key that came twice
        seen: set = set()
        for key, _ in pairs:
            if key in seen:
                raise DocumentError("duplicate-key", f"duplicate key '{key}'")
            seen.add(key)
    return out


def _no_constant(name: str) -> Any:
    raise DocumentError("syntax", f"{name} is not a finite number")
