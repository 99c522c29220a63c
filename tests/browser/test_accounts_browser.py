import pytest

from tests.browser.conftest import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_admin_signs_in_with_mfa_issues_certification_and_sees_it(page, live_server, admin_user, trainee):
    sign_in(page, live_server, admin_user)
    page.get_by_role("link", name="Certifications").click()
    page.get_by_label("Person").select_option(label=str(trainee))
    page.get_by_label("Kind").select_option("crisis")
    page.get_by_role("button", name="Issue certification").click()
    status = page.get_by_role("status")
    assert "Issued: Crisis (high-risk) scenarios for" in status.inner_text()
    row = page.locator("#cert-list tbody tr", has_text=trainee.email)
    assert "Crisis (high-risk) scenarios" in row.inner_text()
    assert "valid" in row.inner_text()
    assert trainee.valid_certification("crisis").issued_by == admin_user


def test_trainee_page_works_at_phone_width(page, live_server, trainee, certify):
    certify(trainee, "simulation")
    page.set_viewport_size({"width": 360, "height": 740})
    sign_in(page, live_server, trainee)
    assert "Therapeutic simulation" in page.locator("main").inner_text()
    # Nothing wider than the screen: the page never scrolls sideways.
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
