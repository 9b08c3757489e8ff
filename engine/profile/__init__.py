"""A profile: read, checked, normalised (L2).

- `reader`: a YAML or JSON document (file, text or stdin) to a `Profile` with
  its line map (`load_profile`, `parse_profile`);
- `checker`: the profile v1 check, every rejection worded once with its field
  path and a hint (`check_profile`), and `normalise` (a field not given stays
  not given: unknown is not zero);
- `fields`: the sections and fields rules read, and the `derived` section;
- `cells`: a CSV row of ``section.field`` cells to a profile;
- `answers`: an answer typed at ``--ask`` to a field value, and written back;
- `template`: the commented template ``pmpath init`` writes.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from pmpath.profile.checker import check_profile, normalise
from pmpath.profile.reader import Profile, load_profile, parse_profile

# bound here, not on first use: a function named as its module would otherwise be
# shadowed by the module once `pmpath.profile.template` is imported
from pmpath.profile.template import template

if TYPE_CHECKING:  # pragma: no cover
    from pmpath.profile.answers import NOT_KNOWN, describe, parse_answer, with_answers

#: members loaded on first use (``pmpath recommend`` needs neither): name -> module
_LAZY = {
    "NOT_KNOWN": "pmpath.profile.answers",
    "describe": "pmpath.profile.answers",
    "parse_answer": "pmpath.profile.answers",
    "with_answers": "pmpath.profile.answers",
}


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module 'pmpath.profile' has no attribute {name!r}")
    value = getattr(importlib.import_module(_LAZY[name]), name)
    globals()[name] = value
    return value


__all__ = [
    "NOT_KNOWN",
    "Profile",
    "check_profile",
    "describe",
    "load_profile",
    "normalise",
    "parse_answer",
    "parse_profile",
    "template",
    "with_answers",
]
