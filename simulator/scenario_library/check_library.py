#!/usr/bin/env python3
"""Validate the scenario library (stdlib only).

Usage:
    python simulator/scenario_library/check_library.py           # validate, exit 1 on errors
    python simulator/scenario_library/check_library.py --table   # also print the README table

Checks every ``<slug>.json`` in this folder against the schema described in
README.md (keys, types, enums, ranges, length limits), that each slug matches
its file name, that ``scripts/<slug>.jsonl`` exists with 6-8 valid lines, that
``scripts/<slug>.good.jsonl`` and ``scripts/<slug>.poor.jsonl`` exist with the same
number of lines, that any ``scripts/<slug>.facts.jsonl`` is well formed and
consistent with the persona, that ``persona.disclosures`` is well formed, and
that every learning objective names what would show it (``shown_by``, graded by
feedback/objectives.py), and runs a small safety lint for self-harm/suicide method wording.
"""
from __future__ import annotations

import json
import re
import sys
from pathlib import Path

LIBRARY = Path(__file__).resolve().parent
SCRIPTS = LIBRARY / "scripts"

TOPICS = {
    "depression", "anxiety", "panic", "trauma", "grief", "alcohol", "self-harm",
    "suicide", "violence", "perinatal", "eating", "ocd", "substance-use",
    "relationships", "engagement", "other",
}
CERTIFICATIONS = {"simulation", "crisis"}
STYLES = {"plain", "verbose", "tangential", "upset", "reserved", "pleasing"}
ATTACHMENT = ("secure", "anxious-preoccupied", "dismissive-avoidant", "fearful-avoidant")
RISK_LEVELS = {"none", "low", "moderate", "high"}
BIG_FIVE = {"openness", "conscientiousness", "extraversion", "agreeableness", "neuroticism"}
SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")

TOP_KEYS = {
    "slug": str, "title": str, "topic": str, "difficulty": int, "certification": str,
    "summary": str, "learning_objectives": list, "content_warnings": list, "persona": dict,
}
PERSONA_KEYS = {
    "name": str, "age": int, "pronouns": str, "gender": str, "cultural_background": str,
    "occupation": str, "living_situation": str, "history": str, "presenting_problem": str,
    "dsm5_framing": str, "core_beliefs": list, "intermediate_beliefs": list,
    "automatic_thoughts": list, "coping_behaviours": list, "big_five": dict,
    "attachment_style": str, "defences": list, "conversational_style": str, "hidden": str,
    "disclosure_conditions": str, "disclosures": list, "risk_profile": dict, "opening_line": str,
    "example_exchange": list,
}
RISK_KEYS = {"level": str, "summary": str, "script": str}
# persona.disclosures: what unlocks the hidden material (simulator/clientstate.py reads it).
DISCLOSURE_KEYS = {"id": str, "says": str, "keywords": list, "unlock": dict}
UNLOCK_KEYS = {"min_openness": int, "topics": list, "feelings": list}
DISCLOSURE_ITEMS = (1, 3)
KEYWORDS = (2, 4)
SAYS_WORDS = 40
SAYS_SENTENCES = 2
OPENNESS = (0, 5)
SENTENCE_END = re.compile(r"[.!?]+(?=\s|$)")

# learning_objectives: what the report grades (feedback/objectives.py). Copied rather than
# imported so this script runs without Django; tests/feedback/test_objectives_library.py checks
# they match feedback.models.CODE_LABELS, feedback.checklist.ITEMS and feedback.report.BANDS.
OBJECTIVE_KEYS = {"id": str, "text": str, "shown_by": dict}
OBJECTIVE_OPTIONAL = {"measures": str}
OBJECTIVES = (3, 5)
BEHAVIOUR_CODES = (
    "open_question", "closed_question", "simple_reflection", "complex_reflection", "affirmation",
    "giving_information", "advice", "other",
)
CHECKLIST_ITEMS = (
    "asked_directly", "asked_plan", "asked_means", "asked_intent", "feelings_first", "safety_planning",
    "gave_resources",
)
RATIO_MEASURES = {"rq_ratio": 1.0, "pct_complex": 40.0, "pct_open": 50.0}  # each with its "fair" band
RATIO_LIMITS = {"rq_ratio": 5.0, "pct_complex": 100.0, "pct_open": 100.0}
SHOWN_BY_KEYS = {
    "behaviour": {"kind", "codes", "min"},
    "checklist": {"kind", "items"},
    "ratio": {"kind", "measure", "min"},
    "topic": {"kind", "topics", "min"},
    "disclosure": {"kind", "disclosure"},
}

