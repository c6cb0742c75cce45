"""Every setting is documented: in the README's table and in `.env.example`."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import BaseSettings

from actions.settings import ActionSettings
from backend.settings import BackendSettings
from bot.settings import GatewaySettings
from bot.whatsapp.settings import WhatsAppSettings

ROOT = Path(__file__).resolve().parent.parent


def _variables(settings: type[BaseSettings]) -> list[str]:
    names = []
    for field in settings.__fields__.values():
        env = field.field_info.extra.get("env") or field.name.upper()
        names.append(str(env))
    return names


@pytest.mark.parametrize(
    "settings", [BackendSettings, GatewaySettings, WhatsAppSettings, ActionSettings]
)
def test_every_environment_variable_is_documented(settings: type[BaseSettings]) -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    example = (ROOT / ".env.example").read_text(encoding="utf-8")
    missing_readme = [name for name in _variables(settings) if f"`{name}`" not in readme]
    missing_example = [name for name in _variables(settings) if f"{name}=" not in example]
    assert missing_readme == [], f"add to the README's configuration table: {missing_readme}"
    assert missing_example == [], f"add to .env.example: {missing_example}"
