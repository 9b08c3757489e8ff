"""pmpath: where a person stands on the product manager career path, and why.

The stable Python API::

    from pmpath import Engine, load_profile
    engine = Engine.load()
    rec = engine.recommend(load_profile("profile.yaml"))
    rec.to_dict()        # output v1 (spec section 4)
"""

from .engine import Engine, Model, load_model
from .errors import EngineError, KnowledgeError, PmpathError, Problem, ProfileError
from .profile import Profile, check_profile, load_profile, parse_profile
from .recommendation import Recommendation

__version__ = "1.0.0"

__all__ = [
    "Engine",
    "EngineError",
    "KnowledgeError",
    "Model",
    "PmpathError",
    "Problem",
    "Profile",
    "ProfileError",
    "Recommendation",
    "__version__",
    "check_profile",
    "load_model",
    "load_profile",
    "parse_profile",
]