# Word limits keep the persona prompt short enough for a small local model.
WORD_LIMITS = {"history": 85, "presenting_problem": 85, "opening_line": 40}
CLIENT_LINE_WORDS = 40
SCRIPT_LINES = (6, 8)
# The responsiveness pair: an MI-consistent trainee and a poor one, line for line.
PAIR = ("good", "poor")
FACT_LINES = (4, 6)
SCRIPT_CHARS = 300

# Safety lint: wording that tends to signal self-harm/suicide method, means or
# dose detail. Nothing in the library should need these words. Keep generic
# phrasing ("has a plan and has access to means").
FORBIDDEN = re.compile(
    r"\b(noose|hanging|ligature|razors?|blades?|firearms?|guns?|shotgun|rifle|pistol|"
    r"pills|tablets|paracetamol|acetaminophen|lethal(?:ity)?|stockpil\w*|poison\w*|"
    r"bridge|\d+\s?mg|cutting (?:her|him|them|my)sel(?:f|ves))\b",
    re.IGNORECASE,
)


def words(text: str) -> int:
    return len(text.split())


def check_keys(obj: dict, spec: dict, where: str, errors: list[str]) -> None:
    for key, typ in spec.items():
        if key not in obj:
            errors.append(f"{where}: missing key '{key}'")
            continue
        val = obj[key]
        # bool is a subclass of int; reject it for integer fields.
        if not isinstance(val, typ) or (typ is int and isinstance(val, bool)):
            errors.append(f"{where}.{key}: expected {typ.__name__}, got {type(val).__name__}")
        elif typ is str and not val.strip():
            errors.append(f"{where}.{key}: empty string")
    for key in obj:
        if key not in spec:
            errors.append(f"{where}: unknown key '{key}'")


def check_str_list(val, where: str, errors: list[str], lo: int = 0, hi: int | None = None) -> None:
    if not isinstance(val, list):
        return
    if not all(isinstance(x, str) and x.strip() for x in val):
        errors.append(f"{where}: every item must be a non-empty string")
    if len(val) < lo or (hi is not None and len(val) > hi):
        errors.append(f"{where}: expected {lo}..{hi if hi is not None else 'any'} items, got {len(val)}")


def iter_strings(obj):
    if isinstance(obj, str):
        yield obj
    elif isinstance(obj, dict):
        for v in obj.values():
            yield from iter_strings(v)
    elif isinstance(obj, list):
        for v in obj:
            yield from iter_strings(v)


def lint(text: str, where: str, errors: list[str]) -> None:
    m = FORBIDDEN.search(text)
    if m:
        errors.append(f"{where}: safety lint matched '{m.group(0)}' (avoid method/means/dose wording)")


def read_jsonl(path: Path, errors: list[str]) -> list[dict]:
    rows = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            errors.append(f"{path.name}:{n}: blank line")
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            errors.append(f"{path.name}:{n}: invalid JSON ({exc})")
            continue
        if not isinstance(obj, dict):
            errors.append(f"{path.name}:{n}: expected a JSON object")
            continue
        rows.append(obj)
    return rows


