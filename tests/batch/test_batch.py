"""pmpath.batch as a library: every input format, error records, order, resume, worker deaths.

The command line (CliRunner and real subprocesses, the kill-and-resume test)
is in test_batch_cli.py.
"""

from __future__ import annotations

import csv
import gc
import io
import json
import os
import time
from pathlib import Path

import pytest
from strategies import bench_batch

from pmpath import ProfileError
from pmpath.batch import inputs as batch_inputs
from pmpath.batch import run as batch_module
from pmpath.batch.columns import CSV_COLUMNS, csv_header, restore_cell
from pmpath.batch.run import BatchRun
from pmpath.errors import BatchError

ROOT = Path(__file__).resolve().parents[2]
LEVELS = ("aspiring", "apm", "pm", "senior_pm", "director", "vp", "cpo")


bench = bench_batch()


def pool(n: int, seed: int = 7) -> list[dict]:
    return list(bench.synthetic_profiles(n, seed))


def write_jsonl(path: Path, rows: list) -> Path:
    """Rows are dicts (dumped) or str/bytes (written as they are), one a line."""
    with open(path, "wb") as fh:
        for row in rows:
            if isinstance(row, dict):
                row = json.dumps(row, ensure_ascii=False)
            if isinstance(row, str):
                row = row.encode("utf-8")
            fh.write(row + b"\n")
    return path


def run(engine, inputs, out, **kwargs):
    inputs = [str(i) for i in inputs]
    return BatchRun(engine, inputs, str(out) if isinstance(out, Path) else out, **kwargs).run()


