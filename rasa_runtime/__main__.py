"""`python -m rasa_runtime <rasa arguments>`: Rasa's command line with our fixes applied."""

from __future__ import annotations

import os
import sys

from rasa.__main__ import main as rasa_main

from rasa_runtime import patches


def with_token_from_environment(argv: list[str], environ: dict[str, str]) -> list[str]:
    """`rasa run` arguments with `--auth-token` from `RASA_API_TOKEN` when not given.

    The systemd unit starts Rasa this way, so the token is not on the command line
    (where `ps` shows it to every user of the host).
    """
    token = environ.get("RASA_API_TOKEN")
    if len(argv) > 1 and argv[1] == "run" and "--auth-token" not in argv and token:
        return [*argv, "--auth-token", token]
    return argv


def main() -> None:
    """Apply the fixes, then run Rasa's command line as `rasa` would."""
    patches.apply()
    sys.argv = with_token_from_environment(sys.argv, dict(os.environ))
    rasa_main()


if __name__ == "__main__":
    main()
