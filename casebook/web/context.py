"""What every view shares: the blueprint, the open Casebook and the search log of this app."""

from __future__ import annotations

from flask import Blueprint, current_app, request

from casebook.service import Casebook
from casebook.web.searchlog import SearchLog

bp = Blueprint("site", __name__)


def book() -> Casebook:
    """Return the Casebook this application serves."""
    return current_app.extensions["casebook"]


def search_log() -> SearchLog | None:
    """Return the search log, or None when it is switched off."""
    return current_app.extensions.get("casebook.searchlog")


def wants_json() -> bool:
    """Tell whether the current request is for the JSON API."""
    return request.path.startswith("/api/")
