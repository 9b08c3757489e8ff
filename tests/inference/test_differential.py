"""durable_rules and the plain-Python reference evaluator must always agree.

The reference evaluator reads the same compiled rules without durable_rules;
it is the oracle. Equal sets of fired rules mean equal recommendations (the
assembly is shared), and a sample is also compared byte for byte.
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from strategies import any_profiles

SETTINGS = dict(deadline=None, suppress_health_check=list(HealthCheck), database=None)


@settings(max_examples=5000, **SETTINGS)
@given(any_profiles)
def test_durable_and_the_reference_evaluator_fire_the_same_rules(engine, profile):
    normalised, derived = engine.prepare(profile)
    assert set(engine.infer(normalised, derived)) == set(
        engine.infer_reference(normalised, derived)
    )


@settings(max_examples=500, **SETTINGS)
@given(any_profiles)
def test_durable_and_the_reference_evaluator_give_byte_identical_recommendations(engine, profile):
    assert engine.recommend(profile).to_json() == engine.recommend_reference(profile).to_json()


@settings(max_examples=300, **SETTINGS)
@given(any_profiles)
def test_the_lean_driver_and_durables_stock_host_agree(engine, host_engine, profile):
    assert engine.recommend(profile).to_json() == host_engine.recommend(profile).to_json()
