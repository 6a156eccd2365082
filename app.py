"""Flask entry point: `flask --app app run` for development; `casebook serve` for production."""

from casebook.web import create_app

__all__ = ["create_app"]