def check_scenario(path: Path, errors: list[str]) -> dict | None:
    where = path.name
    try:
        sc = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        errors.append(f"{where}: invalid JSON ({exc})")
        return None
    if not isinstance(sc, dict):
        errors.append(f"{where}: top level must be an object")
        return None

    check_keys(sc, TOP_KEYS, where, errors)
    slug = sc.get("slug")
    if isinstance(slug, str):
        if slug != path.stem:
            errors.append(f"{where}: slug '{slug}' does not match file name")
        if not SLUG_RE.match(slug) or len(slug) > 40:
            errors.append(f"{where}: slug must be short, lowercase and hyphenated")
    if sc.get("topic") not in TOPICS:
        errors.append(f"{where}.topic: '{sc.get('topic')}' not in {sorted(TOPICS)}")
    if sc.get("difficulty") not in (1, 2, 3):
        errors.append(f"{where}.difficulty: must be 1, 2 or 3")
    if sc.get("certification") not in CERTIFICATIONS:
        errors.append(f"{where}.certification: must be one of {sorted(CERTIFICATIONS)}")
    check_str_list(sc.get("content_warnings"), f"{where}.content_warnings", errors)

    p = sc.get("persona")
    if not isinstance(p, dict):
        return sc
    pw = f"{where}.persona"
    check_keys(p, PERSONA_KEYS, pw, errors)
    if isinstance(p.get("age"), int) and not 10 <= p["age"] <= 110:
        errors.append(f"{pw}.age: implausible age {p['age']}")
    for key in ("core_beliefs", "intermediate_beliefs", "automatic_thoughts", "coping_behaviours", "defences"):
        check_str_list(p.get(key), f"{pw}.{key}", errors, 1)
    for key, limit in WORD_LIMITS.items():
        if isinstance(p.get(key), str) and words(p[key]) > limit:
            errors.append(f"{pw}.{key}: {words(p[key])} words (limit {limit})")

    b5 = p.get("big_five")
    if isinstance(b5, dict):
        if set(b5) != BIG_FIVE:
            errors.append(f"{pw}.big_five: keys must be exactly {sorted(BIG_FIVE)}")
        for k, v in b5.items():
            if not isinstance(v, int) or isinstance(v, bool) or not 1 <= v <= 5:
                errors.append(f"{pw}.big_five.{k}: must be an integer 1..5")
    att = p.get("attachment_style")
    if isinstance(att, str) and not att.startswith(ATTACHMENT):
        errors.append(f"{pw}.attachment_style: must start with one of {ATTACHMENT}")
    if p.get("conversational_style") not in STYLES:
        errors.append(f"{pw}.conversational_style: must be one of {sorted(STYLES)}")

    risk = p.get("risk_profile")
    if isinstance(risk, dict):
        check_keys(risk, RISK_KEYS, f"{pw}.risk_profile", errors)
        if risk.get("level") not in RISK_LEVELS:
            errors.append(f"{pw}.risk_profile.level: must be one of {sorted(RISK_LEVELS)}")
        if risk.get("level") == "high" and (sc.get("certification") != "crisis" or sc.get("difficulty") != 3):
            errors.append(f"{where}: high-risk scenarios must be certification 'crisis' and difficulty 3")

    check_disclosures(p.get("disclosures"), f"{pw}.disclosures", errors)
    disclosure_ids = {d.get("id") for d in p.get("disclosures") or [] if isinstance(d, dict)}
    check_objectives(sc.get("learning_objectives"), disclosure_ids, f"{where}.learning_objectives", errors)

    ex = p.get("example_exchange")
    if isinstance(ex, list):
        if not 1 <= len(ex) <= 2:
            errors.append(f"{pw}.example_exchange: expected 1-2 exchanges, got {len(ex)}")
        for i, turn in enumerate(ex):
            tw = f"{pw}.example_exchange[{i}]"
            if not isinstance(turn, dict) or set(turn) != {"therapist", "client"}:
                errors.append(f"{tw}: must be an object with exactly 'therapist' and 'client'")
                continue
            if not all(isinstance(turn[k], str) and turn[k].strip() for k in turn):
                errors.append(f"{tw}: lines must be non-empty strings")
            elif words(turn["client"]) > CLIENT_LINE_WORDS:
                errors.append(f"{tw}.client: {words(turn['client'])} words (limit {CLIENT_LINE_WORDS})")

    for text in iter_strings(sc):
        lint(text, where, errors)
    return sc


