"""Benchmark of the complaint category classifier: training time and single-text latency.

Run with ``python -m benchmarks.classifier_bench``. Nothing is written to disk.
"""

from __future__ import annotations

import gc
import statistics
import time
from collections.abc import Sequence

from actions.routing import dataset
from actions.routing.classifier import CategoryClassifier

#: Single predictions timed after the warm-up.
PREDICTIONS = 1000
#: Untimed predictions first (lazy imports, caches).
WARM_UP = 20
#: Held-out texts joined into one report-length text.
LONG_PARTS = 5


def percentile_ms(latencies: Sequence[float], percent: int) -> float:
    """A percentile of latencies given in seconds, in milliseconds.

    Args:
        latencies: Durations in seconds (at least two).
        percent: 1..99.

    Returns:
        The percentile in milliseconds.
    """
    cuts = statistics.quantiles(sorted(latencies), n=100, method="inclusive")
    return cuts[percent - 1] * 1000


def time_predictions(classifier: CategoryClassifier, texts: Sequence[str]) -> list[float]:
    """Seconds taken by each of `PREDICTIONS` single predictions (after a warm-up)."""
    for text in texts[:WARM_UP]:
        classifier.predict(text)
    latencies: list[float] = []
    gc.collect()
    for i in range(PREDICTIONS):
        text = texts[i % len(texts)]
        started = time.perf_counter()
        classifier.predict(text)
        latencies.append(time.perf_counter() - started)
    return latencies


def long_reports(texts: Sequence[str], parts: int = LONG_PARTS) -> list[str]:
    """Report-length texts: `parts` consecutive texts joined, like a portal report."""
    return [" ".join(texts[i : i + parts]) for i in range(0, len(texts) - parts + 1, parts)]


def main() -> None:
    """Train on the YAML examples, then time single predictions and print a summary.

    Two text sets are timed: the held-out and training texts (chat length), and
    report-length texts made of several held-out texts joined (independent of the
    training data, so before/after figures compare).
    """
    categories = dataset.load_categories()
    examples = dataset.load_examples(categories=categories)
    heldout = list(dataset.load_heldout(categories=categories).texts)
    texts = heldout + list(examples.texts)

    classifier = CategoryClassifier(dataset.agencies_by_category(categories))
    started = time.perf_counter()
    classifier.train(examples.texts, examples.labels)
    training_seconds = time.perf_counter() - started

    print(f"training: {len(examples)} examples in {training_seconds:.1f} s")
    for name, sample in (("chat texts", texts), ("report texts", long_reports(heldout))):
        latencies = time_predictions(classifier, sample)
        print(
            f"predict ({name}, n={PREDICTIONS}): "
            f"p50={percentile_ms(latencies, 50):.2f} ms  "
            f"p95={percentile_ms(latencies, 95):.2f} ms  "
            f"max={max(latencies) * 1000:.2f} ms  "
            f"mean text length={statistics.mean(len(t) for t in sample):.0f} chars"
        )


if __name__ == "__main__":
    main()
