"""What a fact's words say about it beyond the pair: money, year, funding round, lead investor,
deal status, former and future roles.

These are read from cues around the trigger (the word the pair's dependency path meets at) and
kept as data in patterns/lexicon.json (`status_cues`, `role_change_cues`, `former_markers`). Deal
status decides whether a deal is a fact at all: only a completed deal is kg:acquired or
kg:investedIn; an announced, pending, blocked, abandoned or rumoured one stays an event.
"""
from __future__ import annotations

import re

from spacy.tokens import Doc, Span, Token

from .lexicon import LEX

STATUS_ORDER = ("abandoned", "blocked", "pending", "talks", "announced")
STATUS_CUES = {k: frozenset(v) for k, v in LEX["status_cues"].items() if k != "about"}
ROLE_CUES = {k: frozenset(v) for k, v in LEX["role_change_cues"].items() if k != "about"}
FORMER = frozenset(LEX["former_markers"])
DEAL_PREDICATES = {"acquired", "investedIn"}
ROLE_PREDICATES = {"worksFor", "leads", "ceoOf"}

CURRENCIES = {"$": "USD", "us$": "USD", "usd": "USD", "€": "EUR", "eur": "EUR", "euro": "EUR", "euros": "EUR",
              "£": "GBP", "gbp": "GBP", "pound": "GBP", "pounds": "GBP", "¥": "JPY", "jpy": "JPY", "yen": "JPY",
              "yuan": "CNY", "rmb": "CNY", "cny": "CNY", "rs": "INR", "rs.": "INR", "inr": "INR", "rupees": "INR",
              "₹": "INR", "cad": "CAD", "c$": "CAD", "a$": "AUD", "aud": "AUD", "chf": "CHF", "sek": "SEK",
              "s$": "SGD", "sgd": "SGD", "hk$": "HKD", "krw": "KRW", "won": "KRW", "r$": "BRL"}
SCALE = {"trillion": 1e12, "tn": 1e12, "billion": 1e9, "bn": 1e9, "b": 1e9, "million": 1e6, "mn": 1e6,
         "mln": 1e6, "m": 1e6, "thousand": 1e3, "k": 1e3, "crore": 1e7, "lakh": 1e5}
_SYMBOL = r"(?:US\$|C\$|A\$|S\$|HK\$|R\$|\$|€|£|¥|₹|USD|EUR|GBP|JPY|CNY|RMB|INR|Rs\.?|CAD|AUD|CHF|SEK|SGD|KRW)"
_NUMBER = r"(\d+(?:[.,]\d+)*)"
_UNIT = r"(trillion|tn|billion|bn|b|million|mn|mln|m|thousand|k|crore|lakh)?"
MONEY_BEFORE = re.compile(rf"({_SYMBOL})\s?{_NUMBER}\s*{_UNIT}\b", re.I)
MONEY_AFTER = re.compile(rf"{_NUMBER}\s*{_UNIT}\s*(dollars|euros?|pounds|yen|yuan|rupees|won)\b", re.I)
YEAR_RE = re.compile(r"\b(1[89]\d\d|20\d\d)\b")
ROUND_RE = re.compile(r"\b(pre-seed|seed|angel|bridge|mezzanine|growth|series\s+[a-h](?:[-\s]?\d|\+)?|"
                      r"pre-series\s+[a-h]|round\s+[a-h])\b(?:\s+(?:extension))?", re.I)


def parse_money(text: str) -> tuple[float, str] | None:
    """'$1b' -> (1e9, 'USD'), '€50 million' -> (5e7, 'EUR'), '300 million yuan' -> (3e8, 'CNY')."""
    m = MONEY_BEFORE.search(text)
    if m:
        symbol, number, unit = m.group(1), m.group(2), m.group(3)
    else:
        m = MONEY_AFTER.search(text)
        if not m:
            return None
        number, unit, symbol = m.group(1), m.group(2), m.group(3)
    try:
        value = float(number.replace(",", ""))
    except ValueError:
        return None
    currency = CURRENCIES.get(symbol.lower().rstrip("."), CURRENCIES.get(symbol.lower(), "USD"))
    return round(value * SCALE.get((unit or "").lower(), 1.0), 2), currency


