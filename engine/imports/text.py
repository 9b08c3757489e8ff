"""Words of a text, and the phrases and statements of knowledge/imports.yaml found in them.

A text is lowercased, ``→`` becomes ``to``, and every run of characters other
than letters and digits becomes one space: "Sr. Product Manager (Growth)" is
``sr product manager growth``. A phrase is found when its words stand side by
side in those words. A statement pattern (``launched {n} features|products``)
is found the same way, ``{n}`` being a number in digits or a word from one to
twenty, and gives that number with the words it was read from.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

_NOT_WORD = re.compile(r"[^0-9a-zà-ɏ]+")
_NUMBERS = (
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
    "fifteen sixteen seventeen eighteen nineteen twenty"
)
NUMBER_WORDS = {w: i for i, w in enumerate(_NUMBERS.split(" "))}
NUMBER_WORDS["a dozen"] = 12
NUMBER_WORDS["dozen"] = 12


def words(text: object) -> str:
    """The words of ``text``, lowercased, one space apart, with a space at each end."""
    if not isinstance(text, str):
        return " "
    folded = text.lower().replace("→", " to ").replace("&", " and ")
    return " " + " ".join(_NOT_WORD.sub(" ", folded).split()) + " "


def found(phrases: Iterable[str], text_words: str) -> list[str]:
    """The phrases whose words stand side by side in ``text_words`` (from `words`)."""
    return [p for p in phrases if f" {p} " in text_words]


def compile_pattern(pattern: str) -> re.Pattern:
    """A statement pattern as a regular expression over `words` (one group: the number)."""
    parts = []
    for token in pattern.split():
        if token == "{n}":
            names = "|".join(sorted((re.escape(w) for w in NUMBER_WORDS), key=len, reverse=True))
            parts.append(rf"(\d{{1,6}}|{names})")
        else:
            choices = (re.escape(t.replace("_", " ")) for t in token.split("|"))
            parts.append("(?:" + "|".join(choices) + ")")
    if "{n}" not in pattern.split():
        return re.compile(r"(?<= )(" + " ".join(parts) + r")(?= )")
    return re.compile(r"(?<= )" + " ".join(parts) + r"(?= )")


def number_of(text: str) -> int:
    return int(text) if text.isdigit() else NUMBER_WORDS[text]


__all__ = ["NUMBER_WORDS", "compile_pattern", "found", "number_of", "words"]
