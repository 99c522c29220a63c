"""Headers on what Pixel sends (issue 16, item 14): no copy of clinical content kept by a browser
or proxy cache, and a Content-Security-Policy on every page (the browser tests check that pages
pass it: tests/browser/conftest.py and tests/browser/test_headers_browser.py)."""

import pytest
from django.urls import reverse

from tests.supervision.conftest import build_recording

pytestmark = pytest.mark.django_db


def _no_store(response):
    return "no-store" in response.headers.get("Cache-Control", "")


def test_recordings_transcripts_and_exports_are_never_cached(client, supervisor, trainee, cohorts):
    session = build_recording(trainee, supervisor)
    client.force_login(supervisor)
    urls = [
        reverse("review_replay", args=[session.pk]),
        reverse("review_export_json", args=[session.pk]),
        reverse("review_export_pdf", args=[session.pk]),
        reverse("review_cohort_csv", args=[cohorts[0].pk]),
        reverse("review_recordings"),
        reverse("supervision_dashboard"),
    ]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        assert _no_store(response), (url, response.headers.get("Cache-Control"))
        assert "private" in response.headers["Cache-Control"]


def test_every_page_carries_the_content_security_policy(client, trainee, settings):
    client.force_login(trainee)
    for url in ["/", "/accounts/login/", "/does-not-exist/"]:
        policy = client.get(url).headers.get("Content-Security-Policy", "")
        assert "script-src 'self'" in policy and "'unsafe-inline'" not in policy, url
        assert "frame-ancestors 'none'" in policy and "object-src 'none'" in policy
