"""`python -m rasa_runtime <rasa arguments>`: Rasa's command line with our fixes applied."""

from __future__ import annotations

from rasa.__main__ import main as rasa_main

from rasa_runtime import patches


def main() -> None:
    """Apply the fixes, then run Rasa's command line as `rasa` would."""
    patches.apply()
    rasa_main()


if __name__ == "__main__":
    main()
