"""The learned scorer's plumbing: data sets, the document split, labels, training, the model file.

Every text here is invented; nothing needs ../shared.
"""
from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kg.learn.datasets import (Argument, GoldFact, detokenize, knowledgenet_gold, load_gold_set, load_knowledgenet,
                               split_of)
from kg.nlp.scorer import ScorerModel

ROOT = Path(__file__).resolve().parent.parent


# -- the split

def test_split_is_fixed_and_about_a_fifth():
    ids = [f"doc_{i}" for i in range(2000)]
    first = [split_of("news", d) for d in ids]
    assert first == [split_of("news", d) for d in reversed(ids)][::-1]  # order does not matter
    share = first.count("heldout") / len(ids)
    assert 0.17 < share < 0.23
    # a different set name or seed moves documents: the split is per set
    assert first != [split_of("other", d) for d in ids]
    assert first != [split_of("news", d, seed="another") for d in ids]


# -- Re-DocRED detokenisation keeps every token's characters

@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(st.sampled_from(["Acme", "bought", "Zorbit", ",", ".", "(", ")", '"', "'s", "$", "5", "n't", "the"]),
                         min_size=1, max_size=12), min_size=1, max_size=4))
def test_detokenize_offsets_point_at_their_tokens(sents):
    text, offsets = detokenize(sents)
    assert text.count("\n") == len(sents) - 1
    for sent, spans in zip(sents, offsets):
        assert [text[a:b] for a, b in spans] == sent
        assert all(b <= spans[k + 1][0] for k, (a, b) in enumerate(spans[:-1]))


def test_detokenize_spacing():
    text, _ = detokenize([["Acme", "(", "NYSE", ":", "ACM", ")", "bought", "Zorbit", "'s", "unit", "."]])
    assert text == "Acme (NYSE: ACM) bought Zorbit's unit."


# -- gold files in the project's format

def _gold_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "mine"
    (folder / "docs").mkdir(parents=True)
    (folder / "docs" / "a1.txt").write_text("Vantix bought Zorbit in 2019. Zorbit makes sensors.\n", encoding="utf-8")
    (folder / "gold.json").write_text(json.dumps({
        "entities": [{"doc": "a1", "name": "Vantix", "aliases": ["Vantix Inc."], "type": "Company"},
                     {"doc": "a1", "name": "Zorbit", "aliases": [], "type": "Company"}],
        "facts": [{"doc": "a1", "subject": "Vantix", "predicate": "acquired", "object": "Zorbit",
                   "evidence": "Vantix bought Zorbit in 2019."}],
        "must_not": []}), encoding="utf-8")
    return folder


def test_load_gold_set_finds_evidence_and_aliases(tmp_path):
    (ex,) = load_gold_set(_gold_folder(tmp_path) / "gold.json")
    assert ex.id == "a1" and ex.source == "mine"
    (fact,) = ex.facts
    assert fact.predicate == "acquired" and fact.evidence == (0, 29)
    assert fact.subject.names == {"vantix", "vantix inc"}  # names as the scorer normalises them
    assert "acquired" in ex.labels and "invested" in ex.labels


def test_knowledgenet_pronoun_facts(tmp_path):
    rows = [
        # the "which" fact has a named twin: the property is judged, the twin is the gold fact
        {"id": "kn_1_1", "doc": "1", "fold": 1, "text": "Brightline Labs has a unit called Pebble Tools which it bought.",
         "annotated": ["SUBSIDIARY_OF"],
         "facts": [{"property": "SUBSIDIARY_OF", "subject": {"start": 34, "end": 46, "text": "Pebble Tools"},
                    "object": {"start": 0, "end": 15, "text": "Brightline Labs"}},
                   {"property": "SUBSIDIARY_OF", "subject": {"start": 47, "end": 52, "text": "which"},
                    "object": {"start": 0, "end": 15, "text": "Brightline Labs"}}]},
        # a lone "He founded X": no name says who; the property is not judged on this passage
        {"id": "kn_2_1", "doc": "2", "fold": 1, "text": "He founded Quarry Foods in 1999.",
         "annotated": ["FOUNDED_BY", "CEO"],
         "facts": [{"property": "FOUNDED_BY", "subject": {"start": 11, "end": 23, "text": "Quarry Foods"},
                    "object": {"start": 0, "end": 2, "text": "He"}}]},
    ]
    path = tmp_path / "kn.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    examples = load_knowledgenet(path)
    assert [e.id for e in examples] == ["kn_1_1", "kn_2_1"]
    assert [f.predicate for f in examples[0].facts] == ["parentOrganization"]
    assert len(examples[0].unknown) == 1 and examples[1].facts == [] and len(examples[1].unknown) == 1
    gold = knowledgenet_gold(examples, path)
    assert gold["judged"] == {"kn_1_1": ["PARENT"], "kn_2_1": ["LEAD"]}
    assert [(f["subject"], f["predicate"], f["object"]) for f in gold["facts"]] == \
        [("Pebble Tools", "parentOrganization", "Brightline Labs")]


