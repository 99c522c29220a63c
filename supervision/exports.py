"""The recording as data, and the files made from it: JSON, a printable PDF, a cohort CSV.

`recording(session)` is the one reading of a session's messages and events; the replay page, the
JSON and PDF exports and the CSV all start from it, so they cannot disagree about what happened.
"""

import csv
import functools
import io
import logging
from datetime import datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from feedback import objectives
from modelserve.serving import model_label
from simulator.formats import human_duration
from simulator.models import Message, Session, SessionEvent
from supervision.access import STAFF_ONLY_EVENT_KINDS, objective_overrides_for
from supervision.models import Annotation, Review

EXPORT_FORMAT = "pixel.session-export/1"
NOT_FLAGGED = ("", "none")

EVENT_LABELS = {
    SessionEvent.WHISPER: "Whisper",
    SessionEvent.PAUSED: "Paused",
    SessionEvent.RESUMED: "Resumed",
    SessionEvent.ENDED: "Ended",
    SessionEvent.TAKEOVER_STARTED: "Take-over started",
    SessionEvent.TAKEOVER_ENDED: "Take-over ended",
    SessionEvent.FLAG: "Crisis flag",
    SessionEvent.ESCALATION: "Crisis escalation",
    SessionEvent.REGENERATION: "Persona guard regenerated a reply",
    SessionEvent.OBSERVER_JOINED: "Supervisor joined",
}
# Left out of the trainee's recording. A regeneration event names the withdrawn attempts and why.
TRAINEE_HIDDEN_EVENT_KINDS = STAFF_ONLY_EVENT_KINDS | {SessionEvent.REGENERATION}
# Kinds shown as markers on the replay timeline (besides flagged messages and annotations).
MARKER_KINDS = {
    SessionEvent.WHISPER, SessionEvent.PAUSED, SessionEvent.RESUMED, SessionEvent.ENDED,
    SessionEvent.TAKEOVER_STARTED, SessionEvent.TAKEOVER_ENDED, SessionEvent.FLAG, SessionEvent.ESCALATION,
}  # fmt: skip


def _offset(at, start):
    return max(0.0, round((at - start).total_seconds(), 3))


def _speaker(message, session):
    if message.role == Message.TRAINEE:
        return str(session.trainee)
    name = session.persona.get("name") or "Client"
    if message.author_id:
        return f"{message.author} (supervisor, as {name})"
    return name


def _event_text(event):
    data = event.data or {}
    if event.kind == SessionEvent.WHISPER:
        return data.get("text", "")
    if event.kind == SessionEvent.ENDED:
        return data.get("reason", "")
    if event.kind in (SessionEvent.FLAG, SessionEvent.ESCALATION):
        parts = [data.get("level", ""), ", ".join(data.get("categories") or []), data.get("action", "")]
        return " · ".join(p for p in parts if p)
    if event.kind == SessionEvent.REGENERATION:
        said = "; ".join(withdrawn_summary(b) for b in data.get("breaks") or [])
        return " · ".join(p for p in (said, "fallback line used" if data.get("fallback") else "") if p)
    return ""


def _reasons(attempt):
    # Rows from before the guard recorded {"attempt", "reasons", "text"} hold a bare reason.
    return [str(r) for r in attempt.get("reasons") or []] if isinstance(attempt, dict) else [str(attempt)]


def withdrawn_summary(attempt):
    """'attempt 2 withdrawn (unsafe: method: dose)': what a reviewer reads of a withdrawn attempt."""
    number = attempt.get("attempt") if isinstance(attempt, dict) else None
    return f"attempt {number or '?'} withdrawn ({', '.join(_reasons(attempt)) or 'no reason recorded'})"


def withdrawn_attempts(breaks):
    """The persona guard's withdrawn attempts of one reply as stored, less the text of any the
    method filter withdrew: the reasons say why. generate() no longer records that text; older
    rows may still hold it, and it stays out of every view and export."""
    return [
        {**b, "text": ""} if isinstance(b, dict) and any(r.startswith("unsafe") for r in _reasons(b)) else b
        for b in breaks or []
    ]


def _event_data(event):
    data = dict(event.data or {})
    if event.kind == SessionEvent.REGENERATION:
        data["breaks"] = withdrawn_attempts(data.get("breaks"))
    return data


