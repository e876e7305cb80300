"""`kg train`: candidates of annotated texts -> labelled feature rows -> the scorer's model file.

Steps: parse every training text with the same pipeline `kg build` runs (without the scorer),
generate candidates (kg.nlp.candidates), label each candidate for each relation label the text
was annotated for (gold pair in the stating sentence: positive; annotated but not stated:
negative; anything else: left out), fit one logistic model per label, and calibrate it with
isotonic regression on out-of-fold predictions (folds by source document), then calibrate the
facts (beta calibration on cross-validated facts), so a confidence of 0.8 means that about 80%
of such facts were right on documents the model had not seen.

Everything is seeded and written with sorted keys and rounded numbers: two runs on the same data
write the same bytes.
"""
from __future__ import annotations

import hashlib
import json
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..nlp.scorer import LABELS, PREDICATE_LABELS
from . import SYNTHETIC_STORIES
from .datasets import Example

#: Training weight per set: the tech-news passages are the text techkg exists for.
SOURCE_WEIGHTS = {"news": 3.0, "knowledgenet": 1.0, "redocred": 1.0, "synthetic": 1.0}
#: Sets that only teach: never calibrated on, never scored.
TRAINING_ONLY = {"synthetic"}
MIN_FEATURE_COUNT = 2
DEFAULT_C = 0.5
FOLDS = 5
SEED = 13


@dataclass
class Row:
    """One candidate of one text, with its features and a label value per judged label."""
    doc: str
    source: str
    subject: str
    object: str
    sent_start: int
    features: list[str]
    y: dict[str, int] = field(default_factory=dict)
    rules: tuple[str, ...] = ()
    group: str = ""  # the source document: passages of one web page share a fold


def progress_printer(stream=sys.stderr) -> Callable[[str], None]:
    def say(msg: str) -> None:
        print(msg, file=stream, flush=True)
    return say


# -- parsing

def techkg_pipes(nlp) -> list[str]:
    return [n for n in nlp.pipe_names if n.startswith("techkg_") and n != "techkg_kb_ruler"]


def parse(nlp, examples: list[Example], cache_dir: Path | None = None, say=lambda m: None):
    """spaCy's own analysis of every example, before techkg's components, as a DocBin: parsed once
    (and cached on disk when a folder is given), and every `get_docs` gives fresh Docs for the
    components to change (one pass for the rows, one per cross-validation fold)."""
    from spacy.tokens import DocBin

    from ..extract import prepare
    from ..ingest import text_to_document

    path = None
    if cache_dir is not None:
        h = hashlib.sha256(_base_parse_key(nlp).encode())
        for ex in examples:
            h.update(ex.id.encode())
            h.update(hashlib.sha256(ex.text.encode()).digest())
        path = Path(cache_dir) / f"parsed-{h.hexdigest()[:20]}.spacy"
        if path.exists():
            return DocBin(store_user_data=True).from_disk(path)
    start = time.time()
    prepared = [prepare(nlp, text_to_document(ex.id, ex.text, kind="text")) for ex in examples]
    with nlp.select_pipes(disable=techkg_pipes(nlp)):
        docs = list(nlp.pipe(prepared, batch_size=32))
    say(f"  parsed {len(docs)} texts in {time.time() - start:.0f} s")
    parsed = DocBin(store_user_data=True, docs=docs)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        parsed.to_disk(path)
    return parsed


def annotate(nlp, doc):
    """techkg's mention and relation components on a parsed Doc (the scorer is left to the caller)."""
    for name in techkg_pipes(nlp):
        if name != "techkg_scorer":
            doc = nlp.get_pipe(name)(doc)
    return doc


def _base_parse_key(nlp) -> str:
    """What spaCy's own analysis depends on: the model, the KB's entity ruler, the tokenizer's
    special cases of the lexicon, and the document preparation code (not techkg's components,
    the lemma fixes among them)."""
    from .. import extract, ingest
    from ..nlp.kb import DEFAULT_KB
    from ..nlp.lexicon import LEX

    h = hashlib.sha256(f"{nlp.meta.get('lang')}_{nlp.meta.get('name')} {nlp.meta.get('version')}".encode())
    h.update(Path(DEFAULT_KB).read_bytes())
    h.update(json.dumps(LEX["tokenizer_special_cases"], sort_keys=True).encode())
    for module in (extract, ingest):
        h.update(Path(module.__file__).read_bytes())
    return h.hexdigest()


