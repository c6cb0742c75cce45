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


def main() -> None:
    """Train on the YAML examples, then time single predictions and print a summary."""
    categories = dataset.load_categories()
    examples = dataset.load_examples(categories=categories)
    texts = list(dataset.load_heldout(categories=categories).texts) + list(examples.texts)

    classifier = CategoryClassifier(dataset.agencies_by_category(categories))
    started = time.perf_counter()
    classifier.train(examples.texts, examples.labels)
    training_seconds = time.perf_counter() - started

    for text in texts[:WARM_UP]:
        classifier.predict(text)
    latencies: list[float] = []
    gc.collect()
    for i in range(PREDICTIONS):
        text = texts[i % len(texts)]
        started = time.perf_counter()
        classifier.predict(text)
        latencies.append(time.perf_counter() - started)

    print(f"training: {len(examples)} examples in {training_seconds:.1f} s")
    print(
        f"predict (single text, n={PREDICTIONS}): "
        f"p50={percentile_ms(latencies, 50):.2f} ms  "
        f"p95={percentile_ms(latencies, 95):.2f} ms  "
        f"max={max(latencies) * 1000:.2f} ms  "
        f"mean text length={statistics.mean(len(t) for t in texts):.0f} chars"
    )


if __name__ == "__main__":
    main()
