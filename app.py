"""Flask entry point: `flask --app app run` for development; `casebook serve` for production."""

from casebook.web import make_app


def create_app(test_config: dict | None = None):
    """Create the Casebook site (settings from CASEBOOK_* variables unless test_config has them)."""
    return make_app(test_config=test_config)
