"""Hard extraction cases, each from a small sentence written for this test (not from any gold file).

These check what the rules and the mention layer propose: the pipeline runs without the scorer, so
the records hold the rule hits (kg.nlp.relations) themselves. What the trained scorer keeps of them
is checked in test_deals.py and test_learning.py."""
import pytest

from kg.extract import doc_record, prepare
from kg.ingest import text_to_document
from kg.nlp import load_pipeline
from kg.nlp.relations import parse_usd


@pytest.fixture(scope="module")
def nlp():
    return load_pipeline(scorer=False)


def extract(nlp, text, min_conf=0.5):
    document = text_to_document("t", text, kind="auto")
    rec = doc_record(nlp(prepare(nlp, document)), document)
    labels = {k: e["label"] for k, e in rec["entities"].items()}
    facts = {(labels[f["subject"]], f["predicate"], labels[f["object"]]): f
             for f in rec["facts"] if f["confidence"] >= min_conf}
    return rec, facts


@pytest.mark.parametrize("text,usd", [("$1b", 1e9), ("$14.3 billion", 14.3e9), ("US$300 million", 3e8),
                                      ("$2bn", 2e9), ("$650,000", 650000.0), ("no money", None)])
def test_parse_usd(text, usd):
    assert parse_usd(text) == usd


def test_passive_with_agent_and_active(nlp):
    _, facts = extract(nlp, "The Nimbus chatbot was developed by Google. Microsoft acquired GitHub in 2018.")
    assert ("Google", "developed", "Nimbus") in facts
    assert facts[("Microsoft", "acquired", "GitHub")]["date"] == "2018"


def test_agentless_passive_takes_the_company_in_context(nlp):
    _, facts = extract(nlp, "Twitch was bought for $970 million in 2014 when Amazon was expanding into games.")
    f = facts[("Amazon", "acquired", "Twitch")]
    assert f["price_usd"] == 970e6 and f["date"] == "2014"


def test_respectively_prices_pair_in_order(nlp):
    text = ("Snapdeck was bought for $1b in 2013 by Facebook, and then Quellbox and Vantix for $3b and $12b "
            "in 2016 when Facebook was growing fast.")
    _, facts = extract(nlp, text)
    assert facts[("Meta", "acquired", "Quellbox")]["price_usd"] == 3e9
    assert facts[("Meta", "acquired", "Vantix")]["price_usd"] == 12e9


def test_possessive_product(nlp):
    _, facts = extract(nlp, "Analysts compared Google's Gemini with other models.")
    assert ("Google", "developed", "Gemini") in facts


def test_apposition_title_of_organisation(nlp):
    _, facts = extract(nlp, "Kevin Scott, Microsoft's chief technology officer, spoke at the event.")
    f = facts[("Kevin Scott", "worksFor", "Microsoft")]
    assert f["role"].lower() == "chief technology officer"


def test_x_of_y_title_is_ceo(nlp):
    _, facts = extract(nlp, "Jensen Huang, CEO of Nvidia, announced new chips on Monday.")
    assert ("Jensen Huang", "ceoOf", "Nvidia") in facts


def test_title_before_name(nlp):
    _, facts = extract(nlp, "Nvidia said on Monday that Chief Financial Officer Colette Kress would present the results.")
    f = facts[("Colette Kress", "worksFor", "Nvidia")]
    assert f["role"] == "Chief Financial Officer"


def test_coordinated_titles_before_a_name_each_hold(nlp):
    # the parser makes the first title the head and the name its conjunct: the run is read off the words
    _, facts = extract(nlp, "Brontel co-founder and CEO Maya Orlov said the deal will help.")
    assert facts[("Maya Orlov", "founded", "Brontel")]["role"] == "co-founder"
    assert facts[("Maya Orlov", "ceoOf", "Brontel")]["role"] == "CEO"
    _, facts = extract(nlp, "Former Brontel president and CEO Maya Orlov joined Quillex.")
    assert facts[("Maya Orlov", "ceoOf", "Brontel")]["former"] is True
    assert facts[("Maya Orlov", "leads", "Brontel")]["role"] == "president"


def test_an_opening_ex_is_not_part_of_the_name_after_it(nlp):
    rec, facts = extract(nlp, "Ex Brontel CEO Maya Orlov has started a new site called Quillex.")
    labels = {e["label"] for e in rec["entities"].values()}
    assert "Brontel" in labels and "Ex Brontel" not in labels
    assert facts[("Maya Orlov", "ceoOf", "Brontel")]["former"] is True


def test_relative_clause_runs(nlp):
    _, facts = extract(nlp, "Mira Murati, who runs the startup Thinking Machines Lab, declined to comment.")
    assert ("Mira Murati", "leads", "Thinking Machines Lab") in facts


def test_respectively_titles(nlp):
    text = "The event drew the chief executives of Apple and Nvidia, Tim Cook and Jensen Huang, to the stage."
    _, facts = extract(nlp, text)
    assert ("Tim Cook", "ceoOf", "Apple") in facts
    assert ("Jensen Huang", "ceoOf", "Nvidia") in facts
    assert ("Tim Cook", "ceoOf", "Nvidia") not in facts


def test_pronoun_and_corporate_act(nlp):
    text = ("Satya Nadella is the chief executive of Microsoft. "
            "He then invested $10 billion in the startup OpenAI.")
    _, facts = extract(nlp, text)
    assert facts[("Microsoft", "investedIn", "OpenAI")]["amount_usd"] == 10e9
    assert ("Satya Nadella", "investedIn", "OpenAI") not in facts


