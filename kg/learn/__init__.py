"""Training-time code: annotated sets, candidate labelling, fitting and calibrating the fact scorer.

Nothing here runs during `kg build`; the build only loads the model file this package writes
(kg/data/scorer.json) through kg.nlp.scorer.
"""
