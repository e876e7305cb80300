"""The anchor-first matcher must find exactly what spaCy's DependencyMatcher finds, and the
column lookup `tokens_where` exactly what a loop over every token finds."""
from pathlib import Path

import pytest
from spacy.attrs import DEP, LOWER, ORTH, TAG
from spacy.matcher import DependencyMatcher

from kg.ingest import load_documents
from kg.nlp import load_pipeline
from kg.nlp.lexicon import expand_sets, load_patterns, tokens_where
from kg.nlp.treematch import TreeMatcher

CORPUS = Path(__file__).parent.parent / "corpus"


@pytest.fixture(scope="module")
def parsed():
    nlp = load_pipeline()
    docs, _ = load_documents([CORPUS])
    extra = ["Instagram, acquired by Facebook in 2012, grew. Nexus Q is a media player developed by Google.",
             "Xamarin, a subsidiary of Microsoft, was sold to Novell. Enasa also owned Seddon Atkinson."]
    return nlp, list(nlp.pipe([d.text for d in docs] + extra))


def test_same_matches_as_spacy_dependency_matcher(parsed):
    nlp, docs = parsed
    data = load_patterns("relations")
    spacy_matcher, ours = DependencyMatcher(nlp.vocab), TreeMatcher(nlp.vocab)
    names = {}
    for spec in data["patterns"]:
        pattern = expand_sets(spec["pattern"], data["sets"])
        spacy_matcher.add(spec["id"], [pattern])
        ours.add(spec["id"], pattern)
        names[spec["id"]] = [n["RIGHT_ID"] for n in pattern]
    total = 0
    for doc in docs:
        expected = {(doc.vocab.strings[m], tuple(ids)) for m, ids in spacy_matcher(doc)}
        got = {(key, tuple(b[n].i for n in names[key])) for key, b in ours(doc)}
        assert got == expected
        total += len(got)
    assert total > 50


def test_unsupported_operator_is_rejected(parsed):
    nlp, _ = parsed
    m = TreeMatcher(nlp.vocab)
    with pytest.raises(ValueError, match="REL_OP"):
        m.add("x", [{"RIGHT_ID": "a", "RIGHT_ATTRS": {"POS": "VERB"}},
                    {"LEFT_ID": "a", "REL_OP": ".", "RIGHT_ID": "b", "RIGHT_ATTRS": {}}])


@pytest.mark.parametrize("attr, name, values", [
    (ORTH, "text", {"Meta", "Google", "LeCun", "NotInTheCorpus"}),
    (LOWER, "lower_", {"ceo", "founder", "chief", "scientist"}),
    (TAG, "tag_", {"NNS", "VBD"}),
    (DEP, "dep_", {"nsubj", "appos"}),
])
def test_tokens_where_finds_what_a_token_loop_finds(parsed, attr, name, values):
    _, docs = parsed
    for doc in docs:
        expected = [t.i for t in doc if getattr(t, name) in values]
        assert [t.i for t in tokens_where(doc, attr, values)] == expected
    found = sum(len(tokens_where(doc, attr, values)) for doc in docs)
    assert found > 5


def test_tokens_where_on_nothing(parsed):
    nlp, docs = parsed
    assert tokens_where(docs[0], ORTH, []) == []
    assert tokens_where(nlp.make_doc(""), ORTH, ["Meta"]) == []