def test_negation_and_hedging_keep_facts_out(nlp):
    text = ("Apple held talks with Perplexity about an acquisition, people said. No deal was reached. "
            "Google did not acquire Anthropic. Amazon is rumored to be considering buying Cohere.")
    _, facts = extract(nlp, text)
    assert not any(p == "acquired" for _, p, _ in facts)


def test_former_role(nlp):
    _, facts = extract(nlp, "Mike Schroepfer, a former Meta executive, now invests in climate startups.")
    f = facts[("Mike Schroepfer", "worksFor", "Meta")]
    assert f["former"] is True


def test_acronym_and_rename_are_one_entity(nlp):
    rec, _ = extract(nlp, "Quantix Robotics Research (QRR), now Quantix AI, builds robots. QRR also trains models.")
    labels = [e for e in rec["entities"].values() if "QRR" in [e["label"], *e["aliases"]]]
    assert len(labels) == 1
    assert {"Quantix Robotics Research", "QRR"} <= {labels[0]["label"], *labels[0]["aliases"]}


def test_surname_refers_to_full_name(nlp):
    rec, _ = extract(nlp, "Lisa Su leads AMD. Analysts say Su changed the company.")
    people = [e for e in rec["entities"].values() if e["type"] == "Person"]
    assert len(people) == 1 and people[0]["mentions"] == 2


def test_possessive_without_apostrophe(nlp):
    rec, _ = extract(nlp, "Googles search business grew while Google hired more engineers.")
    google = [e for e in rec["entities"].values() if e["label"] == "Google"]
    assert len(google) == 1 and "Googles" in google[0]["aliases"]


def test_kb_types_override_small_model(nlp):
    rec, _ = extract(nlp, "Researchers compared LLaMA, Galactica and Voicebox with PyTorch tooling.")
    types = {e["label"]: e["type"] for e in rec["entities"].values()}
    assert types["LLaMA"] == "AIModel" and types["Galactica"] == "AIModel" and types["Voicebox"] == "AIModel"
    assert types["PyTorch"] == "Product"


def test_model_called_name_is_typed_by_description(nlp):
    rec, facts = extract(nlp, "Nvidia released an AI model called Zephyrion in March 2024.")
    types = {e["label"]: e["type"] for e in rec["entities"].values()}
    assert types.get("Zephyrion") == "AIModel"
    assert facts[("Nvidia", "developed", "Zephyrion")]["date"] == "2024"


def test_wikipedia_link_identifies_entity(nlp):
    text = "The lab hired [Geoff](https://en.wikipedia.org/wiki/Geoffrey_Hinton) last year."
    rec, _ = extract(nlp, text)
    ent = next(e for e in rec["entities"].values() if e["type"] == "Person")
    assert ent["wikidata"] == "Q92894" and ent["label"] == "Geoffrey Hinton"


def test_sentence_offsets_slice_the_text(nlp):
    text = "Intro line.\n\nMicrosoft acquired GitHub in 2018. Other text follows."
    document = text_to_document("t", text)
    rec = doc_record(nlp(prepare(nlp, document)), document)
    f = next(f for f in rec["facts"] if f["predicate"] == "acquired")
    assert document.text[f["start"]:f["end"]].strip() == f["sentence"]


def test_serves_as_title(nlp):
    _, facts = extract(nlp, "Dana Whitfield serves as the Senior Vice President of Halcyon Analytics Corporation.")
    f = facts[("Dana Whitfield", "worksFor", "Halcyon Analytics Corporation")]
    assert "Vice President" in f["role"]


def test_sold_to(nlp):
    _, facts = extract(nlp, "In 1997 the bus maker Trelvane Motors was sold to Quorra Industries.")
    assert ("Quorra Industries", "acquired", "Trelvane Motors") in facts


def test_word_inside_a_quoted_title_is_not_an_entity(nlp):
    rec, _ = extract(nlp, 'The lab was compared to the "Wizard of the Dunes" villain by Microsoft staff.')
    assert "Dunes" not in {e["label"] for e in rec["entities"].values()}
    assert "Microsoft" in {e["label"] for e in rec["entities"].values()}


# --- document-level typing and boundaries (session 3) ---

def test_title_line_is_its_own_sentence(nlp):
    rec, facts = extract(nlp, "Zephyr Q\n\nZephyr Q is a retired smart speaker developed by Google.\n"
                              "The Zephyr Q was praised for its sound.")
    assert ("Google", "developed", "Zephyr Q") in facts
    assert not any(e["label"] == "Zephyr" for e in rec["entities"].values())


def test_known_company_prefix_joins_the_product_name(nlp):
    rec, facts = extract(nlp, "Sony said the Sony Xperion Z5 sold well.")
    assert "Sony Xperion Z5" in {e["label"] for e in rec["entities"].values()}


def test_acronym_spelled_by_preceding_words(nlp):
    rec, facts = extract(nlp, "Aino Laine (born 12 June 1961) is a Finnish chemist and former CEO of "
                              "Suomen Ratatehdas (SRT).")
    ents = {e["label"]: e for e in rec["entities"].values()}
    assert ents["Aino Laine"]["type"] == "Person"
    assert "SRT" in ents["Suomen Ratatehdas"]["aliases"]
    f = facts[("Aino Laine", "ceoOf", "Suomen Ratatehdas")]
    assert f["former"] is True