def test_argument_matches_by_name_or_overlapping_span():
    arg = Argument(frozenset({"acme"}), ((10, 14),))
    assert arg.matches(frozenset({"acme"}), [])
    assert arg.matches(frozenset({"acme corp"}), [(5, 12)])
    assert not arg.matches(frozenset({"acme corp"}), [(14, 20)])
    assert GoldFact("acquired", arg, arg).evidence is None


# -- the model file and its arithmetic

TINY = {"format": 1, "meta": {}, "rules": {"title:ceoOf": {"right": 9, "hits": 10, "precision": 0.833}},
        "labels": {"acquired": {"bias": -2.0, "weights": {"lca=buy": 3.0, "cue=agree": -1.0},
                                "calibration": {"x": [0.1, 0.9], "y": [0.0, 1.0]}},
                   "emp": {"bias": 0.0, "weights": {}, "calibration": {"x": [], "y": []}}}}


def test_model_scores_features_and_calibrates():
    model = ScorerModel.from_json(TINY)
    table = model.probabilities([["lca=buy", "lca=buy", "unseen"], ["lca=buy", "cue=agree"], []])
    raw = 1 / (1 + np.exp(-np.array([1.0, 0.0, -2.0])))  # a repeated feature counts once
    assert model.names == ["acquired", "emp"]
    np.testing.assert_allclose(table[:, 0], np.interp(raw, [0.1, 0.9], [0.0, 1.0]))
    np.testing.assert_allclose(table[:, 1], [0.5, 0.5, 0.5])  # no calibration: the raw probability
    assert model.rule_floor == {"title:ceoOf": 0.833}


def test_fact_calibration_maps_confidence_to_observed_share():
    from kg.learn.train import fact_calibration, recalibrated
    from kg.nlp.scorer import fact_map

    # invented judgements: facts at 0.9 right 3 times in 4, facts at 0.3 right 1 time in 4
    judged = [("d", 0.9, ok) for ok in (True, True, True, False)] * 5 + \
             [("d", 0.3, ok) for ok in (True, False, False, False)] * 5
    cal = fact_calibration(judged)
    assert cal["facts"] == 40 and len(cal["beta"]) == 3
    read = fact_map(cal)
    assert read(0.9) == pytest.approx(0.75, abs=0.002)
    assert read(0.3) == pytest.approx(0.25, abs=0.002)
    assert read(0.3) < read(0.5) < read(0.7) < read(0.9)
    record = {"doc": "d", "facts": [{"predicate": "acquired", "confidence": 0.9}]}
    assert recalibrated([record], cal)[0]["facts"][0]["confidence"] == pytest.approx(0.75, abs=0.002)
    assert record["facts"][0]["confidence"] == 0.9  # the input is not changed
    assert fact_calibration(judged[:10]) == {"facts": 10}  # too few facts: no map
    assert recalibrated([record], {"facts": 10}) == [record]


def test_fact_calibration_never_falls_as_confidence_rises():
    from kg.learn.train import fact_calibration
    from kg.nlp.scorer import fact_map

    # invented judgements where the middle does better than the top: an unconstrained beta curve
    # would bend down at the top; a falling term is dropped and the map still rises
    judged = [("d", 0.95, ok) for ok in (True, False)] * 10 + [("d", 0.6, True)] * 20 + \
             [("d", 0.2, ok) for ok in (True, False, False, False)] * 5
    cal = fact_calibration(judged)
    assert min(cal["beta"][:2]) >= 0
    read = fact_map(cal)
    grid = [read(p / 100) for p in range(1, 100)]
    assert grid == sorted(grid) and grid[-1] > grid[0]
    # facts right less often the surer they look: no rising term is left, and the map is flat
    # at the share of right facts
    falling = [("d", 0.9, ok) for ok in (True, False, False, False)] * 5 + \
              [("d", 0.2, ok) for ok in (True, True, True, False)] * 5
    cal = fact_calibration(falling)
    assert cal["beta"] == [0.0, 0.0, 0.0] and fact_map(cal)(0.9) == fact_map(cal)(0.2) == 0.5


