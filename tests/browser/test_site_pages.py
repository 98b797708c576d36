"""The front page, sign-in and language switch as a phone sees them."""

import pytest

from tests.browser.conftest import describe, measure_cold_load, run_axe, sign_in

BUDGET_BYTES = 30 * 1024
BUDGET_REQUESTS = 10


def test_front_page_and_sign_in_have_no_serious_accessibility_violation(phone, live_server):
    for path in ("/", "/login", "/register"):
        phone.goto(live_server + path)
        phone.shot(path.strip("/") or "home")
        violations = run_axe(phone)
        assert not violations, f"{path}: {describe(violations)}"


def test_public_pages_stay_within_the_weight_budget(browser, live_server):
    for path in ("/", "/login"):
        transfer = measure_cold_load(browser, live_server + path)
        assert transfer.requests <= BUDGET_REQUESTS, transfer.urls
        assert transfer.bytes <= BUDGET_BYTES, (path, transfer.bytes)
        assert all(url.startswith(live_server) for url in transfer.urls), "no external request"


def test_language_switch_turns_the_page_english(phone, live_server):
    phone.goto(live_server + "/login")
    phone.get_by_role("button", name="English").click()
    assert phone.locator("html").get_attribute("lang") == "en"
    assert phone.get_by_role("heading", name="Sign in").is_visible()
    phone.shot("english")


@pytest.mark.parametrize("phone", [False], indirect=True)
def test_sign_in_and_out_work_with_javascript_off(phone, live_server, make_user):
    user = make_user(full_name="Sonia Alanoca")
    sign_in(phone, live_server, user.username, user.password)
    assert phone.get_by_text("Sonia Alanoca").first.is_visible()
    phone.shot("signed-in-no-js")
    phone.get_by_role("button", name="Salir").click()
    assert phone.url.rstrip("/") == live_server