def round_name(sent: Span) -> str | None:
    """'Series B', 'seed', 'pre-seed' from a sentence about a funding round."""
    m = ROUND_RE.search(sent.text)
    if not m:
        return None
    name = " ".join(m.group(1).split())
    if name.lower().startswith(("series", "pre-series", "round")):
        head, _, rest = name.partition(" ")
        return f"{head.capitalize()} {rest.upper()}"
    return name.lower()


def _money_near(doc: Doc, sent: Span, anchor: int | None) -> tuple[float, str] | None:
    best = None
    for ent in sent.ents:
        if ent.label_ != "MONEY":
            continue
        left = doc[max(ent.start - 1, sent.start):ent.end].text
        value = parse_money(left) or parse_money(ent.text) or parse_money("$" + ent.text)
        if value is None:
            continue
        dist = abs(ent.start - anchor) if anchor is not None else ent.start
        if best is None or dist < best[0]:
            best = (dist, value)
    return best[1] if best else None


def _year_near(sent: Span, anchor: int | None) -> str | None:
    best = None
    for ent in sent.ents:
        if ent.label_ == "DATE":
            m = YEAR_RE.search(ent.text)
            if m:
                dist = abs(ent.start - anchor) if anchor is not None else ent.start
                if best is None or dist < best[0]:
                    best = (dist, m.group(1))
    return best[1] if best else None


def _around(tok: Token) -> list[Token]:
    """A trigger, the clauses that govern it and their auxiliaries, particles and adverbs."""
    chain = [tok]
    t = tok
    while t.dep_ in ("xcomp", "ccomp", "acl", "pcomp", "pobj", "prep", "dobj", "advcl", "relcl", "conj", "nsubj", "nsubjpass") \
            and t.head.i != t.i and len(chain) < 5:
        t = t.head
        chain.append(t)
    out = []
    for t in chain:
        out.append(t)
        out.extend(c for c in t.children if c.dep_ in ("aux", "auxpass", "neg", "advmod", "prt", "amod", "acomp", "npadvmod"))
    return out


def deal_status(doc: Doc, sent: Span, trigger: int | None) -> str:
    """Where a deal stands: the first status whose cue is around the trigger, else 'completed'.
    A past or perfect trigger verb with no such cue is done ("bought", "has acquired")."""
    near = _around(doc[trigger]) if trigger is not None else list(sent)
    if any(_told_complete(t) for t in near):
        return "completed"  # "has completed its purchase of", "announced the completion of", "the deal closed"
    lemmas = {t.lemma_.lower() for t in near} | {t.lower_ for t in near}
    sentence = {t.lemma_.lower() for t in sent} | {t.lower_ for t in sent}
    for status in STATUS_ORDER:
        cues = STATUS_CUES[status]
        if status == "pending":  # "pending regulatory approval", "expected to close": said of the deal anywhere
            if STATUS_CUES["pending_alone"] & sentence or ("expect" in sentence and STATUS_CUES["pending_expected"] & sentence):
                return status
            continue
        if lemmas & cues:
            if status == "announced" and trigger is not None and _done_verb(doc[trigger]):
                continue  # "announced that it has acquired X": done
            return status
    return "completed"


def _told_complete(tok: Token) -> bool:
    """A word of completion told as done: "completed" or "closed" in the past or perfect with no
    modal or negation, or the noun "completion" not said to be expected ("the expected completion")."""
    lemma = tok.lemma_.lower()
    if lemma not in STATUS_CUES["done_words"]:
        return False
    if any(c.dep_ == "neg" or c.lower_ in STATUS_CUES["talks"] | {"will", "shall", "to"} for c in tok.children):
        return False
    if tok.pos_ == "NOUN":
        return not any(c.lemma_.lower() in STATUS_CUES["pending"] | {"expect", "expected", "plan", "planned", "anticipated"}
                       for c in tok.children)
    return _done_verb(tok)