def recording(session, for_trainee=False):
    """Every message and event of `session` in seq order, as plain dicts (JSON-ready).

    for_trainee leaves out what the trainee must not see: the crisis detector's verdicts and flags,
    and the attempts the persona guard withdrew (what they said and why: the trainee saw a reply
    replaced, and the method filter's catches must not reach them even as reasons).
    """
    start = session.started_at
    items = []
    label = functools.cache(model_label)  # one registry look-up per model, not per message
    for m in session.messages.select_related("author").order_by("seq"):
        flagged = (m.crisis_level or "") not in NOT_FLAGGED
        item = {
            "seq": m.seq,
            "type": "message",
            "at": m.created_at.isoformat(),
            "offset": _offset(m.created_at, start),
            "clock": format_duration(_offset(m.created_at, start)),
            "role": m.role,
            "speaker": _speaker(m, session),
            "text": m.text,
            "by_supervisor": m.author_id is not None,
            "model": label(m.model_name) if m.model_name else "",
            "regenerations": m.regenerations,
            "fallback": m.fallback,
        }
        if not for_trainee:
            item.update(
                guard_breaks=withdrawn_attempts(m.guard_breaks),
                withdrawn=[withdrawn_summary(b) for b in m.guard_breaks or []],
                flagged=flagged,
                crisis_level=m.crisis_level or "",
                crisis_categories=list((m.crisis or {}).get("categories") or []),
            )
        items.append(item)
    for e in session.events.select_related("actor").order_by("seq"):
        if for_trainee and e.kind in TRAINEE_HIDDEN_EVENT_KINDS:
            continue
        items.append(
            {
                "seq": e.seq,
                "type": "event",
                "at": e.created_at.isoformat(),
                "offset": _offset(e.created_at, start),
                "clock": format_duration(_offset(e.created_at, start)),
                "kind": e.kind,
                "label": EVENT_LABELS.get(e.kind, e.kind.replace("_", " ")),
                "actor": str(e.actor) if e.actor_id else "",
                "text": _event_text(e),
                "data": _event_data(e),
            }
        )
    items.sort(key=lambda item: item["seq"])
    return items


def flag_count(items):
    """Flagged messages, plus crisis events that do not point at one of them (no double counting)."""
    flagged = {i["seq"] for i in items if i["type"] == "message" and i.get("flagged")}
    extra = [
        i for i in items
        if i["type"] == "event" and i["kind"] in STAFF_ONLY_EVENT_KINDS and i["data"].get("seq") not in flagged
    ]  # fmt: skip
    return len(flagged) + len(extra)


def timeline(items, annotations=()):
    """Markers for the replay page: flags, annotations, whispers, pauses, take-overs, in seq order."""
    markers = []
    for i in items:
        if i["type"] == "message" and i.get("flagged"):
            markers.append(
                {"seq": i["seq"], "kind": "flag", "label": f"Flag: {i['crisis_level']}", "clock": i["clock"]}
            )
        elif i["type"] == "event" and i["kind"] in MARKER_KINDS:
            markers.append({"seq": i["seq"], "kind": i["kind"], "label": i["label"], "clock": i["clock"]})
    clocks = {i["seq"]: i["clock"] for i in items}
    for a in annotations:
        label = "Annotation: " + (", ".join(a.tags) or a.comment[:40])
        markers.append(
            {"seq": a.message.seq, "kind": "annotation", "label": label, "clock": clocks.get(a.message.seq, "")}
        )
    markers.sort(key=lambda m: (m["seq"], m["kind"] != "flag"))
    return markers


def duration(session):
    end = session.ended_at or session.last_activity_at
    return max(end - session.started_at, timedelta(0))


def format_duration(value):
    seconds = int(value.total_seconds()) if isinstance(value, timedelta) else int(value)
    hours, rest = divmod(seconds, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60}:{rest % 60:02d}"


def stats(session, items):
    messages = [i for i in items if i["type"] == "message"]
    return {
        "duration": human_duration(duration(session)),
        "duration_seconds": int(duration(session).total_seconds()),
        "trainee_turns": sum(1 for m in messages if m["role"] == Message.TRAINEE),
        "client_turns": sum(1 for m in messages if m["role"] == Message.CLIENT),
        "flags": flag_count(items),
        "persona_breaks": session.persona_breaks,
        "regenerations": sum(m["regenerations"] for m in messages),
        "fallbacks": sum(1 for m in messages if m["fallback"]),
    }


