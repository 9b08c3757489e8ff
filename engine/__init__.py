"""pmpath: where a person stands on the product manager career path, and why.

The stable Python API::

    from pmpath import Engine, load_profile
    engine = Engine.load()
    rec = engine.recommend(load_profile("profile.yaml"))
    rec.to_dict()        # output v1 (spec section 4)
    fit = engine.fit(load_profile("profile.yaml"), role="senior_pm", specialization="growth")
    fit.score, fit.reasons(), fit.to_json()   # fit output v1 (schemas/fit.schema.json)

    from pmpath import AuditLog
    AuditLog("audit.jsonl").record("fit", profile, fit.to_dict(), engine.knowledge_version)

    from pmpath import from_json_resume
    profile, report = from_json_resume(cv_dict, as_of="2026-12-02")   # docs/import.md

This face (``__all__``) is the public surface; the subpackages are its rooms
(docs/architecture.md). The heavy members, `BatchRun`, `DiffRun`, `render_guide`
and `validate`, are loaded on first use (PEP 562), so ``import pmpath`` and
``pmpath recommend`` import none of what they need.

See docs/embedding.md for a hiring pipeline built on it.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from pmpath._version import __version__
from pmpath.audit import AuditLog
from pmpath.engine import Engine
from pmpath.errors import (
    AuditError,
    BatchError,
    DiffError,
    EngineError,
    KnowledgeError,
    PmpathError,
    Problem,
    ProfileError,
    RoleError,
    SourceError,
)
from pmpath.model import Model, load_model
from pmpath.profile import Profile, check_profile, load_profile, parse_profile
from pmpath.results import Fit, Recommendation

if TYPE_CHECKING:  # pragma: no cover
    from pmpath.batch import BatchRun
    from pmpath.diff import DiffRun
    from pmpath.guide import render as render_guide
    from pmpath.imports import from_greenhouse, from_json_resume, from_linkedin, import_path
    from pmpath.validation import Report, validate

#: lazily loaded member -> (module, attribute)
_LAZY = {
    "BatchRun": ("pmpath.batch", "BatchRun"),
    "DiffRun": ("pmpath.diff", "DiffRun"),
    "Report": ("pmpath.validation", "Report"),
    "render_guide": ("pmpath.guide", "render"),
    "from_greenhouse": ("pmpath.imports", "from_greenhouse"),
    "from_json_resume": ("pmpath.imports", "from_json_resume"),
    "from_linkedin": ("pmpath.imports", "from_linkedin"),
    "import_path": ("pmpath.imports", "import_path"),
    "validate": ("pmpath.validation", "validate"),
}


def __getattr__(name: str) -> Any:
    try:
        module, attribute = _LAZY[name]
    except KeyError:
        raise AttributeError(f"module 'pmpath' has no attribute {name!r}") from None
    value = getattr(importlib.import_module(module), attribute)
    globals()[name] = value  # loaded once
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


__all__ = [
    "AuditError",
    "AuditLog",
    "BatchError",
    "BatchRun",
    "DiffError",
    "DiffRun",
    "Engine",
    "EngineError",
    "Fit",
    "KnowledgeError",
    "Model",
    "PmpathError",
    "Problem",
    "Profile",
    "ProfileError",
    "Recommendation",
    "Report",
    "RoleError",
    "SourceError",
    "__version__",
    "check_profile",
    "from_greenhouse",
    "from_json_resume",
    "from_linkedin",
    "import_path",
    "load_model",
    "load_profile",
    "parse_profile",
    "render_guide",
    "validate",
]
