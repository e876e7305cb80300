"""Training-time code: annotated sets, candidate labelling, fitting and calibrating the fact scorer.

Nothing here runs during `kg build`; the build only loads the model file this package writes
(kg/data/scorer.json) through kg.nlp.scorer.
"""

#: Invented stories (kg.learn.synthetic) `kg train` adds to the annotated texts by default; here,
#: not in train.py, so that the command line can show it without importing the training code.
SYNTHETIC_STORIES = 1500
