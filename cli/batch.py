"""``pmpath batch``: score many profiles, one output line per record, in input order."""

from __future__ import annotations

import sys

import click

from pmpath.batch import DETAILS, EVALUATORS, OUTPUT_FORMATS, BatchRun
from pmpath.words import visible

from .audit import audit_log_option
from .common import (
    SizeParam,
    as_of_option,
    check_opening,
    knowledge_options,
    load_engine,
    opening_options,
    pool_options,
)
from .errors import CliError


@click.command("batch")
@click.argument("inputs", nargs=-1, required=True, metavar="INPUT...")
@click.option(
    "-o",
    "--output",
    default="-",
    metavar="OUT",
    help="Where to write the results (default: - for stdout).",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice((*OUTPUT_FORMATS, "parquet")),
    default="jsonl",
    show_default=True,
    help="jsonl: one JSON record per line; csv: a flat table; parquet (--engine dask): the "
    "CSV columns, typed.",
)
@click.option(
    "--detail",
    type=click.Choice(DETAILS),
    default="full",
    show_default=True,
    help="With --format jsonl: full writes output v1 with its explanation (about 15 KB a "
    "record); summary writes its conclusions as ids (about 0.6 KB; pmpath schema summary). "
    "CSV is a summary already.",
)
@click.option(
    "--engine",
    "runner",
    type=click.Choice(("processes", "dask")),
    default="processes",
    show_default=True,
    help="processes: this machine's cores; dask: a Dask cluster (pip install "
    "'pmpath[dask]'), writing -o DIR as part files and a manifest (docs/scale.md).",
)
@click.option(
    "--scheduler",
    default=None,
    metavar="ADDRESS",
    help="With --engine dask: the scheduler of an existing cluster (tcp://HOST:8786); "
    "without it a local cluster is started.",
)
@click.option(
    "--local-workers",
    type=click.IntRange(min=1),
    default=2,
    show_default=True,
    help="With --engine dask and no --scheduler: worker processes of the local cluster.",
)
@click.option(
    "--block-size",
    type=SizeParam(),
    default="8MiB",
    show_default=True,
    help="With --engine dask: the bytes of input per part file.",
)
@pool_options
@click.option(
    "--resume",
    is_flag=True,
    help="Continue into an existing OUT: records already in it (by id) are skipped.",
)
@opening_options(required=False)
@click.option(
    "--sort",
    type=click.Choice(["input", "fit"]),
    default="input",
    show_default=True,
    help="fit: rank the output, best fit first (needs --role; not with --resume).",
)
@click.option(
    "--stall-timeout",
    type=click.FloatRange(min=0, min_open=True),
    default=60.0,
    show_default=True,
    metavar="SECONDS",
    help="A worker that holds records and answers nothing for this long is stopped and "
    "its records retried one by one (one that stalls twice becomes an E002 error record).",
)
# for benchmarks: durable's stock Host driver, or the plain-Python reference evaluator
@click.option("--backend", type=click.Choice(["lean", "host"]), default="lean", hidden=True)
@click.option("--evaluator", type=click.Choice(EVALUATORS), default="durable", hidden=True)
@as_of_option
@knowledge_options
@audit_log_option
def command(
    inputs: tuple[str, ...],
    output: str,
    fmt: str,
    detail: str,
    workers: int | None,
    resume: bool,
    input_format: str,
    role: str | None,
    specialization: str | None,
    sort: str,
    stall_timeout: float,
    chunk_size: int,
    backend: str,
    evaluator: str,
    knowledge_dir: str | None,
    rules_dir: str | None,
    runner: str = "processes",
    scheduler: str | None = None,
    local_workers: int = 2,
    block_size: int = 8 * 1024 * 1024,
    as_of=None,
    audit_log=None,
) -> None:
    """Score many profiles: JSONL, CSV, directories or globs of profile files, or - (stdin).

    Writes one record per input record, in input order: {"id", "ok": true,
    "recommendation"} or {"id", "ok": false, "error": {"code", "path",
    "message", "line"}}. A bad record becomes an error record and the run goes
    on. On stderr: a progress bar when stderr is a terminal, then a summary.

    Exit status: 0 when every record scored, 1 when any record is an error
    record (all are still written), 130 when interrupted (run again with
    --resume to finish).

    \b
    Examples:
      pmpath batch candidates.jsonl -o scores.jsonl
      pmpath batch million.jsonl --detail summary -o levels.jsonl
      pmpath batch pool.csv --format csv -o shortlist.csv --workers 4
      pmpath batch profiles/ 'more/*.yaml' -o scores.jsonl --resume
      cat candidates.jsonl | pmpath batch - > scores.jsonl
      pmpath batch greenhouse-export.json --input-format greenhouse -o scores.jsonl
      pmpath batch pool.jsonl --role senior_pm --specialization growth --sort fit \\
          --format csv -o ranked.csv --audit-log decisions.jsonl
    """
    # Long on purpose: a click command with its options; the work is in `pmpath.batch`.
    if runner == "dask":
        _dask_batch(click.get_current_context().params)
        return
    if fmt == "parquet":
        raise click.UsageError("--format parquet writes part files: give --engine dask too")
    engine = load_engine(knowledge_dir, rules_dir, backend=backend)
    check_opening(engine, role, specialization)
    if sort == "fit" and role is None:
        raise click.UsageError("--sort fit ranks candidates by role fit: give --role LEVEL too")
    if sort == "fit" and resume:
        raise click.UsageError(
            "--sort fit orders the whole pool at the end, so it cannot --resume; "
            "resume without --sort"
        )
    err = sys.stderr
    target = sys.stdout.buffer if output == "-" else output
    if resume and output == "-":
        raise click.UsageError("--resume continues an output file: give it with -o FILE")

    def report_death(death) -> None:
        click.echo(f"warning: {visible(death)}", file=err)

    run = BatchRun(
        engine,
        inputs,
        target,
        fmt=fmt,
        workers=workers,  # None: the machine's cores, or 1 for a small input
        resume=resume,
        input_format=input_format,
        chunk_size=chunk_size,
        stdin=sys.stdin.buffer,
        on_event=report_death,
        evaluator=evaluator,
        role=role,
        specialization=specialization,
        sort=sort,
        audit_log=audit_log,
        stall_timeout=stall_timeout,
        as_of=as_of,
        detail=detail,
    )
    total = run.total_bytes()
    show_bar = err.isatty() and total
    try:
        if show_bar:
            with click.progressbar(
                length=total, label="scoring", file=err, show_percent=True, show_eta=True
            ) as bar:
                run.on_progress = lambda done: bar.update(done - bar.pos)
                summary = run.run()
        else:
            summary = run.run()
    except KeyboardInterrupt:
        summary = run.summary
        for line in summary.lines():
            click.echo(visible(line), file=err)
        where = f" -o {output}" if output != "-" else ""
        click.echo(
            f"interrupted: {summary.records:,} records written; every line is whole. "
            f"Run the same command{' with --resume' if where else ''} to finish.",
            file=err,
        )
        raise SystemExit(130) from None
    for line in summary.lines():
        click.echo(visible(line), file=err)
    if summary.exit_code:
        raise SystemExit(summary.exit_code)


