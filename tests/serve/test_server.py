"""`pmpath serve` as a real subprocess on loopback: every endpoint, every error status,
two workers, metrics across them, the audit log, and latency on keep-alive."""

from __future__ import annotations

import hashlib
import json
import re
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from harness import Server

pytestmark = [pytest.mark.timeout(240)]

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples" / "profiles"
SENIOR = yaml.safe_load((EXAMPLES / "senior-pm.yaml").read_text())
TWO_FIELDS = {"experience": {"total_years": 12, "product_years": 10}}


def pmpath(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "pmpath.cli.main", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture(scope="module")
def audit_path(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("serve") / "decisions.jsonl"


@pytest.fixture(scope="module")
def server(audit_path):
    with Server(
        "--workers", "2", "--max-batch", "3", "--max-body", "64KiB", "--audit-log", str(audit_path)
    ) as running:
        yield running


# -- decisions ---------------------------------------------------------------------------
def test_recommend_answers_the_envelope_around_output_v1(server):
    answer = server.call("POST", "/v1/recommend", {"input": SENIOR})
    assert answer.status == 200
    body = answer.json()
    assert list(body) == ["decision_id", "pmpath_version", "knowledge_version", "result"]
    expected = json.loads(
        pmpath("recommend", str(EXAMPLES / "senior-pm.yaml"), "--format", "json").stdout
    )
    assert body["result"] == expected
    assert body["knowledge_version"] == expected["knowledge_version"]
    assert answer.headers["x-pmpath-knowledge-version"] == expected["knowledge_version"]
    assert answer.headers["x-request-id"] == body["decision_id"]
    assert re.fullmatch(r"[0-9a-f-]{36}", body["decision_id"])


def test_the_same_profile_gets_a_byte_identical_result(server):
    first = server.call("POST", "/v1/recommend", {"input": SENIOR}, {"X-Request-Id": "same-1"})
    second = server.call("POST", "/v1/recommend", {"input": SENIOR}, {"X-Request-Id": "same-1"})
    assert first.body == second.body


def test_a_request_id_becomes_the_decision_id(server):
    answer = server.call(
        "POST", "/v1/recommend", {"input": TWO_FIELDS}, {"X-Request-Id": "ats:cand-42/7"}
    )
    assert answer.json()["decision_id"] == "ats:cand-42/7"
    assert answer.headers["x-request-id"] == "ats:cand-42/7"


def test_a_malformed_request_id_is_refused_as_data(server):
    answer = server.call("POST", "/v1/recommend", {"input": TWO_FIELDS}, {"X-Request-Id": "a b<c>"})
    assert answer.status == 400
    assert answer.json()["error"]["code"] == "S002"
    assert answer.json()["error"]["path"] == "X-Request-Id"


def test_explain_adds_which_conditions_of_each_gap_failed(server):
    answer = server.call("POST", "/v1/recommend", {"input": SENIOR, "explain": True})
    body = answer.json()
    gaps = body["result"]["next_level"]["gaps"]
    assert [e["requirement"] for e in body["explanation"]] == [g["requirement"] for g in gaps]
    assert "explanation" not in server.call("POST", "/v1/recommend", {"input": SENIOR}).json()


def test_unknown_stays_unknown_through_the_service(server):
    result = server.call("POST", "/v1/recommend", {"input": TWO_FIELDS}).json()["result"]
    assert result["level"]["certainty"] == "at_least"
    assert result["questions"]


def test_fit_answers_the_envelope_around_fit_v1(server):
    answer = server.call(
        "POST", "/v1/fit", {"input": SENIOR, "role": "senior_pm", "specialization": "growth"}
    )
    assert answer.status == 200
    body = answer.json()
    expected = json.loads(
        pmpath(
            "fit",
            str(EXAMPLES / "senior-pm.yaml"),
            "--role",
            "senior_pm",
            "--specialization",
            "growth",
            "--format",
            "json",
        ).stdout
    )
    assert body["result"] == expected


def test_fit_for_an_unknown_role_is_422_naming_the_role(server):
    answer = server.call("POST", "/v1/fit", {"input": SENIOR, "role": "senior pm"})
    assert answer.status == 422
    error = answer.json()["error"]
    assert error["code"] == "F001" and error["path"] == "role"
    assert "senior_pm" in error["message"]


def test_batch_gives_each_item_the_record_pmpath_batch_writes(server, tmp_path):
    items = [SENIOR, {"experience": {"total_years": "x"}}, TWO_FIELDS]
    answer = server.call("POST", "/v1/batch", {"inputs": items})
    assert answer.status == 200
    results = answer.json()["results"]
    assert [r["ok"] for r in results] == [True, False, True]
    assert [r["source"] for r in results] == ["inputs[0]", "inputs[1]", "inputs[2]"]
    pool = tmp_path / "pool.jsonl"
    pool.write_text("".join(json.dumps(i) + "\n" for i in items))
    out = tmp_path / "out.jsonl"
    pmpath("batch", str(pool), "-o", str(out))
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    for mine, theirs in zip(results, lines, strict=True):
        for key in ("source", "line", "id"):
            mine.pop(key), theirs.pop(key)
        if "error" in mine:
            mine["error"].pop("line", None), theirs["error"].pop("line", None)
        assert mine == theirs


def test_batch_with_a_role_carries_each_fit(server):
    answer = server.call("POST", "/v1/batch", {"inputs": [SENIOR], "role": "senior_pm"})
    (record,) = answer.json()["results"]
    assert record["fit"]["role"]["id"] == "senior_pm"


def test_batch_with_summary_detail_gives_each_item_the_summary_record(server, tmp_path):
    items = [SENIOR, {"experience": {"total_years": "x"}}, TWO_FIELDS]
    body = {"inputs": items, "detail": "summary", "role": "senior_pm"}
    results = server.call("POST", "/v1/batch", body).json()["results"]
    pool = tmp_path / "pool.jsonl"
    pool.write_text("".join(json.dumps(i) + "\n" for i in items))
    out = tmp_path / "out.jsonl"
    pmpath("batch", str(pool), "-o", str(out), "--detail", "summary", "--role", "senior_pm")
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r["ok"] for r in results] == [True, False, True]
    assert [r["summary"] for r in results if r["ok"]] == [r["summary"] for r in lines if r["ok"]]
    assert results[0]["summary"]["fit"]["role"] == "senior_pm"
    answer = server.call("POST", "/v1/batch", {"inputs": items, "detail": "short"})
    assert answer.status == 400
    assert answer.json()["error"]["code"] == "S002"
    assert answer.json()["error"]["path"] == "detail"


def test_a_batch_over_the_limit_is_413(server):
    answer = server.call("POST", "/v1/batch", {"inputs": [TWO_FIELDS] * 4})
    assert answer.status == 413
    assert answer.json()["error"]["code"] == "S005"
    assert "--max-batch" in answer.json()["error"]["message"]


# -- errors as data ----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("body", "code", "path"),
    [
        (b"not json", "S001", ""),
        (b"", "S001", ""),
        (b"\xff\xfe", "S001", ""),
        (b'{"input": {}, "input": {}}', "S001", ""),
        (b"[1, 2]", "S002", ""),
        (b'{"profile": {}}', "S002", "profile"),
        (
            b'{"input": {"experience": {"total_years": 3, "product_years": 1}}, "explian": true}',
            "S002",
            "explian",
        ),
        (b'{"input": "me.yaml"}', "S002", "input"),
        (b'{"input": {}, "explain": "yes"}', "S002", "explain"),
    ],
)
def test_a_request_that_is_not_the_envelope_is_400(server, body, code, path):
    answer = server.call("POST", "/v1/recommend", body, {"Content-Type": "application/json"})
    assert answer.status == 400, answer.body
    error = answer.json()["error"]
    assert (error["code"], error["path"]) == (code, path)
    assert error["message"]


