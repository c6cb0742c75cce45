"""`make nlu-report`: cross-validate the NLU model and write docs/nlu_cross_validation.md.

Runs `rasa test nlu --cross-validation` (k folds of the training data, each model
tested on the examples it did not see) and summarises Rasa's intent and entity
reports as a short Markdown page.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from scripts.rasa_model import RASA_ENV, ROOT

REPORT = ROOT / "docs" / "nlu_cross_validation.md"
WEAKEST = 8


def _rows(report: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    return [
        (name, values)
        for name, values in report.items()
        if isinstance(values, dict) and "f1-score" in values and "avg" not in name
    ]


def summarise(intents: dict[str, Any], entities: dict[str, Any], folds: int, seconds: float) -> str:
    """The Markdown page for Rasa's intent and entity reports."""
    rows = _rows(intents)
    weakest = sorted(rows, key=lambda row: row[1]["f1-score"])[:WEAKEST]
    lines = [
        "# NLU cross-validation",
        "",
        f"`rasa test nlu --cross-validation --folds {folds}` on `nlu/` with `config.yml` "
        f"({len(rows)} intents, {int(intents['macro avg']['support'])} examples; "
        f"{seconds / 60:.0f} min on this machine). Regenerate with `make nlu-report`.",
        "",
        "| measure | intents | entities |",
        "| --- | --- | --- |",
        f"| accuracy | {intents.get('accuracy', 0):.3f} | - |",
        f"| macro F1 | {intents['macro avg']['f1-score']:.3f} | "
        f"{entities.get('macro avg', {}).get('f1-score', 0):.3f} |",
        f"| weighted F1 | {intents['weighted avg']['f1-score']:.3f} | "
        f"{entities.get('weighted avg', {}).get('f1-score', 0):.3f} |",
        "",
        "Weakest intents (F1, precision, recall, examples):",
        "",
        "| intent | F1 | precision | recall | n |",
        "| --- | --- | --- | --- | --- |",
    ]
    for name, values in weakest:
        confused: dict[str, int] = values.get("confused_with") or {}
        note = ", ".join(f"{k} ({v})" for k, v in list(confused.items())[:2])
        lines.append(
            f"| {name} | {values['f1-score']:.3f} | {values['precision']:.3f} | "
            f"{values['recall']:.3f} | {int(values['support'])} |"
            + (f" confused with {note}" if note else "")
        )
    lines += ["", "Entities:", "", "| entity | F1 | n |", "| --- | --- | --- |"]
    for name, values in _rows(entities):
        lines.append(f"| {name} | {values['f1-score']:.3f} | {int(values['support'])} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    """Run the cross-validation and write the report."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--folds", type=int, default=3)
    args = parser.parse_args()
    rasa = str(Path(sys.executable).parent / "rasa")
    with tempfile.TemporaryDirectory() as out:
        started = time.perf_counter()
        subprocess.run(  # noqa: S603 - our own virtualenv's rasa
            [rasa, "test", "nlu", "--nlu", "nlu", "--config", "config.yml",
             "--cross-validation", "--folds", str(args.folds), "--out", out, "--no-plot"],
            cwd=ROOT, env={**os.environ, **RASA_ENV}, check=True,
        )  # fmt: skip
        seconds = time.perf_counter() - started
        intents = json.loads((Path(out) / "intent_report.json").read_text())
        entity_file = Path(out) / "DIETClassifier_report.json"
        entities = json.loads(entity_file.read_text()) if entity_file.exists() else {}
    REPORT.parent.mkdir(exist_ok=True)
    REPORT.write_text(summarise(intents, entities, args.folds, seconds), encoding="utf-8")
    print(REPORT.read_text(encoding="utf-8"))


if __name__ == "__main__":
    main()
