"""Test doubles that speak real wire formats (a fake Telegram Bot API server, Update factories)."""
