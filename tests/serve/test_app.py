"""The app of one worker, driven in this process: readiness while the engine loads, a
load that fails, and a bug answered as data."""

from __future__ import annotations

import json
import threading

import pytest
from asgi import Driver

from pmpath import Engine
from pmpath.serve.app import create_app
from pmpath.serve.config import ServeConfig
from pmpath.serve.service import Service

PROFILE = {"input": {"experience": {"total_years": 3, "product_years": 2}}}


@pytest.fixture(scope="module")
def engine():
    built = Engine.load()
    yield built
    built.close()


def test_until_the_engine_is_loaded_health_answers_and_the_rest_is_503(engine):
    release = threading.Event()
    ready = threading.Event()

    def load() -> Service:
        assert release.wait(30)
        return Service(engine, max_batch=10)

    driver = Driver(create_app(ServeConfig(), load, on_ready=ready.set))
    driver.start()
    try:
        status, _, body = driver.request("GET", "/health")
        assert status == 200 and json.loads(body)["alive"] is True
        for method, path in (("GET", "/ready"), ("POST", "/v1/recommend"), ("GET", "/")):
            status, headers, body = driver.request(method, path, PROFILE)
            assert status == 503, path
            assert json.loads(body)["error"]["code"] == "S006"
            assert headers["retry-after"] == "1"
            assert "x-pmpath-knowledge-version" not in headers  # not known yet
        release.set()
        assert ready.wait(30)
        status, headers, body = driver.request("GET", "/ready")
        assert status == 200
        assert headers["x-pmpath-knowledge-version"] == engine.knowledge_version
        status, _, _ = driver.request("POST", "/v1/recommend", PROFILE)
        assert status == 200
    finally:
        release.set()
        driver.close()


def test_an_engine_that_cannot_load_leaves_the_service_not_ready_saying_why():
    failed: list[str] = []
    done = threading.Event()

    def load() -> Service:
        raise MemoryError("no room for the rules")

    def on_failure(reason: str) -> None:
        failed.append(reason)
        done.set()

    driver = Driver(create_app(ServeConfig(), load, on_failure=on_failure))
    driver.start()
    try:
        assert done.wait(30)
        status, _, body = driver.request("GET", "/ready")
        assert status == 503
        assert (
            "could not be loaded (MemoryError: no room for the rules)"
            in json.loads(body)["error"]["message"]
        )
        assert failed == ["MemoryError: no room for the rules"]
    finally:
        driver.close()


def test_a_bug_in_a_decision_is_a_500_as_data_and_the_service_goes_on(engine):
    class Broken(Service):
        def recommend(self, body, decision):
            raise RuntimeError("boom")

    ready = threading.Event()
    driver = Driver(
        create_app(ServeConfig(), lambda: Broken(engine, max_batch=10), on_ready=ready.set)
    )
    driver.start()
    try:
        assert ready.wait(30)
        status, _, body = driver.request("POST", "/v1/recommend", PROFILE)
        assert status == 500
        error = json.loads(body)["error"]
        assert error["code"] == "E000"
        assert "a bug in pmpath" in error["message"] and "boom" in error["message"]
        status, _, _ = driver.request("POST", "/v1/fit", {**PROFILE, "role": "pm"})
        assert status == 200
    finally:
        driver.close()
