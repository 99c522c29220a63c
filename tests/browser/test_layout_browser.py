"""Issue 17: every main page at 360 px and 1280 px, in Chromium. Each test saves a full-page
screenshot under test-artifacts/layout/ and fails when the page is wider than the window
(horizontal overflow, naming the widest elements that stick out) or when a chart's text is clipped
(outside the chart's box, or drawn over another legend entry)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.actions import do_create_invitation
from feedback.actions import do_score_session
from simulator.library import load_library
from simulator.models import Message, Scenario, Session
from tests.browser.conftest import ARTIFACTS, elsewhere, sign_in
from tests.feedback.conftest import build_session, fixed_scores  # noqa: F401 (a fixture)
from tests.supervision.conftest import QUESTION, build_recording

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Unbroken text as people paste it: a link with no space to break at.
LINK = "https://example.org/leaflets/" + "coping-with-redundancy-and-low-mood-" * 4 + "v2.pdf"
OPEN = "What has it been like for you since the site closed?"
REFLECT = "It sounds like losing the job took away the thing that made you feel useful."
INFO = f"There is a leaflet about this: {LINK}"
SCORES = {
    OPEN: ("open_question", {"explorations": 2}),
    REFLECT: ("complex_reflection", {"emotional_reactions": 1, "interpretations": 2}),
    INFO: ("giving_information", {}),
    "What brings you in today?": ("open_question", {"explorations": 1}),
    QUESTION: ("closed_question", {"explorations": 1}),
}
SCRIPT = [
    ("client", "I don't really know where to start."),
    ("trainee", OPEN),
    ("client", "Quiet. Too quiet. I sit on the sofa most of the day."),
    ("trainee", REFLECT),
    ("client", "Yes. Twenty-two years, and then nothing."),
    ("trainee", INFO),
]


@pytest.fixture
def world(trainee, supervisor, admin_user, certify, cohorts, fixed_scores):  # noqa: F811
    """Something on every page: two ended, scored sessions (the progress chart needs two), a
    recording to replay, and a live session with a flag, a muted mark and a long link."""
    fixed_scores.update(SCORES)
    load_library()
    certify(trainee, "simulation")
    scenario = Scenario.objects.get(slug="job-loss-depression")
    ended = []
    for days_ago in (3, 1):
        session = build_session(trainee, SCRIPT, scenario=scenario)
        Session.objects.filter(pk=session.pk).update(started_at=timezone.now() - timedelta(days=days_ago))
        elsewhere(do_score_session, session)
        ended.append(session)
    recording = build_recording(trainee, supervisor, scenario=scenario, words=INFO)
    elsewhere(do_score_session, recording)
    live = build_session(trainee, SCRIPT[:4], scenario=scenario, ended=False)
    low = "Some nights I think everyone would be better off without me."
    live.append(Message.CLIENT, low, reply_to=4, crisis={"level": "low", "categories": ["burden"]}, crisis_level="low")
    live.append(Message.TRAINEE, INFO, client_msg_id="info")
    high = "I have worked out how I would do it."
    live.append(Message.CLIENT, high, reply_to=6, crisis={"level": "high", "categories": ["plan"]}, crisis_level="high")
    elsewhere(do_score_session, live)
    _, invitation = do_create_invitation(admin_user, "invited@example.org", "trainee")
    return {
        "invitation": invitation,
        "ended": ended[-1],
        "recording": recording,
        "live": live,
        "trainee": trainee,
        "cohort": cohorts[0],
    }


# (name, who signs in, path given the world)
PAGES = [
    ("sign-in", None, lambda w: "/accounts/login/"),
    ("home-trainee", "trainee", lambda w: "/"),
    ("catalogue", "trainee", lambda w: "/scenarios/"),
    ("scenario", "trainee", lambda w: "/scenarios/job-loss-depression/"),
    ("live-session", "trainee", lambda w: f"/sessions/{w['live'].pk}/"),
    ("summary", "trainee", lambda w: f"/sessions/{w['ended'].pk}/summary/"),
    ("my-sessions", "trainee", lambda w: "/sessions/"),
    ("feedback-report", "trainee", lambda w: f"/feedback/sessions/{w['ended'].pk}/"),
    ("progress", "trainee", lambda w: "/feedback/history/"),
    ("my-reviews", "trainee", lambda w: "/supervision/reviews/"),
    ("home-supervisor", "supervisor", lambda w: "/"),
    ("dashboard", "supervisor", lambda w: "/supervision/"),
    ("observe", "supervisor", lambda w: f"/supervision/sessions/{w['live'].pk}/observe/"),
    ("recordings", "supervisor", lambda w: "/supervision/recordings/"),
    ("replay", "supervisor", lambda w: f"/supervision/sessions/{w['recording'].pk}/replay/"),
    ("search", "supervisor", lambda w: "/supervision/search/?q=leaflet"),
    ("search-long", "supervisor", lambda w: "/supervision/search/?q=" + LINK.replace("https://", "")),
    ("trainee-progress", "supervisor", lambda w: f"/feedback/trainees/{w['trainee'].pk}/"),
    ("certifications", "supervisor", lambda w: "/certifications/"),
    ("cohort", "supervisor", lambda w: f"/cohorts/{w['cohort'].pk}/"),
    ("crisis-policy", "supervisor", lambda w: "/safety/policy/"),
    ("invite", "admin", lambda w: "/people/invite/"),
    ("invite-sent", "admin", lambda w: "/people/invite/"),  # its message holds the one-time link
    ("accept-invitation", None, lambda w: w["invitation"]),
    ("security", "supervisor", lambda w: "/accounts/2fa/"),
]


def send_invitation(page):
    page.get_by_label("E-mail address").fill("new.colleague@example.org")
    page.get_by_role("button", name="Send invitation").click()
    page.get_by_text("Invitation sent to new.colleague@example.org").wait_for()


# What to do on a page before it is measured.
THEN = {"invite-sent": send_invitation}

# What sticks out of the window, widest first; elements inside a box that scrolls sideways by
# itself (a wide table in its .table-wrap) do not widen the page and are left out.
OVERFLOW = """() => {
  const w = window.innerWidth;
  if (document.documentElement.scrollWidth <= w) return null;
  const scrolls = (e) => { for (let p = e.parentElement; p; p = p.parentElement) {
    const o = getComputedStyle(p).overflowX; if (o === "auto" || o === "scroll" || o === "hidden") return true; } return false; };
  const name = (e) => e.tagName.toLowerCase() + (e.id ? "#" + e.id : "") + (e.classList.length ? "." + [...e.classList].join(".") : "");
  const out = [];
  for (const e of document.body.querySelectorAll("*")) {
    if (scrolls(e)) continue;
    const r = e.getBoundingClientRect();
    // The element sticks out, or its content does (a long word overflowing a box that fits).
    const right = getComputedStyle(e).overflowX === "visible" ? Math.max(r.right, r.left + e.scrollWidth) : r.right;
    if (right > w + 0.5 && r.width > 0) out.push([right, name(e) + " (" + Math.round(r.width) + " px wide, content " + e.scrollWidth + " px, right edge at " + Math.round(right) + ")"]);
  }
  out.sort((a, b) => b[0] - a[0]);
  return { scrollWidth: document.documentElement.scrollWidth, width: w, widest: out.slice(0, 6).map((x) => x[1]) };
}"""

# Each chart's text must lie inside the chart's own box (viewBox), and a legend entry's text may
# not run into another legend entry's swatch or text. In SVG user units, so the width of the
# screen does not matter.
CLIPPED = """() => {
  const problems = [];
  const inside = (b, v) => b.x >= v.x - 0.5 && b.y >= v.y - 0.5 && b.x + b.width <= v.x + v.width + 0.5 && b.y + b.height <= v.y + v.height + 0.5;
  const meet = (a, b) => a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;
  for (const svg of document.querySelectorAll("svg.chart")) {
    const v = svg.viewBox.baseVal;
    const texts = [...svg.querySelectorAll("text")];
    for (const t of texts) {
      if (!inside(t.getBBox(), v)) problems.push(svg.id + ": '" + t.textContent + "' lies outside the chart");
    }
    // Legend entries: a swatch (rect) and its name, side by side, below the plot.
    const swatches = [...svg.querySelectorAll("rect[width='10'][height='10']")];
    const names = swatches.map((r) => r.nextElementSibling).filter((t) => t && t.tagName === "text");
    const items = swatches.concat(names);
    for (const t of names) {
      for (const other of items) {
        if (other === t || other === t.previousElementSibling) continue;
        if (meet(t.getBBox(), other.getBBox())) problems.push(svg.id + ": legend '" + t.textContent + "' runs into " + (other.tagName === "text" ? "'" + other.textContent + "'" : "another swatch"));
      }
    }
  }
  return problems;
}"""


@pytest.mark.parametrize("width", [360, 1280])
@pytest.mark.parametrize("name,who,path", PAGES, ids=[p[0] for p in PAGES])
def test_page_fits_the_window(page, live_server, world, supervisor, admin_user, name, who, path, width):
    page.set_viewport_size({"width": width, "height": 800})
    if who:
        sign_in(page, live_server, {"trainee": world["trainee"], "supervisor": supervisor, "admin": admin_user}[who])
    response = page.goto(live_server.url + path(world))
    assert response.status == 200, f"{name}: {response.status}"
    page.wait_for_load_state("load")
    if name in THEN:
        THEN[name](page)
    (ARTIFACTS / "layout").mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "layout" / f"{name}-{width}.png"), full_page=True)
    overflow = page.evaluate(OVERFLOW)
    assert overflow is None, f"{name} at {width} px is {overflow['scrollWidth']} px wide; sticking out: " + "; ".join(
        overflow["widest"]
    )
    clipped = page.evaluate(CLIPPED)
    assert not clipped, f"{name} at {width} px: " + "; ".join(clipped)


def test_the_progress_chart_is_on_the_page(page, live_server, world):
    # The pages above must have drawn a chart for the clipped-legend check to mean anything.
    sign_in(page, live_server, world["trainee"])
    page.goto(live_server.url + "/feedback/history/")
    assert page.locator("svg#chart-progress text", has_text="Reflections per question").count() == 1


@pytest.mark.parametrize("height", [640, 740])
def test_the_message_box_shows_without_scrolling_on_a_phone(page, live_server, world, height):
    page.set_viewport_size({"width": 360, "height": height})
    sign_in(page, live_server, world["trainee"])
    page.goto(f"{live_server.url}/sessions/{world['live'].pk}/")
    page.wait_for_load_state("load")
    (ARTIFACTS / "layout").mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "layout" / f"live-session-360x{height}.png"))
    assert page.evaluate("() => window.scrollY") == 0
    for selector in ("#text", "#send"):
        box = page.locator(selector).bounding_box()
        assert box["y"] >= 0 and box["y"] + box["height"] <= height, f"{selector} at {box} in a {height} px window"
    # The transcript keeps its messages, scrolling in its own box, and opens on the latest.
    assert page.locator("#transcript li.msg").count() == 7
    transcript = page.locator("#transcript")
    assert transcript.evaluate("e => e.scrollHeight > e.clientHeight")
    assert transcript.evaluate("e => e.scrollTop + e.clientHeight >= e.scrollHeight - 2")
