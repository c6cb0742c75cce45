"""The complaint category classifier: TF-IDF word and character n-grams + logistic regression.

Models are saved with joblib (i.e. pickle): only load model files from a directory you
trust, such as the one the application writes itself (``$CLASSIFIER_MODEL_DIR``).
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path
from typing import Any, BinaryIO, Final

import joblib
import numpy as np
import numpy.typing as npt
import sklearn
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import FeatureUnion, Pipeline
from sklearn.preprocessing import FunctionTransformer

from actions.routing import dataset
from actions.routing.features import LexiconFeatures
from actions.routing.institutions import national_institution
from actions.routing.normalise import normalise, normalise_many

logger = logging.getLogger(__name__)

#: File name of the saved model inside the model directory.
MODEL_FILENAME: Final = "category_classifier.joblib"
#: File name of the metadata (data fingerprint, versions) stored next to the model.
META_FILENAME: Final = "category_classifier.meta.json"
#: Bump when the pipeline changes incompatibly: older saved models are then retrained.
MODEL_FORMAT: Final = 2
#: Agency used when a predicted category is missing from the taxonomy file.
TRIAGE_AGENCY: Final = "DISKOMINFO"
#: Texts are cut to this many characters before classification (bounds the latency).
MAX_TEXT_CHARS: Final = 4000
#: The catch-all category, which should win only when no specific category fits.
CATCH_ALL: Final = "lainnya"
#: Log-odds taken off the catch-all's intercept after training (see `shift_prior`);
#: chosen on the project's held-out set (best at 1.0, worse at 0.5 and 1.5).
CATCH_ALL_SHIFT: Final = 1.0
#: Scale of the lexicon features (`actions.routing.features`) next to the TF-IDF ones.
LEXICON_WEIGHT: Final = 1.0


class ModelNotTrainedError(RuntimeError):
    """`predict` or `save` was called before `train`."""


@dataclass(frozen=True)
class Prediction:
    """The classifier's answer for one text.

    Attributes:
        category: The most likely category code.
        agency: The agency code of that category (from the taxonomy file).
        confidence: Probability of `category`, 0..1.
        alternatives: The next most likely ``(category, probability)`` pairs, best first.
        national_institution: The national body or state company the text names (e.g.
            ``"BPJS Kesehatan"``, ``"PLN"``, ``"Pertamina"``), or None. The category is
            still the topic; this lets the bot say honestly who is responsible.
    """

    category: str
    agency: str
    confidence: float
    alternatives: list[tuple[str, float]] = field(default_factory=list)
    national_institution: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (the CLI's output format)."""
        return {
            "category": self.category,
            "agency": self.agency,
            "confidence": round(self.confidence, 4),
            "alternatives": [
                {"category": code, "confidence": round(prob, 4)} for code, prob in self.alternatives
            ],
            "national_institution": self.national_institution,
        }


def build_pipeline(lexicon_weight: float = LEXICON_WEIGHT) -> Pipeline:
    """A fresh, untrained scikit-learn pipeline.

    Normalisation, then the union of word 1-2 gram TF-IDF (meaning), ``char_wb`` 2-5
    gram TF-IDF (robust to typos and glued words) and the lexicon features (category key
    terms and national institutions named, see `actions.routing.features`), then
    multinomial logistic regression.

    Args:
        lexicon_weight: Scale of the lexicon features next to the TF-IDF ones.
    """
    words = TfidfVectorizer(
        analyzer="word",
        ngram_range=(1, 2),
        token_pattern=r"(?u)\b\w+\b",  # noqa: S106 (a regex, not a password)
        lowercase=False,
        sublinear_tf=True,
        min_df=1,
        dtype=np.float32,
    )
    chars = TfidfVectorizer(
        analyzer="char_wb",
        ngram_range=(2, 5),
        lowercase=False,
        sublinear_tf=True,
        min_df=2,
        dtype=np.float32,
    )
    return Pipeline(
        [
            ("normalise", FunctionTransformer(normalise_many)),
            (
                "features",
                FeatureUnion(
                    [
                        ("words", words),
                        ("chars", chars),
                        ("lexicon", LexiconFeatures(lexicon_weight)),
                    ]
                ),
            ),
            ("model", LogisticRegression(C=50.0, max_iter=3000)),
        ]
    )


