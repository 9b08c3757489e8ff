"""What a knowledge or rules change does to a pool of profiles: the library behind
``pmpath diff`` (decision replay, as policy engines call it).

    run = DiffRun(base_engine, new_engine, ["pool.jsonl"], workers=2)
    report = run.run()           # a `DiffReport`: counts, matrices, examples
    report.to_dict()             # the JSON document (schemas/diff.schema.json)

Both sides score every record of the pool: the same readers as ``pmpath
batch`` (`pmpath.batch.RecordReader`), the same worker pool
(`pmpath.pool.OrderedPool`), one `Engine` per side built once in each
worker. A worker hands back a small comparison per record, never the
recommendations; the parent keeps counts, and at most `EXAMPLES` example ids
per transition, so memory stays flat however large the pool.

What is compared, per record (``Side`` below): the level, specialization,
shape, certainty and next rung; each requirement's outcome (``met``,
``unmet``, or ``not_assessed`` when its rung is above the next one: rungs are
assessed bottom-up); which rules fired; the next steps; with a role, the fit
score. A change that moves no level but frees a requirement shows in the
requirement table, with what still blocks those profiles.

`knowledge_changes` says what changed in the files themselves: thresholds,
requirements, rules, steps and every other item with an ``id``, by id, with
the fields that changed and the item's source.
"""

from pmpath.diff.compare import SHORTLIST_SCORE
from pmpath.diff.conditions import FAIL_ON_EXIT, parse_conditions
from pmpath.diff.git import checkout_base
from pmpath.diff.html import to_html
from pmpath.diff.knowledge import knowledge_changes
from pmpath.diff.markdown import to_markdown
from pmpath.diff.report import DiffReport
from pmpath.diff.run import DiffRun
from pmpath.errors import DiffError

__all__ = [
    "FAIL_ON_EXIT",
    "SHORTLIST_SCORE",
    "DiffError",
    "DiffReport",
    "DiffRun",
    "checkout_base",
    "knowledge_changes",
    "parse_conditions",
    "to_html",
    "to_markdown",
]
