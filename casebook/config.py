"""Settings: where the cases and the index live, and how text is segmented."""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from pathlib import Path

from casebook.errors import ConfigError
from casebook.index.analysis import SEGMENTERS


@dataclass(frozen=True)
class Settings:
    """Everything a Casebook needs to know before it opens anything."""

    cases_dir: Path = Path("cases")
    index_dir: Path | None = None  # default: .casebook-index beside the cases directory
    segmenter: str = "rjieba"
    search_log: bool = True
    max_depth: int = 32  # folders below the cases directory that check and index read

    def validated(self) -> "Settings":
        """Return the settings with absolute paths; raise ConfigError when unusable."""
        if self.segmenter not in SEGMENTERS:
            raise ConfigError(f"segmenter: expected one of ({', '.join(SEGMENTERS)}) but received: '{self.segmenter}'")
        if not 1 <= self.max_depth <= 256:
            raise ConfigError(f"max_depth: expected a number of folders from 1 to 256 but received: {self.max_depth}")
        if not self.cases_dir.is_dir():
            raise ConfigError(f"cases directory not found: {self.cases_dir}")
        cases_dir = self.cases_dir.resolve()
        index_dir = self.index_dir or cases_dir.parent / ".casebook-index"
        return replace(self, cases_dir=cases_dir, index_dir=index_dir.resolve())


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
    if os.environ.get("CASEBOOK_MAX_DEPTH"):
        try:
            values["max_depth"] = int(os.environ["CASEBOOK_MAX_DEPTH"])
        except ValueError:
            raise ConfigError(
                f"CASEBOOK_MAX_DEPTH: expected a number of folders but received: '{os.environ['CASEBOOK_MAX_DEPTH']}'"
            ) from None
    values.update({k: v for k, v in overrides.items() if v is not None})
    for key in ("cases_dir", "index_dir"):
        if key in values:
            values[key] = Path(values[key])
    return Settings(**values)
