"""``--fail-on`` conditions (``level>2%,down>0``): parsed once, checked on a report."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pmpath.errors import DiffError

if TYPE_CHECKING:  # pragma: no cover
    from pmpath.diff.report import DiffReport

    pass


#: the exit code when a ``--fail-on`` condition holds (0 ok, 1 error, 2 usage, 3 bug)
FAIL_ON_EXIT = 4


# -- --fail-on -----------------------------------------------------------------------------

#: metric -> the counter of profiles it reads
FAIL_ON_METRICS = {
    "profiles": "profiles",
    "level": "level",
    "up": "up",
    "down": "down",
    "specialization": "specialization",
    "shape": "shape",
    "certainty": "certainty",
    "next_level": "next_level",
    "requirements": "requirements",
    "rules": "rules",
    "steps": "steps",
    "first_step": "first_step",
    "fit": "fit",
    "shortlist": "shortlist",
    "errors": "errors",
}
_CONDITION = re.compile(r"^\s*([a-z_]+)\s*(>=|<=|>|<|==|=)\s*(\d+(?:\.\d+)?)\s*(%?)\s*$")


@dataclass(frozen=True)
class Condition:
    """One ``--fail-on`` condition: ``level>2%``, ``down>0``, ``errors>=10``."""

    text: str
    metric: str
    op: str
    value: float
    percent: bool

    def holds(self, report: DiffReport) -> tuple[bool, str]:
        n = report.count(self.metric)
        measured = 100 * n / report.scored if self.percent and report.scored else n
        if self.percent and not report.scored:
            measured = 0.0
        ok = {
            ">": measured > self.value,
            ">=": measured >= self.value,
            "<": measured < self.value,
            "<=": measured <= self.value,
            "==": measured == self.value,
            "=": measured == self.value,
        }[self.op]
        shown = f"{measured:.2f}% ({n:,} of {report.scored:,})" if self.percent else f"{n:,}"
        return ok, f"{self.text}: {self.metric} is {shown}"


def parse_conditions(text: str) -> list[Condition]:
    """``--fail-on`` as conditions (comma-separated); `DiffError` D002 naming the fault."""
    out = []
    for part in text.split(","):
        if not part.strip():
            continue
        m = _CONDITION.match(part)
        if m is None:
            raise DiffError(
                f"--fail-on: cannot read {part.strip()!r}; write METRIC OP NUMBER, optionally "
                "with %, e.g. 'level>2%' or 'down>0' (several separated by commas)",
                code="D002",
            )
        metric, op, value, percent = m.groups()
        if metric not in FAIL_ON_METRICS:
            raise DiffError(
                f"--fail-on: unknown metric {metric!r}; choose from " + ", ".join(FAIL_ON_METRICS),
                code="D002",
            )
        out.append(Condition(part.strip(), metric, op, float(value), bool(percent)))
    if not out:
        raise DiffError("--fail-on: no condition given, e.g. 'level>2%'", code="D002")
    return out