def _is_int(val) -> bool:
    return isinstance(val, int) and not isinstance(val, bool)


def check_objectives(items, disclosure_ids: set, where: str, errors: list[str]) -> None:
    """Each objective: a unique slug id, its text, and a shown_by the grader can read."""
    if not isinstance(items, list):
        return
    lo, hi = OBJECTIVES
    if not lo <= len(items) <= hi:
        errors.append(f"{where}: expected {lo}-{hi} objectives, got {len(items)}")
    seen = set()
    for i, item in enumerate(items):
        ident = item.get("id") if isinstance(item, dict) else None
        ow = f"{where}[{i}]" + (f" '{ident}'" if isinstance(ident, str) and ident else "")
        if not isinstance(item, dict):
            errors.append(f"{ow}: must be an object with id, text and shown_by (not a plain string)")
            continue
        check_keys({k: v for k, v in item.items() if k not in OBJECTIVE_OPTIONAL}, OBJECTIVE_KEYS, ow, errors)
        if "measures" in item and not (isinstance(item["measures"], str) and item["measures"].strip()):
            errors.append(f"{ow}.measures: must be a non-empty string when given")
        if isinstance(ident, str) and ident:
            if not SLUG_RE.match(ident) or len(ident) > 40:
                errors.append(f"{ow}.id: must be a short lowercase slug")
            if ident in seen:
                errors.append(f"{ow}.id: used by another objective in this card")
            seen.add(ident)
        if isinstance(item.get("shown_by"), dict):
            check_shown_by(item["shown_by"], disclosure_ids, f"{ow}.shown_by", errors)


def check_known(values, known, noun: str, where: str, errors: list[str]) -> bool:
    """VALUES must be a non-empty list of names from KNOWN; False when it is not a list at all."""
    if not isinstance(values, list) or not values:
        errors.append(f"{where}: list one or more {noun}s")
        return False
    for value in values:
        if value not in known:
            errors.append(f"{where}: unknown {noun} '{value}' (known: {', '.join(known)})")
    return True


def check_shown_by(sb: dict, disclosure_ids: set, where: str, errors: list[str]) -> None:
    kind = sb.get("kind")
    if kind not in SHOWN_BY_KEYS:
        errors.append(f"{where}.kind: '{kind}' is not one of {sorted(SHOWN_BY_KEYS)}")
        return
    expected = SHOWN_BY_KEYS[kind]
    for key in sorted(expected - set(sb)):
        errors.append(f"{where}: a {kind} criterion needs '{key}'")
    for key in sorted(set(sb) - expected):
        errors.append(f"{where}: unknown key '{key}' for a {kind} criterion")
    low = sb.get("min")
    if kind == "behaviour":
        check_known(sb.get("codes"), BEHAVIOUR_CODES, "behaviour code", f"{where}.codes", errors)
    if kind == "checklist":
        items = sb.get("items")
        if check_known(items, CHECKLIST_ITEMS, "checklist item", f"{where}.items", errors):
            if len(set(map(str, items))) != len(items):
                errors.append(f"{where}.items: repeated item")
    if kind == "ratio":
        measure = sb.get("measure")
        if measure not in RATIO_MEASURES:
            errors.append(f"{where}.measure: unknown ratio '{measure}' (known: {', '.join(RATIO_MEASURES)})")
        elif not isinstance(low, int | float) or isinstance(low, bool) or not 0 < low <= RATIO_LIMITS[measure]:
            errors.append(f"{where}.min: must be a number above 0 and at most {RATIO_LIMITS[measure]:g} for {measure}")
    if kind in ("behaviour", "topic") and "min" in sb and (not _is_int(low) or low < 1):
        errors.append(f"{where}.min: must be a whole number, 1 or more")
    if kind == "topic":
        topics = sb.get("topics")
        if not isinstance(topics, list) or not topics:
            errors.append(f"{where}.topics: list one or more topics")
            return
        for n, entry in enumerate(topics):
            words = [entry] if isinstance(entry, str) else entry
            if not isinstance(words, list) or not words or not all(isinstance(w, str) and w.strip() for w in words):
                errors.append(f"{where}.topics[{n}]: a topic is a non-empty string or a list of them")
            elif any(w != w.lower() or w != w.strip() for w in words):
                errors.append(f"{where}.topics[{n}]: write every topic in lowercase, without outer spaces")
        if _is_int(low) and low > len(topics):
            errors.append(f"{where}.min: {low} topics asked for, but only {len(topics)} listed")
    if kind == "disclosure":
        ident = sb.get("disclosure")
        if ident not in disclosure_ids:
            errors.append(f"{where}.disclosure: '{ident}' is not one of this card's persona.disclosures")