def test_comma_splits_an_ner_span_and_an_investor_stays_a_person(nlp):
    _, facts = extract(nlp, "Dana Kovacs is an American investor. Prior to Fairwater, Kovacs founded "
                            "Northgate Capital Partners.")
    assert ("Dana Kovacs", "founded", "Northgate Capital Partners") in facts




def test_belongs_to_and_owner_apposition(nlp):
    _, facts = extract(nlp, "Brannock Haulage belonged to the publicly owned IRV group.")
    assert ("Brannock Haulage", "parentOrganization", "IRV") in facts
    _, facts = extract(nlp, "Garden Rivals premiered on the Tango Network in 2014 and stayed on the network until "
                            "its owner, Halvane Media, chose to refocus the network on sport.")
    assert ("Tango Network", "parentOrganization", "Halvane Media") in facts


def test_inverted_copula_title(nlp):
    _, facts = extract(nlp, "The current president of the Marlowe Family Fund is Priya Castellan.")
    assert ("Priya Castellan", "leads", "Marlowe Family Fund") in facts


def test_named_chair_and_society_membership_are_not_employment(nlp):
    _, facts = extract(nlp, "Anna Berg is the Ashfields Professor of Maritime Law at the University of Dunmore. "
                            "Berg is a member of the Nordic Academy of Letters and Sciences.")
    assert ("Anna Berg", "worksFor", "University of Dunmore") in facts
    assert not any(s == "Anna Berg" and o in ("Ashfields", "Nordic Academy of Letters and Sciences")
                   for s, _, o in facts)




def test_plural_possessive_stays_inside_a_name(nlp):
    rec, _ = extract(nlp, "The film angered the Free People's Republic of Veloria.")
    labels = {e["label"] for e in rec["entities"].values()}
    assert "Free People" not in labels


def test_possessed_part_noun_but_not_a_sister(nlp):
    _, facts = extract(nlp, "He was the lead instructor for GWA's developmental system NXL until 2017.")
    assert ("NXL", "parentOrganization", "GWA") in facts
    _, facts = extract(nlp, "Vortex is a music channel. Vortex also ran shows from its sister channels "
                            "ZTV and PLS.")
    assert not any(p == "parentOrganization" for _, p, _ in facts)


def test_office_title_is_not_an_organisation(nlp):
    rec, _ = extract(nlp, "In 2014 Thandi Mokoena was appointed Minister of Public Transport and Roads.")
    assert not any(e["label"].startswith("Minister") for e in rec["entities"].values())


def test_staff_working_on_a_product_act_for_their_organisation(nlp):
    _, facts = extract(nlp, "Meta is a social media company. Last spring, AI scientists were working "
                            "on an assistant called Brindlebot.")
    assert ("Meta", "developed", "Brindlebot") in facts
    _, facts = extract(nlp, "Kestrel Labs is a startup. Engineers at Google were working on a model called Quillon.")
    assert ("Google", "developed", "Quillon") in facts
    assert ("Kestrel Labs", "developed", "Quillon") not in facts


def test_unrecognised_name_before_birth_date_is_a_person_with_coordinated_jobs(nlp):
    rec, facts = extract(nlp, "Mara Quell\n\nMara Quell (born 1981) is a Canadian sculptor.\nShe now teaches "
                              "at Larkfield College and formerly taught at Dunmore University.")
    assert {e["label"]: e["type"] for e in rec["entities"].values()}["Mara Quell"] == "Person"
    assert ("Mara Quell", "worksFor", "Larkfield College") in facts
    assert ("Mara Quell", "worksFor", "Dunmore University") in facts


def test_described_series_noun_stands_for_its_compound_name(nlp):
    _, facts = extract(nlp, "The Orion Q (Quick) series is a family of budget tablets produced by "
                            "Zentek Electronics, a subsidiary of Zentek.")
    assert ("Zentek Electronics", "developed", "Orion Q") in facts


def test_what_is_developed_by_someone_is_a_product_and_its_agent_a_maker(nlp):
    rec, facts = extract(nlp, "Zorblax was developed by Kestrix in 1993.")
    types = {e["label"]: e["type"] for e in rec["entities"].values()}
    assert types["Zorblax"] == "Product" and types["Kestrix"] == "Company"
    assert facts[("Kestrix", "developed", "Zorblax")]["date"] == "1993"


# --- discourse: definite descriptions, "it", titles --------------------------------------------

def test_it_refers_to_the_product_the_previous_sentence_is_about(nlp):
    _, facts = extract(nlp, "Skyhopper Racing is a flying video game published by Quorra Interactive for the "
                            "Zenbox. It was developed by Brackwater Games.")
    assert ("Brackwater Games", "developed", "Skyhopper Racing") in facts
    assert ("Brackwater Games", "developed", "Quorra Interactive") not in facts


def test_the_channel_refers_to_the_channel_just_named(nlp):
    _, facts = extract(nlp, "Zeta Music was a music video channel in Portugal. "
                            "The channel was owned by Halvane Broadcast Group.")
    assert ("Zeta Music", "parentOrganization", "Halvane Broadcast Group") in facts


