"""Accuracy measurement: cross-validation on the training set and held-out scoring."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.model_selection import StratifiedKFold

from actions.routing.classifier import CategoryClassifier
from actions.routing.normalise import normalise_many

#: Cosine similarity (word 1-2 gram TF-IDF) from which a training text counts as a near
#: copy of an evaluation text.
NEAR_COPY_SIMILARITY = 0.5


@dataclass
class Report:
    """Accuracy figures of one evaluation.

    Attributes:
        name: What was evaluated, e.g. ``"5-fold CV"``.
        total: Number of texts scored.
        top1_hits: Texts whose best category was right.
        top3_hits: Texts whose right category was among the best three.
        support: Texts per true category.
        correct: Top-1 hits per true category.
        confusions: ``(true, predicted)`` -> count, for top-1 mistakes.
    """

    name: str
    total: int = 0
    top1_hits: int = 0
    top3_hits: int = 0
    support: Counter[str] = field(default_factory=Counter)
    correct: Counter[str] = field(default_factory=Counter)
    confusions: Counter[tuple[str, str]] = field(default_factory=Counter)

    @property
    def top1(self) -> float:
        """Top-1 accuracy, 0..1."""
        return self.top1_hits / self.total if self.total else 0.0

    @property
    def top3(self) -> float:
        """Top-3 accuracy, 0..1."""
        return self.top3_hits / self.total if self.total else 0.0

    def recall(self) -> dict[str, float]:
        """Top-1 recall per true category, sorted by category code."""
        return {code: self.correct[code] / n for code, n in sorted(self.support.items())}

    def add(self, truth: str, ranked: Sequence[str]) -> None:
        """Score one text.

        Args:
            truth: The true category.
            ranked: Predicted categories, best first.
        """
        self.total += 1
        self.support[truth] += 1
        if ranked and ranked[0] == truth:
            self.top1_hits += 1
            self.correct[truth] += 1
        elif ranked:
            self.confusions[(truth, ranked[0])] += 1
        if truth in ranked[:3]:
            self.top3_hits += 1

    def confusion_table_lines(self) -> list[str]:
        """A confusion table: one row per true category, one column per predicted one.

        Columns are numbered like the rows (codes are too long for headers); the
        diagonal holds the top-1 hits. Only categories that occur are shown.
        """
        codes = sorted(set(self.support) | {predicted for _, predicted in self.confusions})
        width = max(3, len(str(max(self.support.values(), default=0))) + 1)
        header = " " * 31 + "".join(f"{i + 1:>{width}}" for i in range(len(codes)))
        lines = ["  confusion table (rows: true, columns: predicted):", header]
        for row, truth in enumerate(codes):
            cells = [
                self.correct[truth] if truth == predicted else self.confusions[(truth, predicted)]
                for predicted in codes
            ]
            shown = "".join(f"{cell or '.':>{width}}" for cell in cells)
            lines.append(f"    {row + 1:>2} {truth:<24} {shown}")
        return lines

    def summary_lines(self, confusions: int = 10) -> list[str]:
        """A printable report: accuracy, recall per category and the top confusions."""
        lines = [
            f"{self.name}: n={self.total}  top-1={self.top1:.3f}  top-3={self.top3:.3f}",
            "  recall per category:",
        ]
        lines += [
            f"    {code:<26} {value:.2f}  (n={self.support[code]})"
            for code, value in self.recall().items()
        ]
        lines.append("  most common confusions (true -> predicted):")
        common = self.confusions.most_common(confusions)
        lines += [f"    {truth} -> {predicted}: {count}" for (truth, predicted), count in common]
        if not common:
            lines.append("    none")
        return lines


def score(
    classifier: CategoryClassifier, texts: Sequence[str], labels: Sequence[str], name: str
) -> Report:
    """Evaluate a trained classifier on labelled texts.

    Args:
        classifier: A trained classifier.
        texts: Texts to classify.
        labels: Their true categories.
        name: Report title.

    Returns:
        The report.
    """
    report = Report(name)
    for truth, ranking in zip(labels, classifier.rank_many(texts), strict=True):
        report.add(truth, [code for code, _ in ranking])
    return report


def cross_validate(
    texts: Sequence[str],
    labels: Sequence[str],
    *,
    folds: int = 5,
    seed: int = 13,
    agencies: Mapping[str, str] | None = None,
) -> Report:
    """Stratified k-fold cross-validation of a fresh classifier on labelled texts.

    Args:
        texts: All texts.
        labels: Their categories.
        folds: Number of folds.
        seed: Shuffling seed (the split is reproducible).
        agencies: Category -> agency, passed to each classifier (avoids file reads).

    Returns:
        The pooled report over all folds.
    """
    report = Report(f"{folds}-fold cross-validation")
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    for train_index, test_index in splitter.split(list(texts), list(labels)):
        classifier = CategoryClassifier(agencies or {code: code for code in set(labels)})
        classifier.train([texts[i] for i in train_index], [labels[i] for i in train_index])
        fold = score(
            classifier, [texts[i] for i in test_index], [labels[i] for i in test_index], ""
        )
        report.total += fold.total
        report.top1_hits += fold.top1_hits
        report.top3_hits += fold.top3_hits
        report.support.update(fold.support)
        report.correct.update(fold.correct)
        report.confusions.update(fold.confusions)
    return report


def near_copies(
    training: Sequence[str],
    evaluation: Sequence[str],
    threshold: float = NEAR_COPY_SIMILARITY,
) -> list[tuple[float, str, str]]:
    """Training texts that are near copies of evaluation texts (a leak check).

    Args:
        training: The training texts.
        evaluation: The texts kept for measuring.
        threshold: Cosine similarity of word 1-2 gram TF-IDF from which a pair counts.

    Returns:
        ``(similarity, training text, evaluation text)`` for each training text whose
        closest evaluation text reaches `threshold`, most similar first.
    """
    if not training or not evaluation:
        return []
    train_norm, eval_norm = normalise_many(training), normalise_many(evaluation)
    vectoriser = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True)
    vectoriser.fit(list(train_norm) + list(eval_norm))
    similarity = (vectoriser.transform(train_norm) @ vectoriser.transform(eval_norm).T).toarray()
    best = similarity.argmax(axis=1)
    found = [
        (float(similarity[i, j]), training[i], evaluation[j])
        for i, j in enumerate(best)
        if similarity[i, j] >= threshold
    ]
    return sorted(found, key=lambda item: -item[0])
