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

from pmpath.profile.answers import NOT_KNOWN, describe, parse_answer, with_answers
from pmpath.profile.checker import check_profile, normalise
from pmpath.profile.reader import Profile, load_profile, parse_profile
from pmpath.profile.template import template

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