def test_a_definite_description_of_another_kind_finds_no_antecedent(nlp):
    # "the game" cannot be the company that was the previous subject
    _, facts = extract(nlp, "Orbix is a software company in Ohio. The game was developed by Brackwater Games.")
    assert not any(s == "Brackwater Games" and o == "Orbix" for s, _, o in facts)


def test_colon_title_is_one_name(nlp):
    rec, facts = extract(nlp, "Skyhopper: Cloud Racing\n\nSkyhopper: Cloud Racing is a game for the Zenbox. "
                              "It was developed by Brackwater Games.")
    labels = {e["label"] for e in rec["entities"].values()}
    assert "Skyhopper: Cloud Racing" in labels and "Cloud Racing" not in labels
    assert ("Brackwater Games", "developed", "Skyhopper: Cloud Racing") in facts


def test_qualified_title_types_its_subject_even_when_the_word_is_common(nlp):
    # "tundra" also occurs as a common word; the title "(software)" says Tundra is a product
    rec, facts = extract(nlp, "Tundra (software)\n\nTundra is a free software toolkit. Originally by Quelto, "
                              "it was later acquired by Vantix Systems. The word tundra means a cold plain.")
    ents = {e["label"]: e for e in rec["entities"].values()}
    assert ents["Tundra"]["type"] == "Product"
    assert ("Vantix Systems", "acquired", "Tundra") in facts


def test_full_stop_glued_to_a_word_ends_no_sentence(nlp):
    document = text_to_document("t", "It runs on the.QRX Core stack and on Linux. It is fast.", kind="auto")
    doc = nlp(prepare(nlp, document))
    assert [s.text.strip() for s in doc.sents] == ["It runs on the.QRX Core stack and on Linux.", "It is fast."]


def test_a_purchase_anyone_could_make_is_no_acquisition(nlp):
    _, facts = extract(nlp, "Skyhopper Racing is a flying video game published by Quorra Interactive for the "
                            "Zenbox. The game could be bought bundled with the Zenbox Yoke or on its own.")
    assert not any(p == "acquired" for _, p, _ in facts)


def test_arcade_game_name_tagged_as_a_place_is_a_product(nlp):
    rec, _ = extract(nlp, "It was inspired by the 1979 Konvali arcade game Zanbar.")
    ents = {e["label"]: e for e in rec["entities"].values()}
    assert ents["Zanbar"]["type"] == "Product"


# --- names ---------------------------------------------------------------------------------------

def test_known_company_followed_by_a_one_word_name_is_its_product(nlp):
    rec, facts = extract(nlp, "Tallybird works with Google Sheets, Google Photos and Google Keep, "
                              "Google said.")
    labels = {e["label"] for e in rec["entities"].values()}
    assert "Google Keep" in labels and "Keep" not in labels


def test_the_rest_of_a_name_the_kb_cut_is_no_name_of_its_own(nlp):
    # the KB knows "Llama" and "Stanford CRFM": what follows them is the end of a longer name
    rec, _ = extract(nlp, "The Llama Turbo family is out. It lagged behind rivals on the Stanford CRFM Zenith "
                          "leaderboard.")
    assert sorted((e["label"], e["type"]) for e in rec["entities"].values()) == [
        ("LLaMA", "AIModel"), ("Stanford CRFM", "ResearchLab")]


def test_a_lone_word_modifying_a_common_noun_is_no_person(nlp):
    rec, _ = extract(nlp, "Mira Osei spends her days closing Zorlo tickets at Quelto, not writing code.")
    assert sorted(e["label"] for e in rec["entities"].values()) == ["Mira Osei", "Quelto"]
    # unless the text names that person in full: then it is a mention of that person
    doc = nlp(prepare(nlp, text_to_document("t", "Tomas Brandt wrote the score. Critics praised Brandt recordings.")))
    assert [(m.text, m._.kg_type) for m in doc._.kg_mentions] == [("Tomas Brandt", "Person"), ("Brandt", "Person")]


def test_a_name_ner_missed_before_and_is_still_a_name(nlp):
    # "and" and "of" join the words of a job title, but a name next to them is no title
    rec, _ = extract(nlp, "The round drew Northwind Capital, Blue Fern Partners and two angel investors.")
    assert sorted(e["label"] for e in rec["entities"].values()) == ["Blue Fern Partners", "Northwind Capital"]
    rec, _ = extract(nlp, "Dana Whitlock, Head of Sales and Marketing at Quelto, left in May.")
    assert sorted(e["label"] for e in rec["entities"].values()) == ["Dana Whitlock", "Quelto"]


def test_a_description_after_a_legal_form_describes_the_whole_name(nlp):
    # the parser hangs "a maker of pumps" on "Inc.": the description is still about the company
    rec, _ = extract(nlp, "Ravi Anand works for Vantor Holdings, Inc., a maker of pumps.")
    assert sorted((e["label"], e["type"]) for e in rec["entities"].values()) == [
        ("Ravi Anand", "Person"), ("Vantor Holdings, Inc", "Company")]
    # described twice, by an apposition and a copula: one entity, no clash of spans
    rec, _ = extract(nlp, "Vantor Holdings, LLC, a company based in Ohio, is a maker of pumps.")
    assert [(e["label"], e["type"]) for e in rec["entities"].values()] == [("Vantor Holdings, LLC", "Company")]


