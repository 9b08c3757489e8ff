"""An imported profile written out: YAML with a comment on every value saying where it
came from, and the fields still unknown; or one JSON line per candidate. Pure."""

from __future__ import annotations

import json
from typing import Any

_FORMAT_NAMES = {
    "json-resume": "JSON Resume",
    "linkedin": "LinkedIn export",
    "greenhouse": "Greenhouse",
}


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    return json.dumps(value, ensure_ascii=False)  # a JSON string is a YAML string


def _comment(text: str) -> str:
    return " ".join(str(text).split())


def profile_yaml(profile: dict, report: dict) -> str:
    """The profile as YAML, each value commented with how it was found (deterministic)."""
    fields = report["fields"]
    source = _FORMAT_NAMES.get(report["format"], report["format"])
    lines = [
        f"# pmpath profile imported from {_comment(report['source'])} ({source}), "
        f"as of {report['as_of']}.",
        "# Each value says how it was found: read (as the source says it), inferred (by a",
        "# rule of knowledge/imports.yaml) or assumed (from a date given only to the month",
        "# or year). Fields the source does not give are unknown, listed at the end:",
        "#   pmpath recommend THIS_FILE --ask    answers them one question at a time.",
    ]
    for key, value in profile.items():
        if isinstance(value, dict):
            lines.append(f"{key}:")
            for name, inner in value.items():
                lines.append(f"  {name}: {_scalar(inner)}{_why(fields.get(f'{key}.{name}'))}")
        else:
            lines.append(f"{key}: {_scalar(value)}{_why(fields.get(key))}")
    if report["unknown"]:
        lines.append("# Not known from the source (unknown, not zero):")
        line = "#  "
        for name in report["unknown"]:
            if len(line) + len(name) + 1 > 88:
                lines.append(line)
                line = "#  "
            line += " " + name
        lines.append(line)
    if report["skipped"]:
        lines.append("# Skipped:")
        lines += [f"#   {_comment(s['where'])}: {_comment(s['why'])}" for s in report["skipped"]]
    return "\n".join(lines) + "\n"


def _why(entry: dict | None) -> str:
    if entry is None:
        return ""
    origin = entry["from"]
    shown = ", ".join(origin[:3]) + (f" and {len(origin) - 3} more" if len(origin) > 3 else "")
    where = f" from {shown}" if shown and origin != ["name"] and origin != ["id"] else ""
    return f"  # {entry['how']}{where}: {_comment(entry['note'])}"


def profile_jsonl(profile: dict, report: dict) -> str:
    """One line: ``{"profile": {...}, "import": {...report}}``."""
    record = {"profile": profile, "import": report}
    return json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n"


__all__ = ["profile_jsonl", "profile_yaml"]
