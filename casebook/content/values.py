"""Checks of single YAML values that cases and packs share, with the words their messages use."""

from __future__ import annotations

import datetime as dt

from casebook.content.model import DATE_PATTERN


def describe(value) -> str:
    """Describe a received value for a message, naming its YAML type."""
    if isinstance(value, bool):
        return f"a true/false value: {str(value).lower()} (quote it to make it text)"
    if isinstance(value, str):
        return f"text: '{value}'"
    if isinstance(value, (int, float)):
        return f"a number: {value}"
    if isinstance(value, dt.date):
        return f"a date: {value.isoformat()}"
    # Never a repr: a list or mapping may be large, and its repr is of no use to an editor.
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return f"a value of type {type(value).__name__}"


def check_date(value) -> str | None:
    """Return a message if value is not a real date written YYYY-MM-DD, else None."""
    if isinstance(value, dt.datetime) or not isinstance(value, (dt.date, str)):
        return f"expected a date YYYY-MM-DD but received {describe(value)}"
    if isinstance(value, dt.date):
        return None
    if not DATE_PATTERN.match(value):
        return f"expected a date YYYY-MM-DD but received: '{value}'"
    try:
        dt.date.fromisoformat(value)
    except ValueError:
        return f"not a real date: '{value}'"
    return None


def check_text(value, required: bool) -> str | None:
    """Return a message if value is not text (or, when required, is empty), else None."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return "expected text but received an empty value" if required else None
    if not isinstance(value, str):
        return f"expected text but received {describe(value)}"
    return None