def shift_prior(pipeline: Pipeline, category: str, shift: float) -> None:
    """Lower the intercept of `category` in a fitted pipeline by `shift` (in log-odds).

    Used for the catch-all `lainnya`: its examples are a grab-bag, so the model tends to
    fall back on it whenever a text's words are unfamiliar; lowering its prior makes it
    win only when no specific category fits. Both `predict_proba` and the fast scorer
    see the change.

    Args:
        pipeline: A fitted pipeline from `build_pipeline`.
        category: The category code (ignored when the model does not know it).
        shift: How much to subtract from its intercept.
    """
    model = pipeline.named_steps["model"]
    classes = [str(code) for code in model.classes_]
    if category in classes:
        model.intercept_[classes.index(category)] -= shift


@dataclass(frozen=True)
class _Scorer:
    """A lean, exact re-implementation of the fitted pipeline's ``predict_proba``.

    The pipeline's generic machinery (input validation, the feature union, the estimator
    checks) costs more than the arithmetic for a single short text; this computes the same
    multinomial probabilities directly from the fitted transformers and coefficients.
    """

    transformers: tuple[Any, ...]
    coefs: tuple[npt.NDArray[np.float64], ...]
    intercept: npt.NDArray[np.float64]
    classes: tuple[str, ...]

    @classmethod
    def from_pipeline(cls, pipeline: Pipeline) -> _Scorer:
        """Extract the fitted parts of a pipeline built by `build_pipeline`.

        Raises:
            ValueError: The pipeline does not have the expected shape.
        """
        try:
            union = pipeline.named_steps["features"]
            transformers = tuple(transformer for _, transformer in union.transformer_list)
            model = pipeline.named_steps["model"]
            coef = np.asarray(model.coef_, dtype=np.float64)
            widths = [transformer.transform([""]).shape[1] for transformer in transformers]
            classes = tuple(str(code) for code in model.classes_)
        except (KeyError, AttributeError, TypeError, ValueError) as error:
            raise ValueError(f"unexpected classifier pipeline: {error}") from error
        if union.transformer_weights or coef.shape[0] != len(classes) or len(classes) < 3:
            raise ValueError("unexpected classifier pipeline: not a multinomial model")
        if sum(widths) != coef.shape[1]:
            raise ValueError("unexpected classifier pipeline: feature widths do not match")
        bounds = np.cumsum([0, *widths])
        return cls(
            transformers=transformers,
            coefs=tuple(
                np.ascontiguousarray(coef[:, start:end].T) for start, end in pairwise(bounds)
            ),
            intercept=np.asarray(model.intercept_, dtype=np.float64),
            classes=classes,
        )

    def probabilities(self, normalised: Sequence[str]) -> npt.NDArray[np.float64]:
        """Class probabilities, one row per normalised text (columns follow `classes`)."""
        scores = np.tile(self.intercept, (len(normalised), 1))
        for transformer, coef in zip(self.transformers, self.coefs, strict=True):
            scores += np.asarray(transformer.transform(normalised) @ coef, dtype=np.float64)
        scores -= scores.max(axis=1, keepdims=True)
        exp = np.exp(scores)
        result: npt.NDArray[np.float64] = exp / exp.sum(axis=1, keepdims=True)
        return result


def default_model_dir() -> Path:
    """``$CLASSIFIER_MODEL_DIR`` or ``<project>/var/models``."""
    override = os.environ.get("CLASSIFIER_MODEL_DIR", "").strip()
    return Path(override) if override else dataset.PROJECT_ROOT / "var" / "models"