def test_a_bad_profile_is_422_with_its_code_and_field(server):
    answer = server.call(
        "POST",
        "/v1/recommend",
        {"input": {"experience": {"total_years": 3, "product_years": 1, "titel": "PM"}}},
    )
    assert answer.status == 422
    assert answer.json()["error"]["code"] == "P005"
    assert answer.json()["error"]["path"] == "experience.titel"
    assert answer.headers["x-pmpath-knowledge-version"]


def test_a_body_over_the_limit_is_413_on_its_content_length(server):
    big = b'{"input": {"name": "' + b"x" * (70 * 1024) + b'"}}'
    answer = server.call("POST", "/v1/recommend", big)
    assert answer.status == 413
    assert answer.json()["error"]["code"] == "S004"
    assert "64KiB" in answer.json()["error"]["message"]


def test_a_body_over_the_limit_is_413_while_reading_a_chunked_one(server):
    # no Content-Length: the limit can only be seen while reading
    head = (
        b"POST /v1/recommend HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        b"Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
    )
    chunk = b"x" * 6000
    body = (b"%x\r\n" % len(chunk) + chunk + b"\r\n") * 12 + b"0\r\n\r\n"  # 72,000 bytes
    with socket.create_connection(("127.0.0.1", server.port), timeout=30) as sock:
        sock.sendall(head + body)
        received = b""
        while b"\r\n\r\n" not in received or not received.rstrip().endswith(b"}"):
            data = sock.recv(65536)
            if not data:
                break
            received += data
    status_line, _, rest = received.partition(b"\r\n")
    assert status_line.split()[1] == b"413", received[:200]
    assert json.loads(rest.split(b"\r\n\r\n", 1)[1])["error"]["code"] == "S004"


