"""``pmpath serve``: the HTTP service for hiring systems and the self-assessment page."""

from __future__ import annotations

import click

from pmpath.audit import AuditLog
from pmpath.errors import AuditError
from pmpath.serve import DEFAULT_MAX_BATCH, ServeConfig, read_token, serve

from .common import SizeParam, knowledge_options
from .errors import CliError


@click.command("serve", short_help="Run the HTTP service and the self-assessment page.")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=8080,
    show_default=True,
    help="Port to listen on (0: any free port, printed when ready).",
)
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="Worker processes, each with its own engine (one per core is plenty).",
)
@click.option(
    "--token-file",
    type=click.Path(dir_okay=False),
    default=None,
    help="A file holding the bearer token every /v1 and /metrics request must send "
    "(else $PMPATH_TOKEN). Without a token the service listens on loopback only.",
)
@click.option(
    "--max-body",
    type=SizeParam(),
    default="256KiB",
    show_default=True,
    help="The largest request body taken (413 beyond it).",
)
@click.option(
    "--max-batch",
    type=click.IntRange(min=1),
    default=DEFAULT_MAX_BATCH,
    show_default=True,
    help="The most profiles one POST /v1/batch may hold (413 beyond it).",
)
@click.option(
    "--audit-log",
    type=click.Path(dir_okay=False),
    default=None,
    help="Append every decision to this JSON Lines file, with its decision id.",
)
@click.option(
    "--page/--no-page",
    default=True,
    show_default=True,
    help="Serve the self-assessment page at / (it needs no token).",
)
@knowledge_options
def command(
    host: str,
    port: int,
    workers: int,
    token_file: str | None,
    max_body: int,
    max_batch: int,
    audit_log: str | None,
    page: bool,
    knowledge_dir: str | None,
    rules_dir: str | None,
) -> None:
    """Serve pmpath over HTTP until stopped (Ctrl-C or SIGTERM).

    \b
    POST /v1/recommend  {"input": PROFILE, "explain": false}
    POST /v1/fit        {"input": PROFILE, "role": "senior_pm", "specialization": null}
    POST /v1/batch      {"inputs": [PROFILE, ...], "role": null}
    GET  /v1/schemas/{profile,output,fit,serve}   GET /openapi.json
    GET  /health  /ready  /metrics                GET / (the self-assessment page)

    Needs the serve extra: pip install 'pmpath[serve]'. docs/serving.md covers
    deployment and an ATS integration.

    \b
    Examples:
      pmpath serve
      pmpath serve --workers 2 --audit-log decisions.jsonl
      PMPATH_TOKEN=s3cret pmpath serve --host 0.0.0.0 --port 8080
    """
    if audit_log is not None:  # a log that cannot be written fails now, not at the first decision
        try:
            AuditLog(audit_log).close()
        except AuditError as exc:
            raise CliError(exc.message) from None
    config = ServeConfig(
        host=host,
        port=port,
        workers=workers,
        token=read_token(token_file),
        max_body=max_body,
        max_batch=max_batch,
        audit_log=audit_log,
        knowledge_dir=knowledge_dir,
        rules_dir=rules_dir,
        page=page,
    )
    raise SystemExit(serve(config))