def check_disclosures(items, where: str, errors: list[str]) -> None:
    if not isinstance(items, list):
        return
    lo, hi = DISCLOSURE_ITEMS
    if not lo <= len(items) <= hi:
        errors.append(f"{where}: expected {lo}-{hi} items, got {len(items)}")
    seen = set()
    for i, item in enumerate(items):
        iw = f"{where}[{i}]"
        if not isinstance(item, dict):
            errors.append(f"{iw}: must be an object")
            continue
        check_keys(item, DISCLOSURE_KEYS, iw, errors)
        ident, says = item.get("id"), item.get("says")
        if isinstance(ident, str):
            if not SLUG_RE.match(ident) or len(ident) > 40:
                errors.append(f"{iw}.id: '{ident}' must be a short lowercase slug")
            if ident in seen:
                errors.append(f"{iw}.id: '{ident}' is used twice")
            seen.add(ident)
        if isinstance(says, str) and says.strip():
            if words(says) > SAYS_WORDS:
                errors.append(f"{iw}.says: {words(says)} words (limit {SAYS_WORDS})")
            if len(SENTENCE_END.findall(says.strip())) > SAYS_SENTENCES:
                errors.append(f"{iw}.says: more than {SAYS_SENTENCES} sentences")
        keywords = item.get("keywords")
        check_str_list(keywords, f"{iw}.keywords", errors, *KEYWORDS)
        if isinstance(keywords, list) and isinstance(says, str):
            for k in keywords:
                if isinstance(k, str) and k.strip() and k.lower() not in says.lower():
                    errors.append(f"{iw}.keywords: '{k}' does not appear in 'says'")
        unlock = item.get("unlock")
        if not isinstance(unlock, dict):
            continue
        uw = f"{iw}.unlock"
        check_keys(unlock, UNLOCK_KEYS, uw, errors)
        level = unlock.get("min_openness")
        if isinstance(level, int) and not isinstance(level, bool) and not OPENNESS[0] <= level <= OPENNESS[1]:
            errors.append(f"{uw}.min_openness: must be {OPENNESS[0]}..{OPENNESS[1]}")
        for key in ("topics", "feelings"):
            values = unlock.get(key)
            check_str_list(values, f"{uw}.{key}", errors)
            if isinstance(values, list) and all(isinstance(v, str) for v in values):
                if any(v != v.lower() or v != v.strip() for v in values):
                    errors.append(f"{uw}.{key}: write every item in lowercase, without outer spaces")
                if len(set(values)) != len(values):
                    errors.append(f"{uw}.{key}: repeated item")


def check_script(slug: str, errors: list[str], kind: str = "") -> int:
    name = f"{slug}.{kind}.jsonl" if kind else f"{slug}.jsonl"
    path = SCRIPTS / name
    if not path.is_file():
        errors.append(f"{slug}: missing script scripts/{name}")
        return 0
    rows = read_jsonl(path, errors)
    lo, hi = SCRIPT_LINES
    if not lo <= len(rows) <= hi:
        errors.append(f"{path.name}: expected {lo}-{hi} lines, got {len(rows)}")
    for n, row in enumerate(rows, 1):
        text = row.get("text")
        if set(row) != {"text"} or not isinstance(text, str) or not text.strip():
            errors.append(f"{path.name}:{n}: each line must be {{\"text\": \"...\"}}")
            continue
        if len(text) >= SCRIPT_CHARS:
            errors.append(f"{path.name}:{n}: {len(text)} characters (limit {SCRIPT_CHARS - 1})")
        lint(text, f"{path.name}:{n}", errors)
    return len(rows)