def test_a_camel_case_name_is_a_name_and_an_opening_the_is_not(nlp):
    # NER misses "QuillStackVC" and the tagger calls it a common noun; "The" opening a sentence was
    # once taken for a one-word name the tagger called a proper noun
    rec, _ = extract(nlp, "The round was funded by QuillStackVC and Norrow Partners, with participation "
                          "from Brightwater Capital.")
    assert sorted(e["label"] for e in rec["entities"].values()) == [
        "Brightwater Capital", "Norrow Partners", "QuillStackVC"]
    rec, _ = extract(nlp, "Vantix Labs raised $5 million. The funding came from Quorra Ventures.")
    assert sorted(e["label"] for e in rec["entities"].values()) == ["Quorra Ventures", "Vantix Labs"]
    # an abbreviation with one lower-case letter is no camel-case name (NER calls "PhD" a title)
    rec, _ = extract(nlp, "Dana Whitlock earned a PhD in 2010.")
    assert [e["label"] for e in rec["entities"].values()] == ["Dana Whitlock"]


def test_an_unknown_word_opening_a_sentence_is_a_name_whatever_its_tag(nlp):
    # the small tagger calls "Brightwave" a verb and "Stackly" an adverb; English does not know
    # either word, so each stays the name NER found. "Relatedly" is an adverb of an English
    # adjective, and no name
    for text, names in [("Brightwave makes payroll software for restaurants.", ["Brightwave"]),
                        ("Stackly raised $1 million in seed funding.", ["Stackly"]),
                        ("Relatedly, the board met on Monday.", [])]:
        rec, _ = extract(nlp, text)
        assert sorted(e["label"] for e in rec["entities"].values()) == names, text


def test_a_number_the_parse_attaches_to_a_name_is_part_of_it(nlp):
    # "Perimeter" alone would be an English word opening a sentence; its number makes it a name.
    # A numeral of a date or a sum stays out of the names beside it
    rec, facts = extract(nlp, "Perimeter 81, which was acquired by Norvex for $490 million, sells firewalls.")
    assert sorted(e["label"] for e in rec["entities"].values()) == ["Norvex", "Perimeter 81"]
    assert ("Norvex", "acquired", "Perimeter 81") in facts
    rec, _ = extract(nlp, "In March 2020 Acme raised $5 million from 700 Ventures.")
    assert sorted(e["label"] for e in rec["entities"].values()) == ["700 Ventures", "Acme"]


def test_two_organisation_names_ner_split_are_one_name(nlp):
    # NER sometimes ends a name early and starts another at its next word ("Norvik | AI Ventures")
    from spacy.tokens import Span
    doc = nlp.make_doc("Funding came from Norvik AI Ventures and others.")
    for _, proc in nlp.pipeline:
        if _ == "techkg_mentions":
            break
        doc = proc(doc)
    doc.set_ents([Span(doc, 3, 4, label="ORG"), Span(doc, 4, 6, label="ORG")])
    nlp.get_pipe("techkg_mentions")._extend_known_prefixes(doc)
    assert [(e.text, e.label_) for e in doc.ents] == [("Norvik AI Ventures", "ORG")]


def test_company_apps_including_a_list(nlp):
    _, facts = extract(nlp, "The plugin indexes several Google apps, including Gmail and Google Photos.")
    assert ("Google", "developed", "Gmail") in facts


def test_a_product_that_is_a_service_of_an_organisation_is_owned_by_it(nlp):
    _, facts = extract(nlp, "The route is run by QLINK, a service of the Dunmore Regional Transport Authority.")
    assert ("QLINK", "ownedBy", "Dunmore Regional Transport Authority") in facts


def test_honorific_picks_the_surname_among_two_people(nlp):
    rec, facts = extract(nlp, "Martin Howard studied with Howard Pell. Mr. Howard later taught at the "
                              "Harwick Conservatory.")
    assert ("Martin Howard", "worksFor", "Harwick Conservatory") in facts
    assert ("Howard Pell", "worksFor", "Harwick Conservatory") not in facts


def test_lone_word_listed_among_universities_is_a_university(nlp):
    rec, _ = extract(nlp, "Petra Lindqvist is a lawyer. She was visiting professor at Yale (2009), "
                          "Brackenridge (2010), MIT (2012 and 2014), and Princeton (2016).")
    ents = {e["label"]: e for e in rec["entities"].values()}
    assert ents["Brackenridge"]["type"] == "University"


# --- employment and founding ---------------------------------------------------------------------

def test_serving_on_a_team_or_faculty_of_an_organisation(nlp):
    _, facts = extract(nlp, "Omar Haddad is a banker. Before that, Haddad served on the senior leadership team "
                            "of Kestrel Associates.")
    assert ("Omar Haddad", "worksFor", "Kestrel Associates") in facts
    _, facts = extract(nlp, "Ilse Brandvold is a violist. She is now on the faculties of the Marlowe "
                            "School of Music.")
    assert ("Ilse Brandvold", "worksFor", "Marlowe School of Music") in facts




def test_the_firm_he_founded(nlp):
    _, facts = extract(nlp, "Omar Haddad is a banker. Haddad joined Sparkhouse after it acquired the investment "
                            "firm he founded, Quillstone.")
    assert ("Omar Haddad", "founded", "Quillstone") in facts
    assert ("Sparkhouse", "acquired", "Quillstone") in facts




def test_maker_compounded_before_a_described_name_stays_the_maker(nlp):
    _, facts = extract(nlp, "Starfall was inspired by the 1979 Konvali arcade game Zanbar.")
    assert ("Konvali", "developed", "Zanbar") in facts




