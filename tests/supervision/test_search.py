"""Full-text search over the transcripts a supervisor may see."""

from django.db import connection
from django.urls import reverse

from accounts.models import AuditEvent
from simulator.models import Message
from supervision.search import search_messages


def test_search_finds_words_only_in_sessions_the_supervisor_may_see(supervisor, recorded, other_recorded):
    # "lighthouse" is said only in cohort B's session; "sleep" (stemmed) in both.
    assert search_messages(supervisor, "lighthouse") == []
    hits = search_messages(supervisor, "sleeping")
    assert {m.session_id for m in hits} == {recorded.pk}
    assert hits[0].seq == 3 and "<mark>sleep</mark>" in hits[0].snippet


def test_admin_searches_everything(admin_user, recorded, other_recorded):
    assert {m.session_id for m in search_messages(admin_user, "lighthouse")} == {other_recorded.pk}
    assert {m.session_id for m in search_messages(admin_user, "sleep")} == {recorded.pk, other_recorded.pk}


def test_trainee_searches_nothing(trainee, recorded):
    assert search_messages(trainee, "sleep") == []


def test_snippets_cannot_inject_markup(supervisor, recorded):
    recorded.append(Message.TRAINEE, "<b onclick=alert(1)>sleep</b> under 5 < 6 & fine", client_msg_id="x")
    snippet = next(m.snippet for m in search_messages(supervisor, "sleep") if m.seq == 11)
    # The only markup in a snippet is the <mark> we add; the message's own text is escaped.
    assert snippet.replace("<mark>", "").replace("</mark>", "").count("<") == 0
    assert "&lt;" in snippet and "&amp;" in snippet and "<mark>sleep</mark>" in snippet


def test_search_page_links_to_replay_anchor_and_is_audited(client, supervisor, recorded, other_recorded):
    client.force_login(supervisor)
    response = client.get(reverse("review_search"), {"q": '"better off"'})
    body = response.content.decode()
    assert response.status_code == 200
    assert f"/supervision/sessions/{recorded.pk}/replay/#m-3" in body and "<mark>better</mark>" in body
    row = AuditEvent.objects.get(event_type=AuditEvent.CLINICAL_VIEW, actor=supervisor)
    assert row.details == {"page": "search", "query": '"better off"', "results": 1, "sessions": [str(recorded.pk)]}


def test_trainee_may_not_open_search(client, trainee):
    client.force_login(trainee)
    assert client.get(reverse("review_search"), {"q": "sleep"}).status_code == 403


def test_search_uses_the_gin_index(supervisor, recorded):
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'supervision_message_text_fts'")
        assert "gin" in cursor.fetchone()[0]
        cursor.execute("SET LOCAL enable_seqscan = off")
    from django.contrib.postgres.search import SearchQuery, SearchVector

    plan = (
        Message.objects.alias(d=SearchVector("text", config="english"))
        .filter(d=SearchQuery("sleep", config="english", search_type="websearch"))
        .explain()
    )
    assert "supervision_message_text_fts" in plan