def test_model_reads_fact_confidence_through_its_fact_calibration():
    model = ScorerModel.from_json({**TINY, "fact_calibration": {"beta": [1.0, 1.0, 0.0]}})
    assert model.fact_confidence(0.6) == pytest.approx(0.6)  # a = b = 1, c = 0: the identity
    model = ScorerModel.from_json({**TINY, "fact_calibration": {"beta": [2.0, 1.0, -0.5]}})
    # sigmoid(2 ln 0.6 - ln 0.4 - 0.5) = 0.36 / (0.36 + 0.4 e^0.5)
    assert model.fact_confidence(0.6) == pytest.approx(0.36 / (0.36 + 0.4 * np.exp(0.5)), abs=0.0005)
    older = ScorerModel.from_json({**TINY, "fact_calibration": {"x": [0.2, 1.0], "y": [0.1, 0.7]}})
    assert older.fact_confidence(0.6) == pytest.approx(0.4)  # an older model's knots still read
    assert ScorerModel.from_json(TINY).fact_confidence(0.6) == 0.6  # no fact calibration: unchanged


def test_calibration_error_weighs_every_bucket_and_judges_the_full_ones():
    from kg.learn.train import calibration_buckets, calibration_error

    assert calibration_buckets([(0.85, True), (0.8, False), (0.25, False), (1.0, True)]) == [
        {"from": 0.2, "to": 0.3, "facts": 1, "mean_confidence": 0.25, "precision": 0.0},
        {"from": 0.8, "to": 0.9, "facts": 2, "mean_confidence": pytest.approx(0.825), "precision": 0.5},
        {"from": 0.9, "to": 1.0, "facts": 1, "mean_confidence": 1.0, "precision": 1.0}]
    # 25 facts called 0.8, 15 right (0.2 off); 5 called 0.3, none right (0.3 off, too few to judge)
    judged = [(0.8, i < 15) for i in range(25)] + [(0.3, False)] * 5
    assert calibration_error(judged) == {"facts": 30, "error": round((25 * 0.2 + 5 * 0.3) / 30, 3),
                                         "worst_bucket": 0.2}
    # a confidence of 1.0 falls in the top bucket, with 0.9
    assert calibration_error([(1.0, True)] * 10 + [(0.9, True)] * 10)["worst_bucket"] == 0.05
    # no bucket of 20: nothing judged, which is not a perfect score
    assert calibration_error([(0.7, True)] * 19)["worst_bucket"] is None
    assert calibration_error([]) == {"facts": 0, "error": 0.0, "worst_bucket": None}


def test_training_report_prints_each_sets_calibration():
    from kg.learn.train import TrainingReport

    cv = {"news": {"mode": "strict", "precision": 0.8, "recall": 0.4, "f1": 0.533, "predicted": 10, "gold": 20,
                   "mean_f1_band": 0.5, "calibration": {"facts": 40, "error": 0.061, "worst_bucket": 0.123}}}
    lines = TrainingReport(Path("m.json"), {"news": 3}, 50, {}, cv, 1.0, "ab" * 32).lines()
    assert "  calibration of its 40 facts: error 0.061, worst bucket of 20+ facts 0.123 off" in lines
    cv["news"]["calibration"]["worst_bucket"] = None
    lines = TrainingReport(Path("m.json"), {"news": 3}, 50, {}, cv, 1.0, "ab" * 32).lines()
    assert "  calibration of its 40 facts: error 0.061, worst bucket of 20+ facts none that large" in lines


# -- kg train end to end, on invented texts

