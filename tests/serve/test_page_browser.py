"""The self-assessment page in a real headless Chromium (Debian's chromium and
chromium-driver, driven by selenium; nothing downloads a browser).

Without the browser the test is skipped, unless ``PMPATH_REQUIRE_BROWSER=1``
(``.ci/run`` sets it, after installing the browser), where it fails instead.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from harness import Server

pytestmark = [pytest.mark.timeout(240)]

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
ROOT = Path(__file__).resolve().parents[2]


def _browser_missing() -> str | None:
    for path in (CHROMIUM, CHROMEDRIVER):
        if not os.path.exists(path):
            return f"{path} is not installed (Debian packages chromium and chromium-driver)"
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed (pip install -e '.[test]')"
    return None


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    missing = _browser_missing()
    if missing:
        if os.environ.get("PMPATH_REQUIRE_BROWSER") == "1":
            pytest.fail(f"the browser test must run here: {missing}")
        pytest.skip(missing)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    profile_dir = tmp_path_factory.mktemp("chromium-profile")
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={profile_dir}",
        "--window-size=1200,1600",
    ):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(60)
    yield driver
    driver.quit()


@pytest.fixture(scope="module")
def server():
    with Server() as running:
        yield running


def _wait_for(driver, element_id: str):
    """The element, once the page that has it has loaded (bounded: 30 s)."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, 30).until(
        expected_conditions.presence_of_element_located((By.ID, element_id))
    )


def _fill(driver, values: dict[str, str]) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    for path, value in values.items():
        anchor = "f-" + path.replace(".", "-")
        if value in ("yes", "no"):
            driver.find_element(By.ID, f"{anchor}-{value}").click()
            continue
        element = driver.find_element(By.ID, anchor)
        if element.tag_name == "select":
            Select(element).select_by_value(value)
        else:
            element.clear()
            element.send_keys(value)


SENIOR = {
    "name": "Sam <b>Senior</b>",
    "experience.total_years": "9",
    "experience.product_years": "6",
    "experience.people_management_years": "2",
    "work.feature": "3",
    "work.growth": "3",
    "scope.leads_pms": "yes",
    "scope.owns_roadmap": "yes",
    "scope.strategy_horizon_months": "6",
    "scope.presents_to_executives": "yes",
    "track_record.launches": "5",
    "track_record.end_to_end_project": "yes",
}


def test_a_senior_pm_fills_the_form_leaves_two_unknown_and_reads_the_answer(
    browser, server, tmp_path
):
    from selenium.webdriver.common.by import By

    browser.get(f"http://127.0.0.1:{server.port}/")
    assert "product manager career path" in browser.title
    _fill(browser, SENIOR)
    # two answers this person does not know
    browser.find_element(By.ID, "f-scope-pm_reports-unknown").click()
    browser.find_element(By.ID, "f-track_record-mentors_pms-unknown").click()
    browser.find_element(By.ID, "submit").click()

    result = _wait_for(browser, "result")
    assert result.get_attribute("data-level") == "senior_pm"
    assert result.get_attribute("data-certainty") == "at_least"
    assert result.get_attribute("data-possible") == "director"
    level = browser.find_element(By.ID, "level").text
    assert level.startswith("at least Senior Product Manager, possibly Director of Product")
    questions = browser.find_elements(By.CSS_SELECTOR, "ol.questions li")
    fields = [q.get_attribute("data-field") for q in questions]
    assert "scope.pm_reports" in fields and "track_record.mentors_pms" in fields
    steps = browser.find_elements(By.CSS_SELECTOR, "ol.steps li")
    assert steps
    assert browser.find_elements(By.CSS_SELECTOR, "svg .rung-here")
    # what was typed is shown as text, never as markup
    assert not browser.find_elements(By.CSS_SELECTOR, "main b")
    assert browser.find_element(By.ID, "f-name").get_attribute("value") == SENIOR["name"]
    # the answers stay in the form, the unknown ones still unknown
    assert browser.find_element(By.ID, "f-scope-pm_reports-unknown").is_selected()
    # a question is a link to its field
    link = questions[fields.index("scope.pm_reports")].find_element(By.TAG_NAME, "a")
    link.click()
    assert browser.current_url.endswith("#f-scope-pm_reports")
    assert browser.find_element(By.ID, "f-scope-pm_reports").is_displayed()
    shot = tmp_path / "self-assessment.png"
    assert browser.save_screenshot(str(shot))
    assert shot.stat().st_size > 10_000


def test_a_bad_answer_is_shown_at_its_field_and_nothing_is_lost(browser, server):
    from selenium.webdriver.common.by import By

    browser.get(f"http://127.0.0.1:{server.port}/")
    _fill(browser, {"experience.total_years": "5", "experience.product_years": "9"})
    browser.find_element(By.ID, "submit").click()
    errors = _wait_for(browser, "errors").text
    assert "product_years" in errors
    assert browser.find_element(By.ID, "f-experience-total_years").get_attribute("value") == "5"
    assert not browser.find_elements(By.ID, "result")


def test_a_profile_file_loads_into_the_form(browser, server):
    from selenium.webdriver.common.by import By

    browser.get(f"http://127.0.0.1:{server.port}/")
    example = ROOT / "examples" / "profiles" / "senior-pm.yaml"
    browser.find_element(By.ID, "profile-file").send_keys(str(example))
    browser.find_element(By.ID, "load-button").click()
    assert "Loaded senior-pm.yaml" in _wait_for(browser, "notice").text
    assert browser.find_element(By.ID, "f-experience-total_years").get_attribute("value") == "9"
    assert browser.find_element(By.ID, "f-scope-owns_roadmap-yes").is_selected()
    assert browser.find_element(By.ID, "f-goals-target").get_attribute("value") == "director"
    browser.find_element(By.ID, "submit").click()
    assert _wait_for(browser, "result").get_attribute("data-level") == "senior_pm"


def test_the_page_reads_on_a_phone_without_sideways_scrolling(browser, server, tmp_path):
    browser.set_window_size(390, 844)
    try:
        browser.get(f"http://127.0.0.1:{server.port}/")
        _fill(browser, {"experience.total_years": "2", "experience.product_years": "1"})
        from selenium.webdriver.common.by import By

        browser.find_element(By.ID, "submit").click()
        assert _wait_for(browser, "result")
        wide = browser.execute_script(
            "return [document.documentElement.scrollWidth, window.innerWidth]"
        )
        assert wide[0] <= wide[1], wide
        assert browser.save_screenshot(str(tmp_path / "phone.png"))
    finally:
        browser.set_window_size(1200, 1600)
