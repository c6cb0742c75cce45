"""Lexicon features: which national institutions a text names.

TF-IDF features learn from the exact words of the training examples; a word seen once in
training (``askes``, ``jmo``, ``e paspor``) carries little weight. These features give
one column per national institution (`actions.routing.institutions`) that pools every
way of naming it, so that "the subject is a BPJS Kesehatan card" or "this is about
Imigrasi" is a feature of its own, learnt from every example naming that body, apart
from the identity documents (KTP, KK) such texts also mention.

(Pooling each category's key terms the same way was tried and dropped: it helped long
reports but made short chat messages worse, e.g. "lansia" pulled a rude-official
complaint to `sosial`.)

Everything works on text already passed through `actions.routing.normalise.normalise`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Final

import numpy as np
import numpy.typing as npt
from sklearn.base import BaseEstimator, TransformerMixin

from actions.routing.institutions import INSTITUTIONS, mentioned

_INSTITUTION_COLUMNS: Final = {inst.name: i for i, inst in enumerate(INSTITUTIONS)}

#: Names of the feature columns, in order.
FEATURE_NAMES: Final[tuple[str, ...]] = tuple(f"institution:{inst.name}" for inst in INSTITUTIONS)


def lexicon_vector(normalised: str) -> list[float]:
    """The lexicon features of one normalised text.

    A column is 1 when the text names its institution (as a subject, not a place),
    else 0.

    Args:
        normalised: Output of `normalise`.

    Returns:
        One value per `FEATURE_NAMES` entry.
    """
    named = [0.0] * len(INSTITUTIONS)
    for institution in mentioned(normalised):
        named[_INSTITUTION_COLUMNS[institution.name]] = 1.0
    return named


class LexiconFeatures(TransformerMixin, BaseEstimator):
    """A stateless scikit-learn transformer: normalised texts -> lexicon feature matrix.

    Args:
        weight: Factor applied to every value (how loud the lexicon is next to TF-IDF).
    """

    def __init__(self, weight: float = 1.0) -> None:
        self.weight = weight

    def fit(self, texts: Iterable[str], labels: Any = None) -> LexiconFeatures:
        """Nothing to learn; returns self."""
        return self

    def transform(self, texts: Iterable[str]) -> npt.NDArray[np.float32]:
        """One row of `FEATURE_NAMES` columns per text, scaled by `weight` (dense)."""
        rows = [lexicon_vector(text) for text in texts]
        matrix = np.asarray(rows, dtype=np.float32).reshape(-1, len(FEATURE_NAMES))
        result: npt.NDArray[np.float32] = matrix * np.float32(self.weight)
        return result

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray[Any, Any]:
        """The column names."""
        return np.asarray(FEATURE_NAMES, dtype=object)
