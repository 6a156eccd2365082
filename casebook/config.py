"""Settings: where the cases and the index live, how text is segmented, and the site's limits.

Every limit is a setting with a default that suits a shared intranet server; each can be set
from the environment as CASEBOOK_<NAME> (README, "Deployment").
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from pathlib import Path

from casebook.errors import ConfigError

# Names only: the segmenters themselves live in index/analysis, which imports Whoosh.
SEGMENTERS = ("rjieba", "jieba")
CASE_WARN_BYTES = 200 * 1024  # the longest shipped case is under 10 KB
CASE_MAX_BYTES = 2 * 1024 * 1024  # a 20 MB case once took 36 s and 1.6 GB to index


@dataclass(frozen=True)
class Settings:
    """Everything a Casebook needs to know before it opens anything."""

    cases_dir: Path = Path("cases")
    index_dir: Path | None = None  # default: .casebook-index beside the cases directory
    segmenter: str = "rjieba"
    search_log: bool = True
    max_depth: int = 32  # folders below the cases directory that check and index read
    search_log_weeks: int = 8  # rows older than this are deleted
    search_log_rows: int = 100_000  # and the oldest beyond this many
    base_url: str = ""  # e.g. http://casebook.intranet: links in CSV exports; unset, they are paths
    max_request_bytes: int = 1_000_000  # request bodies (the tray's form is a few KB)
    max_params: int = 100  # URL parameters in one request
    max_values: int = 40  # distinct values of one parameter (34 provinces is the largest real need)
    max_digits: int = 15  # digits in a numeric parameter (a search id has up to 15)
    max_value_chars: int = 1000  # characters in one parameter value (the search box takes 200)
    channel_timeout: int = 30  # seconds a connection may stay idle before waitress closes it
    connection_limit: int = 1000  # open connections waitress accepts (slow clients each hold one)
    case_warn_bytes: int = CASE_WARN_BYTES  # check warns about a case file above this
    case_max_bytes: int = CASE_MAX_BYTES  # and refuses (check and index) one above this

    def validated(self) -> "Settings":
        """Return the settings with absolute paths; raise ConfigError when unusable."""
        if self.segmenter not in SEGMENTERS:
            raise ConfigError(f"segmenter: expected one of ({', '.join(SEGMENTERS)}) but received: '{self.segmenter}'")
        if not 1 <= self.max_depth <= 256:
            raise ConfigError(f"max_depth: expected a number of folders from 1 to 256 but received: {self.max_depth}")
        for name in LIMITS:
            if getattr(self, name) < 1:
                raise ConfigError(f"{name}: expected a whole number from 1 but received: {getattr(self, name)}")
        if self.case_warn_bytes > self.case_max_bytes:
            raise ConfigError(
                f"case_warn_bytes: expected at most case_max_bytes ({self.case_max_bytes})"
                f" but received: {self.case_warn_bytes}"
            )
        if self.base_url and not self.base_url.startswith(("http://", "https://")):
            raise ConfigError(
                f"base_url: expected an address starting with http:// or https:// but received: '{self.base_url}'"
            )
        if not self.cases_dir.is_dir():
            raise ConfigError(f"cases directory not found: {self.cases_dir}")
        cases_dir = self.cases_dir.resolve()
        index_dir = self.index_dir or cases_dir.parent / ".casebook-index"
        return replace(self, cases_dir=cases_dir, index_dir=index_dir.resolve(), base_url=self.base_url.rstrip("/"))


# Whole-number settings, each read from CASEBOOK_<NAME>.
LIMITS = (
    "search_log_weeks",
    "search_log_rows",
    "max_request_bytes",
    "max_params",
    "max_values",
    "max_digits",
    "max_value_chars",
    "channel_timeout",
    "connection_limit",
    "case_warn_bytes",
    "case_max_bytes",
    "max_depth",
)


def settings_from_env(**overrides) -> Settings:
    """Build settings from CASEBOOK_* environment variables, then explicit overrides."""
    values: dict = {}
    if os.environ.get("CASEBOOK_CASES"):
        values["cases_dir"] = Path(os.environ["CASEBOOK_CASES"])
    if os.environ.get("CASEBOOK_INDEX"):
        values["index_dir"] = Path(os.environ["CASEBOOK_INDEX"])
    if os.environ.get("CASEBOOK_SEGMENTER"):
        values["segmenter"] = os.environ["CASEBOOK_SEGMENTER"]
    if os.environ.get("CASEBOOK_SEARCH_LOG", "").lower() in ("0", "false", "off", "no"):
        values["search_log"] = False
    if os.environ.get("CASEBOOK_BASE_URL"):
        values["base_url"] = os.environ["CASEBOOK_BASE_URL"]
    for name in LIMITS:
        raw = os.environ.get(f"CASEBOOK_{name.upper()}", "").strip()
        if raw:
            try:
                values[name] = int(raw)
            except ValueError:
                raise ConfigError(
                    f"CASEBOOK_{name.upper()}: expected a whole number but received: '{raw[:40]}'"
                ) from None
    values.update({k: v for k, v in overrides.items() if v is not None})
    for key in ("cases_dir", "index_dir"):
        if key in values:
            values[key] = Path(values[key])
    return Settings(**values)