def _atomic_write_bytes(path: Path, write: Callable[[BinaryIO], object]) -> None:
    """Write a file via a temporary sibling and an atomic rename.

    Args:
        path: Destination.
        write: Callable taking a binary file object.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temp_name = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    temp = Path(temp_name)
    try:
        with os.fdopen(handle, "wb") as stream:
            write(stream)
        temp.chmod(0o644)  # mkstemp creates 0600; the model is not secret
        temp.replace(path)
    finally:
        temp.unlink(missing_ok=True)


class CategoryClassifier:
    """Predicts the complaint category (and so the agency) of a free-text complaint.

    Args:
        agencies: Category code -> agency code; read from the taxonomy file when omitted.
        n_alternatives: How many runner-up categories a `Prediction` lists (>= 2).
    """

    def __init__(
        self, agencies: Mapping[str, str] | None = None, *, n_alternatives: int = 3
    ) -> None:
        if n_alternatives < 2:
            raise ValueError("n_alternatives must be at least 2")
        self._agencies: dict[str, str] | None = dict(agencies) if agencies else None
        self._pipeline: Pipeline | None = None
        self._scorer: _Scorer | None = None
        self.n_alternatives = n_alternatives

    @property
    def is_trained(self) -> bool:
        """Whether the model has been trained or loaded."""
        return self._pipeline is not None

    @property
    def categories(self) -> list[str]:
        """The category codes the model knows, in the model's column order."""
        return list(self._fitted_scorer().classes)

    @property
    def pipeline(self) -> Pipeline:
        """The fitted scikit-learn pipeline (e.g. for batch ``predict_proba``)."""
        return self._fitted()

    @property
    def agencies(self) -> dict[str, str]:
        """Category code -> agency code (loaded from the taxonomy file on first use)."""
        if self._agencies is None:
            self._agencies = dataset.agencies_by_category(dataset.load_categories())
        return self._agencies

    def _fitted(self) -> Pipeline:
        if self._pipeline is None:
            raise ModelNotTrainedError("the classifier is not trained: call train() or load()")
        return self._pipeline

    def _fitted_scorer(self) -> _Scorer:
        if self._scorer is None:
            raise ModelNotTrainedError("the classifier is not trained: call train() or load()")
        return self._scorer

    def _use(self, pipeline: Pipeline) -> None:
        """Adopt a fitted pipeline (raises ValueError when its shape is unexpected)."""
        self._scorer = _Scorer.from_pipeline(pipeline)
        self._pipeline = pipeline

    def train(self, texts: Sequence[str], labels: Sequence[str]) -> None:
        """Fit the model.

        Args:
            texts: Example complaint texts.
            labels: The category code of each text.

        Raises:
            ValueError: Lengths differ or fewer than 3 distinct categories.
        """
        if len(texts) != len(labels):
            raise ValueError(f"{len(texts)} texts but {len(labels)} labels")
        if len(set(labels)) < 3:
            raise ValueError("training needs examples of at least 3 categories")
        pipeline = build_pipeline()
        pipeline.fit(list(texts), list(labels))
        shift_prior(pipeline, CATCH_ALL, CATCH_ALL_SHIFT)
        self._use(pipeline)

    def rank_many(self, texts: Sequence[str]) -> list[list[tuple[str, float]]]:
        """Every category with its probability, best first, for each text.

        Args:
            texts: Complaint texts (may be empty strings).

        Returns:
            One ranking per text.
        """
        return self._rank_normalised(normalise_many(text[:MAX_TEXT_CHARS] for text in texts))

    def _rank_normalised(self, normalised: Sequence[str]) -> list[list[tuple[str, float]]]:
        """`rank_many` for texts already cut and normalised."""
        scorer = self._fitted_scorer()
        probabilities = scorer.probabilities(normalised)
        rankings: list[list[tuple[str, float]]] = []
        for row in probabilities:
            order = np.argsort(-row, kind="stable")
            rankings.append([(scorer.classes[i], float(row[i])) for i in order])
        return rankings

    def predict(self, text: str) -> Prediction:
        """Classify one complaint.

        Args:
            text: The citizen's message.

        Returns:
            The best category, its agency and confidence, the runners-up and the
            national institution the text names (if any).

        Raises:
            ValueError: The text is empty or only whitespace.
            ModelNotTrainedError: The model is not trained.
        """
        if not text or not text.strip():
            raise ValueError("text is empty")
        normalised = normalise(text[:MAX_TEXT_CHARS])
        ranking = self._rank_normalised([normalised])[0]
        best, confidence = ranking[0]
        agency = self.agencies.get(best) or self.agencies.get("lainnya") or TRIAGE_AGENCY
        return Prediction(
            category=best,
            agency=agency,
            confidence=confidence,
            alternatives=ranking[1 : 1 + self.n_alternatives],
            national_institution=national_institution(normalised, best),
        )

    def save(self, path: Path | None = None, *, data_fingerprint: str = "") -> Path:
        """Save the model (joblib) and its metadata file next to it.

        Args:
            path: Model file; defaults to ``default_model_dir() / MODEL_FILENAME``.
            data_fingerprint: Hash of the training data, stored in the metadata.

        Returns:
            The model file written.
        """
        pipeline = self._fitted()
        path = path or default_model_dir() / MODEL_FILENAME
        _atomic_write_bytes(path, lambda stream: joblib.dump(pipeline, stream, compress=3))
        meta = {
            "format": MODEL_FORMAT,
            "sklearn_version": sklearn.__version__,
            "data_fingerprint": data_fingerprint,
            "categories": self.categories,
            "saved_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        }
        payload = json.dumps(meta, indent=2).encode("utf-8")
        _atomic_write_bytes(meta_path(path), lambda stream: stream.write(payload))
        return path

    @classmethod
    def load(
        cls,
        path: Path | None = None,
        *,
        agencies: Mapping[str, str] | None = None,
        n_alternatives: int = 3,
    ) -> CategoryClassifier:
        """Load a model saved by `save`.

        Args:
            path: Model file; defaults to ``default_model_dir() / MODEL_FILENAME``.
            agencies: Category -> agency; read from the current taxonomy file when omitted.
            n_alternatives: Runner-ups per prediction.

        Returns:
            The loaded classifier.

        Raises:
            OSError: The file cannot be read.
            ValueError: The file does not hold a classifier pipeline.
        """
        path = path or default_model_dir() / MODEL_FILENAME
        pipeline = joblib.load(path)
        if not isinstance(pipeline, Pipeline):
            raise ValueError(f"{path} does not hold a classifier pipeline")
        classifier = cls(agencies, n_alternatives=n_alternatives)
        classifier._use(pipeline)
        return classifier


def meta_path(model_path: Path) -> Path:
    """The metadata file stored next to `model_path`."""
    return model_path.with_name(META_FILENAME)


def _read_meta(model_path: Path) -> dict[str, Any]:
    """The metadata of a saved model, or an empty dict when missing or unreadable."""
    try:
        raw = json.loads(meta_path(model_path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return raw if isinstance(raw, dict) else {}


def _is_current(model_path: Path, data_fingerprint: str) -> bool:
    """Whether the saved model was trained on this data with this code and sklearn."""
    if not model_path.is_file():
        return False
    meta = _read_meta(model_path)
    return (
        meta.get("format") == MODEL_FORMAT
        and meta.get("sklearn_version") == sklearn.__version__
        and meta.get("data_fingerprint") == data_fingerprint
    )


def train_from_data(
    data_dir: Path | None = None, categories_path: Path | None = None
) -> CategoryClassifier:
    """Train a classifier on the YAML examples.

    Args:
        data_dir: Directory of example files; defaults to `dataset.DATA_DIR`.
        categories_path: Taxonomy file; defaults to `dataset.categories_file()`.

    Returns:
        The trained classifier.
    """
    categories = dataset.load_categories(categories_path)
    examples = dataset.load_examples(data_dir, categories)
    classifier = CategoryClassifier(dataset.agencies_by_category(categories))
    classifier.train(examples.texts, examples.labels)
    return classifier


def load_or_train(
    model_dir: Path | None = None,
    data_dir: Path | None = None,
    categories_path: Path | None = None,
) -> CategoryClassifier:
    """Load the saved model, or train and save one when it is missing or stale.

    A saved model is stale when the hash of the training files, the model format or the
    scikit-learn version differ from those recorded in its metadata file. An unreadable
    model file is treated as missing.

    Args:
        model_dir: Where the model lives; defaults to `default_model_dir()`.
        data_dir: Directory of example files; defaults to `dataset.DATA_DIR`.
        categories_path: Taxonomy file; defaults to `dataset.categories_file()`.

    Returns:
        A ready classifier.
    """
    model_path = (model_dir or default_model_dir()) / MODEL_FILENAME
    current = dataset.fingerprint(dataset.training_files(data_dir))
    categories = dataset.load_categories(categories_path)
    agencies = dataset.agencies_by_category(categories)
    if _is_current(model_path, current):
        try:
            classifier = CategoryClassifier.load(model_path, agencies=agencies)
        except Exception:  # unpickling garbage can raise almost anything
            logger.warning(
                "Saved classifier %s is unreadable: retraining", model_path, exc_info=True
            )
        else:
            if set(classifier.categories) <= set(categories):
                return classifier
            logger.warning("Saved classifier knows categories missing from the taxonomy")
    started = time.perf_counter()
    examples = dataset.load_examples(data_dir, categories)
    classifier = CategoryClassifier(agencies)
    classifier.train(examples.texts, examples.labels)
    classifier.save(model_path, data_fingerprint=current)
    logger.info(
        "Trained the category classifier on %d examples in %.1f s: %s",
        len(examples),
        time.perf_counter() - started,
        model_path,
    )
    return classifier
