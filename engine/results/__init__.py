"""Results (L6): what pmpath concludes, as data.

- `recommendation`: `Recommendation`, output v1, with evidence and trace;
- `compact`: its byte-identical JSON, written from per-model templates;
- `advice`: questions for the unknowns, time to go, rungs up to a target;
- `fit`: `Fit`, one candidate against one opening; `score`: `assess`.
"""

from pmpath.results.fit import Fit, check_role
from pmpath.results.recommendation import Recommendation
from pmpath.results.score import assess

__all__ = [
    "Fit",
    "Recommendation",
    "assess",
    "check_role",
]
