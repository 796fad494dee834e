"""ladder: a reproducible analysis book for "Climbing the Ladder of Reasoning" (arXiv 2504.11741).

Kept light on purpose: importing ``ladder`` must not import torch or transformers. Import the concept
modules you need explicitly, e.g. ``from ladder import grade, metrics``.
"""

__version__ = "0.1.0"