def _done_verb(tok: Token) -> bool:
    """A trigger verb in the past or perfect without a modal: the deal is told as done."""
    if tok.tag_ == "VBD":
        return True
    return tok.tag_ == "VBN" and any(c.lemma_ == "have" or c.dep_ == "auxpass" for c in tok.children) \
        and not any(c.lower_ in ("will", "would", "to") for c in tok.children)


def role_time(doc: Doc, cand, person_at) -> str | None:
    """'former' for past roles ('former CEO', 'stepped down', 'replaced X as CEO' for X), 'future'
    for roles not yet taken ('will become CEO', 'incoming CEO'), None for current ones."""
    tokens = []
    if cand.trigger is not None:
        tokens += _around(doc[cand.trigger])
    if person_at is not None:
        head = doc[person_at.head]
        tokens += [head, head.head, *head.children]
        for c in head.children:  # "X, the former chief executive of Y": the apposed title's words
            if c.dep_ == "appos":
                tokens += list(c.children)
        if head.dep_ == "dobj" and head.head.lemma_.lower() in ROLE_CUES["replaced_person"]:
            return "former"
    words = {t.lower_ for t in tokens} | {t.lemma_.lower() for t in tokens}
    later = words & ROLE_CUES["modal"]
    if words & FORMER:
        return "former"
    if words & ROLE_CUES["left"]:
        return None if later else "former"  # "will step down at the end of the year": still in office
    if words & ROLE_CUES["future"] and later:
        return "future"
    return None


def for_fact(doc: Doc, cand, predicate: str) -> dict:
    """Attributes of one fact: those the rule hits found first, then the cues around its trigger."""
    attrs: dict = {}
    for f in cand.rules:
        if f.predicate == predicate or (f.predicate in ROLE_PREDICATES and predicate in ROLE_PREDICATES):
            for k, v in f.attrs.items():
                attrs.setdefault(k, v)
    sent, trigger = cand.sent, cand.trigger
    if predicate in DEAL_PREDICATES:
        key = "price_usd" if predicate == "acquired" else "amount_usd"
        if key not in attrs:
            money = _money_near(doc, sent, trigger)
            if money:
                value, currency = money
                if currency == "USD":
                    attrs[key] = value
                else:
                    attrs["amount"], attrs["currency"] = value, currency
        year = _year_near(sent, trigger)
        if year and "date" not in attrs:
            attrs["date"] = year
        attrs["status"] = deal_status(doc, sent, trigger)
        if predicate == "investedIn":
            rnd = round_name(sent)
            if rnd:
                attrs["round"] = rnd
            attrs["lead"] = is_lead(doc, cand)
    elif predicate in ROLE_PREDICATES:
        when = role_time(doc, cand, cand.subject_at)
        if when == "former":
            attrs["former"] = True
        elif when == "future":
            attrs["status"] = "future"
    return attrs


def is_lead(doc: Doc, cand) -> bool:
    """An investor who led the round: 'led by X (and Y)', 'X led the round', 'lead investor X'."""
    at = cand.subject_at
    if at is None:
        return False
    tok = doc[at.head]
    chain = [tok]
    t = tok
    while t.dep_ in ("conj", "pobj", "agent", "appos", "compound", "nsubj", "prep") and t.head.i != t.i and len(chain) < 6:
        t = t.head
        chain.append(t)
    near = chain + [c for c in tok.children if c.dep_ in ("amod", "compound", "appos")]
    return any(x.lemma_.lower() in ("lead", "co-lead", "colead", "spearhead", "headline") or x.lower_ in ("led", "co-led")
               for x in near if x.i != tok.i)


def for_event(doc: Doc, attrs: dict, sent: Span) -> dict:
    """Attributes of an event-only relation (a merger): the rule's price and year, and the deal's
    status read around its trigger, the same cues as for acquisitions."""
    out = {k: v for k, v in attrs.items() if not k.startswith("_")}
    out["status"] = deal_status(doc, sent, attrs.get("_trigger"))
    return out
