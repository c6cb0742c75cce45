"""Training the Rasa model only when its inputs changed.

`rasa train` fingerprints its graph, but in this pipeline the DIET classifier is
retrained on every call even when nothing changed; hashing the inputs ourselves makes
an unchanged project start in seconds.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MODEL_DIR = ROOT / "models"
MODEL_NAME = "lapor"
MODEL = MODEL_DIR / f"{MODEL_NAME}.tar.gz"
INPUTS = ("domain.yml", "config.yml", "nlu", "stories", "nlu_components")
RASA_ENV = {"PYTHONHASHSEED": "0", "SQLALCHEMY_SILENCE_UBER_WARNING": "1"}


def inputs_fingerprint(root: Path = ROOT) -> str:
    """A hash of every file the model is trained from (data, domain, config, components)."""
    digest = hashlib.sha256()
    for name in INPUTS:
        path = root / name
        files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        for file in files:
            if "__pycache__" in file.parts:
                continue
            digest.update(str(file.relative_to(root)).encode())
            digest.update(file.read_bytes())
    return digest.hexdigest()


def fingerprint_file(model: Path = MODEL) -> Path:
    """Where the inputs' fingerprint of `model` is kept."""
    return model.with_name(model.name + ".inputs")


def is_current(model: Path = MODEL, root: Path = ROOT) -> bool:
    """True when `model` exists and was trained from the current inputs."""
    stamp = fingerprint_file(model)
    return (
        model.exists() and stamp.exists() and stamp.read_text().strip() == inputs_fingerprint(root)
    )


def train(model: Path = MODEL, force: bool = False) -> subprocess.CompletedProcess[str] | None:
    """Train when stale (or `force`); returns the finished process, or None when current.

    One training at a time per model directory (a lock file): two test runs starting
    together would otherwise write the same model file at once.
    """
    if not force and is_current(model):
        return None
    model.parent.mkdir(parents=True, exist_ok=True)
    with (model.parent / ".train.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not force and is_current(model):
            return None  # trained by whoever held the lock
        return _train(model)


def _train(model: Path) -> subprocess.CompletedProcess[str]:
    """Run `rasa train` into `model`; the fingerprint is written when it succeeded."""
    fingerprint = inputs_fingerprint()
    rasa = str(Path(sys.executable).parent / "rasa")
    command = [
        rasa, "train", "--domain", "domain.yml", "--config", "config.yml",
        "--data", "nlu", "stories", "--out", str(model.parent),
        "--fixed-model-name", model.name.removesuffix(".tar.gz"),
    ]  # fmt: skip
    result = subprocess.run(  # noqa: S603 - our own virtualenv's rasa
        command,
        cwd=ROOT,
        env={**os.environ, **RASA_ENV},
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode == 0:
        fingerprint_file(model).write_text(fingerprint)
    return result


def main() -> None:
    """`python -m scripts.rasa_model [--force]`: train when stale."""
    result = train(force="--force" in sys.argv)
    if result is None:
        print(f"{MODEL.relative_to(ROOT)} is up to date")
        return
    if result.returncode != 0:
        sys.exit(f"rasa train failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
    print(f"trained {MODEL.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
