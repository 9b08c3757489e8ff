"""Dates as the sources write them, read to a day, with what had to be assumed.

JSON Resume writes ``2019-03-14``, ``2019-03`` or ``2019``; LinkedIn exports
``Mar 2019`` (or ``2019``); Greenhouse ISO timestamps (``2019-03-01T00:00:00Z``).
A date given to the month or the year is read as the first day of that period,
and the reading says so: that is an assumption the report lists.
"""

from __future__ import annotations

import re
from datetime import date

from pmpath.errors import SourceError

_MONTHS = {
    name: i
    for i, names in enumerate(
        (
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ),
        start=1,
    )
    for name in names
}
_ISO = re.compile(
    r"^(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?(?:[T ][0-9:.]+(?:Z|[+-]\d{2}:?\d{2})?)?$"
)
_MONTH_YEAR = re.compile(r"^([A-Za-z]+)\.?\s+(\d{4})$")


def read_date(text: object, file: str, where: str) -> tuple[date, str | None]:
    """``text`` as a date, and the assumption made (None when it gave the day).

    `SourceError` (I004) when it is not a date this reader knows.
    """
    if not isinstance(text, str):
        raise SourceError(
            f"a date is text such as 2019-03-14, 2019-03 or 2019, not {text!r}",
            code="I004",
            file=file,
            where=where,
        )
    value = text.strip()
    match = _ISO.match(value)
    if match:
        year, month, day = match.group(1), match.group(2), match.group(3)
        try:
            found = date(int(year), int(month or 1), int(day or 1))
        except ValueError:
            found = None
        if found is not None:
            if day is None:
                period = "month" if month else "year"
                return found, f"{value!r} read as {found.isoformat()}, the start of that {period}"
            return found, None
    match = _MONTH_YEAR.match(value)
    if match and match.group(1).lower() in _MONTHS:
        found = date(int(match.group(2)), _MONTHS[match.group(1).lower()], 1)
        return found, f"{value!r} read as {found.isoformat()}, the start of that month"
    raise SourceError(
        f"{value!r} is not a date; write it as 2019-03-14, 2019-03, 2019 or Mar 2019",
        code="I004",
        file=file,
        where=where,
    )


def parse_as_of(text: str) -> date:
    """``--as-of DATE``: a full ISO date (``2026-12-02``); `ValueError` otherwise."""
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{text!r} is not a date; write it as YYYY-MM-DD (2026-12-02)") from None


__all__ = ["parse_as_of", "read_date"]