@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("train")
    folder = _gold_folder(tmp)
    cmd = [sys.executable, "-m", "kg.cli", "train", str(folder), "--synthetic", "60", "--no-cv", "--no-cache",
           "--include-heldout"]
    first = subprocess.run(cmd + ["-o", str(tmp / "m1.json")], capture_output=True, text=True, timeout=600)
    second = subprocess.run(cmd + ["-o", str(tmp / "m2.json")], capture_output=True, text=True, timeout=600)
    return tmp, first, second


def test_train_writes_a_model_and_reports(trained):
    tmp, first, _ = trained
    assert first.returncode == 0, first.stderr
    assert "texts: mine 1, synthetic 60" in first.stdout
    assert f"wrote {tmp / 'm1.json'}" in first.stdout
    model = json.loads((tmp / "m1.json").read_text(encoding="utf-8"))
    assert {"invested", "acquired", "founded"} <= set(model["labels"])
    assert model["meta"]["texts"] == {"mine": 1} and model["meta"]["synthetic_stories"] == 60
    for m in model["labels"].values():
        assert m["calibration"]["x"] == sorted(m["calibration"]["x"])


def test_train_is_deterministic(trained):
    tmp, first, second = trained
    assert second.returncode == 0, second.stderr
    assert (tmp / "m1.json").read_bytes() == (tmp / "m2.json").read_bytes()


