"""Words shown to people: one way to show a value that came from the input.

`visible` is the one escaping function for text a person reads (the text and
Markdown renderers, error messages, warnings, summaries, the diff report):
whatever a profile holds, it cannot move the cursor, retitle the terminal,
clear the screen or start a line that looks like pmpath's own.
"""

from __future__ import annotations

import re
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