def _review_dict(review):
    if review is None:
        return None
    return {
        "rubric": review.rubric.name if review.rubric_id else None,
        "scores": [
            {"item": item.title, "score": score, "anchor": item.anchor(score) if score else ""}
            for item, score in review.scored_items()
        ],
        "overall_comment": review.overall_comment,
        "supervisor": str(review.supervisor) if review.supervisor_id else None,
        "released_at": review.released_at.isoformat() if review.released_at else None,
        "signed_off_at": review.signed_off_at.isoformat() if review.signed_off_at else None,
        "signed_off_by": str(review.signed_off_by) if review.signed_off_by_id else None,
        "recommendation": review.recommendation,
        "certification_kind": review.certification_kind or None,
        "certification_id": review.certification_id,
    }


def session_export(session, exported_by):
    """The whole record of one session for staff: what the JSON export writes and the PDF prints."""
    items = recording(session)
    review = Review.objects.filter(session=session).select_related("rubric", "supervisor", "signed_off_by").first()
    annotations = Annotation.objects.filter(session=session).select_related("message", "author")
    version = session.scenario_version
    return {
        "format": EXPORT_FORMAT,
        "exported_at": timezone.now().isoformat(),
        "exported_by": str(exported_by),
        "session": {
            "id": str(session.pk),
            "trainee": {"name": str(session.trainee), "email": session.trainee.email},
            "scenario": {
                "slug": version.scenario.slug,
                "title": version.scenario.title,
                "version": version.number,
                "content_hash": version.content_hash,
            },
            "model": model_label(session.model_name) if session.model_name else "",
            # The stored id (base and adapter files) for audit; people read "model".
            "model_id": session.model_name,
            "status": session.status,
            "started_at": session.started_at.isoformat(),
            "ended_at": session.ended_at.isoformat() if session.ended_at else None,
            "end_reason": session.end_reason,
            "stats": stats(session, items),
        },
        "recording": items,
        "annotations": [a.as_dict() for a in annotations],
        "review": _review_dict(review),
        # Staff only, so every override shows: the automatic verdict with the latest override.
        "objectives": objectives.with_overrides(
            objectives.grade_session(session), objective_overrides_for(exported_by, session)
        ),
    }


# --- PDF -----------------------------------------------------------------------------------------