def test_build_with_a_trained_scorer(trained, tmp_path):
    tmp, _, _ = trained
    corpus = tmp_path / "c"
    corpus.mkdir()
    (corpus / "n.txt").write_text("Northgate Capital led a $20 million Series B round in Quillbyte.\n", encoding="utf-8")
    res = subprocess.run([sys.executable, "-m", "kg.cli", "build", str(corpus), "-o", str(tmp_path / "o"),
                          "--scorer", str(tmp / "m1.json"), "--no-html"], capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr
    missing = subprocess.run([sys.executable, "-m", "kg.cli", "build", str(corpus), "-o", str(tmp_path / "o2"),
                              "--scorer", str(tmp_path / "nope.json")], capture_output=True, text=True, timeout=300)
    assert missing.returncode == 1 and missing.stderr.strip().startswith("Error: scorer model not found:")


def test_train_without_data_is_one_error_line(tmp_path):
    res = subprocess.run([sys.executable, "-m", "kg.cli", "train", str(tmp_path / "none")],
                         capture_output=True, text=True, timeout=120)
    assert res.returncode == 1
    assert res.stderr.strip() == f"Error: no training data at {tmp_path / 'none'}"


def test_packaged_model_is_small_and_complete():
    from kg.nlp.scorer import MODEL_PATH

    assert MODEL_PATH.stat().st_size < 20 * 1024 * 1024
    model = json.loads(MODEL_PATH.read_text(encoding="utf-8"))
    assert {"emp", "lead", "ceo", "founded", "developed", "acquired", "invested", "parent"} <= set(model["labels"])
    assert model["meta"]["held_out_included"] is False
    cal = model["fact_calibration"]
    assert cal["facts"] >= 500 and len(cal["beta"]) == 3 and min(cal["beta"][:2]) >= 0


# -- kg eval counts as ../shared/eval/score.py does (judged families, implied predicates)

def test_weaker_implied_predicate_is_true_but_recalls_nothing():
    from kg.evaluate import score

    gold = {"entities": [{"name": "Ana Ruiz"}, {"name": "Brightline"}, {"name": "Cobalt Labs"}],
            "facts": [{"doc": "d1", "subject": "Ana Ruiz", "predicate": "ceoOf", "object": "Brightline"}]}
    preds = [{"doc": "d1", "subject": "Ana Ruiz", "predicate": "worksFor", "object": "Brightline"},
             {"doc": "d1", "subject": "Ana Ruiz", "predicate": "ceoOf", "object": "Cobalt Labs"}]
    f = score(gold, preds, "strict")["facts"]
    assert (f["predicted"], f["correct_predictions"], f["true_positives"]) == (2, 1, 0)
    assert (f["precision"], f["recall"]) == (0.5, 0.0)


def test_judged_map_limits_family_scoring():
    from kg.evaluate import score

    gold = {"entities": [{"doc": "d1", "name": "Ana Ruiz"}, {"doc": "d1", "name": "Brightline"}],
            "facts": [{"doc": "d1", "subject": "Ana Ruiz", "predicate": "worksFor", "object": "Brightline"}],
            "judged": {"d1": ["EMP"]}}
    preds = [{"doc": "d1", "subject": "Ana Ruiz", "predicate": "worksFor", "object": "Brightline"},
             {"doc": "d1", "subject": "Ana Ruiz", "predicate": "founded", "object": "Brightline"}]  # FOUND: not judged
    f = score(gold, preds, "family")["facts"]
    assert (f["predicted"], f["correct_predictions"], f["precision"], f["recall"]) == (1, 1, 1.0, 1.0)


def test_name_extension_feature_relates_a_name_to_the_name_inside_it():
    from collections import Counter

    from kg.nlp.candidates import name_extension
    from kg.nlp.mentions import Cluster

    maker = Cluster("kb:meta", "Company", kb="meta", names=Counter({"Facebook": 2}), preferred="Meta")
    product = Cluster("Product:facebook messenger", "Product", names=Counter({"Facebook Messenger": 1}))
    unit = Cluster("Org:vantix research", "ResearchLab", names=Counter({"Vantix Research": 1}))
    parent = Cluster("Org:vantix", "Company", names=Counter({"Vantix": 3}))
    assert name_extension(maker, product) == "o_extends_s"
    assert name_extension(unit, parent) == "s_extends_o"
    assert name_extension(parent, product) is None
    assert name_extension(Cluster("Org:vant", "Company", names=Counter({"Vant": 1})), parent) is None  # whole words only


def test_mean_f1_band_is_the_f1_averaged_over_thresholds():
    from kg.learn.train import BAND, _mean_f1_band

    gold = {"entities": [], "facts": [{"doc": "d", "subject": "Acme", "predicate": "acquired", "object": "Widgetly"}],
            "must_not": []}
    fact = {"doc": "d", "subject": "Acme", "predicate": "acquired", "object": "Widgetly", "confidence": 0.62}
    # right at the seven thresholds up to 0.6, nothing predicted at 0.65 and 0.7
    assert BAND == (0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6, 0.65, 0.7)
    assert _mean_f1_band(gold, [fact], "strict") == round(7 / 9, 3)
    wrong = dict(fact, object="Acme Labs", confidence=0.9)  # a wrong fact above every threshold halves precision
    assert _mean_f1_band(gold, [fact, wrong], "strict") == round((7 * 2 / 3) / 9, 3)


def test_a_third_name_on_the_path_is_a_feature():
    from kg.nlp import load_pipeline
    from kg.nlp.candidates import candidates

    nlp = load_pipeline(scorer=False)
    doc = nlp("The panel included Zentrix CEO Jo Bloggs, Brightmesh CEO Sam Roe, and Quorbit CEO Ann Lee. "
              "Zorbex Labs raised money from investors including Harbor Ventures, Index Partners and Bolt Capital.")
    held = {(c.subject.split(":")[-1], c.object.split(":")[-1]): [f for f in c.features if f.startswith("path_ent=")]
            for c in candidates(doc)}
    # each person's own organisation is free; the others' hang under another person's title
    assert held[("jo bloggs", "zentrix")] == held[("sam roe", "brightmesh")] == held[("ann lee", "quorbit")] == []
    assert held[("sam roe", "zentrix")] == held[("jo bloggs", "quorbit")] == ["path_ent=Person"]
    # the other members of an investor's own list are not in the way
    assert held[("bolt capital", "zorbex labs")] == held[("index partners", "zorbex labs")] == []


def test_cross_validated_training_reports_the_sets_calibration(tmp_path):
    folder = _gold_folder(tmp_path)
    res = subprocess.run([sys.executable, "-m", "kg.cli", "train", str(folder), "--synthetic", "60", "--no-cache",
                          "--include-heldout", "-o", str(tmp_path / "m.json")], capture_output=True, text=True, timeout=600)
    assert res.returncode == 0, res.stderr
    lines = res.stdout.splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith("cross-validated mine (strict): "))
    # one text, one fact: a calibration error can be read, no bucket of 20 can be judged
    assert re.fullmatch(r"  calibration of its 1 facts: error \d\.\d{3}, worst bucket of 20\+ facts none that large",
                        lines[at + 1]), lines[at + 1]
    model = json.loads((tmp_path / "m.json").read_text(encoding="utf-8"))
    assert model["meta"]["cross_validated"]["mine"]["calibration"]["worst_bucket"] is None
