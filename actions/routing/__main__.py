"""Command line of the category classifier.

``python -m actions.routing classify``
    Reads JSON lines ``{"text": ...}`` on stdin and writes one JSON line per input line:
    ``{"category", "agency", "confidence", "alternatives": [{"category", "confidence"}],
    "national_institution"}`` (the national body the text names, e.g. "PLN", or null),
    or ``{"error": "..."}`` for a bad line (the program carries on; exit code 0).
``python -m actions.routing train``
    Trains on the YAML examples and saves the model under ``$CLASSIFIER_MODEL_DIR``.
``python -m actions.routing evaluate``
    Prints 5-fold cross-validation and held-out accuracy, recall and confusions.
``python -m actions.routing evaluate --data reports.jsonl``
    Trains on all YAML examples and scores JSON lines ``{"text", "category"}`` (e.g. real
    reports kept for measuring only), with recall per category, a confusion table and a
    leak check (training examples that are near copies of the file's texts).
"""

from __future__ import annotations

import argparse
import io
import json
import logging
import sys
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, TextIO

from actions.routing import dataset
from actions.routing.classifier import (
    MODEL_FILENAME,
    CategoryClassifier,
    default_model_dir,
    load_or_train,
    train_from_data,
)
from actions.routing.evaluation import NEAR_COPY_SIMILARITY, cross_validate, near_copies, score


def parse_request(line: str) -> str:
    """The text of one input line.

    Args:
        line: A JSON line such as ``{"text": "lampu jalan mati"}``.

    Returns:
        The text.

    Raises:
        ValueError: With a readable message when the line is unusable.
    """
    if not line.strip():
        raise ValueError('empty line: expected a JSON object with a "text" field')
    try:
        request: Any = json.loads(line)
    except json.JSONDecodeError as error:
        raise ValueError(f"not valid JSON: {error.msg} at column {error.colno}") from None
    if not isinstance(request, dict):
        raise ValueError('expected a JSON object with a "text" field')
    if "text" not in request:
        raise ValueError('missing the "text" field')
    text = request["text"]
    if not isinstance(text, str):
        raise ValueError('"text" must be a string')
    if not text.strip():
        raise ValueError('"text" is empty')
    return text


def classify_stream(classifier: CategoryClassifier, lines: Iterable[str], out: TextIO) -> int:
    """Answer every input line with one JSON line.

    Args:
        classifier: A trained classifier.
        lines: Input lines (JSON objects).
        out: Where to write the answers (flushed after each line).

    Returns:
        The number of lines answered with an error.
    """
    errors = 0
    for line in lines:
        answer: dict[str, Any]
        try:
            answer = classifier.predict(parse_request(line)).to_dict()
        except ValueError as error:
            errors += 1
            answer = {"error": str(error)}
        out.write(json.dumps(answer) + "\n")
        out.flush()
    return errors


def _classify(_: argparse.Namespace) -> int:
    classifier = load_or_train()
    stdin = io.TextIOWrapper(sys.stdin.buffer, encoding="utf-8", errors="replace")
    classify_stream(classifier, stdin, sys.stdout)
    return 0


def _train(_: argparse.Namespace) -> int:
    started = time.perf_counter()
    classifier = train_from_data()
    seconds = time.perf_counter() - started
    path = classifier.save(
        default_model_dir() / MODEL_FILENAME,
        data_fingerprint=dataset.fingerprint(dataset.training_files()),
    )
    print(f"Trained in {seconds:.1f} s; saved to {path}")
    return 0


def _evaluate_file(path: Path) -> int:
    """Train on all the YAML examples and score a JSONL file of labelled texts."""
    categories = dataset.load_categories()
    try:
        data = dataset.load_jsonl(path, categories)
    except dataset.DatasetError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    examples = dataset.load_examples(categories=categories)
    print(f"Training set: {len(examples)} examples; {path.name}: {len(data)} texts")
    classifier = CategoryClassifier(dataset.agencies_by_category(categories))
    classifier.train(examples.texts, examples.labels)
    report = score(classifier, data.texts, data.labels, path.name)
    print("\n".join(report.summary_lines(confusions=15)))
    print("\n".join(report.confusion_table_lines()))
    copies = near_copies(examples.texts, data.texts)
    print(
        f"Leak check: {len(copies)} training examples are near copies "
        f"(similarity >= {NEAR_COPY_SIMILARITY}) of {path.name} texts"
    )
    for similarity, train_text, eval_text in copies[:5]:
        print(f"  {similarity:.2f} training: {train_text[:90]!r}")
        print(f"       {path.name}: {eval_text[:90]!r}")
    return 0


def _evaluate(args: argparse.Namespace) -> int:
    if args.data is not None:
        return _evaluate_file(args.data)
    categories = dataset.load_categories()
    agencies = dataset.agencies_by_category(categories)
    examples = dataset.load_examples(categories=categories)
    heldout = dataset.load_heldout(categories=categories)
    print(f"Training set: {len(examples)} examples; held-out set: {len(heldout)} examples")
    cv = cross_validate(examples.texts, examples.labels, folds=args.folds, agencies=agencies)
    print("\n".join(cv.summary_lines()))
    classifier = CategoryClassifier(agencies)
    classifier.train(examples.texts, examples.labels)
    report = score(classifier, heldout.texts, heldout.labels, "held-out set")
    print("\n".join(report.summary_lines()))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line.

    Args:
        argv: Arguments without the program name; defaults to ``sys.argv[1:]``.

    Returns:
        The exit code.
    """
    parser = argparse.ArgumentParser(
        prog="python -m actions.routing", description="Complaint category classifier."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser(
        "classify", help='classify JSON lines {"text": ...} from stdin'
    ).set_defaults(run=_classify)
    commands.add_parser("train", help="train on the YAML examples and save").set_defaults(
        run=_train
    )
    evaluate = commands.add_parser("evaluate", help="cross-validation and held-out accuracy")
    evaluate.add_argument("--folds", type=int, default=5, help="cross-validation folds")
    evaluate.add_argument(
        "--data",
        type=Path,
        default=None,
        metavar="JSONL",
        help='score JSON lines {"text", "category"} instead (trains on all YAML examples)',
    )
    evaluate.set_defaults(run=_evaluate)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(message)s")
    result: int = args.run(args)
    return result


if __name__ == "__main__":
    sys.exit(main())
