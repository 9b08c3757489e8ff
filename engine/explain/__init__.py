"""Why, and why not (L5): the one explainer.

- `why`: `Explainer` checks rules on a profile and builds the tree of
  `RuleCheck` and `ConditionCheck` that ``--explain``, role fit and fit's
  reasons all print; `explain_gaps` is ``--explain``'s view of the next rung.
- `possible`: `could_hold`, whether a requirement is still possible on what is
  known (the relaxed ``possible`` rules): the line between unmet and unknown.
"""

from pmpath.explain.possible import could_hold
from pmpath.explain.why import (
    ConditionCheck,
    Explainer,
    GapExplanation,
    RuleCheck,
    Unmet,
    explain_gaps,
    show_facts,
)

__all__ = [
    "ConditionCheck",
    "Explainer",
    "GapExplanation",
    "RuleCheck",
    "Unmet",
    "could_hold",
    "explain_gaps",
    "show_facts",
]
