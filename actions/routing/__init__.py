"""Complaint category classifier: routes a citizen's free-text complaint to a category.

The public entry points are `CategoryClassifier`, `Prediction` and `load_or_train`; the
command line lives in `python -m actions.routing`.
"""

from __future__ import annotations

from actions.routing.classifier import CategoryClassifier, Prediction, load_or_train

__all__ = ["CategoryClassifier", "Prediction", "load_or_train"]