def _dask_batch(options: dict) -> None:
    """``--engine dask``: the command's own options (as click parsed them), on a cluster."""
    output, sort = options["output"], options["sort"]
    if output == "-":
        raise click.UsageError("--engine dask writes part files: give -o DIR (a path or URL)")
    if sort == "fit":
        raise click.UsageError("--sort fit is not done by --engine dask; sort the parts after")
    if options["audit_log"] is not None:
        raise click.UsageError("--audit-log is not written by --engine dask (docs/scale.md)")
    try:
        # start-up time: dask loads only for --engine dask
        from pmpath.dask import DaskRun
    except ImportError as exc:
        raise CliError(
            f"--engine dask needs the dask extra: pip install 'pmpath[dask]' ({exc.name} is "
            "missing)"
        ) from None
    err = sys.stderr
    run = DaskRun(
        options["inputs"],
        output,
        scheduler=options["scheduler"],
        fmt=options["fmt"],
        resume=options["resume"],
        role=options["role"],
        specialization=options["specialization"],
        input_format=options["input_format"],
        block_size=options["block_size"],
        knowledge=options["knowledge_dir"],
        rules=options["rules_dir"],
        as_of=options["as_of"],
        local_workers=options["local_workers"],
        detail=options["detail"],
    )
    if err.isatty():

        def progress(done: int, total: int) -> None:
            click.echo(f"\rparts {done}/{total}", file=err, nl=False)

        run.on_progress = progress
    try:
        summary = run.run()
    except KeyboardInterrupt:
        click.echo(
            f"\ninterrupted: {run.parts_done} of {run.parts_total} parts written, each whole. "
            "Run the same command with --resume to finish.",
            file=err,
        )
        raise SystemExit(130) from None
    if err.isatty():
        click.echo("", file=err)
    for line in summary.lines():
        click.echo(visible(line), file=err)
    if run.parts_skipped:
        done = run.parts_skipped
        click.echo(
            f"resumed: {done} part{'s' * (done != 1)} already written "
            f"({summary.previous:,} records), {run.parts_total - done} computed",
            file=err,
        )
    if summary.exit_code:
        raise SystemExit(summary.exit_code)