def test_whoever_supervises_a_doctorate_is_a_person(nlp):
    # the small model tags some supervisors ORG; "under the supervision of X" types them
    rec, facts = extract(nlp, "Halvard Lindqvist completed his doctorate at the University of Turku in 1971, under "
                              "the supervision of Joonas Rautio and Maria Ekholm.")
    types = {e["label"]: e["type"] for e in rec["entities"].values()}
    assert types["Joonas Rautio"] == "Person" and types["Maria Ekholm"] == "Person"
    assert ("Joonas Rautio", "worksFor", "University of Turku") in facts
    assert ("Halvard Lindqvist", "worksFor", "University of Turku") not in facts


def test_a_long_chain_of_references_back_does_not_recurse(nlp):
    # each "The game" refers to the subject before it; 1,200 of them once overflowed Python's stack
    text = ("Skyhopper Racing is a flying video game published by Quorra Interactive for the Zenbox. "
            + "The game was praised. " * 1200 + "It was developed by Brackwater Games.")
    _, facts = extract(nlp, text)
    assert ("Brackwater Games", "developed", "Skyhopper Racing") in facts


def test_proper_noun_before_a_company_title_names_the_employer(nlp):
    # NER misses one-word company names like "Tarvex" before a title, or takes them for one-word people
    rec, facts = extract(nlp, "Reporters said that Tarvex chairperson John Dlamini had approved the merger.")
    types = {e["label"]: e["type"] for e in rec["entities"].values()}
    assert types == {"Tarvex": "Company", "John Dlamini": "Person"}
    assert ("John Dlamini", "leads", "Tarvex") in facts
    # an office is no company title: "Finance" stays a common word
    rec, facts = extract(nlp, "Finance Minister John Dlamini spoke.")
    assert {e["label"] for e in rec["entities"].values()} == {"John Dlamini"}


def test_described_name_the_tagger_took_for_a_common_noun(nlp):
    # "Zorbit" is tagged NN (NER says PERSON): the description still makes it a product
    rec, facts = extract(nlp, "Zorbit is a puzzle game by Vantix Studios.")
    types = {e["label"]: e["type"] for e in rec["entities"].values()}
    assert types["Zorbit"] == "Product"


# -- funding rounds: who put money into which company, within a sentence and across sentences

def _investments(nlp, text):
    rec, _ = extract(nlp, text, min_conf=0.0)
    labels = {k: e["label"] for k, e in rec["entities"].items()}
    return {(labels[f["subject"]], labels[f["object"]]): f["pattern"] for f in rec["facts"] if f["predicate"] == "investedIn"}


def test_lead_and_participating_investors_of_a_round(nlp):
    got = _investments(nlp, "Brontel raised a $50 million Series B led by Foo Ventures, with participation from Bar Capital.")
    assert got[("Foo Ventures", "Brontel")] == "round_led_by"
    assert got[("Bar Capital", "Brontel")] == "round_from"


def test_a_round_told_in_the_sentences_after_it_is_for_the_company_that_raised_it(nlp):
    text = ("Quillex said on Monday it had raised $12 million in seed funding. The round was led by Harbor Ventures. "
            "Existing investors Nordwind Capital and Pike Partners also participated.")
    assert _investments(nlp, text) == {("Harbor Ventures", "Quillex"): "round_led_by+before",
                                       ("Nordwind Capital", "Quillex"): "round_participated+before",
                                       ("Pike Partners", "Quillex"): "round_participated+before"}
    _, facts = extract(nlp, text, min_conf=0.0)
    lead = facts[("Harbor Ventures", "investedIn", "Quillex")]  # the round's amount and name, told with the company
    assert (lead["amount_usd"], lead["round"]) == (12e6, "seed")


def test_led_by_is_no_investment_where_no_round_is_spoken_of(nlp):
    got = _investments(nlp, "Quillex raised $12 million last year. The new research team is led by Maya Orlov.")
    assert not [pair for pair in got if pair[0] == "Maya Orlov"]


def test_investors_listed_as_included(nlp):
    got = _investments(nlp, "Velora's investors include Nimbus Capital and Ardent Ventures.")
    assert {pair[0] for pair, rule in got.items() if rule == "investors_include"} == {"Nimbus Capital", "Ardent Ventures"}
    got = _investments(nlp, "Start-up Tarsio Systems said on Tuesday it received $17 million in funding from "
                            "investors including chip makers Qualcomm and Samsung Electronics.")
    assert got[("Qualcomm", "Tarsio Systems")] == "investors_including"


@pytest.mark.parametrize("text, expected", [
    ("Brontel Systems, which is backed by Harbor Ventures and Pike Partners, makes drones.",
     {("Harbor Ventures", "Brontel Systems"): "backed_by", ("Pike Partners", "Brontel Systems"): "backed_by"}),
    ("Quillex raised $12 million on Monday. Harbor Ventures led the round.",
     {("Harbor Ventures", "Quillex"): "round_subject+before"}),
])
def test_backers_and_a_lead_named_as_subject(nlp, text, expected):
    assert _investments(nlp, text) == expected


