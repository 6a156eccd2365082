"""Render how a case is cited in a handler's report: the one-line citation."""

from __future__ import annotations


def citation(record: dict) -> str:
    """Return the one-line citation of a case for a handler's report."""
    parts = [f"《{record['title']}》"]
    if record.get("type") == "manual":
        parts.append("处理手册")
    if record.get("region"):
        parts.append(record["region"])
    if record.get("date"):
        parts.append(f"{record['date']} 结案" if record.get("type") != "manual" else record["date"])
    return f"[{record['id']}] " + "，".join(parts)