# -- labelling

def _entity_forms(doc) -> dict[str, tuple[frozenset[str], list[tuple[int, int]]]]:
    """Per cluster key: its normalised names and the character spans of its mentions and references."""
    from ..evaluate import norm

    spans: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for m in doc._.kg_mentions:
        spans[m._.kg_key].append((m.start_char, m.end_char))
    for i, key in (doc._.kg_referents or {}).items():
        spans[key].append((doc[i].idx, doc[i].idx + len(doc[i])))
    return {key: (frozenset(norm(n) for n in c.names), spans.get(key, [])) for key, c in doc._.kg_clusters.items()}


def label_rows(doc, example: Example, cands) -> list[Row]:
    """Rows for the candidates of one text. A label is 1 when a gold fact of the pair implies it
    and the candidate's sentence states it (overlaps the fact's evidence), 0 when the text was
    annotated for the label and no gold fact of the pair implies it, and left out otherwise
    (the pair's fact stated elsewhere, or a fact whose argument the annotation gives as a pronoun)."""
    forms = _entity_forms(doc)
    rows = []
    text_ok = doc.text == example.text
    for cand in cands:
        s_names, s_spans = forms[cand.subject]
        o_names, o_spans = forms[cand.object]
        if not text_ok:
            s_spans = o_spans = []
        lo, hi = cand.sent.start_char, cand.sent.end_char
        stated, elsewhere, negative, unknown = set(), set(), set(), set()
        for g in example.facts:
            if not (g.subject.matches(s_names, s_spans) and g.object.matches(o_names, o_spans)):
                continue
            labs = set(PREDICATE_LABELS.get(g.predicate, ()))
            if g.negative:
                negative |= labs
            elif g.evidence is None or (g.evidence[0] < hi and lo < g.evidence[1]):
                stated |= labs
            else:
                elsewhere |= labs
        for g in example.unknown:
            if g.subject.matches(s_names, s_spans) or g.object.matches(o_names, o_spans):
                unknown |= set(PREDICATE_LABELS.get(g.predicate, ()))
        y = {}
        for lab in cand.labels:
            if lab in stated:
                y[lab] = 1
            elif lab in negative:
                y[lab] = 0
            elif lab in elsewhere or lab in unknown:
                continue
            elif lab in example.labels:
                y[lab] = 0
        if y:
            rows.append(Row(example.id, example.source, cand.subject, cand.object, cand.sent.start,
                            cand.features, y, tuple(sorted({f"{f.pattern}:{f.predicate}" for f in cand.rules})),
                            example.group))
    return rows


def make_rows(nlp, examples: list[Example], parsed) -> list[Row]:
    """Labelled candidate rows of parsed examples (``parsed``: the DocBin `parse` returned)."""
    from ..nlp.candidates import candidates

    rows: list[Row] = []
    for doc, ex in zip(parsed.get_docs(nlp.vocab), examples):
        doc = annotate(nlp, doc)
        cands = candidates(doc)
        rows.extend(label_rows(doc, ex, cands))
    return rows


# -- fitting

class Vocabulary:
    def __init__(self, rows: Iterable[Row], min_count: int = MIN_FEATURE_COUNT):
        counts = Counter(f for r in rows for f in set(r.features))
        self.names = sorted(f for f, n in counts.items() if n >= min_count)
        self.index = {f: i for i, f in enumerate(self.names)}

    def matrix(self, rows: list[Row]):
        from scipy.sparse import csr_matrix

        indptr, indices = [0], []
        for r in rows:
            cols = sorted({self.index[f] for f in r.features if f in self.index})
            indices.extend(cols)
            indptr.append(len(indices))
        data = np.ones(len(indices), dtype=np.float64)
        return csr_matrix((data, np.array(indices, dtype=np.int64), np.array(indptr)), shape=(len(rows), len(self.names)))