def check_facts(slug: str, persona: dict, errors: list[str]) -> int:
    path = SCRIPTS / f"{slug}.facts.jsonl"
    if not path.is_file():
        return 0
    rows = read_jsonl(path, errors)
    lo, hi = FACT_LINES
    if not lo <= len(rows) <= hi:
        errors.append(f"{path.name}: expected {lo}-{hi} lines, got {len(rows)}")
    for n, row in enumerate(rows, 1):
        where = f"{path.name}:{n}"
        expect = row.get("expect")
        if set(row) != {"text", "expect"} or not isinstance(row.get("text"), str) or not isinstance(expect, dict):
            errors.append(f"{where}: each line must be {{\"text\": ..., \"expect\": {{...}}}}")
            continue
        if len(row["text"]) >= SCRIPT_CHARS:
            errors.append(f"{where}: question too long")
        field, answers = expect.get("field"), expect.get("answer_contains")
        if set(expect) != {"field", "answer_contains"}:
            errors.append(f"{where}: expect must have exactly 'field' and 'answer_contains'")
        if field not in PERSONA_KEYS:
            errors.append(f"{where}: expect.field '{field}' is not a persona field")
            continue
        if not isinstance(answers, list) or not answers or not all(isinstance(a, str) and a for a in answers):
            errors.append(f"{where}: answer_contains must be a non-empty list of strings")
            continue
        value = str(persona.get(field, "")).lower()
        if not any(a.lower() in value for a in answers):
            errors.append(f"{where}: none of {answers} appears in persona.{field}")
    return len(rows)


def table(scenarios: list[dict]) -> str:
    out = [
        "| Slug | Title | Topic | Difficulty | Certification | Client (age, gender, culture) |",
        "|---|---|---|---|---|---|",
    ]
    for sc in scenarios:
        p = sc["persona"]
        culture = p["cultural_background"].split(";")[0].split(",")[0].strip()
        out.append(
            f"| `{sc['slug']}` | {sc['title']} | {sc['topic']} | {sc['difficulty']} | "
            f"{sc['certification']} | {p['name'].split()[0]}, {p['age']}, {p['gender']}, {culture} |"
        )
    return "\n".join(out)


def main(argv: list[str]) -> int:
    errors: list[str] = []
    scenarios = []
    for path in sorted(LIBRARY.glob("*.json")):
        sc = check_scenario(path, errors)
        if sc is None:
            continue
        scenarios.append(sc)
        slug = sc.get("slug", path.stem)
        check_script(slug, errors)
        lengths = [check_script(slug, errors, kind) for kind in PAIR]
        if all(lengths) and len(set(lengths)) != 1:
            errors.append(f"{slug}: the good and poor scripts must have the same number of lines, got {lengths}")
        if isinstance(sc.get("persona"), dict):
            check_facts(slug, sc["persona"], errors)

    slugs = {sc.get("slug") for sc in scenarios}
    if SCRIPTS.is_dir():
        for path in SCRIPTS.glob("*.jsonl"):
            base = path.name.removesuffix(".jsonl")
            for suffix in (".facts", *(f".{kind}" for kind in PAIR)):
                base = base.removesuffix(suffix)
            if base not in slugs:
                errors.append(f"scripts/{path.name}: no matching scenario '{base}.json'")
    if not any(sc.get("certification") == "crisis" for sc in scenarios):
        errors.append("library: no crisis scenario")

    n_facts = sum((SCRIPTS / f"{s}.facts.jsonl").is_file() for s in slugs if isinstance(s, str))
    if "--table" in argv and not errors:
        print(table(scenarios))
        print()
    for e in errors:
        print("ERROR", e)
    print(f"{len(scenarios)} scenarios, {n_facts} fact scripts, {len(errors)} error(s)")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
