"""`techkg_scorer`: the trained model decides which candidates are facts, and how sure it is.

Each candidate (kg.nlp.candidates) gets, for every relation its types allow, a probability from
a logistic model over its features, mapped through the calibration measured on held-out folds,
then through the fact calibration measured on whole held-out documents (`kg train` writes all of
it into models/scorer.json). That second map gives the fact's confidence.
Deal status, funding round, lead investor, money, year and former/future roles are attributes
read from cues around the trigger (kg.nlp.attributes); a deal or role that is not (yet) done is
kept as an event, never as a fact.
"""
from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

import numpy as np
from spacy.language import Language
from spacy.tokens import Doc

from . import EVENT_ONLY, attributes
from .candidates import LABEL_TYPES, RANGE_DEFAULT, Candidate, candidates, in_range
from .lexicon import WORK_TYPES
from .relations import Fact

MODEL_PATH = Path(__file__).parent / "models" / "scorer.json"
#: Candidates below this probability are not written to the record at all; the build's
#: --min-confidence (default 0.5) then decides which of the rest become facts.
KEEP_FLOOR = 0.2
#: The relation labels the scorer learns; a label is judged on a training text only where the
#: text was annotated for it. "emp" is any employment (worksFor, leads or ceoOf), "lead" any
#: leadership: a predicate implies the labels listed for it, the last one its own.
LABELS = ("emp", "lead", "ceo", "founded", "developed", "acquired", "invested", "parent", "award")
PREDICATE_LABELS = {
    "worksFor": ("emp",), "leads": ("emp", "lead"), "ceoOf": ("emp", "lead", "ceo"),
    "founded": ("founded",), "developed": ("developed",), "acquired": ("acquired",),
    "investedIn": ("invested",), "parentOrganization": ("parent",), "ownedBy": ("parent",),
    "subsidiaryOf": ("parent",), "awardReceived": ("award",),
}
PREDICATE_LABEL = {p: labels[-1] for p, labels in PREDICATE_LABELS.items()}
LABEL_PREDICATES = {"emp": "worksFor", "lead": "leads", "ceo": "ceoOf", "founded": "founded",
                    "developed": "developed", "acquired": "acquired", "invested": "investedIn",
                    "parent": "parentOrganization", "award": "awardReceived"}


#: A rule's measured precision is a floor for its facts' confidence once it has this many hits.
MIN_RULE_HITS = 5


def beta_confidence(coef, p):
    """Beta calibration (Kull et al., 2017): sigmoid(a ln p - b ln(1 - p) + c), with a, b >= 0 so
    the map rises with p. Three numbers fitted on the cross-validated facts: an isotonic map of
    the same facts has a step for every run of them and overfits a thousand facts."""
    a, b, c = coef
    q = np.clip(p, 1e-4, 1 - 1e-4)
    return 1.0 / (1.0 + np.exp(-(a * np.log(q) - b * np.log(1 - q) + c)))


def fact_map(cal: dict):
    """The fact calibration of a model file as a function of a candidate's probability: beta
    coefficients, or the knots of a piecewise-linear map (older model files); none: identity."""
    if cal.get("beta"):
        coef = tuple(cal["beta"])
        return lambda p: float(beta_confidence(coef, p))
    if cal.get("x"):
        xs, ys = np.array(cal["x"]), np.array(cal["y"])
        return lambda p: float(np.interp(p, xs, ys))
    return lambda p: p


class ScorerModel:
    """The logistic models of every label as one weight matrix (feature x label), with each
    label's calibration curve: a document's candidates are scored in a few array operations."""

    def __init__(self, data: dict):
        self.meta = data.get("meta", {})
        self.names = sorted(data["labels"])
        self.column = {lab: j for j, lab in enumerate(self.names)}
        vocab: dict[str, int] = {}
        for m in data["labels"].values():
            for f in m["weights"]:
                vocab.setdefault(f, len(vocab) + 1)  # row 0 stays zero: a feature the model never saw
        self.vocab = vocab
        self.weights = np.zeros((len(vocab) + 1, len(self.names)))
        for lab, m in data["labels"].items():
            j = self.column[lab]
            for f, w in m["weights"].items():
                self.weights[vocab[f], j] = w
        self.bias = np.array([data["labels"][lab]["bias"] for lab in self.names])
        self.calibration = [(np.array(data["labels"][lab]["calibration"]["x"]),
                             np.array(data["labels"][lab]["calibration"]["y"])) for lab in self.names]
        self.rule_floor = {rp: r["precision"] for rp, r in data.get("rules", {}).items() if r["hits"] >= MIN_RULE_HITS}
        self.fact_calibration = data.get("fact_calibration") or {}
        self._fact_map = fact_map(self.fact_calibration)

    def fact_confidence(self, p: float) -> float:
        """A candidate's probability read as a fact's confidence: the share of facts at that
        probability that were right in cross-validation (whole documents held out, after the
        resolution and counting a candidate's probability does not see)."""
        return self._fact_map(p)

    @classmethod
    def from_json(cls, data: dict) -> "ScorerModel":
        return cls(data)

    def probabilities(self, feature_lists: list[list[str]]) -> np.ndarray:
        """Calibrated probability of every label (columns, in ``names`` order) for each candidate."""
        if not feature_lists:
            return np.zeros((0, len(self.names)))
        vocab = self.vocab
        index, starts = [], []
        for feats in feature_lists:
            starts.append(len(index))
            index.append(0)
            index.extend({vocab[f] for f in feats if f in vocab})
        z = np.add.reduceat(self.weights[np.array(index)], np.array(starts), axis=0) + self.bias
        raw = 1.0 / (1.0 + np.exp(-np.clip(z, -30.0, 30.0)))
        out = np.empty_like(raw)
        for j, (xs, ys) in enumerate(self.calibration):
            # piecewise-linear map from the raw probability to the precision measured at it
            out[:, j] = np.interp(raw[:, j], xs, ys) if len(xs) else raw[:, j]
        return out