def _fit(X, y, w, c: float, learner: str = "logreg"):
    from sklearn.linear_model import LogisticRegression

    if learner == "logreg_l1":
        model = LogisticRegression(C=c, penalty="l1", solver="liblinear", max_iter=2000, random_state=SEED)
    else:
        model = LogisticRegression(C=c, solver="liblinear", max_iter=2000, random_state=SEED)
    model.fit(X, y, sample_weight=w)
    return model


def groups_of(rows: list[Row]) -> np.ndarray:
    """Fold id per row: whole source documents go to one fold (a hash of the document's id)."""
    return np.array([_fold_of(r.group or r.doc) for r in rows])


def out_of_fold(rows: list[Row], label: str, c: float = DEFAULT_C, learner: str = "logreg") -> tuple[np.ndarray, np.ndarray, list[Row]]:
    """Raw probabilities of each judged row from a model that did not see its document."""
    sub = [r for r in rows if label in r.y]
    y = np.array([r.y[label] for r in sub])
    w = np.array([SOURCE_WEIGHTS.get(r.source, 1.0) for r in sub])
    folds = groups_of(sub)
    teach = np.array([r.source in TRAINING_ONLY for r in sub])
    pred = np.zeros(len(sub))
    for k in range(FOLDS):
        train, test = (folds != k) | teach, (folds == k) & ~teach
        if not test.any():
            continue
        if len(set(y[train])) < 2:
            pred[test] = y[train].mean() if train.any() else 0.0
            continue
        vocab = Vocabulary([r for r, t in zip(sub, train) if t])
        model = _fit(vocab.matrix([r for r, t in zip(sub, train) if t]), y[train], w[train], c, learner)
        pred[test] = model.predict_proba(vocab.matrix([r for r, t in zip(sub, test) if t]))[:, 1]
    return pred, y, sub


def calibration_points(raw: np.ndarray, y: np.ndarray, weights: np.ndarray | None = None) -> tuple[list[float], list[float]]:
    """Isotonic map from raw probability to observed precision, as knots of a piecewise-linear curve."""
    from sklearn.isotonic import IsotonicRegression

    if len(raw) < 20 or len(set(y)) < 2:
        return [], []
    iso = IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip", increasing=True)
    iso.fit(raw, y, sample_weight=weights)
    xs, ys = iso.X_thresholds_, iso.y_thresholds_
    # keep the knots where the curve changes: the piecewise-linear map is the same
    keep = [0] + [i for i in range(1, len(xs) - 1) if ys[i] != ys[i - 1] or ys[i] != ys[i + 1]] + [len(xs) - 1]
    return [round(float(xs[i]), 5) for i in keep], [round(float(ys[i]), 4) for i in keep]


def fit_label(rows: list[Row], label: str, c: float = DEFAULT_C, learner: str = "logreg", say=lambda m: None) -> dict | None:
    sub = [r for r in rows if label in r.y]
    y = np.array([r.y[label] for r in sub])
    if len(sub) < 10 or y.sum() < 3:
        say(f"  {label}: {int(y.sum())} positives in {len(sub)} rows: too few, not learned")
        return None
    raw, y_oof, oof_rows = out_of_fold(rows, label, c, learner)
    # calibrated, and reported, on annotated real text only: the invented stories teach shapes,
    # but how often a score is right must be measured on text like the text techkg reads
    real = np.array([r.source not in TRAINING_ONLY for r in oof_rows])
    raw, y_oof = raw[real], y_oof[real]
    xs, ys = calibration_points(raw, y_oof)
    vocab = Vocabulary(sub)
    w = np.array([SOURCE_WEIGHTS.get(r.source, 1.0) for r in sub])
    model = _fit(vocab.matrix(sub), y, w, c, learner)
    coef = model.coef_[0]
    weights = {vocab.names[i]: round(float(coef[i]), 4) for i in np.flatnonzero(np.abs(coef) >= 5e-4)}
    oof = _prf(raw >= 0.5, y_oof)
    say(f"  {label}: {int(y.sum())}/{len(sub)} positive rows, {len(weights)} weights; "
        f"out-of-fold P {oof[0]:.2f} R {oof[1]:.2f} F1 {oof[2]:.2f}")
    return {"bias": round(float(model.intercept_[0]), 4), "weights": dict(sorted(weights.items())),
            "calibration": {"x": xs, "y": ys},
            "cv": {"rows": len(sub), "positives": int(y.sum()), "precision": round(oof[0], 3),
                   "recall": round(oof[1], 3), "f1": round(oof[2], 3)}}


