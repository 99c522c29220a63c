"""Full-text search over the transcripts a person may review (PostgreSQL text search).

The vector expression matches the GIN index made in supervision/migrations/0002, so a search is an
index scan, not a read of every message ever written.
"""

from django.contrib.postgres.search import SearchHeadline, SearchQuery, SearchRank, SearchVector
from django.db import connection
from django.db.models import Q
from django.utils.html import escape
from django.utils.safestring import mark_safe

from simulator.models import Message
from supervision.access import reviewable_sessions

CONFIG = "english"
MAX_RESULTS = 50
# Private-use characters mark the hits inside PostgreSQL's headline; the snippet is escaped first
# and only then are these turned into <mark>, so a message's own text can never become markup.
_START, _STOP = "\ue000", "\ue001"


def search_messages(user, text, limit=MAX_RESULTS):
    """Messages matching `text` (web-search syntax: words, "phrases", -not, or) in sessions `user`
    may review, best first. Each has .rank, .snippet (safe HTML) and .session."""
    text = (text or "").strip()
    if not text:
        return []
    if connection.vendor != "postgresql":
        return _plain_search(user, text, limit)
    query = SearchQuery(text, config=CONFIG, search_type="websearch")
    vector = SearchVector("text", config=CONFIG)
    matches = (
        Message.objects.filter(session__in=reviewable_sessions(user))
        .alias(document=vector)
        .filter(document=query)
        .annotate(
            rank=SearchRank(vector, query),
            headline=SearchHeadline(
                "text",
                query,
                config=CONFIG,
                start_sel=_START,
                stop_sel=_STOP,
                max_words=30,
                min_words=12,
                max_fragments=2,
            ),
        )
        .select_related("session__trainee", "session__scenario_version__scenario")
        .order_by("-rank", "-session__started_at", "seq")[:limit]
    )
    results = list(matches)
    for message in results:
        message.snippet = mark_safe(escape(message.headline).replace(_START, "<mark>").replace(_STOP, "</mark>"))
    return results


def _plain_search(user, text, limit):
    """The demo's SQLite has no text search: every word must appear, unranked, unstemmed."""
    words = Q()
    for word in text.replace('"', " ").split():
        if not word.startswith("-") and word.lower() != "or":
            words &= Q(text__icontains=word)
    results = list(
        Message.objects.filter(session__in=reviewable_sessions(user))
        .filter(words)
        .select_related("session__trainee", "session__scenario_version__scenario")
        .order_by("-session__started_at", "seq")[:limit]
    )
    for message in results:
        message.snippet = escape(message.text[:300])
    return results
