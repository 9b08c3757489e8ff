"""Words shown to people: one way to show a value that came from the input.

`visible` is the one escaping function for text a person reads (the text and
Markdown renderers, error messages, warnings, summaries, the diff report):
whatever a profile holds, it cannot move the cursor, retitle the terminal,
clear the screen or start a line that looks like pmpath's own.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from typing import Any

#: C0 controls, DEL and C1 controls (ESC, CSI, OSC and BEL among them); \n and \t apart
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029]")
_ESCAPES = {"\n": "\\n", "\t": "\\t", "\r": "\\r", "\u2028": "\\u2028", "\u2029": "\\u2029"}


def _escape(match: re.Match) -> str:
    char = match.group()
    return _ESCAPES.get(char) or f"\\x{ord(char):02x}"


def visible(text: Any, *, newlines: bool = False) -> str:
    """``text`` with every control character shown as an escape (``\\x1b``, ``\\r``).

    A newline is shown as ``\\n`` too, so a value never starts a line of its own,
    unless ``newlines`` is true (pmpath's own multi-line messages); a tab stays.
    """
    s = "" if text is None else str(text)
    if not newlines:
        s = s.replace("\n", "\\n")
    return _CONTROL.sub(_escape, s)


def number(value: Any) -> str:
    """A number as it was given: a whole float without ``.0`` (3.0 -> 3), others as they are.

    The one wording for a value read from a profile, knowledge or rules (error
    messages, the guide, the template): nothing is rounded away.
    """
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def figure(value: float) -> str:
    """A number pmpath worked out (a share, a score, a sum): six significant digits at most."""
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def show_value(value: Any) -> str:
    """A fact's value as explanations print it: not given, true/false, a figure, or text."""
    if value is None:
        return "not given"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return figure(value)
    return visible(value)  # a profile's text (current_title): no control characters


def did_you_mean(word: Any, choices: Iterable[str], cutoff: float = 0.6) -> str:
    """ "did you mean 'x'?" for the choice ``word`` was most likely meant to be, or "".

    The one spelling helper (unknown keys, enum values, roles): ``word`` as
    typed first, then lowered with spaces as underscores ("Senior PM" finds
    ``senior_pm``); a choice is matched case-insensitively and named as written.
    """
    if not isinstance(word, str):
        return ""
    choices = list(choices)
    by_lower = {c.lower(): c for c in choices}
    for attempt in dict.fromkeys((word, word.lower().replace(" ", "_"))):
        close = difflib.get_close_matches(attempt, choices, n=1, cutoff=cutoff)
        if not close:
            close = [by_lower[c] for c in difflib.get_close_matches(attempt, by_lower, 1, cutoff)]
        if close:
            return f"did you mean '{close[0]}'?"
    return ""


def article(title: str) -> str:
    """``title`` with "a" or "an" before it, by its first letter."""
    return f"{'an' if title[:1].lower() in 'aeiou' else 'a'} {title}"


def clause(text: str) -> str:
    """A sentence (a rule's ``because``) as a clause: first letter lowered, full stop dropped.

    The first letter stays when the second is a capital too (an acronym: "PMs ...").
    """
    text = text.strip().rstrip(".")
    return text[:1].lower() + text[1:] if text[1:2].islower() else text


_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|~#])")
_MD_ENTITY = re.compile(r"&(?=[A-Za-z0-9#]+;)")
_MD_LINE_START = re.compile(r"^([-+=]\s|\d+[.)]\s)")


def md(text: Any) -> str:
    """``text`` as literal Markdown on one line: nothing in it becomes markup.

    Whitespace runs (a folded YAML paragraph's newlines among them) become one
    space; Markdown's special characters, an HTML entity's ``&`` and a start
    that reads as a list item are escaped. The one Markdown escape of the
    recommendation, the guide and the diff report.
    """
    out = _MD_SPECIAL.sub(r"\\\1", " ".join(str(text).split()))
    out = _MD_ENTITY.sub("&amp;", out)
    return _MD_LINE_START.sub(r"\\\1", out)


# -- sizes ----------------------------------------------------------------------------
_UNITS = {
    "": 1,
    "b": 1,
    "k": 1000,
    "kb": 1000,
    "kib": 1024,
    "m": 1000**2,
    "mb": 1000**2,
    "mib": 1024**2,
    "g": 1000**3,
    "gb": 1000**3,
    "gib": 1024**3,
}
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$")


def parse_size(text: str) -> int:
    """``256KiB`` -> 262144, ``1MB`` -> 1000000, ``4096`` -> 4096 (bytes).

    `ValueError` says what a size looks like when ``text`` is not one.
    """
    match = _SIZE.match(str(text))
    unit = match.group(2).lower() if match else None
    if match is None or unit not in _UNITS:
        raise ValueError(
            f"{text!r} is not a size: write a number of bytes, or one with a unit "
            "(256KiB, 1MiB, 500KB)"
        )
    size = int(float(match.group(1)) * _UNITS[unit])
    if size < 1:
        raise ValueError(f"{text!r} is not a size: it must be at least 1 byte")
    return size


def show_size(size: int) -> str:
    """Bytes as the shortest exact binary unit: 262144 -> ``256KiB``."""
    for unit, factor in (("GiB", 1024**3), ("MiB", 1024**2), ("KiB", 1024)):
        if size % factor == 0:
            return f"{size // factor}{unit}"
    return f"{size}B"
