"""`rasa data validate`: the domain, NLU data, rules and config agree."""

from __future__ import annotations

import re

from tests.conversation.conftest import ROOT, run_rasa

_UNUSED = re.compile(r"The utterance '(\w+)' is not used in any story or rule")
_WARNING = re.compile(r"UserWarning: (.*)")
#: Intents only triggered through Rasa's HTTP API (the notifier), never typed: no NLU data.
_EXTERNAL = re.compile(r"The intent 'EXTERNAL_\w+' is listed in the domain file, but is not found")


def test_rasa_data_validate_is_clean() -> None:
    result = run_rasa(
        "data",
        "validate",
        "--domain",
        "domain.yml",
        "--data",
        "nlu",
        "stories",
        "--config",
        "config.yml",
        timeout=600,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-4000:]
    # Responses sent by custom actions, asked by forms or said by the channel gateway
    # never appear in rules; Rasa warns about them. Each one must really be used.
    sources = [*(ROOT / "actions").rglob("*.py"), *(ROOT / "bot").rglob("*.py")]
    actions_code = "\n".join(p.read_text() for p in sources)
    form_slots = (
        "report_type",
        "complaint_description",
        "complaint_location",
        "incident_date",
        "privacy",
        "attachments",
        "tracking_id",
    )
    for response in _UNUSED.findall(output):
        asked_by_form = response in {f"utter_ask_{slot}" for slot in form_slots}
        assert asked_by_form or f'"{response}"' in actions_code, f"{response} is never sent"
    other_warnings = [
        w for w in _WARNING.findall(output) if not _UNUSED.search(w) and not _EXTERNAL.search(w)
    ]
    assert other_warnings == []
