"""Profiles (spec section 3): reading, validating and normalising them.

`load_profile(path)` reads a YAML or JSON file (or ``-`` for stdin) into a
`Profile`; `check_profile(data)` validates a mapping and returns the
normalised profile the engine reasons on (every section present, defaults
filled in, years kept to 4 decimal places). Every failure is a `ProfileError`
with a stable code, the field path, and the line when there is a file.

Validation runs a compiled ``fastjsonschema`` check first (microseconds); only
a rejected profile goes through ``jsonschema`` to explain what is wrong.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pmpath.errors import ProfileError
from pmpath.profile.fields import SECTIONS
from pmpath.profile.reader import Profile
from pmpath.source import schemas
from pmpath.words import did_you_mean, number

_VALIDATOR_CODES = {
    "additionalProperties": "P005",
    "type": "P006",
    "minimum": "P007",
    "maximum": "P007",
    "minLength": "P007",
    "maxLength": "P007",
    "enum": "P008",
    "const": "P008",
    "required": "P009",
}


#: sections whose schema defaults are filled in: choices about the answer, not facts
#: about the person (spec section 6: a fact not given is unknown, never a default)
DEFAULTED_SECTIONS = ("goals",)


def _defaults() -> dict[str, dict[str, Any]]:
    props = schemas.load("profile")["properties"]
    return {
        name: {k: v["default"] for k, v in props[name]["properties"].items() if "default" in v}
        if name in DEFAULTED_SECTIONS
        else {}
        for name in SECTIONS
    }


DEFAULTS = _defaults()


def check_profile(profile: Profile | Mapping) -> dict:
    """Validate a profile and return its normalised form (raises `ProfileError`)."""
    if not isinstance(profile, Profile):
        profile = Profile(profile)
    data = profile.data
    if not isinstance(data, Mapping):
        kind = "a list" if isinstance(data, list) else f"a single value ({schemas.shown(data)})"
        raise ProfileError(
            f"a profile must be a mapping of sections (experience:, scope:, ...), not {kind}",
            code="P004",
            file=profile.file,
            line=profile.line_of(()),
        )
    if not isinstance(data, dict):
        data = dict(data)
    if not schemas.is_valid("profile", data):
        raise _explain(data, profile)
    experience = data["experience"]
    total = experience["total_years"]
    for key in ("product_years", "people_management_years"):
        value = experience.get(key, 0)
        if value > total:
            path = ("experience", key)
            raise ProfileError(
                f"{number(value)} is more than experience.total_years ({number(total)})",
                code="P010",
                path=".".join(path),
                file=profile.file,
                line=profile.line_of(path),
                hint="years in one kind of role cannot exceed your professional years",
            )
    _check_work(data, profile)
    return normalise(data)


def _check_work(data: dict, profile: Profile) -> None:
    """Years of product work (work.*) cannot add up to more than the years in product."""
    work = data.get("work") or {}
    total = round(sum(work.values()), 4)
    product_years = data["experience"]["product_years"]
    if total > product_years + 1e-9:
        biggest = max(work, key=work.get)
        path = ("work", biggest)
        raise ProfileError(
            f"work.* adds up to {number(total)} years, more than experience.product_years "
            f"({number(product_years)})",
            code="P015",
            path=".".join(path),
            file=profile.file,
            line=profile.line_of(path),
            hint="the kinds of product work share the years in product: lower work.* or "
            "raise experience.product_years",
        )


def normalise(data: dict) -> dict:
    """Every section present, holding what was given (a field not given is unknown and
    stays absent; only `goals` gets its defaults); years to 4 decimal places.

    Rounding keeps numbers out of exponent notation, which durable_rules' JSON
    parser rejects (a year to 4 places is under an hour).
    """
    out: dict = {"id": data.get("id"), "name": data.get("name")}
    for name in SECTIONS:
        section = dict(DEFAULTS[name])
        given = data.get(name)
        if given:
            for key, value in given.items():
                section[key] = round(value, 4) if type(value) is float else value
        out[name] = section
    return out


def _explain(data: dict, profile: Profile) -> ProfileError:
    errors = list(schemas.explainer("profile").iter_errors(data))
    # start-up time: jsonschema loads only to word a rejection the fast check found
    from jsonschema.exceptions import best_match

    def relevance(error):  # an unknown key explains a "required" error at the same place
        return (
            error.validator == "additionalProperties",
            -len(error.absolute_path),
            error.validator != "required",
        )

    error = best_match(errors, key=relevance)
    if error is None:  # the two validators disagree: report it rather than crash
        return ProfileError("profile rejected by the schema", code="P006", file=profile.file)
    path = schemas.path_of(error)
    message, hint = _describe(error, path, profile)
    return ProfileError(
        message,
        code=_VALIDATOR_CODES.get(error.validator, "P006"),
        path=".".join(str(p) for p in path),
        file=profile.file,
        line=profile.line_of(path),
        hint=hint,
    )


_BOOL_WORDS = {"true", "false", "yes", "no", "on", "off", "y", "n"}


def _describe(error, path: tuple, profile: Profile) -> tuple[str, str]:
    """The message and the hint for one schema error, in the profile's terms."""
    validator = error.validator
    schema = error.schema if isinstance(error.schema, dict) else {}
    value = error.instance
    if validator == "additionalProperties":
        return _unknown_key(error, path)
    if validator == "required":
        return _missing(path)
    if validator == "type":
        return _wrong_type(error, path, profile)
    if validator == "enum":
        options = [str(o) for o in error.validator_value]
        message = f"{schemas.shown(value)} is not one of: {', '.join(options)}"
        return message, did_you_mean(value, options)
    if validator == "const":
        if path == ("schema_version",):
            return f"{schemas.shown(value)} is not a known schema version", "only version 1 exists"
        return f"must be {schemas.shown(error.validator_value)}, not {schemas.shown(value)}", ""
    if validator in ("minimum", "maximum"):
        lo, hi = schema.get("minimum"), schema.get("maximum")
        kind = "a whole number" if schema.get("type") == "integer" else "a number"
        if lo is not None and hi is not None:
            allowed = f"{kind} from {number(lo)} to {number(hi)}"
            if value < lo and lo == 0:
                return f"{schemas.shown(value)} is negative", f"allowed: {allowed}"
            return f"{schemas.shown(value)} is out of range", f"allowed: {allowed}"
        return schemas.describe(error), ""
    if validator == "minLength":
        return "must not be empty", "remove the line if there is nothing to say"
    if validator == "maxLength":
        limit = error.validator_value
        return f"is longer than {limit} characters ({len(value)})", f"shorten it to {limit}"
    return schemas.describe(error), ""