def when(value):
    """A time from the export (ISO text, or a datetime as overrides carry) as people read it, in
    the site's time zone."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return timezone.localtime(value).strftime("%d %b %Y %H:%M %Z")


FONT_DIR = "/usr/share/fonts/truetype/dejavu"
# fontTools narrates every font subset at INFO; one line per glyph table per export is noise.
logging.getLogger("fontTools").setLevel(logging.WARNING)


def _pdf_fonts(pdf):
    """DejaVu Sans (Unicode) when installed; otherwise Helvetica with text reduced to Latin-1."""
    font_dir = Path(getattr(settings, "PIXEL_PDF_FONT_DIR", FONT_DIR))
    regular, bold = font_dir / "DejaVuSans.ttf", font_dir / "DejaVuSans-Bold.ttf"
    if regular.exists() and bold.exists():
        pdf.add_font("DejaVu", "", str(regular))
        pdf.add_font("DejaVu", "B", str(bold))
        return "DejaVu", str
    return "Helvetica", lambda text: str(text).encode("latin-1", "replace").decode("latin-1")


class _PdfText:
    """Writes the report's text into PDF in its font; `clean` makes text printable in that font."""

    def __init__(self, pdf, family, clean):
        self.pdf, self.family, self.clean = pdf, family, clean

    def line(self, text, size=10, style="", colour=0, indent=0, gap=1):
        from fpdf.enums import XPos, YPos

        pdf = self.pdf
        pdf.set_font(self.family, style, size)
        pdf.set_text_color(colour)
        pdf.set_x(pdf.l_margin + indent)
        pdf.multi_cell(0, size * 0.5, self.clean(text), align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.ln(gap)

    def heading(self, text):
        self.pdf.ln(3)
        self.line(text, 13, "B", gap=2)


def _pdf_start(data):
    """An A4 report with its first page open; every page is footed as a confidential record."""
    from fpdf import FPDF

    footer_text = f"Confidential training record · exported by {data['exported_by']}"

    class Report(FPDF):
        def footer(self):
            self.set_y(-12)
            self.set_font(out.family, "", 8)
            self.set_text_color(110)
            self.cell(0, 6, out.clean(f"{footer_text} · page {self.page_no()}/{{nb}}"), align="C")

    pdf = Report(format="A4")
    out = _PdfText(pdf, *_pdf_fonts(pdf))
    pdf.set_title(out.clean(f"Pixel session report · {data['session']['trainee']['name']}"))
    pdf.set_author("Pixel")
    pdf.set_auto_page_break(True, margin=16)
    pdf.add_page()
    return out


def _pdf_header(out, info):
    """Who, which scenario and model, when, and the session's counts."""
    stat, scenario = info["stats"], info["scenario"]
    out.line("Pixel session report", 17, "B", gap=3)
    out.line(f"Trainee: {info['trainee']['name']} <{info['trainee']['email']}>")
    out.line(f"Scenario: {scenario['title']} ({scenario['slug']}, version {scenario['version']})")
    out.line(f"Model: {info['model'] or '—'}")
    ended = when(info["ended_at"]) if info["ended_at"] else "not ended"
    out.line(f"Started: {when(info['started_at'])} · Ended: {ended} · Duration: {stat['duration']}")
    out.line(
        f"Trainee turns: {stat['trainee_turns']} · Client turns: {stat['client_turns']} · Flags: {stat['flags']} · "
        f"Persona breaks: {stat['persona_breaks']}"
    )


def _pdf_flags(out, recording):
    """Flagged messages and the crisis detector's events, before the transcript they point into."""
    out.heading("Flags")
    flags = [i for i in recording if i.get("flagged") or i.get("kind") in STAFF_ONLY_EVENT_KINDS]
    if not flags:
        out.line("No crisis flags in this session.", colour=90)
    for i in flags:
        stamp = f"#{i['seq']} [{format_duration(i['offset'])}]"
        if i["type"] == "message":
            cats = ", ".join(i["crisis_categories"]) or "no category"
            out.line(f"{stamp} Flag: {i['crisis_level']} ({cats}) on {i['speaker']}'s message")
        else:
            out.line(f"{stamp} {i['label']}: {i['text']}")


def _pdf_objectives(out, graded):
    """Each learning objective with its automatic verdict, the messages behind it and, where a
    supervisor overrode it, their verdict, note, name and time (earlier overrides below)."""
    out.heading("Learning objectives")
    if not graded:
        out.line("This scenario lists no learning objectives.", colour=90)
    # The signs (check, cross, half) need a Unicode font; the words carry the verdict without them.
    sign = (lambda cue: f"{cue} ") if out.family == "DejaVu" else (lambda cue: "")
    for o in graded:
        out.line(o["text"], style="B", gap=0)
        reason = f" · {o['reason']}" if o["reason"] else ""
        out.line(f"{sign(o['cue'])}Automatic: {o['label']}{reason}", indent=4, gap=0)
        if o["evidence"]:
            out.line("Shown in messages " + ", ".join(f"#{e['seq']}" for e in o["evidence"]), 9, indent=4, gap=0)
        override = o.get("override")
        if override:
            out.line(
                f"{sign(override['cue'])}Supervisor: {override['label']} · {override['by']}, {when(override['at'])}",
                indent=4,
                colour=(30, 70, 160),
                gap=0,
            )
            out.line(f"Note: {override['note']}", 9, indent=8, colour=(30, 70, 160), gap=0)
            for h in override["history"]:
                out.line(
                    f"Earlier: {h['label']} · {h['by']}, {when(h['at'])}: {h['note']}", 9, indent=8, colour=110, gap=0
                )
        out.pdf.ln(2)


def _pdf_transcript(out, recording, annotations):
    """Every message and event in order, each message followed by its annotations."""
    out.heading("Transcript")
    by_seq = {}
    for a in annotations:
        by_seq.setdefault(a["seq"], []).append(a)
    for i in recording:
        stamp = f"#{i['seq']} [{format_duration(i['offset'])}]"
        if i["type"] == "message":
            flag = f"  [FLAG: {i['crisis_level']}]" if i.get("flagged") else ""
            out.line(f"{stamp} {i['speaker']}{flag}", 9, "B", colour=60, gap=0)
            out.line(i["text"], 10, indent=4)
            for a in by_seq.get(i["seq"], []):
                tags = f" [{', '.join(a['tags'])}]" if a["tags"] else ""
                out.line(f"Annotation by {a['author']}{tags}: {a['comment']}", 9, colour=(30, 70, 160), indent=8)
        else:
            actor = f" by {i['actor']}" if i["actor"] else ""
            text = f": {i['text']}" if i["text"] else ""
            out.line(f"{stamp} {i['label']}{actor}{text}", 9, colour=110, indent=2)


def _pdf_review(out, review):
    """The rubric scores, then whether the review was released and signed off."""
    out.heading("Review")
    if review is None or review["rubric"] is None:
        out.line("Not scored yet.", colour=90)
    else:
        out.line(f"Rubric: {review['rubric']}", style="B")
        for s in review["scores"]:
            score = f"{s['score']}/5" if s["score"] else "not scored"
            anchor = f" ({s['anchor']})" if s["anchor"] else ""
            out.line(f"{s['item']}: {score}{anchor}", indent=4)
    if review is not None:
        _pdf_sign_off(out, review)


def _pdf_sign_off(out, review):
    if review["overall_comment"]:
        out.line(f"Overall comment: {review['overall_comment']}")
    out.line(f"Released to the trainee: {when(review['released_at']) if review['released_at'] else 'not yet'}")
    if review["signed_off_at"]:
        kind = f" ({review['certification_kind']})" if review["certification_kind"] else ""
        out.line(
            f"Signed off by {review['signed_off_by']} on {when(review['signed_off_at'])}; "
            f"recommendation: {review['recommendation']}{kind}"
        )
    else:
        out.line("Not signed off.")


def session_pdf(session, exported_by):
    """A printable report: header, flags, learning objectives, transcript with annotations,
    review. Returns bytes."""
    data = session_export(session, exported_by)
    out = _pdf_start(data)
    _pdf_header(out, data["session"])
    _pdf_flags(out, data["recording"])
    _pdf_objectives(out, data["objectives"])
    _pdf_transcript(out, data["recording"], data["annotations"])
    _pdf_review(out, data["review"])
    return bytes(out.pdf.output())


# --- Cohort CSV ----------------------------------------------------------------------------------

CSV_COLUMNS = [
    "session", "trainee", "trainee_email", "scenario", "scenario_version", "model", "started", "duration_seconds",
    "turns", "flags", "persona_breaks", "rubric",
]  # fmt: skip
CSV_TAIL = ["overall_mean", "released", "signed_off", "signed_off_by", "recommendation", "certification_kind"]


def _cell(value):
    # A cell starting with = + - @ is a formula to spreadsheet programs; quote it so it stays text.
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def cohort_sessions(cohort):
    return (
        Session.objects.filter(trainee__in=cohort.trainees.all())
        .select_related("trainee", "scenario_version__scenario")
        .order_by("trainee__email", "started_at")
    )


def cohort_csv(cohort):
    """One row per session of the cohort's trainees; one column per rubric item seen. Returns text."""
    sessions = list(cohort_sessions(cohort))
    reviews = {
        r.session_id: r
        for r in Review.objects.filter(session__in=sessions)
        .select_related("rubric", "signed_off_by")
        .prefetch_related("scores__item", "rubric__items")
    }
    item_columns = []  # (item id, header) in first-seen order
    for r in reviews.values():
        for item in r.rubric.items.all() if r.rubric_id else []:
            header = f"{r.rubric.name}: {item.title}"
            if (item.pk, header) not in item_columns:
                item_columns.append((item.pk, header))
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS + [h for _, h in item_columns] + CSV_TAIL)
    for session in sessions:
        items = recording(session)
        s = stats(session, items)
        review = reviews.get(session.pk)
        scores = {sc.item_id: sc.score for sc in review.scores.all()} if review else {}
        mean = round(sum(scores.values()) / len(scores), 2) if scores else ""
        version = session.scenario_version
        row = [
            session.pk, str(session.trainee), session.trainee.email, version.scenario.title, version.number,
            model_label(session.model_name) if session.model_name else "", session.started_at.isoformat(), s["duration_seconds"], s["trainee_turns"], s["flags"],
            session.persona_breaks, review.rubric.name if review and review.rubric_id else "",
        ]  # fmt: skip
        row += [scores.get(item_id, "") for item_id, _ in item_columns]
        row += [
            mean,
            review.released_at.isoformat() if review and review.released_at else "",
            review.signed_off_at.isoformat() if review and review.signed_off_at else "",
            str(review.signed_off_by) if review and review.signed_off_by_id else "",
            review.recommendation if review and review.signed_off_at else "",
            review.certification_kind if review else "",
        ]
        writer.writerow([_cell(v) for v in row])
    return out.getvalue()
