"""Cross-document entity resolution and organisation types, on invented sentences."""
from __future__ import annotations

import pytest

from kg.build import build_corpus
from kg.query import entity_rows, load_graph, to_networkx
from kg.resolve import doc_scoped_id, institutional, is_doc_scoped, resolve

DOCS = {
    "a_lone": "John said the new depot would open in Lisbon next spring. John works at Quillon Robotics.\n",
    "b_lone": "John praised the harvest in Osaka on Tuesday. Nobody else spoke.\n",
    "c_full": "Dana Okafor is the chief executive of Acme Inc., a company based in Toronto. "
              "Okafor joined Acme in 2004. Dana rarely gives interviews.\n",
    "d_full": "The factory in Denver belongs to Acme, which makes tools. Priya Okafor founded Corvid Networks in Oslo.\n",
    "e_party": "Maureen Middleton (Conservative Party) won the seat. The Labour Party lost two seats. "
               "The Board approved the budget.\n",
    "f_acr": "The Northern Rail Authority (NRA) said on Monday that the NRA would expand.\n",
    "g_acr": "The National Rowing Association (NRA) said the NRA would hold a regatta.\n",
}


@pytest.fixture(scope="module")
def rows(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("resolution")
    src = tmp / "texts"
    src.mkdir()
    for name, text in DOCS.items():
        (src / f"{name}.txt").write_text(text, encoding="utf-8")
    build_corpus([src], tmp / "out", html=False)
    g = load_graph(tmp / "out" / "graph.ttl")
    return g, entity_rows(g)


def named(rows, label):
    return [r for r in rows if r["label"] == label]


def test_a_lone_given_name_in_two_documents_is_two_document_entities(rows):
    _, ents = rows
    johns = named(ents, "John")
    assert sorted(r["id"].rsplit("/", 1)[1] for r in johns) == ["john__doc_a_lone", "john__doc_b_lone"]
    assert all(r["docs"] == [r["id"].rsplit("_doc_", 1)[1].replace("_", "_")] for r in johns)


def test_acme_inc_and_acme_are_one_company(rows):
    _, ents = rows
    acme = [r for r in ents if r["label"] in ("Acme", "Acme Inc")]
    assert len(acme) == 1
    assert acme[0]["type"] == "Company" and acme[0]["docs"] == ["c_full", "d_full"]


def test_two_full_names_with_one_surname_stay_two_people(rows):
    _, ents = rows
    dana, priya = named(ents, "Dana Okafor"), named(ents, "Priya Okafor")
    assert len(dana) == 1 and len(priya) == 1
    assert sorted(dana[0]["aliases"]) == ["Dana", "Okafor"] and priya[0]["aliases"] == []


def test_parties_are_organizations_and_an_affiliation_is_no_alias(rows):
    _, ents = rows
    assert [r["type"] for r in named(ents, "Labour Party")] == ["Organization"]
    party = named(ents, "Conservative Party")
    assert [r["type"] for r in party] == ["Organization"] and party[0]["aliases"] == []
    assert [r["type"] for r in named(ents, "Maureen Middleton")] == ["Person"]


def test_board_is_not_an_entity(rows):
    _, ents = rows
    assert not [r for r in ents if r["label"] in ("Board", "The Board")]


def test_one_acronym_of_two_organisations_merges_nothing(rows):
    _, ents = rows
    assert [r["docs"] for r in named(ents, "Northern Rail Authority")] == [["f_acr"]]
    assert [r["docs"] for r in named(ents, "National Rowing Association")] == [["g_acr"]]
    assert not named(ents, "NRA")


def test_document_entities_without_facts_stay_out_of_the_views(rows):
    g, ents = rows
    G = to_networkx(g)
    assert not any(is_doc_scoped(n) for n in G if G.degree(n) == 0)
    john = next(r["id"] for r in ents if r["label"] == "John")
    assert john in to_networkx(g, keep=(john,)) and john in to_networkx(g, all_entities=True)


def test_resolve_rules_on_records():
    def rec(doc, **ents):
        return {"doc": doc, "title": doc, "path": f"{doc}.txt", "sha256": "0", "words": 5, "facts": [],
                "entities": {k: {"label": lab, "type": t, "kb": None, "wikidata": None, "aliases": al, "mentions": 1}
                             for k, (lab, t, al) in ents.items()}}
    out = resolve([
        rec("d1", p=("Kenneth Davidson", "Person", ["Davidson"]), o=("Veltrix Systems", "Company", ["Veltrix"])),
        rec("d2", p=("Franklin Davidson", "Person", ["Davidson"]), o=("Veltrix", "Company", [])),
        rec("d3", p=("Davidson", "Person", []), o=("Parliament", "Company", [])),
        rec("d4", o=("Parliament", "Company", [])),
    ])
    by_label = {}
    for e in out.entities.values():
        by_label.setdefault(e.label, []).append(e)
    assert len(by_label["Kenneth Davidson"]) == 1 and len(by_label["Franklin Davidson"]) == 1
    assert [e.id for e in by_label["Davidson"]] == ["davidson__doc_d3"]
    assert [e.docs for e in by_label["Veltrix Systems"]] == [["d1", "d2"]]
    assert sorted(e.id for e in by_label["Parliament"]) == ["parliament__doc_d3", "parliament__doc_d4"]


def test_helpers():
    assert doc_scoped_id("john", "kn_3_247") == "john__doc_kn_3_247"
    assert is_doc_scoped("https://w3id.org/techkg/entity/john__doc_kn_3_247")
    assert not is_doc_scoped("https://w3id.org/techkg/entity/john_smith")
    assert institutional("the Supreme Court") and institutional("Parliament")
    assert not institutional("Labour Party") and not institutional("Acme")


@pytest.mark.parametrize("label, aliases, sentence, written", [
    ("Meta", ["Facebook", "Meta AI"], "Facebook bought Instagram in 2012.", ("Facebook", ["Meta", "Meta AI"])),
    ("Meta", ["Facebook"], "Meta bought a stake; Facebook was its name then.", ("Meta", ["Facebook"])),
    ("Yann LeCun", ["LeCun"], "LeCun co-founded the lab.", ("Yann LeCun", ["LeCun"])),  # a short form keeps the label
    ("Meta", ["X"], "Xbox sales rose.", ("Meta", ["X"])),  # whole words only
    ("Meta", ["Facebook"], None, ("Meta", ["Facebook"])),
])
def test_a_fact_names_its_arguments_as_its_evidence_writes_them(label, aliases, sentence, written):
    from kg.query import written_name

    assert written_name(label, aliases, sentence) == written
