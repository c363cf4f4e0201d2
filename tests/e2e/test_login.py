"""Logging in through the browser: TOTP enrolment for administrators, password only for others."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from playwright.sync_api import Page, expect

from tests.conftest import PASSWORD
from tests.e2e.conftest import (
    ADMIN_USERNAME,
    LEADER_USERNAME,
    assert_no_browser_errors,
    current_totp,
    log_in,
)

BASE32_SECRET = re.compile(r"^[A-Z2-7]{16,}$")
# OTP_TOTP_THROTTLE_FACTOR is 1 s by default, and half a second more covers a slow server.
THROTTLE_AFTER_ONE_FAILURE_MS = 1_500


def path_of(page: Page) -> str:
    return urlsplit(page.url).path


def submit(page: Page) -> None:
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()


def enrol_totp(page: Page) -> str:
    """Read the secret from the enrolment page, submit the current code, return the secret."""
    secret = page.get_by_test_id("otp-secret").inner_text().strip()
    page.locator("#id_token").fill(current_totp(secret))
    submit(page)
    return secret


def test_admin_login_enrols_totp(page: Page) -> None:
    log_in(page, ADMIN_USERNAME, PASSWORD)

    assert path_of(page) == "/otp/"
    qr_code = page.locator("main img.qr")
    expect(qr_code).to_be_visible()
    assert (qr_code.get_attribute("src") or "").startswith("data:image/svg+xml;base64,")
    secret = page.get_by_test_id("otp-secret").inner_text().strip()
    assert BASE32_SECRET.match(secret), secret

    enrol_totp(page)

    assert path_of(page) == "/"
    current_user = page.get_by_test_id("current-user")
    expect(current_user).to_contain_text("Nguyễn Văn An")
    expect(page.locator(".systems a[href='/admin/']")).to_be_visible()
    assert_no_browser_errors(page)


def test_admin_pages_wait_for_totp(page: Page) -> None:
    log_in(page, ADMIN_USERNAME, PASSWORD)
    assert path_of(page) == "/otp/"

    # Until the code is entered, every page leads back to the second step.
    page.goto("/units/08707/")
    assert path_of(page) == "/otp/"
    expect(page.get_by_test_id("otp-secret")).to_be_visible()
    assert_no_browser_errors(page)


def test_admin_wrong_code_rejected(page: Page) -> None:
    log_in(page, ADMIN_USERNAME, PASSWORD)
    secret = page.get_by_test_id("otp-secret").inner_text().strip()
    right_code = current_totp(secret)
    wrong_code = f"{(int(right_code) + 1) % 1_000_000:06d}"

    page.locator("#id_token").fill(wrong_code)
    submit(page)

    assert path_of(page) == "/otp/"
    expect(page.locator("main .errors[role=alert]")).to_be_visible()
    expect(page.get_by_test_id("current-user")).to_be_visible()
    # The same secret stays valid, so the user can still finish with the right code.
    assert page.get_by_test_id("otp-secret").inner_text().strip() == secret
    # django-otp rejects every code for 1 s after a failure, doubling with each further
    # failure. A person retyping the code takes longer than that.
    page.wait_for_timeout(THROTTLE_AFTER_ONE_FAILURE_MS)
    page.locator("#id_token").fill(current_totp(secret))
    submit(page)
    assert path_of(page) == "/"
    assert_no_browser_errors(page)


def test_admin_second_login_asks_code_only(page: Page) -> None:
    log_in(page, ADMIN_USERNAME, PASSWORD)
    secret = enrol_totp(page)
    assert path_of(page) == "/"

    with page.expect_navigation():
        page.locator(".account form[action='/logout/'] button").click()
    expect(page.locator(".account a[href='/login/']")).to_be_visible()

    log_in(page, ADMIN_USERNAME, PASSWORD)
    assert path_of(page) == "/otp/"
    expect(page.locator("main img.qr")).to_have_count(0)
    expect(page.get_by_test_id("otp-secret")).to_have_count(0)
    # django-otp accepts a code only once, so enter the one the app shows next. The
    # device's tolerance of one time step accepts it.
    page.locator("#id_token").fill(current_totp(secret, drift=1))
    submit(page)

    assert path_of(page) == "/"
    expect(page.get_by_test_id("current-user")).to_contain_text("Nguyễn Văn An")
    assert_no_browser_errors(page)


def test_leader_login_without_totp(page: Page) -> None:
    log_in(page, LEADER_USERNAME, PASSWORD)

    assert path_of(page) == "/"
    current_user = page.get_by_test_id("current-user")
    expect(current_user).to_contain_text("Trần Thị Bình")
    expect(page.locator(".systems a[href='/admin/']")).to_have_count(0)
    expect(page.locator("#map")).to_be_visible()
    assert_no_browser_errors(page)


def test_wrong_password_rejected(page: Page) -> None:
    log_in(page, LEADER_USERNAME, PASSWORD + "x")

    assert path_of(page) == "/login/"
    expect(page.locator("main .errors[role=alert]")).to_be_visible()
    expect(page.get_by_test_id("current-user")).to_have_count(0)
    assert_no_browser_errors(page)