def test_its_is_the_subject_of_its_own_clause(nlp):
    # the nearest organisation before "its" is the ticker inside the subject, not the subject
    _, facts = extract(nlp, "Zentrix Corp. (Nasdaq: ZNTX) today announced the completion of its acquisition "
                            "of Halvex Technologies Ltd.", min_conf=0.0)
    assert [k for k in facts if k[1] == "acquired"] == [("Zentrix Corp", "acquired", "Halvex Technologies Ltd")]


def test_every_name_of_a_list_apposed_to_a_title_holds_it(nlp):
    _, facts = extract(nlp, "Vantix Labs raised $5 million. Investors liked its two cofounders, Maria Lopez "
                            "and Derek Hale, who met at Stripe.")
    assert {k for k in facts if k[1] == "founded"} == {("Maria Lopez", "founded", "Vantix Labs"),
                                                       ("Derek Hale", "founded", "Vantix Labs")}


def test_titles_and_honorifics_are_not_part_of_names(nlp):
    rec, _ = extract(nlp, "Mrs Jane Poller met Chancellor Fred Pollik. Greg Hollis is on the Board of Directors "
                          "for Aspen Ridge. The Department for Education agreed.")
    assert sorted(e["label"] for e in rec["entities"].values()) == [
        "Aspen Ridge", "Department for Education", "Fred Pollik", "Greg Hollis", "Jane Poller"]


def test_an_organisation_slot_takes_a_start_up_the_model_took_for_a_place(nlp):
    from kg.nlp.relations import DocContext

    doc = nlp(prepare(nlp, text_to_document("t", "Google bought Tarnic and Berlin in 2014.", kind="text")))
    ctx = DocContext(doc, nlp.get_pipe("techkg_relations"))
    tarnic = next(k for k in ctx.clusters if "tarnic" in k)
    ctx.clusters[tarnic].type = "Place"  # what the small model often makes of a start-up's name
    assert ctx.slot_fit(tarnic, ["Org"]) == "loose"
    assert ctx.slot_fit(tarnic, ["Person"]) is None
    berlin = next(k for k in ctx.clusters if "berlin" in k)
    assert ctx.clusters[berlin].type == "Place" and ctx.slot_fit(berlin, ["Org"]) is None  # a place English knows
    google = next(k for k in ctx.clusters if "google" in k)
    assert ctx.slot_fit(google, ["Org"]) == ""


@pytest.mark.parametrize("text", [
    "Corvane Holdings is the parent company of Brisk Mobile.",
    "In May, Brisk Mobile's parent company, Corvane Holdings, reported higher sales.",
    "Corvane Holdings, the parent company of Brisk Mobile, opened a plant in Ohio.",
])
def test_a_parent_company_owns_what_it_is_the_company_of(nlp, text):
    # "company of" reads as "part of" ("a company of the Tata Group"), but an owner word turns it
    _, facts = extract(nlp, text, min_conf=0.0)
    assert [k for k in facts if k[1] == "parentOrganization"] == [("Brisk Mobile", "parentOrganization", "Corvane Holdings")]


def test_a_company_of_a_group_is_still_its_part(nlp):
    _, facts = extract(nlp, "Brisk Mobile is a subsidiary of Corvane Holdings.", min_conf=0.0)
    assert [k for k in facts if k[1] == "parentOrganization"] == [("Brisk Mobile", "parentOrganization", "Corvane Holdings")]


def test_a_capitalised_co_founder_title_is_not_a_legal_form(nlp):
    rec, facts = extract(nlp, "Zentrix Co-Founder and CEO Jo Bloggs said the deal would close soon.")
    assert sorted(e["label"] for e in rec["entities"].values()) == ["Jo Bloggs", "Zentrix"]
    assert {k for k in facts} == {("Jo Bloggs", "founded", "Zentrix"), ("Jo Bloggs", "ceoOf", "Zentrix")}
    assert facts[("Jo Bloggs", "founded", "Zentrix")]["role"] == "Co-Founder"


def test_a_title_guessing_the_document_s_organisation_is_measured_apart(nlp):
    doc = nlp(prepare(nlp, text_to_document("t", "Zentrix grew fast. The panel heard Zentrix CEO Jo Bloggs and "
                                                 "CEO Sam Roe.", kind="text")))
    rules = {(f.subject.split(":")[-1], f.object.split(":")[-1]): f.pattern for f in doc._.kg_facts}
    assert rules == {("jo bloggs", "zentrix"): "title", ("sam roe", "zentrix"): "title+topic"}


def test_a_title_s_organisation_may_be_a_start_up_the_model_mistyped(nlp):
    doc = nlp(prepare(nlp, text_to_document("t", "Jo Bloggs, the co-founder of Zentrix, spoke.", kind="text")))
    # the small model takes this unknown name for a place; the title holds, under its own rule id
    assert [(f.subject, f.predicate, f.object, f.pattern) for f in doc._.kg_facts] == [
        ("Person:jo bloggs", "founded", "Place:zentrix", "title~loose")]


def test_a_capitalised_job_is_not_an_organisation(nlp):
    rec, _ = extract(nlp, "Before that, Mr. Hollis was an Engagement Manager at Brightwater & Co. Sara Quint is "
                          "Regional Director at Lakemont Bank.")
    assert sorted(e["label"] for e in rec["entities"].values()) == ["Brightwater & Co", "Hollis", "Lakemont Bank",
                                                                     "Sara Quint"]


