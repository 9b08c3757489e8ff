"""Ids fixed by the public contract, ../shared/spec/pmpath-v1.md (sections 1, 2 and 5).

Knowledge may add to these; validation fails if any is missing or changed.
"""

SOURCES = ("productplan", "fishman-patel", "judson", "bavaro", "reforge", "kwan")

LEVELS = ("aspiring", "apm", "pm", "senior_pm", "director", "vp", "cpo")

KWAN_LEVEL_OF = {
    "aspiring": 0,
    "apm": 1,
    "pm": 1,
    "senior_pm": 2,
    "director": 3,
    "vp": 3,
    "cpo": 4,
}

KWAN_NAMES = {0: "None", 1: "Shipping", 2: "Planning", 3: "Strategic", 4: "Strategic Partnering"}

WORK_TO_SPECIALIZATION = {
    "feature": "core",
    "growth": "growth",
    "scaling": "platform",
    "pmf_expansion": "innovation",
}

SHAPES = ("I", "T")

PATHS = ("internal", "external")

TARGETS = ("next", *LEVELS[1:])

CATALOGUE_V1 = (
    "research-the-role",
    "pm-certification",
    "side-project",
    "communication-storytelling",
    "technical-background",
    "apm-program",
    "apply-pm-roles",
    "own-project-end-to-end",
    "volunteer-problem-solving",
    "build-track-record",
    "apply-internal-opening",
    "skill-technical-data",
    "skill-communication",
    "skill-problem-solving",
    "skill-user-understanding",
    "skill-strategic-thinking",
    "choose-specialization",
    "become-go-to-resource",
    "tie-problems-to-metrics",
    "strategic-over-reactive",
    "product-strategy",
    "earn-autonomy",
    "practice-nuance",
    "advise-other-pms",
    "advocate-to-leadership",
    "build-team",
    "broaden-product-work",
    "train-others",
    "influence-and-allocate",
    "create-scope",
    "own-budget",
    "plan-year-ahead",
    "portfolio-roi",
    "long-range-strategy",
    "partnerships-and-story",
)
