"""The same profile gives the same answer once, 10,000 times in a row, or from 8 threads."""

from __future__ import annotations

import threading

import pytest

PROFILE = {
    "experience": {"total_years": 9, "product_years": 6, "people_management_years": 2},
    "work": {"feature": 3, "growth": 3},
    "scope": {
        "leads_pms": True,
        "pm_reports": 2,
        "owns_roadmap": True,
        "strategy_horizon_months": 6,
        "presents_to_executives": True,
    },
    "strengths": {"communication": 4, "strategic_thinking": 2},
    "track_record": {"launches": 5, "mentors_pms": 1},
}


def test_ten_thousand_calls_in_a_row_give_the_same_answer(engine):
    expected = engine.recommend(PROFILE).to_json()
    for _ in range(10_000):
        assert engine.recommend(PROFILE).to_json(indent=None) is not None
    assert engine.recommend(PROFILE).to_json() == expected


@pytest.mark.parametrize("calls", [1_500])
def test_the_stock_host_never_hits_the_1024_state_limit(host_engine, calls):
    """durable allows 1,024 live states per ruleset; each call must free its own."""
    expected = host_engine.recommend(PROFILE).to_json()
    answers = {host_engine.recommend(PROFILE).to_json() for _ in range(calls)}
    assert answers == {expected}


def test_eight_threads_at_once_get_the_same_answer(engine):
    expected = engine.recommend(PROFILE).to_json()
    results: list[set[str]] = []
    errors: list[BaseException] = []
    start = threading.Barrier(8)

    def work() -> None:
        try:
            start.wait()
            results.append({engine.recommend(PROFILE).to_json() for _ in range(300)})
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert results == [{expected}] * 8


def test_eight_threads_with_different_profiles_match_sequential_results(engine):
    profiles = []
    for years in range(40):
        p = {
            "experience": {"total_years": years, "product_years": years * 0.7},
            "scope": {"leads_pms": years % 2 == 0, "pm_reports": years % 5},
            "track_record": {"launches": years},
        }
        profiles.append(p)
    sequential = [engine.recommend(p).to_json() for p in profiles]
    out: dict[int, list[str]] = {}

    def work(i: int) -> None:
        out[i] = [engine.recommend(p).to_json() for p in profiles]

    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(out[i] == sequential for i in range(8))
