"""`pmpath batch --engine dask` on a real LocalCluster of 2 worker processes (no mocks):
byte-identical to `pmpath batch`, URLs, a worker dying mid-part, resuming after the
client is killed, refusing to resume changed work, and Parquet parts."""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from strategies import bench_batch

from pmpath.cli.main import cli

pytestmark = [pytest.mark.timeout(600)]

ROOT = Path(__file__).resolve().parents[2]
N = 20_000
BLOCK = 256 * 1024  # an 8 MB pool in about 31 parts


@pytest.fixture(scope="module")
def pool(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("dask") / "pool.jsonl"
    bench_batch().write_jsonl(str(path), N, 11)
    return path


@contextlib.contextmanager
def local_client():
    """A client of a new LocalCluster: 2 worker processes, one thread each (its workers
    take the environment as it is now)."""
    from distributed import Client, LocalCluster

    with (
        LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as local,
        Client(local) as client,
    ):
        yield client


@pytest.fixture(scope="module")
def cluster():
    with local_client() as client:
        yield client


def batch(*args: str) -> bytes:
    out = Path(args[args.index("-o") + 1])
    result = CliRunner().invoke(cli, ["batch", *args], catch_exceptions=False)
    assert result.exit_code in (0, 1), result.output
    return out.read_bytes()


@pytest.fixture(scope="module")
def single(pool, tmp_path_factory) -> dict[str, bytes]:
    """What one machine writes: the reference the parts must add up to."""
    where = tmp_path_factory.mktemp("single")
    return {
        fmt: batch(str(pool), "-o", str(where / f"out.{fmt}"), "--format", fmt, "--workers", "2")
        for fmt in ("jsonl", "csv")
    }


def parts(directory: Path, fmt: str) -> bytes:
    return b"".join(p.read_bytes() for p in sorted(directory.glob(f"part-*.{fmt}")))


def run_dask(pool, out: Path, client, **options):
    from pmpath.dask import score_files

    return score_files([str(pool)], str(out), client=client, block_size=BLOCK, **options)


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_the_parts_concatenated_are_byte_identical_to_pmpath_batch(
    pool, single, cluster, tmp_path, fmt
):
    summary = run_dask(pool, tmp_path / "out", cluster, fmt=fmt)
    assert summary.records == N and summary.errors == 0
    assert len(list((tmp_path / "out").glob(f"part-*.{fmt}"))) > 20
    assert parts(tmp_path / "out", fmt) == single[fmt]
    manifest = json.loads((tmp_path / "out" / "_manifest.json").read_text())
    assert manifest["inputs"][0]["size"] == pool.stat().st_size
    assert [b["part"] for b in manifest["blocks"]] == list(range(len(manifest["blocks"])))


def test_summary_detail_parts_are_byte_identical_to_pmpath_batch_and_resume_keeps_it(
    pool, cluster, tmp_path
):
    expected = batch(str(pool), "-o", str(tmp_path / "one.jsonl"), "--detail", "summary")
    summary = run_dask(pool, tmp_path / "out", cluster, detail="summary")
    assert summary.records == N
    assert parts(tmp_path / "out", "jsonl") == expected
    from pmpath.errors import BatchError

    with pytest.raises(BatchError, match=r"the options changed \(detail\)"):
        run_dask(pool, tmp_path / "out", cluster, resume=True)


def test_the_command_line_runs_it_on_a_local_cluster_of_its_own(pool, single, tmp_path):
    out = tmp_path / "cli-out"
    result = CliRunner().invoke(
        cli,
        [
            "batch",
            str(pool),
            "-o",
            str(out),
            "--engine",
            "dask",
            "--local-workers",
            "2",
            "--block-size",
            "1MiB",
        ],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    assert f"{N:,} records" in result.output and "levels:" in result.output
    assert parts(out, "jsonl") == single["jsonl"]


def test_a_file_url_round_trips(pool, single, cluster, tmp_path):
    out = tmp_path / "url-out"
    from pmpath.dask import score_files

    score_files([pool.as_uri()], out.as_uri(), client=cluster, block_size=BLOCK)
    # the records name their source as given: the URL instead of the path
    expected = single["jsonl"].replace(
        json.dumps(str(pool)).encode(), json.dumps(pool.as_uri()).encode()
    )
    assert parts(out, "jsonl") == expected


def test_bad_records_are_error_records_and_the_summary_counts_them(cluster, tmp_path):
    pool = tmp_path / "bad.jsonl"
    pool.write_text(
        '{"experience": {"total_years": 3, "product_years": 1}}\n'
        "not json\n"
        '{"experience": {"total_years": "x"}}\n'
    )
    summary = run_dask(pool, tmp_path / "out", cluster)
    assert (summary.records, summary.errors) == (3, 2)
    assert summary.error_codes == {"P003": 1, "P009": 1}
    lines = [json.loads(x) for x in parts(tmp_path / "out", "jsonl").splitlines()]
    assert [(r["ok"], r["line"]) for r in lines] == [(True, 1), (False, 2), (False, 3)]


def test_a_worker_that_dies_mid_part_loses_nothing_and_duplicates_nothing(
    pool, single, tmp_path, monkeypatch
):

    from pmpath.dask import score_files

    victim = json.loads(pool.read_text().splitlines()[7777])["id"]
    monkeypatch.setenv("PMPATH_TEST_CRASH_ID", victim)
    monkeypatch.setenv("PMPATH_TEST_CRASH_ONCE", str(tmp_path / "crashed"))
    with local_client() as client:
        summary = score_files([str(pool)], str(tmp_path / "out"), client=client, block_size=BLOCK)
    assert (tmp_path / "crashed").exists()  # a worker did die on that record
    assert summary.records == N
    assert parts(tmp_path / "out", "jsonl") == single["jsonl"]
    assert not list((tmp_path / "out").glob(".*.tmp"))  # its half-written part was tidied


def test_resume_after_the_client_is_killed_computes_only_the_missing_parts(pool, single, tmp_path):
    out = tmp_path / "out"
    command = [
        sys.executable,
        "-m",
        "pmpath.cli.main",
        "batch",
        str(pool),
        "-o",
        str(out),
        "--engine",
        "dask",
        "--local-workers",
        "2",
        "--block-size",
        "128KiB",
    ]
    first = subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True
    )
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline and len(list(out.glob("part-*.jsonl"))) < 5:
        time.sleep(0.05)
    os.killpg(first.pid, signal.SIGKILL)  # the client and its local cluster, at once
    first.wait(30)
    written = {p.name: p.stat().st_mtime_ns for p in out.glob("part-*.jsonl")}
    total = len(json.loads((out / "_manifest.json").read_text())["blocks"])
    assert 5 <= len(written) < total, (len(written), total)
    again = subprocess.run([*command, "--resume"], capture_output=True, text=True, timeout=400)
    assert again.returncode == 0, again.stderr
    assert f"resumed: {len(written)} parts already written" in again.stderr
    assert f"{total - len(written)} computed" in again.stderr
    for name, mtime in written.items():
        assert (out / name).stat().st_mtime_ns == mtime  # not computed again
    assert parts(out, "jsonl") == single["jsonl"]


def test_resume_refuses_changed_input_or_knowledge(cluster, tmp_path):
    from pmpath.dask import score_files
    from pmpath.errors import BatchError

    pool = tmp_path / "small.jsonl"
    bench_batch().write_jsonl(str(pool), 300, 3)
    out = tmp_path / "out"
    score_files([str(pool)], str(out), client=cluster, block_size=16 * 1024)
    with pool.open("a") as fh:
        fh.write('{"experience": {"total_years": 1, "product_years": 0}}\n')
    with pytest.raises(BatchError, match="the inputs changed") as caught:
        score_files([str(pool)], str(out), client=cluster, block_size=16 * 1024, resume=True)
    assert caught.value.code == "B004"
    knowledge = tmp_path / "knowledge"
    shutil.copytree(ROOT / "knowledge", knowledge)
    thresholds = knowledge / "thresholds.yaml"
    thresholds.write_text(thresholds.read_text().replace("value: 2\n", "value: 3\n", 1))
    with pytest.raises(BatchError, match="written with other knowledge"):
        score_files(
            [str(pool)],
            str(out),
            client=cluster,
            block_size=16 * 1024,
            resume=True,
            knowledge=str(knowledge),
        )
    with pytest.raises(BatchError, match=r"the options changed .*block_size"):
        score_files([str(pool)], str(out), client=cluster, block_size=8 * 1024, resume=True)


def test_parquet_parts_read_back_to_the_values_of_the_csv(cluster, tmp_path):
    import pyarrow.parquet as pq

    from pmpath.batch import restore_cell
    from pmpath.dask import score_files

    pool = tmp_path / "pool.jsonl"
    bench_batch().write_jsonl(str(pool), 2000, 5)
    with pool.open("a") as fh:
        fh.write('{"id": "=cmd()", "experience": {"total_years": "x"}}\n')
    score_files(
        [str(pool)],
        str(tmp_path / "pq"),
        client=cluster,
        fmt="parquet",
        block_size=64 * 1024,
        role="senior_pm",
    )
    score_files(
        [str(pool)],
        str(tmp_path / "csv"),
        client=cluster,
        fmt="csv",
        block_size=64 * 1024,
        role="senior_pm",
    )
    tables = [pq.read_table(p) for p in sorted((tmp_path / "pq").glob("part-*.parquet"))]
    rows = [row for t in tables for row in t.to_pylist()]
    text = parts(tmp_path / "csv", "csv").decode()
    table = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == len(table) == 2001
    assert tables[0].schema.field("ok").type == "bool"
    assert tables[0].schema.field("fit_score").type == "int32"

    def shown(value) -> str:
        if value is None:
            return ""
        if isinstance(value, bool):
            return "true" if value else "false"
        return str(value)

    for row, line in zip(rows, table, strict=True):
        assert {k: shown(v) for k, v in row.items()} == {
            k: restore_cell(v) for k, v in line.items()
        }
    assert rows[-1]["id"] == "=cmd()" and table[-1]["id"] == "'=cmd()"


def test_score_bag_scores_a_bag_of_profiles(cluster):
    import dask.bag as db

    from pmpath.dask import register, score_bag

    register(cluster)
    profiles = [
        {"id": f"p{i}", "experience": {"total_years": i, "product_years": i}} for i in range(40)
    ]
    records = score_bag(db.from_sequence(profiles, npartitions=4)).compute(scheduler=cluster.get)
    assert [r["id"] for r in records] == [p["id"] for p in profiles]
    assert all(r["ok"] for r in records)


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["-o", "-", "--engine", "dask"], "--engine dask writes part files: give -o DIR"),
        (["-o", "d", "--engine", "dask", "--role", "pm", "--sort", "fit"], "--sort fit is not"),
        (["-o", "d.jsonl", "--format", "parquet"], "--format parquet writes part files"),
    ],
)
def test_what_the_dask_engine_does_not_do_is_a_usage_error(tmp_path, args, words):
    pool = tmp_path / "p.jsonl"
    pool.write_text('{"experience": {"total_years": 1, "product_years": 0}}\n')
    result = CliRunner().invoke(cli, ["batch", str(pool), *args])
    assert result.exit_code == 2, result.output
    assert words in result.output


def test_an_audit_log_is_refused_with_the_dask_engine(tmp_path):
    pool = tmp_path / "p.jsonl"
    pool.write_text('{"experience": {"total_years": 1, "product_years": 0}}\n')
    result = CliRunner().invoke(
        cli,
        [
            "batch",
            str(pool),
            "-o",
            str(tmp_path / "d"),
            "--engine",
            "dask",
            "--audit-log",
            str(tmp_path / "a.jsonl"),
        ],
    )
    assert result.exit_code == 2 and "--audit-log is not written by --engine dask" in (
        result.output
    )


def test_an_output_that_is_a_file_is_refused(tmp_path):
    from pmpath.dask import DaskRun
    from pmpath.errors import BatchError

    pool = tmp_path / "p.jsonl"
    pool.write_text('{"experience": {"total_years": 1, "product_years": 0}}\n')
    (tmp_path / "taken").write_text("x")
    with pytest.raises(BatchError, match="is a file"):
        DaskRun([str(pool)], str(tmp_path / "taken"))
    with pytest.raises(BatchError, match="no such file"):
        DaskRun([str(tmp_path / "missing.jsonl")], str(tmp_path / "out"))