def test_no_such_path_is_404_and_a_wrong_method_405_as_data(server):
    missing = server.call("GET", "/v2/recommend")
    assert missing.status == 404 and missing.json()["error"]["code"] == "S007"
    wrong = server.call("GET", "/v1/recommend")
    assert wrong.status == 405 and wrong.json()["error"]["code"] == "S008"
    assert wrong.headers["allow"] == "POST"
    assert (
        missing.headers["x-pmpath-knowledge-version"] == wrong.headers["x-pmpath-knowledge-version"]
    )


# -- reading -----------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["profile", "output", "fit", "summary", "serve"])
def test_the_schemas_are_the_ones_pmpath_schema_prints(server, name):
    answer = server.call("GET", f"/v1/schemas/{name}")
    assert answer.status == 200
    assert answer.json() == json.loads(pmpath("schema", name).stdout)


def test_an_unknown_schema_is_404(server):
    answer = server.call("GET", "/v1/schemas/knowledge")
    assert answer.status == 404 and answer.json()["error"]["path"] == "name"


def test_every_answer_validates_against_the_openapi_document(server):
    from jsonschema import Draft202012Validator
    from referencing import Registry, Resource

    spec = server.call("GET", "/openapi.json").json()
    assert spec["openapi"] == "3.1.0"
    resource = Resource.from_contents(
        spec, default_specification=__import__("referencing.jsonschema").jsonschema.DRAFT202012
    )
    registry = Registry().with_resource("urn:pmpath-openapi", resource)

    def check(component: str, value) -> None:
        schema = {"$ref": f"urn:pmpath-openapi#/components/schemas/{component}"}
        Draft202012Validator(schema, registry=registry).validate(value)

    check("Decision", server.call("POST", "/v1/recommend", {"input": SENIOR}).json())
    check("Output", server.call("POST", "/v1/recommend", {"input": SENIOR}).json()["result"])
    check("Fit", server.call("POST", "/v1/fit", {"input": SENIOR, "role": "pm"}).json()["result"])
    check("BatchAnswer", server.call("POST", "/v1/batch", {"inputs": [SENIOR, 1]}).json())
    check("Error", server.call("POST", "/v1/recommend", b"{").json())
    check("Ready", server.call("GET", "/ready").json())
    check("Health", server.call("GET", "/health").json())
    check("RecommendRequest", {"input": SENIOR, "explain": True})
    with pytest.raises(Exception, match="Additional properties"):
        check("RecommendRequest", {"input": SENIOR, "explian": True})
    # every $ref points at something
    text = json.dumps(spec)
    for ref in set(re.findall(r'"\$ref": "#/components/(\w+)/(\w+)"', text)):
        assert ref[1] in spec["components"][ref[0]], ref