def test_titles_joined_to_an_apposed_title_share_its_organisation(nlp):
    _, facts = extract(nlp, "Brightmesh's former chairman and former CEO, Jim Hollis, will join the board. "
                            "Quorbit's chairman, Sam Roe, and its CEO, Ann Lee, spoke.")
    assert {k for k in facts} == {("Jim Hollis", "leads", "Brightmesh"), ("Jim Hollis", "ceoOf", "Brightmesh"),
                                  ("Sam Roe", "leads", "Quorbit"), ("Ann Lee", "ceoOf", "Quorbit")}
    assert facts[("Jim Hollis", "ceoOf", "Brightmesh")]["former"] is True


@pytest.mark.parametrize("text,expected", [
    ("Activision CEO Bobby Kotick claims the deal is good.", ("Bobby Kotick", "ceoOf", "Activision")),
    ("Ex Quorbit CEO Jason Hale has started a new site.", ("Jason Hale", "ceoOf", "Quorbit")),
])
def test_the_employer_before_a_title(nlp, text, expected):
    # a word the tagger took for a common noun that English does not know names the employer;
    # "Ex" marks a past role and is not part of the name
    _, facts = extract(nlp, text)
    assert [k for k in facts if k[1] == "ceoOf"] == [expected]


def test_letters_after_a_name_and_a_nickname_inside_it(nlp):
    rec, _ = extract(nlp, "Teodor Brask OBE, born 1930, was a professor. Kim Dunn, MD, PhD, spoke. "
                          'Edward Lee "Ted" Hollis (1874-1949) was a psychologist. '
                          "Edwin Garrigues (Gary) Borland was a psychologist.")
    assert sorted(e["label"] for e in rec["entities"].values()) == [
        'Edward Lee "Ted" Hollis', "Edwin Garrigues (Gary) Borland", "Kim Dunn", "Teodor Brask"]


def test_a_dateline_s_news_agency_is_not_in_the_story(nlp):
    rec, facts = extract(nlp, "BERLIN (Reuters) – Quorbit Software said on Monday it was buying Zentrix Labs.\n\n"
                              "(Bloomberg) -- Velt Media has raised new financing led by Harbor Ventures.", min_conf=0.0)
    labels = {e["label"] for e in rec["entities"].values()}
    assert "Reuters" not in labels and "Bloomberg" not in labels and "Harbor Ventures" in labels
    assert not [k for k in facts if "Bloomberg" in k or "Reuters" in k]


def test_a_name_on_a_possessed_product_noun_is_a_product_line(nlp):
    rec, facts = extract(nlp, "Qualcomm is supporting the platform with its Snapdragon chips. Apple sells its Intel chips.",
                         min_conf=0.0)
    types = {e["label"]: e["type"] for e in rec["entities"].values()}
    assert types["Snapdragon"] == "Product" and types["Intel"] != "Product"  # a company the KB knows stays one
    assert ("Qualcomm", "developed", "Snapdragon") in facts


def test_a_company_named_by_its_web_address(nlp):
    rec, facts = extract(nlp, "Eric Hale founded Spyonit.com in 1999. Apple bought Xnor.ai last year. "
                              "The page index.html moved.")
    assert sorted(e["label"] for e in rec["entities"].values()) == ["Apple", "Eric Hale", "Spyonit.com", "Xnor.ai"]
    assert {("Eric Hale", "founded", "Spyonit.com"), ("Apple", "acquired", "Xnor.ai")} <= set(facts)


def test_titles_share_the_complement_of_the_last_one(nlp):
    _, facts = extract(nlp, "Douglas Quill is the CEO and founder of Zestory Labs. Sam Roe is chairman and chief "
                            "executive of Quorbit.")
    assert {k for k in facts} == {("Douglas Quill", "ceoOf", "Zestory Labs"), ("Douglas Quill", "founded", "Zestory Labs"),
                                  ("Sam Roe", "leads", "Quorbit"), ("Sam Roe", "ceoOf", "Quorbit")}


def test_a_name_after_an_honorific_is_a_person_s(nlp):
    # the small model types both surnames as organisations
    rec, facts = extract(nlp, "Dr Pemberly is the chief scientist at Norvane. Mr Kasparian was appointed as "
                              "Director of its subsidiaries namely Lintel Pte Ltd.", min_conf=0.0)
    types = {e["label"]: e["type"] for e in rec["entities"].values()}
    assert types["Pemberly"] == "Person" and types["Kasparian"] == "Person"
    assert not [k for k in facts if k[1] == "parentOrganization"]


def test_a_one_word_name_the_text_calls_he_or_she_is_no_company(nlp):
    from kg.nlp.candidates import loose_type

    doc = nlp(prepare(nlp, text_to_document("t", "Ostrander is the new chief of Brightwave. She had worked at Quillon.",
                                            kind="text")))
    clusters = doc._.kg_clusters
    assert loose_type(clusters["Person:ostrander"]) == "Person"  # not "Person1", a start-up the model may have mistyped
    assert loose_type(clusters["Person:brightwave"]) == "Person1"


def test_a_surname_after_an_honorific_is_the_person_named_in_full(nlp):
    rec, facts = extract(nlp, "Anne Brennick joined Corvala Systems in 2019. Ms Brennick is the chief executive "
                              "of Corvala Systems.", min_conf=0.0)
    assert sorted(e["label"] for e in rec["entities"].values()) == ["Anne Brennick", "Corvala Systems"]
    assert ("Anne Brennick", "ceoOf", "Corvala Systems") in facts