def records(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def expected_record(engine, profile: dict, source: str, line: int | None, rid: str) -> dict:
    rec = engine.recommend(profile)
    return {
        "id": rid,
        "ok": True,
        "source": source,
        "line": line,
        "recommendation": rec.to_dict(),
    }


def errors_by_line(path: Path) -> dict[int, dict]:
    return {r["line"]: r for r in records(path) if not r["ok"]}


# -- JSONL --------------------------------------------------------------------------


def test_every_record_equals_recommend_one_by_one_for_10000_profiles(engine, tmp_path):
    profiles = pool(10_000)
    src = write_jsonl(tmp_path / "pool.jsonl", profiles)
    out = tmp_path / "out.jsonl"
    summary = run(engine, [src], out, workers=2)
    assert summary.records == 10_000 and summary.errors == 0 and summary.exit_code == 0
    lines = out.read_bytes().splitlines()
    assert len(lines) == 10_000
    for i, (raw, profile) in enumerate(zip(lines, profiles, strict=True), start=1):
        # the line, byte for byte, wrapping what recommend() gives for the profile
        # (to_json(indent=None) is json.dumps of to_dict(): see test_serialization.py)
        head = {"id": profile["id"], "ok": True, "source": str(src), "line": i}
        want = json.dumps(head, separators=(",", ":"))[:-1] + ',"recommendation":'
        want += engine.recommend(profile).to_json(indent=None) + "}"
        assert raw.decode("utf-8") == want, profile["id"]
    assert set(summary.levels) == set(LEVELS)
    assert sum(summary.levels.values()) == 10_000


def test_ids_are_the_profile_id_else_its_name_else_file_and_line(engine, tmp_path):
    base = {"experience": {"total_years": 3, "product_years": 1}}
    src = write_jsonl(
        tmp_path / "in.jsonl",
        [{**base, "id": "c-1", "name": "Ann"}, {**base, "name": "Bob"}, base, "{not json"],
    )
    run(engine, [src], tmp_path / "out.jsonl")
    ids = [r["id"] for r in records(tmp_path / "out.jsonl")]
    assert ids == ["c-1", "Bob", f"{src}:3", f"{src}:4"]


def test_bad_jsonl_records_become_error_records_with_their_line_numbers(engine, tmp_path):
    ok = {"experience": {"total_years": 3, "product_years": 1}}
    rows = [
        ok,  # 1
        "{not json",  # 2
        "[1, 2]",  # 3
        {"id": "t", "experience": {"total_years": "7", "product_years": 1}},  # 4
        {"experience": {"total_years": -1, "product_years": 0}},  # 5
        {"experiance": {"total_years": 3, "product_years": 1}},  # 6
        {"experience": {"total_years": 3, "product_years": 5}},  # 7
        b'{"name": "caf\xe9"}',  # 8: Latin-1, not UTF-8
        {"experience": {"total_years": 3}},  # 9
        '{"a": 1, "a": 2}',  # 10
        ok,  # 11
    ]
    src = write_jsonl(tmp_path / "in.jsonl", rows)
    out = tmp_path / "out.jsonl"
    summary = run(engine, [src], out)
    assert summary.records == 11 and summary.errors == 9 and summary.exit_code == 1
    errors = errors_by_line(out)
    assert sorted(errors) == [2, 3, 4, 5, 6, 7, 8, 9, 10]
    want = {
        2: ("P003", ""),
        3: ("P004", ""),
        4: ("P006", "experience.total_years"),
        5: ("P007", "experience.total_years"),
        6: ("P005", "experiance"),
        7: ("P010", "experience.product_years"),
        8: ("P012", ""),
        9: ("P009", "experience.product_years"),
        10: ("P013", ""),
    }
    for line, (code, path) in want.items():
        error = errors[line]["error"]
        assert (error["code"], error["path"], error["line"]) == (code, path, line), error
        assert error["message"]
        assert errors[line]["source"] == str(src)
    assert "did you mean 'experience'" in errors[6]["error"]["message"]
    assert errors[4]["id"] == "t"  # an invalid profile still has its id
    assert [r["ok"] for r in records(out)] == [True] + [False] * 9 + [True]


def test_blank_lines_a_byte_order_mark_and_crlf_are_not_records(engine, tmp_path):
    profile = {"id": "a", "experience": {"total_years": 3, "product_years": 1}}
    text = b"\xef\xbb\xbf" + json.dumps(profile).encode() + b"\r\n\n   \n"
    text += json.dumps({**profile, "id": "b"}).encode()  # no newline at the end
    src = tmp_path / "in.jsonl"
    src.write_bytes(text)
    summary = run(engine, [src], tmp_path / "out.jsonl")
    assert summary.records == 2 and summary.errors == 0
    assert [(r["id"], r["line"]) for r in records(tmp_path / "out.jsonl")] == [("a", 1), ("b", 4)]


def test_an_overlong_line_is_an_error_record_and_reading_goes_on(engine, tmp_path, monkeypatch):
    monkeypatch.setattr(batch_inputs, "MAX_LINE_BYTES", 300)
    ok = {"experience": {"total_years": 3, "product_years": 1}}
    long = {**ok, "name": "x" * 1000}
    src = write_jsonl(tmp_path / "in.jsonl", [ok, long, ok])
    run(engine, [src], tmp_path / "out.jsonl")
    out = records(tmp_path / "out.jsonl")
    assert [r["ok"] for r in out] == [True, False, True]
    assert out[1]["error"]["code"] == "P011" and out[1]["line"] == 2
    assert out[2]["line"] == 3


def test_stdin_is_jsonl_by_default(engine, tmp_path):
    profile = {"id": "s", "experience": {"total_years": 3, "product_years": 1}}
    stdin = io.BytesIO((json.dumps(profile) + "\n").encode() * 2)
    summary = run(engine, ["-"], tmp_path / "out.jsonl", stdin=stdin)
    assert summary.records == 2
    assert [(r["source"], r["line"]) for r in records(tmp_path / "out.jsonl")] == [
        ("<stdin>", 1),
        ("<stdin>", 2),
    ]


def test_stdin_can_hold_csv_or_one_profile(engine, tmp_path):
    stdin = io.BytesIO(b"id,experience.total_years,experience.product_years\nq,4,2\n")
    run(engine, ["-"], tmp_path / "a.jsonl", stdin=stdin, input_format="csv")
    assert records(tmp_path / "a.jsonl")[0]["id"] == "q"
    stdin = io.BytesIO(b"name: Yan\nexperience:\n  total_years: 4\n  product_years: 2\n")
    run(engine, ["-"], tmp_path / "b.jsonl", stdin=stdin, input_format="profile")
    [record] = records(tmp_path / "b.jsonl")
    assert record["id"] == "Yan" and record["recommendation"]["level"]["id"] == "apm"


def test_output_can_be_a_binary_stream(engine, tmp_path):
    src = write_jsonl(tmp_path / "in.jsonl", pool(3))
    stream = io.BytesIO()
    summary = BatchRun(engine, [str(src)], stream).run()
    assert summary.output == "<stdout>"
    assert len(stream.getvalue().splitlines()) == 3


# -- CSV input ----------------------------------------------------------------------

CSV_HEADER = (
    "id,name,experience.total_years,experience.product_years,experience.background,"
    "work.growth,work.feature,scope.leads_pms,scope.pm_reports,strengths.communication,"
    "track_record.launches\n"
)


def test_csv_cells_are_read_by_the_schema_types(engine, tmp_path):
    src = tmp_path / "pool.csv"
    src.write_text(
        CSV_HEADER
        + "c1,Ann,9,6.5,engineering,4,2.5,true,2,4,5\n"
        + 'c2,"Doe, Jo",2,0,,,,no,,,\n'
        + ",,12,11,data,0,11,YES,3.0,5,20\n",
        encoding="utf-8",
    )
    out = tmp_path / "out.jsonl"
    summary = run(engine, [src], out)
    assert summary.errors == 0
    want = [
        {
            "id": "c1",
            "name": "Ann",
            "experience": {"total_years": 9, "product_years": 6.5, "background": "engineering"},
            "work": {"growth": 4, "feature": 2.5},
            "scope": {"leads_pms": True, "pm_reports": 2},
            "strengths": {"communication": 4},
            "track_record": {"launches": 5},
        },
        {
            "id": "c2",
            "name": "Doe, Jo",
            "experience": {"total_years": 2, "product_years": 0},
            "scope": {"leads_pms": False},
        },
        {
            "experience": {"total_years": 12, "product_years": 11, "background": "data"},
            "work": {"growth": 0, "feature": 11},
            "scope": {"leads_pms": True, "pm_reports": 3},
            "strengths": {"communication": 5},
            "track_record": {"launches": 20},
        },
    ]
    got = records(out)
    ids = ["c1", "c2", f"{src}:4"]
    for record, profile, rid, line in zip(got, want, ids, (2, 3, 4), strict=True):
        assert record == expected_record(engine, profile, str(src), line, rid)


def test_wrong_csv_cells_become_error_records_naming_the_column(engine, tmp_path):
    src = tmp_path / "pool.csv"
    src.write_text(
        CSV_HEADER
        + "a,,abc,1,,,,,,,\n"  # 2: not a number
        + "b,,3,1,,,,maybe,,,\n"  # 3: not a boolean
        + "c,,3,1,,,,,2.5,,\n"  # 4: not a whole number
        + "d,,3,1,,,,,,9,\n"  # 5: out of range
        + "e,,3,1,astronaut,,,,,,\n"  # 6: not in the enum
        + "f,,3,1\n"  # 7: too few cells
        + 'g,"two\nlines",3,1,,,,,,,\n'  # 8-9: a quoted newline, fine
        + "h,,3,1,,,,,,,,extra\n"  # 10: too many cells
        + "i,,inf,1,,,,,,,\n",  # 11: not finite
        encoding="utf-8",
    )
    out = tmp_path / "out.jsonl"
    summary = run(engine, [src], out)
    assert summary.records == 9 and summary.errors == 8
    errors = {r["id"]: r["error"] for r in records(out) if not r["ok"]}
    assert errors["a"]["code"] == "P006" and errors["a"]["path"] == "experience.total_years"
    assert "'abc'" in errors["a"]["message"] and errors["a"]["line"] == 2
    assert (errors["b"]["code"], errors["b"]["path"]) == ("P006", "scope.leads_pms")
    assert "'maybe'" in errors["b"]["message"]
    assert (errors["c"]["path"], errors["c"]["line"]) == ("scope.pm_reports", 4)
    assert (errors["d"]["code"], errors["d"]["path"]) == ("P007", "strengths.communication")
    assert (errors["e"]["code"], errors["e"]["path"]) == ("P008", "experience.background")
    assert errors["f"]["code"] == "P014" and errors["f"]["line"] == 7
    assert errors["h"]["code"] == "P014" and errors["h"]["line"] == 10
    assert errors["i"]["path"] == "experience.total_years"
    by_id = {r["id"]: r for r in records(out)}
    assert by_id["g"]["ok"] and by_id["g"]["line"] == 8


def test_an_unknown_csv_column_is_named_with_a_hint(engine, tmp_path):
    src = tmp_path / "pool.csv"
    src.write_text("id,experience.total_yeers,experience.product_years\nz,3,1\n")
    run(engine, [src], tmp_path / "out.jsonl")
    [record] = records(tmp_path / "out.jsonl")
    assert record["error"]["code"] == "P005"
    assert record["error"]["path"] == "experience.total_yeers"
    assert "did you mean 'total_years'" in record["error"]["message"]


def test_a_csv_header_that_cannot_be_used_is_refused_before_anything_is_written(engine, tmp_path):
    src = tmp_path / "pool.csv"
    src.write_text("id,experience.total_years,experience.total_years\nz,3,1\n")
    out = tmp_path / "out.jsonl"
    with pytest.raises(BatchError, match="appears twice") as info:
        run(engine, [src], out)
    assert info.value.code == "B003"
    assert not out.exists()


# -- profile files ------------------------------------------------------------------


def test_profile_directories_are_read_sorted_and_globs_expand(engine, tmp_path):
    d = tmp_path / "profiles"
    d.mkdir()
    (d / "b.yaml").write_text("experience:\n  total_years: 9\n  product_years: 6\n")
    (d / "a.json").write_text(
        json.dumps({"id": "A", "experience": {"total_years": 1, "product_years": 0}})
    )
    (d / "c.yml").write_text("name: Cy\nexperience:\n  total_years: 3\n  product_years: x\n")
    (d / "notes.txt").write_text("not a profile")
    out = tmp_path / "out.jsonl"
    summary = run(engine, [d], out)
    got = records(out)
    assert [r["id"] for r in got] == ["A", str(d / "b.yaml"), "Cy"]
    assert [r["source"] for r in got] == [str(d / n) for n in ("a.json", "b.yaml", "c.yml")]
    assert got[2]["error"]["code"] == "P006" and got[2]["error"]["line"] == 4  # its own line
    assert got[2]["line"] is None
    assert summary.records == 3 and summary.errors == 1
    run(engine, [str(d / "*.y*ml")], out)
    assert [r["id"] for r in records(out)] == [str(d / "b.yaml"), "Cy"]


def test_several_inputs_are_read_one_after_another(engine, tmp_path):
    a = write_jsonl(tmp_path / "a.jsonl", pool(2, seed=1))
    b = tmp_path / "b.csv"
    b.write_text("id,experience.total_years,experience.product_years\nz,3,1\n")
    run(engine, [b, a], tmp_path / "out.jsonl")
    assert [r["source"] for r in records(tmp_path / "out.jsonl")] == [str(b), str(a), str(a)]


@pytest.mark.parametrize(
    ("make", "code", "match"),
    [
        (lambda d: str(d / "missing.jsonl"), "B001", "no such file"),
        (lambda d: str(d / "nothing-*.jsonl"), "B001", "no files match"),
        (lambda d: (d / "x.txt").write_text("{}") and str(d / "x.txt"), "B002", "--input-format"),
        (lambda d: (d / "empty").mkdir() or str(d / "empty"), "B001", "no profile files"),
    ],
)
def test_inputs_that_do_not_exist_or_cannot_be_told_apart_are_refused(
    engine, tmp_path, make, code, match
):
    arg = make(tmp_path)
    with pytest.raises(BatchError, match=match) as info:
        run(engine, [arg], tmp_path / "out.jsonl")
    assert info.value.code == code


def test_input_format_names_what_an_odd_extension_holds(engine, tmp_path):
    src = write_jsonl(tmp_path / "pool.txt", pool(2))
    summary = run(engine, [src], tmp_path / "out.jsonl", input_format="jsonl")
    assert summary.records == 2 and summary.errors == 0


# -- CSV output ---------------------------------------------------------------------


def test_csv_output_round_trips_through_the_csv_module(engine, tmp_path):
    profiles = pool(300, seed=3)
    rows = [*profiles[:150], "{broken", *profiles[150:]]
    src = write_jsonl(tmp_path / "in.jsonl", rows)
    out = tmp_path / "out.csv"
    summary = run(engine, [src], out, fmt="csv", workers=2, chunk_size=16)
    assert summary.records == 301 and summary.errors == 1
    with open(out, newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        assert reader.fieldnames == [c.name for c in CSV_COLUMNS]
        table = list(reader)
    assert len(table) == 301
    assert out.read_bytes().startswith(csv_header())
    for row, profile in zip(table[:150] + table[151:], profiles, strict=True):
        rec = engine.recommend(profile)
        steps = [*rec.steps[:3], "", "", ""][:3]
        assert row == {
            "id": profile["id"],
            "ok": "true",
            "level": rec.level,
            "kwan_level": str(rec.kwan_level),
            "specialization": rec.specialization,
            "shape": rec.shape,
            "next_level": rec.next_level or "",
            "step_1": steps[0],
            "step_2": steps[1],
            "step_3": steps[2],
            "error": "",
            "error_path": "",
            "error_message": "",
            "source": str(src),
            "line": row["line"],
            "certainty": rec.certainty,
            "possible_level": rec.possible,
            "questions": " ".join(q["field"] for q in rec.questions),
        }
    bad = table[150]
    assert (bad["ok"], bad["error"], bad["line"], bad["level"]) == ("false", "P003", "151", "")
    assert bad["error_message"].startswith("JSON syntax error")


def test_csv_cells_never_span_lines(engine, tmp_path):
    src = write_jsonl(tmp_path / "in.jsonl", [{"id": "a\nb", "experience": {"total_years": 1}}])
    out = tmp_path / "out.csv"
    run(engine, [src], out, fmt="csv")
    lines = out.read_text().splitlines()
    assert len(lines) == 2 and lines[1].startswith("a b,false,")


# -- order, several workers ---------------------------------------------------------


def test_several_workers_keep_input_order(engine, tmp_path):
    rows: list = []
    for i, profile in enumerate(pool(400, seed=9)):
        rows.append(profile if i % 37 else "not json at all")
    src = write_jsonl(tmp_path / "in.jsonl", rows)
    one, three = tmp_path / "one.jsonl", tmp_path / "three.jsonl"
    run(engine, [src], one, workers=1)
    summary = run(engine, [src], three, workers=3, chunk_size=7)
    assert three.read_bytes() == one.read_bytes()
    assert [r["line"] for r in records(three)] == list(range(1, 401))
    assert summary.errors == len([r for r in rows if isinstance(r, str)])


# -- resume -------------------------------------------------------------------------


def test_resume_after_a_torn_last_line_finishes_the_job_exactly(engine, tmp_path):
    src = write_jsonl(tmp_path / "in.jsonl", [*pool(120, seed=4), "{bad"])
    full = tmp_path / "full.jsonl"
    run(engine, [src], full)
    lines = full.read_bytes().splitlines(keepends=True)
    part = tmp_path / "part.jsonl"
    part.write_bytes(b"".join(lines[:47]) + lines[47][:500])  # killed mid-write
    summary = run(engine, [src], part, resume=True, workers=2, chunk_size=8)
    assert part.read_bytes() == full.read_bytes()
    assert (summary.skipped, summary.records, summary.truncated) == (47, 74, 500)
    assert summary.previous == 47 and summary.exit_code == 1  # the {bad} record is in there
    again = run(engine, [src], part, resume=True)
    assert (again.skipped, again.records) == (121, 0)
    assert part.read_bytes() == full.read_bytes()


def test_resume_skips_by_id_and_counts_repeated_ids(engine, tmp_path):
    base = {"experience": {"total_years": 3, "product_years": 1}}
    rows = [
        {**base, "id": "dup"},
        {**base, "id": "x"},
        {**base, "id": "dup"},
        {**base, "id": "dup"},
    ]
    src = write_jsonl(tmp_path / "in.jsonl", rows)
    full = tmp_path / "full.jsonl"
    run(engine, [src], full)
    part = tmp_path / "part.jsonl"
    part.write_bytes(b"".join(full.read_bytes().splitlines(keepends=True)[:3]))
    summary = run(engine, [src], part, resume=True, workers=2, chunk_size=1)
    assert part.read_bytes() == full.read_bytes()  # the third "dup" written once, no more
    assert (summary.skipped, summary.records) == (3, 1)


def test_resume_adds_the_records_after_those_written_and_refuses_another_order(engine, tmp_path):
    profiles = pool(30, seed=8)
    first = write_jsonl(tmp_path / "first.jsonl", profiles[:20])
    out = tmp_path / "out.jsonl"
    run(engine, [first], out)
    written = out.read_bytes()
    shuffled = write_jsonl(
        tmp_path / "shuffled.jsonl", [*profiles[:5], *profiles[25:], *profiles[5:25]]
    )
    with pytest.raises(BatchError, match="first 20 records of the input should be"):
        run(engine, [shuffled], out, resume=True)  # issue 9: never append silently
    assert out.read_bytes() == written
    both = write_jsonl(tmp_path / "both.jsonl", profiles)
    summary = run(engine, [both], out, resume=True)
    assert (summary.skipped, summary.records) == (20, 10)
    ids = [r["id"] for r in records(out)]
    assert ids == [p["id"] for p in profiles]


def test_resume_continues_a_csv_output(engine, tmp_path):
    src = write_jsonl(tmp_path / "in.jsonl", pool(40, seed=2))
    full, part = tmp_path / "full.csv", tmp_path / "part.csv"
    run(engine, [src], full, fmt="csv")
    lines = full.read_bytes().splitlines(keepends=True)
    part.write_bytes(b"".join(lines[:11]) + lines[11][:9])
    summary = run(engine, [src], part, fmt="csv", resume=True)
    assert part.read_bytes() == full.read_bytes()
    assert summary.skipped == 10


def test_resume_into_a_missing_file_starts_it(engine, tmp_path):
    src = write_jsonl(tmp_path / "in.jsonl", pool(3))
    summary = run(engine, [src], tmp_path / "new.jsonl", resume=True)
    assert summary.records == 3 and summary.skipped == 0


@pytest.mark.parametrize(
    ("content", "fmt"),
    [
        (b"hello\n", "jsonl"),
        (b'{"name": "x"}\n', "jsonl"),
        (b'{"id":"a","ok":true}\n', "csv"),
        (b"id,level\n", "csv"),
    ],
)
def test_resume_refuses_a_file_that_is_not_this_kind_of_batch_output(
    engine, tmp_path, content, fmt
):
    src = write_jsonl(tmp_path / "in.jsonl", pool(2))
    out = tmp_path / "out"
    out.write_bytes(content)
    with pytest.raises(BatchError, match="cannot resume into this file") as info:
        run(engine, [src], out, fmt=fmt, resume=True)
    assert info.value.code == "B004"
    assert out.read_bytes() == content  # untouched


def test_resume_needs_an_output_file(engine, tmp_path):
    src = write_jsonl(tmp_path / "in.jsonl", pool(2))
    with pytest.raises(BatchError, match="-o FILE"):
        BatchRun(engine, [str(src)], "-", resume=True)


def test_an_output_that_is_also_an_input_is_refused(engine, tmp_path):
    src = write_jsonl(tmp_path / "in.jsonl", pool(2))
    before = src.read_bytes()
    with pytest.raises(BatchError, match="both an INPUT and the output") as info:
        run(engine, [src], src)
    assert info.value.code == "B004"
    assert src.read_bytes() == before


def test_without_resume_an_existing_output_is_replaced(engine, tmp_path):
    src = write_jsonl(tmp_path / "in.jsonl", pool(2))
    out = tmp_path / "out.jsonl"
    out.write_text("old stuff\n" * 100)
    run(engine, [src], out)
    assert len(records(out)) == 2


# -- worker deaths ------------------------------------------------------------------


def test_a_record_that_kills_its_worker_every_time_becomes_an_error_record(
    engine, tmp_path, monkeypatch
):
    profiles = pool(60, seed=6)
    src = write_jsonl(tmp_path / "in.jsonl", profiles)
    clean = tmp_path / "clean.jsonl"
    run(engine, [src], clean)
    victim = profiles[25]["id"]
    monkeypatch.setenv("PMPATH_TEST_CRASH_ID", victim)
    events = []
    out = tmp_path / "out.jsonl"
    summary = BatchRun(
        engine, [str(src)], str(out), workers=2, chunk_size=8, on_event=events.append
    ).run()
    got = records(out)
    assert [r["id"] for r in got] == [p["id"] for p in profiles]  # none lost, in order
    assert got[25]["ok"] is False
    assert got[25]["error"]["code"] == "E002" and got[25]["error"]["line"] == 26
    assert "exit code 86" in got[25]["error"]["message"]
    want = clean.read_bytes().splitlines()
    assert [line for i, line in enumerate(out.read_bytes().splitlines()) if i != 25] == [
        line for i, line in enumerate(want) if i != 25
    ]
    # the chunk's worker died, then the record alone, twice
    assert len(summary.deaths) == 3 and events == summary.deaths
    assert all(d.how == "exit code 86" for d in summary.deaths)
    assert summary.errors == 1 and summary.error_codes == {"E002": 1} and summary.exit_code == 1
    assert any("died" in line for line in summary.lines())


def test_a_worker_that_dies_once_loses_nothing(engine, tmp_path, monkeypatch):
    profiles = pool(60, seed=6)
    src = write_jsonl(tmp_path / "in.jsonl", profiles)
    clean = tmp_path / "clean.jsonl"
    run(engine, [src], clean)
    monkeypatch.setenv("PMPATH_TEST_CRASH_ID", profiles[40]["id"])
    monkeypatch.setenv("PMPATH_TEST_CRASH_ONCE", str(tmp_path / "crashed"))
    out = tmp_path / "out.jsonl"
    summary = run(engine, [src], out, workers=2, chunk_size=8)
    assert (tmp_path / "crashed").exists()
    assert out.read_bytes() == clean.read_bytes()
    assert len(summary.deaths) == 1 and summary.errors == 0 and summary.exit_code == 0


# -- summary ------------------------------------------------------------------------


def test_the_summary_counts_levels_specializations_and_errors(engine, tmp_path):
    profiles = pool(200, seed=12)
    src = write_jsonl(tmp_path / "in.jsonl", [*profiles, "oops"])
    summary = run(engine, [src], tmp_path / "out.jsonl")
    recs = [engine.recommend(p) for p in profiles]
    assert dict(summary.levels) == {lv: sum(r.level == lv for r in recs) for lv in summary.levels}
    assert sum(summary.specializations.values()) == 200
    assert (summary.records, summary.scored, summary.errors) == (201, 200, 1)
    text = "\n".join(summary.lines())
    assert "201 records" in text and "profiles/s" in text and "errors 1 (P003 1)" in text
    assert "levels: aspiring" in text and "specializations: core" in text
    data = summary.to_dict()
    assert list(data["levels"]) == [lv for lv in LEVELS if lv in data["levels"]]
    assert data["exit_code"] == 1


# -- Engine.recommend_many ----------------------------------------------------------


def _worker_pids() -> set[int]:
    """Our live worker processes (children running pmpath.parallel)."""
    found = set()
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as fh:
                ppid = int(fh.read().rsplit(")", 1)[1].split()[1])
            with open(f"/proc/{entry}/cmdline", "rb") as fh:
                cmdline = fh.read()
        except (OSError, ValueError, IndexError):
            continue
        if ppid == os.getpid() and b"pmpath.pool" in cmdline:
            found.add(int(entry))
    return found


def test_recommend_many_in_processes_equals_recommend_in_order(engine):
    profiles = pool(500, seed=13)
    got = [r.to_json(indent=None) for r in engine.recommend_many(profiles, workers=2)]
    assert got == [engine.recommend(p).to_json(indent=None) for p in profiles]
    assert not _worker_pids()


def test_recommend_many_in_processes_raises_at_the_bad_profile(engine):
    profiles = [*pool(10, seed=14), {"experience": {"total_years": 2, "product_years": 5}}]
    seen = []
    with pytest.raises(ProfileError) as info:
        for rec in engine.recommend_many(iter(profiles), workers=2):
            seen.append(rec)
    assert len(seen) == 10
    assert (info.value.code, info.value.path) == ("P010", "experience.product_years")


def test_stopping_recommend_many_early_stops_its_workers(engine):
    results = engine.recommend_many(pool(2000, seed=15), workers=2)
    first = next(results)
    assert first.level in LEVELS
    assert _worker_pids()
    results.close()
    del results
    gc.collect()
    deadline = time.monotonic() + 10
    while _worker_pids() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _worker_pids()


def test_durable_host_and_the_reference_evaluator_write_the_same_bytes(
    engine, host_engine, tmp_path
):
    src = write_jsonl(tmp_path / "in.jsonl", pool(150, seed=16))
    lean, host, ref = (tmp_path / f"{n}.jsonl" for n in ("lean", "host", "ref"))
    run(engine, [src], lean)
    run(host_engine, [src], host, workers=2, chunk_size=16)
    run(engine, [src], ref, evaluator="reference")
    assert host.read_bytes() == lean.read_bytes() == ref.read_bytes()


def test_by_default_small_inputs_run_in_process_and_large_ones_on_every_core(
    engine, tmp_path, monkeypatch
):
    from pmpath.pool import default_workers

    src = write_jsonl(tmp_path / "in.jsonl", pool(5))
    out = str(tmp_path / "out.jsonl")
    assert BatchRun(engine, [str(src)], out, workers=None).workers == 1
    assert BatchRun(engine, ["-"], out, workers=None).workers == default_workers()  # size unknown
    monkeypatch.setattr(batch_module, "SMALL_INPUT_BYTES", 10)
    assert BatchRun(engine, [str(src)], out, workers=None).workers == default_workers()
    assert BatchRun(engine, [str(src)], out, workers=3).workers == 3


@pytest.mark.parametrize(
    "rid",
    [
        '=HYPERLINK("http://x","y")',
        "+cmd|' /C calc'!A0",
        "@SUM(A1)",
        "-2+3",
        "\tTAB",
        "'quoted",
        "''",
        "plain-id",
    ],
)
def test_csv_cells_never_start_a_spreadsheet_formula_and_resume_reads_them_back(
    engine, tmp_path, rid
):
    src = tmp_path / "pool.jsonl"
    profile = {"id": rid, "experience": {"total_years": 3, "product_years": 1}}
    src.write_text(json.dumps(profile) + "\n")
    out = tmp_path / "out.csv"
    BatchRun(engine, [str(src)], str(out), fmt="csv").run()
    (row,) = list(csv.reader(io.StringIO(out.read_text())))[1:]
    cell = row[0]
    assert cell[0] not in "=+-@\t\r", cell
    if rid[0] in "=+-@'\t\r":
        assert cell.startswith("'")
    assert restore_cell(cell) == rid
    summary = BatchRun(engine, [str(src)], str(out), fmt="csv", resume=True).run()
    assert summary.skipped == 1 and summary.records == 0  # found again by its id
