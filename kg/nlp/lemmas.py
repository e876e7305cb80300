"""`techkg_lemma_fixes`: lemmas the small model gets wrong for words techkg reads (lexicon
`lemma_fixes`), set on integer columns after spaCy's lemmatizer.

They used to be patterns added to spaCy's attribute_ruler, whose Matcher then ran them over every
token of every document; one `numpy.isin` over the ORTH column finds the few tokens concerned.
The lemmatizer keeps a lemma already set, so setting it afterwards gives the same lemmas.
"""
from __future__ import annotations

import numpy as np
from spacy.attrs import ORTH
from spacy.language import Language
from spacy.tokens import Doc

from .lexicon import LEX


class LemmaFixes:
    def __init__(self, nlp: Language):
        strings = nlp.vocab.strings
        self.lemma = {strings.add(form): lemma for lemma, forms in LEX["lemma_fixes"].items() for form in forms}
        self.keys = np.array(sorted(self.lemma), dtype=np.uint64)

    def __call__(self, doc: Doc) -> Doc:
        orth = doc.to_array(ORTH)
        for i in np.flatnonzero(np.isin(orth, self.keys)).tolist():
            doc[i].lemma_ = self.lemma[int(orth[i])]
        return doc


@Language.factory("techkg_lemma_fixes")
def make_lemma_fixes(nlp: Language, name: str) -> LemmaFixes:
    return LemmaFixes(nlp)
