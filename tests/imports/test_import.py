"""`pmpath import` and the importers: numbers worked out by hand, bad sources as one
line, byte-identical reruns, properties of the year rules, and the ways in (CLI,
batch, fit, the Python API)."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from pmpath import from_greenhouse, from_json_resume, from_linkedin
from pmpath.cli.main import cli
from pmpath.errors import SourceError
from pmpath.imports import import_path, profile_yaml
from pmpath.model import load_model
from pmpath.profile import check_profile

HERE = Path(__file__).resolve().parent
FIXTURES = HERE / "fixtures"
AS_OF = "2026-12-02"
RULES = load_model()[0].knowledge


def run(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


# -- numbers worked out by hand ------------------------------------------------------------
def test_years_are_unions_of_positions_counted_by_hand():
    profile, report = from_json_resume(
        {
            "work": [
                {"position": "Product Manager", "startDate": "2019-01-01", "endDate": "2023-01-01"},
                # overlaps the first by two years: counted once
                {"position": "Senior PM", "startDate": "2021-01-01", "endDate": "2024-01-01"},
                # a gap of a year before this one: not counted
                {
                    "position": "Engineering Manager",
                    "startDate": "2025-01-01",
                    "endDate": "2026-01-01",
                },
            ]
        },
        as_of=AS_OF,
    )
    experience = profile["experience"]
    assert experience["total_years"] == 6.0  # 2019..2024 (1826 days) + 2025 (365 days)
    assert experience["product_years"] == 5.0  # 2019-01-01..2024-01-01: 1826 days
    assert experience["people_management_years"] == 1.0
    assert "employment" not in profile  # nothing open-ended: employment is not known
    assert experience["current_title"] == "Engineering Manager"
    assert report["fields"]["experience.total_years"]["from"] == ["work[0]", "work[1]", "work[2]"]


def test_an_open_ended_position_ends_on_the_as_of_day():
    doc = {"work": [{"position": "Product Manager", "startDate": "2024-12-02"}]}
    assert from_json_resume(doc, as_of="2026-12-02")[0]["experience"]["product_years"] == 2.0
    assert from_json_resume(doc, as_of="2025-12-02")[0]["experience"]["product_years"] == 1.0
    assert from_json_resume(doc, as_of="2026-12-02")[0]["employment"] == {"employed": True}


def test_overlapping_kinds_of_work_share_the_years_they_overlap():
    profile, _ = from_json_resume(
        {
            "work": [
                {
                    "position": "PM",
                    "startDate": "2020-01-01",
                    "endDate": "2022-01-01",
                    "summary": "retention and onboarding",
                },
                {
                    "position": "PM",
                    "startDate": "2021-01-01",
                    "endDate": "2022-01-01",
                    "summary": "internal platform APIs",
                },
            ]
        },
        as_of=AS_OF,
    )
    # 2020 is growth only; 2021 is shared by growth and scaling
    assert profile["work"] == {"growth": 1.5, "scaling": 0.5}
    assert sum(profile["work"].values()) <= profile["experience"]["product_years"]


def test_a_year_only_date_is_the_start_of_that_year_and_is_reported():
    _, report = from_json_resume(
        {"work": [{"position": "PM", "startDate": "2019", "endDate": "2021-06"}]}, as_of=AS_OF
    )
    assert report["assumptions"] == [
        {"where": "work[0].start", "what": "'2019' read as 2019-01-01, the start of that year"},
        {"where": "work[0].end", "what": "'2021-06' read as 2021-06-01, the start of that month"},
    ]
    assert report["fields"]["experience.product_years"]["how"] == "assumed"


def test_plain_statements_are_read_and_quoted_and_nothing_else_is():
    profile, report = from_json_resume(
        {
            "work": [
                {
                    "position": "Group Product Manager",
                    "startDate": "2022-01-01",
                    "summary": "Managed a team of 5 PMs. Launched 3 features. We like growth.",
                    "highlights": ["Own the product roadmap"],
                },
                {
                    "position": "Product Manager",
                    "startDate": "2018-01-01",
                    "endDate": "2022-01-01",
                    "summary": "Launched two products",
                },
            ]
        },
        as_of=AS_OF,
    )
    assert profile["track_record"] == {"launches": 5}  # 3 + 2, over the whole career
    assert profile["scope"] == {"leads_pms": True, "pm_reports": 5, "owns_roadmap": True}
    assert report["fields"]["track_record.launches"]["note"] == (
        'stated: "launched 3 features"; "launched two products"'
    )
    assert "scope.owns_budget" in report["unknown"]


def test_a_statement_in_a_past_position_says_nothing_about_today():
    profile, _ = from_json_resume(
        {
            "work": [
                {
                    "position": "Director of Product",
                    "startDate": "2015-01-01",
                    "endDate": "2020-01-01",
                    "summary": "Team of 9 product managers.",
                }
            ]
        },
        as_of=AS_OF,
    )
    assert "scope" not in profile


def test_titles_in_other_casing_count_and_unread_languages_are_named():
    _, report = from_json_resume(
        {
            "work": [
                {"position": "SENIOR product MANAGER", "startDate": "2020-01-01"},
                {
                    "position": "プロダクトマネージャー",
                    "startDate": "2016-01-01",
                    "endDate": "2019-12-31",
                },
            ]
        },
        as_of=AS_OF,
    )
    rules = [p["title_rule"] for p in report["positions"]]
    assert rules == ["senior-product-manager", None]
    assert report["positions"][1]["counts_as"] == ["professional"]


@pytest.mark.parametrize(
    ("title", "product", "management", "background"),
    [  # the table in docs/import.md, "Titles"
        ("Senior Product Manager, Growth", True, False, None),
        ("Group Product Manager", True, True, None),
        ("Head of Product", True, True, None),
        ("VP of Product", True, True, None),
        ("Chief Product Officer", True, True, None),
        ("Product Owner", True, False, None),
        ("Produktmanagerin", True, False, None),
        ("Chef de produit", True, False, None),
        ("Gerente de producto", True, False, None),
        ("Product Marketing Manager", False, False, "marketing"),
        ("Engineering Manager", False, True, "engineering"),
        ("Product Management Intern", False, False, None),
        ("Director of Product Design", False, True, "design"),
        ("プロダクトマネージャー", False, False, None),
    ],
)
def test_titles_count_as_docs_import_md_says(title, product, management, background):
    from pmpath.imports.mapping import rules_for

    read = rules_for(RULES).title(title)
    assert (read["product"], read["manages_people"], read["background"]) == (
        product,
        management,
        background,
    )


def test_greenhouse_sent_as_one_person_refuses_several():
    from pmpath.imports import import_one

    with pytest.raises(SourceError, match="2 candidates where one person was expected"):
        import_one(
            "greenhouse",
            [{"first_name": "A"}, {"first_name": "B"}],
            source="x",
            as_of=AS_OF,
            knowledge=RULES,
        )


def test_product_marketing_and_project_management_are_not_product_years():
    for title in (
        "Product Marketing Manager",
        "Project Manager",
        "Product Designer",
        "Product Management Intern",
    ):
        profile, _ = from_json_resume(
            {"work": [{"position": title, "startDate": "2020-01-01"}]}, as_of=AS_OF
        )
        assert profile["experience"]["product_years"] == 0.0, title


# -- bad sources: one clear line ---------------------------------------------------------
@pytest.mark.parametrize(
    ("content", "fmt", "code", "words"),
    [
        ("[1, 2, 3]", "json-resume", "I001", "not a JSON Resume"),
        (
            '{"work": [{"position": "PM", "startDate": "2019-02-30"}]}',
            "json-resume",
            "I004",
            "work[0].start: I004: '2019-02-30' is not a date",
        ),
        (
            '{"work": [{"position": "PM", "startDate": "2020-01-01", "endDate": "2019-01-01"}]}',
            "json-resume",
            "I005",
            "work[0]: I005: the position ends (2019-01-01) before it starts",
        ),
        ('{"work": [', "json-resume", "I002", "JSON syntax error"),
        ('{"name": "x"}', "greenhouse", "I001", "not a Greenhouse candidate"),
        ('{"hello": 1}', "auto", "I001", "cannot tell what this is"),
    ],
)
def test_a_bad_source_is_one_line_with_the_file_and_the_place(tmp_path, content, fmt, code, words):
    source = tmp_path / "source.json"
    source.write_text(content)
    result = CliRunner().invoke(cli, ["import", str(source), "--from", fmt, "--as-of", AS_OF])
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output
    assert lines[0].startswith(f"error: {source}: ")
    assert code in lines[0] and words in lines[0], lines[0]


def test_an_export_folder_without_positions_is_one_line(tmp_path):
    (tmp_path / "Education.csv").write_text("School Name,Degree Name\nX,BSc\n")
    result = CliRunner().invoke(cli, ["import", str(tmp_path), "--as-of", AS_OF])
    assert result.exit_code == 1
    assert "I003: a LinkedIn export holds Positions.csv" in result.output


def test_a_positions_file_that_is_not_linkedin_s_is_one_line(tmp_path):
    (tmp_path / "Positions.csv").write_text("name,when\nx,y\n")
    result = CliRunner().invoke(cli, ["import", str(tmp_path), "--as-of", AS_OF])
    assert result.exit_code == 1
    assert "Positions.csv:1: I002: Positions.csv has no column 'Title', 'Started On'" in (
        result.output
    )


def test_a_bad_as_of_is_a_usage_error(tmp_path):
    result = CliRunner().invoke(cli, ["import", "x.json", "--as-of", "tomorrow"])
    assert result.exit_code == 2
    assert "'tomorrow' is not a date" in result.output


def test_the_linkedin_zip_reads_like_its_folder(tmp_path):
    import zipfile

    folder = FIXTURES / "linkedin" / "current-pm"
    archive = tmp_path / "Basic_LinkedInDataExport_12-01-2026.zip"
    with zipfile.ZipFile(archive, "w") as z:
        for f in sorted(folder.iterdir()):
            z.write(f, f"Basic_LinkedInDataExport/{f.name}")
    from_zip, _ = from_linkedin(archive, as_of=AS_OF)
    from_folder, _ = from_linkedin(folder, as_of=AS_OF)
    assert from_zip == from_folder


# -- determinism ---------------------------------------------------------------------------
def test_the_same_source_and_day_give_byte_identical_output_as_a_real_subprocess(tmp_path):
    source = FIXTURES / "json-resume" / "senior-growth-pm.json"
    outputs = []
    for n in range(2):
        report = tmp_path / f"report{n}.json"
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "pmpath.cli.main",
                "import",
                str(source),
                "--as-of",
                AS_OF,
                "--report",
                str(report),
            ],
            capture_output=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
        outputs.append((done.stdout, report.read_bytes()))
    assert outputs[0] == outputs[1]
    assert b"as of 2026-12-02" in outputs[0][0]


def test_without_as_of_it_is_today_and_says_so(tmp_path):
    source = FIXTURES / "json-resume" / "overlapping-jobs.json"
    result = run("import", str(source))
    assert f"as of {date.today().isoformat()}" in result.output


# -- the written profile ---------------------------------------------------------------
@pytest.mark.parametrize("fmt", ["json-resume", "linkedin", "greenhouse"])
def test_the_commented_yaml_reads_back_as_the_profile_and_is_valid(fmt):
    for path in sorted((FIXTURES / fmt).iterdir()):
        for profile, report in import_path(str(path), fmt, as_of=AS_OF):
            text = profile_yaml(profile, report)
            assert yaml.safe_load(text) == profile, path
            check_profile(profile)
            assert "# Not known from the source" in text


def test_recommend_on_an_import_shows_the_certainty_and_the_questions(tmp_path):
    out = tmp_path / "me.yaml"
    source = FIXTURES / "json-resume" / "senior-growth-pm.json"
    assert run("import", str(source), "--as-of", AS_OF, "-o", str(out)).exit_code == 0
    result = run("recommend", str(out))
    assert result.output.startswith(
        "Ada Park: at least Product Manager, possibly Chief Product Officer: answer"
    )
    assert "Questions" in result.output


def test_many_candidates_come_out_as_jsonl():
    source = FIXTURES / "greenhouse" / "several-candidates.json"
    result = run("import", str(source), "--as-of", AS_OF)
    lines = [json.loads(line) for line in result.output.splitlines()]
    assert [r["profile"]["id"] for r in lines] == ["greenhouse-1", "greenhouse-2", "greenhouse-3"]
    assert all(r["import"]["format"] == "greenhouse" for r in lines)
    refused = CliRunner().invoke(cli, ["import", str(source), "--format", "yaml"])
    assert refused.exit_code == 2 and "--format jsonl" in refused.output


# -- batch and fit read the sources directly -------------------------------------------------
def test_batch_scores_a_greenhouse_export_and_a_bad_candidate_is_an_error_record(tmp_path):
    people = json.loads((FIXTURES / "greenhouse" / "several-candidates.json").read_text())
    broken = copy.deepcopy(people[0])
    broken["id"] = 99
    broken["employments"][0]["start_date"] = "not a date"
    export = tmp_path / "export.json"
    export.write_text(json.dumps([people[0], broken, people[1]]))
    out = tmp_path / "scores.jsonl"
    result = run(
        "batch", str(export), "--input-format", "greenhouse", "--as-of", AS_OF, "-o", str(out)
    )
    assert result.exit_code == 1  # one error record; the others are scored
    records = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r["ok"] for r in records] == [True, False, True]
    assert records[1]["error"]["code"] == "I004"
    assert records[1]["error"]["path"] == "employments[0].start"
    assert records[0]["import"]["as_of"] == AS_OF
    assert records[0]["recommendation"]["profile"]["id"] == "greenhouse-1"


def test_batch_reads_json_resumes_a_folder_of_them_and_a_jsonl_of_them(tmp_path):
    folder = FIXTURES / "json-resume"
    out = tmp_path / "scores.jsonl"
    assert (
        run(
            "batch", str(folder), "--input-format", "json-resume", "--as-of", AS_OF, "-o", str(out)
        ).exit_code
        == 0
    )
    records = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(records) == len(list(folder.glob("*.json")))
    pool = tmp_path / "resumes.jsonl"
    pool.write_text(
        "".join(json.dumps(json.loads(p.read_text())) + "\n" for p in sorted(folder.glob("*.json")))
    )
    out2 = tmp_path / "scores2.jsonl"
    assert (
        run(
            "batch", str(pool), "--input-format", "json-resume", "--as-of", AS_OF, "-o", str(out2)
        ).exit_code
        == 0
    )
    levels = [r["recommendation"]["level"] for r in records]
    assert [
        json.loads(line)["recommendation"]["level"] for line in out2.read_text().splitlines()
    ] == levels


def test_fit_scores_a_cv_directly():
    source = FIXTURES / "linkedin" / "director"
    result = run(
        "fit",
        str(source),
        "--input-format",
        "linkedin",
        "--as-of",
        AS_OF,
        "--role",
        "director",
        "--format",
        "json",
    )
    assert result.exit_code == 0
    assert json.loads(result.output)["role"]["id"] == "director"


# -- properties of the year rules --------------------------------------------------------
TITLES = [
    "Product Manager",
    "Senior Product Manager",
    "Software Engineer",
    "Sales Manager",
    "Director of Product",
    "Designer",
    "Head of Product",
    "Consultant",
]
days = st.dates(min_value=date(2000, 1, 1), max_value=date(2026, 12, 1))


@st.composite
def positions(draw):
    start = draw(days)
    end = draw(st.one_of(st.none(), st.dates(min_value=start, max_value=date(2026, 12, 1))))
    job = {"position": draw(st.sampled_from(TITLES)), "startDate": start.isoformat()}
    if end is not None:
        job["endDate"] = end.isoformat()
    return job


@settings(max_examples=150, deadline=None)
@given(st.lists(positions(), max_size=6), positions())
def test_adding_a_position_never_lowers_professional_years(work, extra):
    before = from_json_resume({"work": work}, as_of=AS_OF, knowledge=RULES)[0]
    after = from_json_resume({"work": [*work, extra]}, as_of=AS_OF, knowledge=RULES)[0]
    assert after["experience"]["total_years"] >= before["experience"]["total_years"]
    assert after["experience"]["product_years"] >= before["experience"]["product_years"]


@settings(max_examples=150, deadline=None)
@given(st.lists(positions(), min_size=1, max_size=6), st.data())
def test_removing_a_product_title_never_raises_product_years(work, data):
    i = data.draw(st.integers(0, len(work) - 1))
    changed = copy.deepcopy(work)
    changed[i]["position"] = "Sales Associate"
    before = from_json_resume({"work": work}, as_of=AS_OF, knowledge=RULES)[0]
    after = from_json_resume({"work": changed}, as_of=AS_OF, knowledge=RULES)[0]
    assert after["experience"]["product_years"] <= before["experience"]["product_years"]
    assert after["experience"]["total_years"] == before["experience"]["total_years"]


@settings(max_examples=150, deadline=None)
@given(st.lists(positions(), max_size=6))
def test_an_import_is_always_a_valid_profile(work):
    for job in work:
        job["summary"] = "growth retention internal platform apis new markets user research"
    profile, _ = from_json_resume({"work": work}, as_of=AS_OF, knowledge=RULES)
    check_profile(profile)
    experience = profile["experience"]
    assert experience["product_years"] <= experience["total_years"]
    assert round(sum(profile.get("work", {}).values()), 1) <= experience["product_years"]


def test_the_api_returns_a_profile_and_its_report_for_each_source():
    profile, report = from_json_resume(
        (FIXTURES / "json-resume" / "career-switcher.json").read_text(), as_of=AS_OF
    )
    assert report["format"] == "json-resume" and profile["experience"]["background"] == "marketing"
    people = from_greenhouse(
        (FIXTURES / "greenhouse" / "several-candidates.json").read_bytes(), as_of=AS_OF
    )
    assert len(people) == 3
    with pytest.raises(SourceError) as caught:
        from_json_resume({"work": "nope"}, as_of=AS_OF)
    assert caught.value.code == "I001"
