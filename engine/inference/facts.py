"""The profile as durable_rules reads it: one flat fact, written straight to JSON."""

from __future__ import annotations

import json

#: durable_rules' id of the profile fact in each stage (one profile a state at a time);
#: given, so durable need not hash the fact's properties to make one, and the fact
#: is retracted by its id alone
PROFILE_ID = "p"
#: how every profile fact starts (``%s`` = state id): the driver writes it once per
#: state id, and the encoder's text (the fields, then the flags) follows it
PROFILE_HEAD = '{"sid":"%s","id":"' + PROFILE_ID + '","t":"profile"'


def fact_key(section: str, field: str) -> str:
    """The readable key of ``section.field`` in the flat profile fact, as the compiler
    writes it (the registered rules and the fact use `Compiled.keys` instead)."""
    return f"{section}__{field}"


class FactEncoder:
    """Writes the flat profile fact straight to JSON text: what follows its head
    (`PROFILE_HEAD`, its state id and its id), which the driver puts before it.

    Only the fields some compiled rule reads (``fields``), each under its key
    (``keys``: `pmpath.inference.compiler.Compiled.keys`; ``section__field`` if not
    given), written without building a dict first: the per-profile hot path.
    Values are the validated, normalised profile's booleans, numbers (no exponent
    form: years are kept to 4 decimal places) and enum strings.

    `encode` writes two facts: the first stage's, with every field in ``fields``,
    and the later stages', with only the fields they read (``later``, from
    `pmpath.inference.compiler.Compiled.later_fields`). The first fact lists the
    other fields first and then the later ones, so both are written from the same
    pieces.
    """

    def __init__(
        self,
        fields: tuple[tuple[str, str], ...],
        later: tuple[tuple[str, str], ...] = (),
        keys: dict[tuple[str, str], str] | None = None,
    ):
        shared = set(later)
        keys = keys or {f: fact_key(*f) for f in fields}
        order = [f for f in fields if f not in shared] + [f for f in fields if f in shared]
        self._plan = tuple(
            (section, field, f'"{keys[section, field]}":', (section, field) in shared)
            for section, field in order
        )

    def encode(self, profile: dict, derived: dict) -> tuple[str, str]:
        """The first stage's fact and the later stages' fact, each as the JSON text
        that follows `PROFILE_HEAD` (``,"f0":3,...}``)."""
        # each piece after a comma: the text follows the head's last property
        first = [""]
        later = [""]
        for section, field, key, shared in self._plan:
            value = (derived if section == "derived" else profile[section]).get(field)
            if value is None:
                continue
            kind = type(value)
            if kind is bool:
                text = key + ("true" if value else "false")
            elif kind is int or kind is float:
                text = key + repr(value)
            else:
                text = key + json.dumps(value)
            first.append(text)
            if shared:
                later.append(text)
        return ",".join(first) + "}", ",".join(later) + "}"