def _prf(pred: np.ndarray, y: np.ndarray) -> tuple[float, float, float]:
    tp = float((pred & (y == 1)).sum())
    p = tp / pred.sum() if pred.sum() else 0.0
    r = tp / (y == 1).sum() if (y == 1).sum() else 0.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def fit_model(rows: list[Row], c: float = DEFAULT_C, learner: str = "logreg", say=lambda m: None,
              meta: dict | None = None) -> dict:
    labels = {}
    for label in LABELS:
        m = fit_label(rows, label, c, learner, say)
        if m is not None:
            labels[label] = m
    return {"format": 1, "meta": {**(meta or {}), "learner": learner, "C": c,
                                  "source_weights": SOURCE_WEIGHTS, "min_feature_count": MIN_FEATURE_COUNT},
            "labels": labels, "rules": rule_precision(rows)}


#: A rule's measured precision counts once it has fired this often on annotated real text.
MIN_RULE_HITS = 5


def rule_precision(rows: list[Row]) -> dict[str, dict]:
    """Per relation rule (pattern id and predicate): how often its hits on annotated real text were
    right. The smoothed precision ((right + 1) / (hits + 2)) of a rule with at least MIN_RULE_HITS
    hits is a floor for the confidence of the facts it proposes (kg.nlp.scorer)."""
    counts: dict[str, list[int]] = {}
    for r in rows:
        if r.source in TRAINING_ONLY:
            continue
        for rp in r.rules:
            pred = rp.rsplit(":", 1)[1]
            lab = PREDICATE_LABELS.get(pred, (None,))[-1]
            if lab in r.y:
                c = counts.setdefault(rp, [0, 0])
                c[0] += r.y[lab]
                c[1] += 1
    return {rp: {"right": tp, "hits": n, "precision": round((tp + 1) / (n + 2), 3)}
            for rp, (tp, n) in sorted(counts.items())}


