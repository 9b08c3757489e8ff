"""Scoring many profiles at once: the library behind ``pmpath batch``.

    run = BatchRun(engine, ["candidates.jsonl"], "scores.jsonl", workers=2)
    summary = run.run()          # every record written, in input order
    summary.exit_code            # 0 when every record scored, 1 when any failed

The parts, in the order a record meets them:

- **inputs** (`resolve_inputs`): JSONL files (one profile a line), CSV files
  (dotted headers such as ``experience.total_years``), directories and globs of
  YAML/JSON profile files (sorted), and ``-`` for stdin (JSONL unless told).
- **records** (`RecordReader`): the inputs streamed as small tuples, a line or
  a row or a file name at a time; nothing is loaded whole.
- **scoring** (`Scorer`, in worker processes or in-process): parse, validate,
  infer and serialise one record into one output line. A record that cannot be
  scored becomes an error record (code, field path, message, line); the run
  goes on. Its **id** is the profile's ``id``, else its ``name``, else
  ``file:line`` (or the file, for a profile file).
- **order and parallelism** (`pmpath.pool.OrderedPool`): results come back
  in input order with a bounded window; a worker that dies is reported and its
  records retried, then written as errors (E002), never dropped.
- **output** (`BatchOutput`): one whole line per record, written with one
  system call per block of whole lines, so an interrupted run leaves whole
  lines only (at worst one torn last line, which ``resume`` cuts off).
  ``resume`` reads the ids already written and skips those records (counting
  repeats, so a duplicated id is neither lost nor written twice).
- **summary** (`BatchSummary`): records, errors, counts by level and by
  specialization, profiles per second, worker deaths, the exit code.

Error codes beyond the profile ones (``P0xx``): ``P014`` a CSV row that does not
fit its header, ``E002`` a record whose worker process died twice, ``E000`` an
unexpected failure on one record (a bug; the run goes on). ``B0xx`` are
problems with the run itself (`BatchError`): ``B001`` an input that does not
exist or matches nothing, ``B002`` an input whose format cannot be told,
``B003`` a CSV header that cannot be used, ``B004`` an output that cannot be
written or resumed, ``B005`` options that do not go together (``--sort fit``
without ``--role``, or with ``--resume``).

Role fit (``role=``, ``specialization=``): each scored record also carries its
fit for the opening (``"fit"`` in JSONL, fit columns in CSV); ``sort="fit"``
ranks the output, best fit first (the run scores into a scratch file beside
OUT, keeping only a small index per record in memory, then writes OUT in rank
order). ``audit_log=`` logs every record, as written, to an `AuditLog`.

Test hook: in a worker process, ``PMPATH_TEST_CRASH_ID=<record id>`` makes the
worker exit abruptly (``os._exit``) when it reaches that record, and with
``PMPATH_TEST_CRASH_ONCE=<file>`` only if that file does not exist yet (it is
created first). The tests use it to prove that nothing is lost when a worker dies.
"""

from pmpath.batch.columns import CSV_COLUMNS, FIT_COLUMNS, neutralise_cell, restore_cell
from pmpath.batch.inputs import INPUT_FORMATS, RecordReader, resolve_inputs
from pmpath.batch.records import EVALUATORS, OUTPUT_FORMATS
from pmpath.batch.run import BatchRun
from pmpath.errors import BatchError
from pmpath.results.summary import DETAILS

__all__ = [
    "CSV_COLUMNS",
    "DETAILS",
    "EVALUATORS",
    "FIT_COLUMNS",
    "INPUT_FORMATS",
    "OUTPUT_FORMATS",
    "BatchError",
    "BatchRun",
    "RecordReader",
    "neutralise_cell",
    "resolve_inputs",
    "restore_cell",
]