def test_health_and_ready_and_both_workers_answer(server):
    assert server.call("GET", "/health").json()["alive"] is True
    seen = set()
    for _ in range(200):  # new connections: the kernel hands them to either worker
        ready = server.call("GET", "/ready").json()
        assert ready["ready"] is True and ready["workers"] == 2
        seen.add(ready["pid"])
        if len(seen) == 2:
            break
    assert seen == set(server.pids)


def _samples(text: str, name: str, **labels: str) -> float:
    total = 0.0
    for line in text.splitlines():
        if not line.startswith(name + "{"):
            continue
        head, value = line.rsplit(" ", 1)
        found = dict(re.findall(r'(\w+)="([^"]*)"', head))
        if all(found.get(k) == v for k, v in labels.items()):
            total += float(value)
    return total


def test_metrics_add_up_across_the_workers(server):
    before = server.call("GET", "/metrics").body.decode()
    pids = set()
    sent = 0
    # new connections, so both workers take some; which worker accepts one is the
    # kernel's choice, and on a loaded machine one may take a long run of them: go on
    # (at most 400) until both have answered
    while sent < 40 or (len(pids) < 2 and sent < 400):
        server.call("POST", "/v1/recommend", {"input": TWO_FIELDS})
        sent += 1
        pids.add(server.call("GET", "/ready").json()["pid"])
    server.call(
        "POST", "/v1/recommend", {"input": {"experience": {"total_years": -1, "product_years": 0}}}
    )
    after = server.call("GET", "/metrics").body.decode()
    assert len(pids) == 2  # both counted
    name = "pmpath_requests_total"
    delta = _samples(after, name, endpoint="/v1/recommend", status="200") - _samples(
        before, name, endpoint="/v1/recommend", status="200"
    )
    assert delta == sent
    assert (
        _samples(after, name, endpoint="/v1/recommend", status="422")
        - _samples(before, name, endpoint="/v1/recommend", status="422")
        == 1
    )
    assert _samples(after, "pmpath_errors_total", code="P007") >= 1
    assert (
        _samples(after, "pmpath_decisions_total", kind="recommend", level="apm")
        - _samples(before, "pmpath_decisions_total", kind="recommend", level="apm")
        == sent
    )
    count = _samples(after, "pmpath_request_duration_seconds_count", endpoint="/v1/recommend")
    assert count == _samples(after, name, endpoint="/v1/recommend")


def test_the_audit_log_holds_one_line_per_decision_with_its_id(server, audit_path):
    ids = [f"audit-{i}" for i in range(5)]
    for rid in ids:
        server.call("POST", "/v1/recommend", {"input": TWO_FIELDS}, {"X-Request-Id": rid})
    answer = server.call(
        "POST", "/v1/batch", {"inputs": [SENIOR, 7]}, {"X-Request-Id": "audit-batch"}
    )
    deadline = time.monotonic() + 10
    while True:
        records = [json.loads(line) for line in audit_path.read_text().splitlines()]
        mine = [r for r in records if r.get("decision_id", "").startswith("audit-")]
        if len(mine) == 7 or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    by_id = {r["decision_id"]: r for r in mine if r["kind"] == "recommend"}
    assert sorted(by_id) == ids
    canonical = json.dumps(TWO_FIELDS, sort_keys=True, separators=(",", ":")).encode()
    for record in by_id.values():
        assert record["input_sha256"] == hashlib.sha256(canonical).hexdigest()
        assert record["output"]["level"]["id"] == "apm"
    batch = [r for r in mine if r["decision_id"] == "audit-batch"]
    assert [r["request"]["item"] for r in batch] == [0, 1]
    assert [r["output"]["ok"] for r in batch] == [True, False]
    assert batch[0]["output"] == answer.json()["results"][0]


def test_keep_alive_latency_at_concurrency_one_with_two_workers(server):
    """Catches a lost TCP_NODELAY: each keep-alive request after the first would wait
    for a delayed ACK, about 40 ms (uvicorn issue 3149)."""
    client = server.client()
    times = []
    for _ in range(120):
        started = time.perf_counter()
        answer = client.call("POST", "/v1/recommend", {"input": SENIOR})
        times.append(time.perf_counter() - started)
        assert answer.status == 200
    client.close()
    assert statistics.median(times[20:]) < 0.020, statistics.median(times[20:])


