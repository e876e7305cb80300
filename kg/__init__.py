"""techkg: a knowledge-graph builder for the tech industry."""
__version__ = "0.1.0"