class ScorerModelError(Exception):
    """The scorer's model file is missing or unreadable."""


@lru_cache(maxsize=4)
def load_model(path: str | None = None) -> ScorerModel:
    p = Path(path) if path else MODEL_PATH
    try:
        return ScorerModel.from_json(json.loads(p.read_text(encoding="utf-8")))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ScorerModelError(f"cannot read the scorer model {p}: {exc}") from exc


@Language.factory("techkg_scorer", default_config={"model_path": None})
def make_scorer(nlp: Language, name: str, model_path: str | None):
    return FactScorer(load_model(model_path))


class FactScorer:
    def __init__(self, model: ScorerModel | None):
        self.model = model

    def __call__(self, doc: Doc) -> Doc:
        cands = candidates(doc)
        table = self.model.probabilities([c.features for c in cands])
        decided = [(cand, lab, p) for cand, row in zip(cands, table)
                   for lab, p in sorted(self.probabilities(cand, row).items()) if p >= KEEP_FLOOR]
        events = event_only(doc)
        # the text says the two merged: neither acquired the other in that sentence
        merged = {(e.sent.start, frozenset((e.subject, e.object))) for e in events}
        decided = [d for d in decided if not (d[1] == "acquired" and (d[0].sent.start, frozenset((d[0].subject, d[0].object))) in merged)]
        retype_from_facts(doc._.kg_clusters, decided)
        facts: list[Fact] = []
        for cand, lab, p in decided:
            fact = self.fact(doc, cand, lab, self.model.fact_confidence(p))
            if fact is not None:
                facts.append(fact)
        doc._.kg_facts = facts + events
        return doc

    def probabilities(self, cand: Candidate, row=None) -> dict[str, float]:
        """Per label the candidate's types allow: its calibrated probability, at least the measured
        precision of a rule that proposed it, and never below the probability of a stronger label."""
        if row is None:
            row = self.model.probabilities([cand.features])[0]
        column = self.model.column
        probs = {lab: float(row[column[lab]]) for lab in cand.labels if lab in column}
        for f in cand.rules:
            floor = self.model.rule_floor.get(f"{f.pattern}:{f.predicate}")
            lab = PREDICATE_LABEL.get(f.predicate)
            if floor is not None and lab in cand.labels:
                probs[lab] = max(probs.get(lab, 0.0), floor)
        # a CEO leads and works for the organisation: a weaker label is at least as likely
        if "lead" in probs and "ceo" in probs:
            probs["lead"] = max(probs["lead"], probs["ceo"])
        if "emp" in probs and "lead" in probs:
            probs["emp"] = max(probs["emp"], probs["lead"])
        return probs

    def fact(self, doc: Doc, cand: Candidate, lab: str, p: float) -> Fact | None:
        clusters = doc._.kg_clusters
        subject_type, object_type = clusters[cand.subject].type, clusters[cand.object].type
        if not in_range(lab, subject_type, object_type):
            return None
        predicate = LABEL_PREDICATES[lab]
        if lab == "parent" and subject_type in WORK_TYPES:
            predicate = "ownedBy"
        attrs = attributes.for_fact(doc, cand, predicate)
        pattern = ",".join(sorted({f.pattern for f in cand.rules})) or "pair"
        return Fact(cand.subject, predicate, cand.object, cand.sent, round(p, 3), pattern, attrs)


def event_only(doc: Doc) -> list[Fact]:
    """The rule proposals of relations that are events only (mergers), with their status; the
    model has no label for them, so they pass with the rule's confidence."""
    return [Fact(f.subject, f.predicate, f.object, f.sent, f.confidence, f.pattern,
                 attributes.for_event(doc, f.attrs, f.sent))
            for f in doc._.kg_facts or () if f.predicate in EVENT_ONLY]


def retype_from_facts(clusters: dict, decided: list[tuple[Candidate, str, float]], threshold: float = 0.5) -> None:
    """A confident fact types its arguments: what raised a round from investors is an organisation
    even where the small model called it a place or a person. Only entities the knowledge base does
    not know are retyped, each by its most confident fact."""
    done: set[str] = set()
    for cand, lab, p in sorted(decided, key=lambda d: (-d[2], d[0].subject, d[0].object, d[1])):
        if p < threshold:
            break
        allowed_s, allowed_o = LABEL_TYPES[lab]
        for key, allowed, default in ((cand.subject, allowed_s, RANGE_DEFAULT[lab][0]),
                                      (cand.object, allowed_o, RANGE_DEFAULT[lab][1])):
            c = clusters[key]
            if key in done or c.kb or c.type in allowed or default is None:
                continue
            c.type = default
            done.add(key)