# -- CVs and exports sent as they are -----------------------------------------------------
IMPORTS = ROOT / "tests" / "imports" / "fixtures"


def test_a_json_resume_is_imported_and_decided_with_its_report(server):
    resume = json.loads((IMPORTS / "json-resume" / "senior-growth-pm.json").read_text())
    answer = server.call(
        "POST", "/v1/recommend", {"input": resume, "format": "json-resume", "as_of": "2026-12-02"}
    )
    assert answer.status == 200, answer.body
    body = answer.json()
    assert body["import"]["as_of"] == "2026-12-02"
    assert body["import"]["fields"]["experience.product_years"]["value"] == 8.9
    assert body["result"]["profile"]["name"] == "Ada Park"


def test_a_linkedin_export_is_sent_as_its_csv_texts(server):
    folder = IMPORTS / "linkedin" / "current-pm"
    files = {f.name: f.read_text() for f in sorted(folder.iterdir())}
    answer = server.call(
        "POST",
        "/v1/fit",
        {"input": files, "format": "linkedin", "as_of": "2026-12-02", "role": "pm"},
    )
    assert answer.status == 200, answer.body
    assert answer.json()["import"]["format"] == "linkedin"


def test_a_bad_cv_is_422_with_its_code_and_place(server):
    answer = server.call(
        "POST",
        "/v1/recommend",
        {
            "input": {"work": [{"position": "PM", "startDate": "2020-13-01"}]},
            "format": "json-resume",
        },
    )
    assert answer.status == 422
    assert answer.json()["error"]["code"] == "I004"
    assert answer.json()["error"]["path"] == "work[0].start"
    several = server.call(
        "POST",
        "/v1/recommend",
        {"input": [{"first_name": "A"}, {"first_name": "B"}], "format": "greenhouse"},
    )
    assert several.status == 400  # input must be an object: one person
    unknown = server.call("POST", "/v1/recommend", {"input": {}, "format": "word-doc"})
    assert unknown.status == 400 and unknown.json()["error"]["path"] == "format"
    bad_day = server.call(
        "POST", "/v1/recommend", {"input": {}, "format": "json-resume", "as_of": "soon"}
    )
    assert bad_day.status == 400 and bad_day.json()["error"]["path"] == "as_of"


# -- the page's answers are decisions too ---------------------------------------------------
def test_an_answer_the_page_gives_is_in_the_audit_log(server, audit_path):
    form = "experience.total_years=4&experience.product_years=3&name=Page+Person"
    answer = server.call(
        "POST", "/", form.encode(), {"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert answer.status == 200
    assert b'data-level="' in answer.body and b"Page Person" in answer.body
    assert answer.headers["content-security-policy"].startswith("default-src 'none'")
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        records = [json.loads(line) for line in audit_path.read_text().splitlines()]
        if any(r["request"].get("endpoint") == "/" for r in records):
            break
        time.sleep(0.1)
    page = [r for r in records if r["request"].get("endpoint") == "/"]
    assert len(page) == 1 and page[0]["decision_id"]
    canonical = json.dumps(
        {"name": "Page Person", "experience": {"total_years": 4, "product_years": 3}},
        sort_keys=True,
        separators=(",", ":"),
    ).encode()
    assert page[0]["input_sha256"] == hashlib.sha256(canonical).hexdigest()


def test_the_page_downloads_the_filled_profile_as_yaml(server):
    form = "experience.total_years=4&experience.product_years=3&scope.owns_roadmap=yes"
    answer = server.call(
        "POST",
        "/profile.yaml",
        form.encode(),
        {"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert answer.status == 200
    assert answer.headers["content-disposition"] == 'attachment; filename="pmpath-profile.yaml"'
    data = yaml.safe_load(answer.body)
    assert data == {
        "schema_version": 1,
        "experience": {"total_years": 4, "product_years": 3},
        "scope": {"owns_roadmap": True},
    }
