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

See docs/embedding.md for a hiring pipeline built on it.
"""

from .audit import AuditError, AuditLog
from .engine import Engine, Model, load_model
from .errors import EngineError, KnowledgeError, PmpathError, Problem, ProfileError
from .fit import Fit, RoleError
from .profile import Profile, check_profile, load_profile, parse_profile
from .recommendation import Recommendation

__version__ = "1.0.0"

__all__ = [
    "AuditError",
    "AuditLog",
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
    "RoleError",
    "__version__",
    "check_profile",
    "load_model",
    "load_profile",
    "parse_profile",
]