def _unknown_key(error, path: tuple) -> tuple[str, str]:
    allowed = list(error.schema.get("properties", {}))
    bad = str(path[-1])
    parent = path[:-1]
    where = ".".join(str(p) for p in parent) or "the top level"
    message = f"unknown key '{bad}'"
    hint = did_you_mean(bad, allowed)
    if hint:
        return message, hint
    home = _home_of(bad)
    if home and home != parent:
        return message, f"'{bad}' belongs in the {'.'.join(home)} section"
    return message, f"allowed in {where}: {', '.join(allowed)}"


def _home_of(key: str) -> tuple | None:
    """The section a key belongs to, if it is a field of exactly one section."""
    props = schemas.load("profile")["properties"]
    homes = [(name,) for name in SECTIONS if key in props.get(name, {}).get("properties", {})]
    return homes[0] if len(homes) == 1 else None


def _missing(path: tuple) -> tuple[str, str]:
    props = schemas.load("profile")["properties"]
    if len(path) == 1:
        fields = props.get(path[0], {}).get("required", [])
        need = f" with {' and '.join(fields)}" if fields else ""
        article = "an" if path[0][:1] in "aeiou" else "a"
        return "is missing; it is required", f"add {article} {path[0]}: section{need}"
    schema = props.get(path[0], {}).get("properties", {}).get(path[-1], {})
    what = schema.get("description", "").rstrip(".")
    what = what[:1].lower() + what[1:]
    hint = f"add {path[-1]}: {what}" if what else f"add {path[-1]}"
    if schema.get("minimum") == 0:
        hint += "; write 0 if none"
    return "is missing; it is required", hint


def _wrong_type(error, path: tuple, profile: Profile) -> tuple[str, str]:
    """`schemas.type_message`'s wording, with the hint a profile's author needs."""
    want = error.validator_value
    wants = want if isinstance(want, list) else [want]
    value = error.instance
    message = schemas.type_message(want, value)
    if "object" in wants:
        fields = list(error.schema.get("properties", {}))
        if value is None:
            return "is empty", "add its fields indented below it, or remove the line"
        below = path[-1] if path else "it"
        return (
            f"must be a section (fields indented below {below}), got {schemas.got(value)}",
            f"its fields: {', '.join(fields)}" if fields else "",
        )
    if value is None:
        return "has no value", "give it a value, or remove the line"
    if "integer" in wants and isinstance(value, float):
        lo, hi = error.schema.get("minimum"), error.schema.get("maximum")
        return message, f"from {number(lo)} to {number(hi)}" if None not in (lo, hi) else ""
    if "number" in wants or "integer" in wants:
        if isinstance(value, str):
            exponent = profile.document is not None and tuple(path) in profile.document.exponents
            if exponent:
                return message, "write the number out in full (e.g. 0.5 or 1000, not 5e-1 or 1e3)"
            if _is_number(value):
                plain = _plain_decimal(value.strip())
                return message, f'remove the quotes: write {plain}, not "{value}"'
            return message, "write just the number, e.g. 3 or 2.5"
        return message, ""
    if "boolean" in wants:
        if isinstance(value, str) and value.strip().lower() in _BOOL_WORDS:
            return message, "write true or false without quotes"
        return message, "write true or false" if isinstance(value, str) else ""
    if "string" in wants:
        if isinstance(value, dict | list):
            return message, "write it as text on one line"
        return message, "put quotes around it"
    return message, ""


def _plain_decimal(text: str) -> str:
    """A number written as YAML reads it: no leading zeros (010 would be octal)."""
    sign = text[:1] if text[:1] in "+-" else ""
    digits = text[len(sign) :].lstrip("0")
    if not digits or digits[0] in ".eE":
        digits = "0" + digits
    return ("-" if sign == "-" else "") + digits


def _is_number(text: str) -> bool:
    try:
        number = float(text)
    except ValueError:
        return False
    return number == number and abs(number) != float("inf")
