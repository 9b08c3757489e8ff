"""``pmpath diff``: a knowledge change replayed over a fixed pool.

The threshold-change test computes the expected transitions independently, by
running ``pmpath batch`` once per side and comparing the records."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner
from strategies import bench_batch

from pmpath import Engine
from pmpath.batch.run import BatchRun
from pmpath.cli.main import cli
from pmpath.diff.conditions import FAIL_ON_EXIT, parse_conditions
from pmpath.diff.html import to_html
from pmpath.diff.markdown import to_markdown
from pmpath.diff.run import DiffRun
from pmpath.errors import PmpathError
from pmpath.source import schemas

ROOT = Path(__file__).resolve().parents[2]
PMPATH = [sys.executable, "-m", "pmpath.cli.main"]


def _copy_data(to: Path) -> tuple[Path, Path]:
    shutil.copytree(ROOT / "knowledge", to / "knowledge", ignore=shutil.ignore_patterns("*.py"))
    shutil.copytree(ROOT / "rules", to / "rules", ignore=shutil.ignore_patterns("*.py"))
    return to / "knowledge", to / "rules"


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))


LOWER_SENIOR_YEARS = (
    "  - id: senior_pm_min_product_years\n    value: 5",
    "  - id: senior_pm_min_product_years\n    value: 4",
)
RAISE_PM_YEARS = (
    "  - id: pm_min_product_years\n    value: 2",
    "  - id: pm_min_product_years\n    value: 3",
)


@pytest.fixture(scope="module")
def pool(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("diff") / "pool.jsonl"
    bench_batch().write_jsonl(str(path), 600, seed=41)
    with open(path, "a") as fh:
        fh.write("{not json\n")
    return path


@pytest.fixture(scope="module")
def changed(tmp_path_factory) -> tuple[Path, Path]:
    """Knowledge with two thresholds changed: one frees PMs, one holds APMs back."""
    knowledge, rules = _copy_data(tmp_path_factory.mktemp("changed"))
    _edit(knowledge / "thresholds.yaml", *LOWER_SENIOR_YEARS)
    _edit(knowledge / "thresholds.yaml", *RAISE_PM_YEARS)
    return knowledge, rules


@pytest.fixture(scope="module")
def changed_engine(changed) -> Engine:
    return Engine.load(*changed)


def _batch_records(engine: Engine, pool: Path) -> list[dict]:
    out = io.BytesIO()
    BatchRun(engine, [str(pool)], out, workers=1).run()
    return [json.loads(line) for line in out.getvalue().splitlines()]


def test_identical_knowledge_on_both_sides_reports_no_difference_at_all(engine, pool):
    doc = DiffRun(engine, engine, [str(pool)]).run().to_dict()
    assert doc["identical"] and doc["files"] == [] and doc["changes"] == []
    assert doc["pool"]["records"] == 601 and doc["pool"]["scored"] == 600
    assert doc["pool"]["errors"] == [{"side": "both", "code": "P003", "count": 1}]
    assert set(doc["summary"].values()) == {0}
    assert doc["requirements"] == doc["rules"] == doc["still_blocked"] == []
    for t in doc["transitions"].values():
        assert t["changed"] == 0 and t["examples"] == []
        assert all(c["from"] == c["to"] for c in t["cells"])
        assert sum(c["count"] for c in t["cells"]) == 600


def test_a_threshold_change_gives_the_transitions_two_batch_runs_give(engine, changed_engine, pool):
    doc = DiffRun(engine, changed_engine, [str(pool)]).run().to_dict()
    before, after = _batch_records(engine, pool), _batch_records(changed_engine, pool)
    pairs = [(b, a) for b, a in zip(before, after, strict=True) if b["ok"] and a["ok"]]
    assert len(pairs) == doc["pool"]["scored"] == 600

    def level(r):
        return r["recommendation"]["level"]["id"]

    levels = Counter((level(b), level(a)) for b, a in pairs)
    cells = {(c["from"], c["to"]): c["count"] for c in doc["transitions"]["level"]["cells"]}
    assert cells == dict(levels)
    assert doc["summary"]["level_changed"] == sum(n for (x, y), n in levels.items() if x != y) > 0

    def fired(r):
        return {t["rule"] for t in r["recommendation"]["trace"]}

    rules = Counter()
    for b, a in pairs:
        for rule in fired(b) - fired(a):
            rules[(rule, "fired", "not_fired")] += 1
        for rule in fired(a) - fired(b):
            rules[(rule, "not_fired", "fired")] += 1
    assert {(r["rule"], r["from"], r["to"]): r["count"] for r in doc["rules"]} == dict(rules)

    def steps(r):
        return [s["id"] for s in r["recommendation"]["next_steps"]]

    assert doc["steps"]["changed"] == sum(steps(b) != steps(a) for b, a in pairs)
    firsts = Counter(
        (steps(b)[0] if steps(b) else None, steps(a)[0] if steps(a) else None)
        for b, a in pairs
        if (steps(b)[:1] != steps(a)[:1])
    )
    got = {(r["from"], r["to"]): r["count"] for r in doc["steps"]["first_step"]}
    assert got == dict(firsts)
    # the requirement table shows what the level count hides
    reqs = {(r["requirement"], r["from"], r["to"]): r["count"] for r in doc["requirements"]}
    assert reqs[("senior_pm.product-experience", "unmet", "met")] > 0
    kept = doc["summary"]["requirements_changed_level_kept"]
    assert kept > 0 and doc["still_blocked"] and doc["still_blocked"][0]["count"] <= kept
    # which items changed, by id, with their sources
    changes = {(c["kind"], c["id"]): c for c in doc["changes"]}
    assert set(changes) == {
        ("threshold", "senior_pm_min_product_years"),
        ("threshold", "pm_min_product_years"),
    }
    assert changes[("threshold", "pm_min_product_years")]["fields"] == [
        {"field": "value", "from": 2, "to": 3}
    ]
    assert changes[("threshold", "pm_min_product_years")]["source"] == "productplan"
    assert doc["files"] == [{"file": "knowledge/thresholds.yaml", "change": "changed"}]
    # examples: at most five per transition, each naming a real record
    ids = {b["id"] for b, _ in pairs}
    for t in doc["transitions"].values():
        for group in t["examples"]:
            assert 1 <= len(group["examples"]) <= 5
            assert all(ex["id"] in ids for ex in group["examples"])
    jsonschema.validate(doc, schemas.load("diff"))


def test_a_reworded_description_reports_only_the_rewording(engine, tmp_path, pool):
    knowledge, rules = _copy_data(tmp_path)
    _edit(
        knowledge / "levels.yaml",
        "Has worked in a product role",
        "Has held a product role",
    ) if "Has worked in a product role" in (knowledge / "levels.yaml").read_text() else None
    text = (knowledge / "steps.yaml").read_text()
    (knowledge / "steps.yaml").write_text(
        text.replace("Find out what product managers actually do", "Learn what PMs really do", 1)
    )
    doc = DiffRun(engine, Engine.load(knowledge, rules), [str(pool)]).run().to_dict()
    assert not doc["identical"]
    assert [(c["kind"], c["id"], c["fields"]) for c in doc["changes"]] == [
        ("step", "research-the-role", [{"field": "description", "change": "reworded"}])
    ]
    assert doc["summary"]["profiles_changed"] == 0 and doc["requirements"] == []


def test_two_workers_give_the_same_report_as_one(engine, changed_engine, pool):
    one = DiffRun(engine, changed_engine, [str(pool)], workers=1).run().to_dict()
    two = DiffRun(engine, changed_engine, [str(pool)], workers=2, chunk_size=16).run().to_dict()
    assert one == two


def test_with_a_role_the_fit_shift_is_counted(engine, changed_engine, pool):
    doc = (
        DiffRun(engine, changed_engine, [str(pool)], role="senior_pm", shortlist=60).run().to_dict()
    )
    fit = doc["fit"]
    assert sum(fit["histogram"]["base"]) == sum(fit["histogram"]["new"]) == 600
    scores = [
        (engine.fit(p, "senior_pm").score, changed_engine.fit(p, "senior_pm").score)
        for p in map(json.loads, pool.read_text().splitlines()[:600])
    ]
    assert fit["changed"] == sum(b != n for b, n in scores) > 0
    assert fit["shortlist_gained"] == sum(b < 60 <= n for b, n in scores)
    assert fit["shortlist_lost"] == sum(n < 60 <= b for b, n in scores)
    assert fit["histogram"]["new"] == [
        sum(min(n // 10, 9) == i for _, n in scores) for i in range(10)
    ]
    assert -1 <= fit["rank_correlation"] <= 1
    assert len(fit["gained_examples"]) <= 5
    same = DiffRun(engine, engine, [str(pool)], role="senior_pm").run().to_dict()["fit"]
    assert same["rank_correlation"] == 1.0 and same["changed"] == 0
    jsonschema.validate(doc, schemas.load("diff"))


def test_reports_escape_what_the_pool_holds(engine, changed_engine, tmp_path):
    src = tmp_path / "odd.jsonl"
    evil = "x|`<script>alert(1)</script>\x1b]0;t\x07\nLevel cpo"
    profile = {
        "id": evil,
        "experience": {"total_years": 6, "product_years": 4},
        "track_record": {"launches": 4},
    }
    src.write_text(json.dumps(profile) + "\n")
    doc = DiffRun(engine, changed_engine, [str(src)]).run().to_dict()
    assert doc["summary"]["profiles_changed"] == 1
    md, html = to_markdown(doc), to_html(doc)
    for text in (md, html):
        assert "\x1b" not in text and "\x07" not in text and "<script>" not in text
        assert "\\x1b" in text
    assert "\nLevel cpo" not in md and "&lt;script&gt;" in html


def test_the_html_report_is_standalone_and_its_bytes_repeat(engine, changed_engine, pool):
    doc = DiffRun(engine, changed_engine, [str(pool)], role="pm").run().to_dict()
    html = to_html(doc)
    assert html == to_html(DiffRun(engine, changed_engine, [str(pool)], role="pm").run().to_dict())
    assert "<svg" in html and "<script" not in html and "<link" not in html
    assert "src=" not in html and "url(" not in html and "@import" not in html
    assert html.count("http") == html.count('xmlns="http://www.w3.org/2000/svg"')


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("level>>2", "cannot read"),
        ("levels>2", "unknown metric 'levels'"),
        ("", "no condition"),
    ],
)
def test_a_fail_on_that_cannot_be_read_says_why(text, message):
    with pytest.raises(PmpathError, match=message):
        parse_conditions(text)


# -- the command -------------------------------------------------------------------------


def invoke(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_diff_writes_markdown_and_fail_on_gates_with_its_own_exit_code(changed, pool, tmp_path):
    knowledge, rules = changed
    out = tmp_path / "report.md"
    args = ["diff", str(pool), "--base-knowledge", str(ROOT / "knowledge")]
    args += ["--knowledge", str(knowledge), "--rules", str(rules), "-o", str(out)]
    result = invoke(*args, "--fail-on", "requirements>0,down>100%")
    assert result.exit_code == FAIL_ON_EXIT == 4
    assert "fail-on: requirements>0: requirements is" in result.stderr
    assert "down>100%" not in result.stderr
    assert out.read_text().startswith("# pmpath diff\n")
    assert "## Requirements whose outcome changed" in out.read_text()
    assert invoke(*args, "--fail-on", "level>99%").exit_code == 0


def test_diff_json_is_the_report_document_and_matches_its_schema(changed, pool):
    knowledge, rules = changed
    result = invoke(
        "diff", str(pool), "--base-knowledge", str(ROOT / "knowledge"),
        "--knowledge", str(knowledge), "--rules", str(rules), "--format", "json",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    jsonschema.validate(json.loads(result.stdout), schemas.load("diff"))
    assert json.loads(invoke("schema", "diff").stdout) == schemas.load("diff")


def test_diff_reads_a_pool_on_stdin(changed, pool):
    knowledge, rules = changed
    result = CliRunner().invoke(
        cli,
        ["diff", "-", "--base-knowledge", str(ROOT / "knowledge"), "--knowledge", str(knowledge),
         "--rules", str(rules), "--format", "json"],
        input=pool.read_bytes(),
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["pool"]["records"] == 601


@pytest.mark.parametrize(
    ("args", "code", "said"),
    [
        ([], 2, "say what to compare against"),
        (["--base", "HEAD", "--base-knowledge", "."], 2, "not both"),
        (["--base-knowledge", "/no/such/dir"], 2, "does not exist"),
        (["--base-knowledge", "knowledge", "--fail-on", "level>>1"], 2, "cannot read"),
        (["--base-knowledge", "knowledge", "--role", "chief"], 2, "--role"),
    ],
)
def test_bad_arguments_get_one_line_and_a_usage_exit(args, code, said, pool):
    result = CliRunner().invoke(cli, ["diff", str(pool), *args])
    assert result.exit_code == code
    assert said in result.stderr
    assert "Traceback" not in result.stderr


def test_broken_base_knowledge_is_one_clear_line(tmp_path, pool):
    knowledge, _ = _copy_data(tmp_path)
    _edit(knowledge / "thresholds.yaml", "value: 2", "value: two")
    result = CliRunner().invoke(cli, ["diff", str(pool), "--base-knowledge", str(knowledge)])
    assert result.exit_code == 1
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("error: the base knowledge or rules are invalid: ")
    assert "thresholds.yaml:" in line


def _git(repo: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.invalid", *args],
        cwd=repo,
        check=True,
        capture_output=True,
    )


@pytest.fixture
def repo(tmp_path) -> Path:
    """A git checkout of the shipped knowledge and rules, then an edit not committed."""
    repo = tmp_path / "repo"
    repo.mkdir()
    _copy_data(repo)
    _git(repo, "init", "-q", "-b", "main")
    _git(repo, "add", ".")
    _git(repo, "commit", "-q", "-m", "knowledge")
    _edit(repo / "knowledge" / "thresholds.yaml", *LOWER_SENIOR_YEARS)
    return repo


def test_base_rev_reads_the_base_from_git_in_a_real_process(repo, pool):
    done = subprocess.run(
        [*PMPATH, "diff", "--base", "main", str(pool), "--format", "json",
         "--knowledge", "knowledge", "--rules", "rules"],
        cwd=repo, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)
    assert [(c["id"], c["fields"]) for c in doc["changes"]] == [
        ("senior_pm_min_product_years", [{"field": "value", "from": 5, "to": 4}])
    ]
    assert doc["summary"]["requirements_changed"] > 0
    assert "diff: 601 records" in done.stderr


def test_an_unknown_revision_or_no_checkout_is_one_line_exit_1(repo, pool, tmp_path):
    for cwd, rev, said in (
        (repo, "no-such-branch", "--base no-such-branch: no such revision"),
        (tmp_path, "main", "--base needs a git checkout"),
    ):
        done = subprocess.run(
            [*PMPATH, "diff", "--base", rev, str(pool), "--knowledge", str(repo / "knowledge"),
             "--rules", str(repo / "rules")],
            cwd=cwd, capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        assert done.returncode == 1, done.stderr
        (line,) = done.stderr.strip().splitlines()
        assert line.startswith(f"error: {said}")


def test_a_broken_base_revision_names_its_file_as_the_repository_does(repo, pool):
    thresholds = repo / "knowledge" / "thresholds.yaml"
    good = thresholds.read_text()
    thresholds.write_text(good.replace("    value: 2\n", "    value: two\n", 1))
    _git(repo, "commit", "-q", "-am", "broken")
    thresholds.write_text(good)
    done = subprocess.run(
        [*PMPATH, "diff", "--base", "HEAD", str(pool), "--knowledge", "knowledge",
         "--rules", "rules"],
        cwd=repo, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 1, done.stderr
    (line,) = done.stderr.strip().splitlines()
    assert line.startswith("error: the base (HEAD) knowledge or rules are invalid: ")
    assert "knowledge/thresholds.yaml:" in line and "pmpath-base-" not in line