def write_model(model: dict, path: Path) -> Path:
    from ..graph import write_atomic

    data = json.dumps(model, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode("utf-8") + b"\n"
    return write_atomic(path, data)


def digest_file(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()



# -- cross-validation at the document level

def cross_validate(nlp, sets: dict[str, list[Example]], rows: list[Row], golds: dict[str, tuple[dict, str]],
                   parsed: dict, c: float = DEFAULT_C, learner: str = "logreg",
                   min_confidence: float = 0.5, say=lambda m: None, keep: dict | None = None) -> tuple[dict[str, dict], dict]:
    """Fact-level figures of each set, every text scored by a model trained (and calibrated)
    without its fold: what the training data says about unseen text of the same kind.

    Returns the figures and the fact calibration: a beta map from a fact's confidence to the
    share of such facts that were right, fitted on every fold's out-of-fold facts. A fact is
    judged after the steps a candidate's probability does not see (several mentions of one pair,
    resolution, the scorer's counting), so this second map is what makes a confidence of 0.7 mean
    7 in 10. The figures reported apply to each fold the map fitted on the other folds only.
    ``parsed``: each set's DocBin from `parse`; ``keep``: a dict that receives the out-of-fold
    records per set (for threshold sweeps)."""
    from ..evaluate import score
    from ..nlp.scorer import FactScorer, ScorerModel
    from .crossval import facts_of, gold_of, records_with

    group_of = {e.id: e.group for examples in sets.values() for e in examples}

    def fold_of(doc_id: str) -> int:
        return _fold_of(group_of.get(doc_id, doc_id))

    records: dict[str, list[dict]] = {name: [] for name in sets}
    folds = groups_of(rows)
    for k in range(FOLDS):
        train_rows = [r for r, f in zip(rows, folds) if r.source in TRAINING_ONLY or f != k]
        model = fit_model(train_rows, c, learner)
        scorer = FactScorer(ScorerModel.from_json(model))
        for name, examples in sets.items():
            in_fold = [(d, e) for d, e in zip(parsed[name].get_docs(nlp.vocab), examples) if fold_of(e.id) == k]
            records[name] += records_with(nlp, scorer, [d for d, _ in in_fold], [e for _, e in in_fold])
        say(f"  fold {k + 1}/{FOLDS} scored")
    if keep is not None:
        keep.update(records)
    judged = [(f["doc"], f["confidence"], ok) for name in sets
              for f, ok in judged_facts(records[name], gold_of(sets[name], golds[name][0]), golds[name][1])]
    out = {}
    for name, examples in sets.items():
        gold, mode = golds[name]
        nested = []
        for k in range(FOLDS):
            cal = fact_calibration([j for j in judged if fold_of(j[0]) != k])
            nested += recalibrated([r for r in records[name] if fold_of(r["doc"]) == k], cal)
        part = gold_of(examples, gold)
        res = score(part, facts_of(nested, min_confidence), mode)
        out[name] = {"mode": mode, **res["facts"], "recall_by_predicate": res["recall_by_predicate"],
                     "must_not_violations": len(res["must_not_violations"]),
                     "mean_f1_band": _mean_f1_band(part, facts_of(nested, min(BAND)), mode),
                     "calibration": calibration_error([(f["confidence"], ok) for f, ok in judged_facts(nested, part, mode)])}
    return out, fact_calibration(judged)


#: Thresholds of the steadier figure: a change of a few candidates can carry a block of facts
#: across the 0.5 line and move F1 at 0.5 by ±0.02; the mean F1 over these thresholds moves about
#: ±0.005 for such changes.
BAND = (0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6, 0.65, 0.7)


def _mean_f1_band(gold: dict, facts: list[dict], mode: str) -> float:
    """Mean fact F1 over the thresholds of BAND, of facts resolved once at the lowest of them (a
    stronger fact under a threshold still hides a weaker one of its pair above it, as it would not
    in a build at that threshold: a small difference, for a figure meant to compare models)."""
    from ..evaluate import score

    f1s = [score(gold, [f for f in facts if f["confidence"] >= t], mode)["facts"]["f1"] for t in BAND]
    return round(sum(f1s) / len(f1s), 3)


#: The calibration line of the extraction issue: buckets of 0.1, judged when they hold this many facts.
MIN_BUCKET_FACTS = 20


def calibration_buckets(judged: list[tuple[float, bool]]) -> list[dict]:
    """Facts by confidence in buckets of 0.1 (1.0 goes with 0.9), in order: each bucket's range,
    number of facts, mean confidence and share of right facts."""
    by: dict[int, list[tuple[float, bool]]] = defaultdict(list)
    for p, ok in judged:
        by[min(int(p * 10), 9)].append((p, ok))
    return [{"from": k / 10, "to": (k + 1) / 10, "facts": len(facts),
             "mean_confidence": sum(p for p, _ in facts) / len(facts),
             "precision": sum(ok for _, ok in facts) / len(facts)} for k, facts in sorted(by.items())]


def calibration_error(judged: list[tuple[float, bool]]) -> dict:
    """How far confidences are from the share of right facts: the error over the buckets
    (weighted by facts) and the worst bucket of MIN_BUCKET_FACTS facts or more (None if none is
    that large: nothing judged is not the same as right). Reported per set, since one map for all
    sets is right for their mix, and a set can be off far more than the pooled facts (README,
    Quality)."""
    ece, worst = 0.0, None
    for b in calibration_buckets(judged):
        gap = abs(b["mean_confidence"] - b["precision"])
        ece += gap * b["facts"] / len(judged)
        if b["facts"] >= MIN_BUCKET_FACTS:
            worst = max(worst or 0.0, gap)
    return {"facts": len(judged), "error": round(ece, 3), "worst_bucket": None if worst is None else round(worst, 3)}


def judged_facts(records: list[dict], gold: dict, mode: str) -> list[tuple[dict, bool]]:
    """The records' facts down to the scorer's floor, each with whether the gold says it is right."""
    from ..evaluate import judge_facts
    from ..nlp.scorer import KEEP_FLOOR
    from .crossval import facts_of

    return judge_facts(gold, facts_of(records, KEEP_FLOOR), mode)


def fact_calibration(judged: list[tuple[str, float, bool]]) -> dict:
    """Beta calibration (kg.nlp.scorer.beta_confidence) from a fact's confidence to the observed
    share of right facts. Chosen over the isotonic map it replaced by nested cross-validation on
    the training parts (README, Quality and "How facts are decided"): with a thousand facts the
    isotonic steps fit the folds' noise, and facts it called 0.9 were right 0.77 of the time."""
    from sklearn.linear_model import LogisticRegression

    p = np.clip(np.array([j[1] for j in judged], dtype=float), 1e-4, 1 - 1e-4)
    y = np.array([1 if j[2] else 0 for j in judged])
    if len(p) < 20 or len(set(y)) < 2:
        return {"facts": len(judged)}
    X = np.c_[np.log(p), -np.log(1 - p)]
    use, coef, c = [0, 1], {}, float(np.log(y.mean() / (1 - y.mean())))
    while use:
        lr = LogisticRegression(C=1e6, max_iter=1000).fit(X[:, use], y)
        coef, c = dict(zip(use, lr.coef_[0])), float(lr.intercept_[0])
        if min(coef.values()) >= 0:
            break
        # a negative slope would make the map fall somewhere: drop the most negative term and
        # refit (Kull et al.); with none left the map is flat at the share of right facts
        use.remove(min(use, key=coef.get))
        coef, c = {}, float(np.log(y.mean() / (1 - y.mean())))
    a, b = (float(coef.get(i, 0.0)) for i in (0, 1))
    return {"beta": [round(a, 5), round(b, 5), round(c, 5)], "facts": len(judged)}


def recalibrated(records: list[dict], cal: dict) -> list[dict]:
    """Copies of the records with every fact's confidence read through the fact calibration."""
    from ..nlp.scorer import fact_map

    if not (cal.get("beta") or cal.get("x")):
        return records
    read = fact_map(cal)
    return [{**r, "facts": [{**f, "confidence": round(read(f["confidence"]), 3)} for f in r["facts"]]}
            for r in records]


def _fold_of(group: str) -> int:
    """The cross-validation fold of a source document (an Example's group): a hash of its id."""
    return int(hashlib.sha256(f"{SEED}:{group}".encode()).hexdigest()[:8], 16) % FOLDS


# -- the `kg train` command

DEFAULT_TRAIN_DIR = Path("../shared/train")


@dataclass
class TrainingReport:
    model_path: Path
    texts: dict[str, int]
    rows: int
    labels: dict[str, dict]
    cross_validated: dict[str, dict]
    seconds: float
    digest: str

    def lines(self) -> list[str]:
        out = ["texts: " + ", ".join(f"{k} {v}" for k, v in self.texts.items()),
               f"candidates: {self.rows} labelled"]
        for lab, m in self.labels.items():
            cv = m["cv"]
            out.append(f"  {lab:<10} {cv['positives']:>5} positive of {cv['rows']:>6}; out-of-fold P {cv['precision']:.2f} "
                       f"R {cv['recall']:.2f}; {len(m['weights'])} weights")
        for name, r in self.cross_validated.items():
            out.append(f"cross-validated {name} ({r['mode']}): P {r['precision']:.3f} R {r['recall']:.3f} "
                       f"F1 {r['f1']:.3f} ({r['predicted']} predicted, {r['gold']} gold); "
                       f"mean F1 over {min(BAND)}-{max(BAND)} {r['mean_f1_band']:.3f}")
            if r.get("calibration", {}).get("facts"):
                cal = r["calibration"]
                worst = "none that large" if cal["worst_bucket"] is None else f"{cal['worst_bucket']:.3f} off"
                out.append(f"  calibration of its {cal['facts']} facts: error {cal['error']:.3f}, worst bucket of "
                           f"{MIN_BUCKET_FACTS}+ facts {worst}")
        out.append(f"time: {self.seconds:.0f} s")
        out.append(f"wrote {self.model_path} (sha256 {self.digest[:12]})")
        return out


def load_sources(paths: list[Path]) -> dict[str, list[Example]]:
    """Annotated texts from training folders (the layout of ../shared/train) or gold files in the
    project's format (`gold.json` next to a `docs/` folder of `<doc>.txt`)."""
    from .datasets import TrainingSets, load_gold_set

    sets: dict[str, list[Example]] = {}
    for p in paths:
        p = Path(p)
        if p.is_dir() and TrainingSets(p).available():
            ts = TrainingSets(p)
            for name in ts.available():
                sets[name] = sets.get(name, []) + ts.load(name)
        elif p.is_dir() and (p / "gold.json").exists():
            sets[p.name] = load_gold_set(p / "gold.json", source=p.name)
        elif p.is_file():
            sets[p.parent.name or p.stem] = load_gold_set(p, source=p.parent.name or p.stem)
        else:
            raise FileNotFoundError(f"no training data at {p} (a folder like ../shared/train, or a gold.json next to docs/)")
    return sets


def train(paths: list[Path], out: Path, *, synthetic: int = SYNTHETIC_STORIES, cache_dir: Path | None = None,
          include_heldout: bool = False, cv: bool = True, c: float = DEFAULT_C, say=lambda m: None) -> TrainingReport:
    """Train the scorer on the given annotated sets (their held-out documents left out unless
    ``include_heldout``) plus ``synthetic`` invented stories, and write the model file."""
    from ..nlp import load_pipeline
    from .synthetic import stories

    started = time.time()
    sources = load_sources(paths)
    sets = {name: [e for e in ex if include_heldout or e.split == "train"] for name, ex in sources.items()}
    sets = {name: ex for name, ex in sets.items() if ex}
    if not sets:
        raise ValueError("no annotated texts to train on")
    nlp = load_pipeline(scorer=False)
    rows: list[Row] = []
    parsed = {}
    for name, examples in sets.items():
        say(f"{name}: {len(examples)} texts")
        parsed[name] = parse(nlp, examples, cache_dir, say)
        rows += make_rows(nlp, examples, parsed[name])
    if synthetic:
        say(f"synthetic: {synthetic} invented stories")
        invented = stories(synthetic)
        rows += make_rows(nlp, invented, parse(nlp, invented, cache_dir, say))
    say(f"{len(rows)} labelled candidates; fitting")
    meta = {"texts": {name: len(ex) for name, ex in sets.items()}, "synthetic_stories": synthetic,
            "held_out_included": include_heldout,
            "data_digest": _data_digest(sets)}
    model = fit_model(rows, c, say=say, meta=meta)
    cross = {}
    if cv:
        golds = {}
        for name, examples in sets.items():
            gold = _gold_for(paths, name, examples)
            if gold is not None:
                golds[name] = gold
        if golds:
            say("cross-validating by document")
            cross, model["fact_calibration"] = cross_validate(nlp, {n: sets[n] for n in golds}, rows, golds,
                                                              parsed, c, say=say)
            model["meta"]["cross_validated"] = cross
    write_model(model, out)
    return TrainingReport(out, meta["texts"] | ({"synthetic": synthetic} if synthetic else {}), len(rows),
                          model["labels"], cross, time.time() - started, digest_file(out))


def _gold_for(paths: list[Path], name: str, examples: list[Example]) -> tuple[dict, str] | None:
    from .datasets import TrainingSets

    for p in paths:
        p = Path(p)
        if p.is_dir() and name in TrainingSets(p).available():
            return TrainingSets(p).gold(name, examples)
        gold = p / "gold.json" if p.is_dir() else p
        if gold.exists() and (p.name == name or p.parent.name == name or p.stem == name):
            return json.loads(gold.read_text(encoding="utf-8")), "strict"
    return None


def _data_digest(sets: dict[str, list[Example]]) -> str:
    h = hashlib.sha256()
    for name in sorted(sets):
        for ex in sets[name]:
            h.update(f"{name}\x1f{ex.id}\x1f".encode())
            h.update(ex.text.encode())
    return h.hexdigest()[:16]
