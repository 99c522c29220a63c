"""Pages pass Pixel's Content-Security-Policy in a real browser (issue 16, item 14).

The `page` fixture fails any browser test whose pages report a violation; this module first shows
that detector catching one, then walks the pages each role sees that other browser tests do not.
"""

import pytest

from tests.browser.conftest import sign_in
from tests.supervision.conftest import build_recording

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_policy_refuses_an_injected_inline_script_and_the_fixture_sees_it(page, live_server, trainee):
    sign_in(page, live_server, trainee)
    page.evaluate("""() => {
        const s = document.createElement('script');
        s.textContent = 'window.__injected = true';
        document.body.appendChild(s);
    }""")
    assert page.evaluate("() => window.__injected === undefined")
    assert any("Content Security Policy" in v for v in page.csp_violations)
    page.csp_violations.clear()  # shown; the fixture would otherwise fail this test


def test_supervisor_and_admin_pages_pass_the_policy(page, live_server, supervisor, trainee, admin_user):
    session = build_recording(trainee, supervisor)
    sign_in(page, live_server, supervisor)
    for path in ["/", "/supervision/", "/supervision/recordings/", f"/supervision/sessions/{session.pk}/replay/",
                 "/supervision/search/?q=sleep"]:  # fmt: skip
        response = page.goto(live_server.url + path)
        assert response.status < 500, path
        assert "script-src 'self'" in response.headers["content-security-policy"]
    page.wait_for_timeout(500)  # let the dashboard's socket and htmx start
    page.context.clear_cookies()
    sign_in(page, live_server, admin_user)
    for path in ["/admin/", "/admin/accounts/user/", f"/admin/accounts/user/{trainee.pk}/change/",
                 "/admin/accounts/auditevent/", "/admin/simulator/session/"]:  # fmt: skip
        response = page.goto(live_server.url + path)
        assert response.status == 200, path
    assert page.csp_violations == []
