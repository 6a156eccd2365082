"""The search site: `create_app` builds it; views live in modules by area."""

from __future__ import annotations

from pathlib import Path

from flask import Flask, Response, current_app, jsonify, render_template, request
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from casebook.config import Settings, settings_from_env
from casebook.errors import NotFoundError, QueryError
from casebook.service import Casebook
from casebook.web import advanced, cases, editors, search, suggestions  # noqa: F401 (importing them registers their routes)
from casebook.web.context import book, bp, wants_json
from casebook.web.limits import check_limits
from casebook.web.messages import http_message, not_found_message, query_message
from casebook.web.packs import packs
from casebook.web.searchlog import SearchLog

PACKAGE = Path(__file__).resolve().parent.parent


def site_folder(name: str) -> Path:
    """Return the site's `templates` or `static` folder: inside the package when installed from a
    wheel, at the top of the checkout (where the design keeps them) otherwise."""
    packaged = PACKAGE / name
    return packaged if packaged.is_dir() else PACKAGE.parent / name


def _error(status: int, message: str, param: str | None = None):
    if wants_json():
        body = {"error": {"status": status, "message": message}}
        if param:
            body["error"]["param"] = param
        return jsonify(body), status
    return render_template("error.html", status=status, message=message), status


@bp.app_errorhandler(QueryError)
def handle_query_error(exc: QueryError):
    return _error(400, str(exc) if wants_json() else query_message(exc), exc.param)


@bp.app_errorhandler(NotFoundError)
def handle_not_found(exc: NotFoundError):
    return _error(404, str(exc) if wants_json() else not_found_message(exc))


@bp.app_errorhandler(RequestEntityTooLarge)
def handle_too_large(exc: RequestEntityTooLarge):
    limit = book().settings.max_request_bytes
    return _error(413, f"提交的内容过大：最多 {limit:,} 字节")


@bp.before_app_request
def limit_parameters() -> None:
    """Refuse, before any view runs, a request with more parameters or digits than allowed."""
    check_limits(request.args, book().settings)


@bp.app_errorhandler(HTTPException)
def handle_http(exc: HTTPException):
    status = exc.code or 500
    return _error(status, exc.description or exc.name if wants_json() else http_message(status, exc.description))


@bp.app_errorhandler(Exception)
def handle_unexpected(exc: Exception):
    current_app.logger.exception("unexpected error on %s", request.full_path)
    return _error(500, "服务器内部错误，请稍后再试" if not wants_json() else "internal error")


CSP = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; object-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"


@bp.after_app_request
def security_headers(response: Response) -> Response:
    response.headers.setdefault("Content-Security-Policy", CSP)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("X-Frame-Options", "DENY")
    return response


# -- the application ------------------------------------------------------------------------


def create_app(
    settings: Settings | None = None, test_config: dict | None = None, casebook: Casebook | None = None
) -> Flask:
    """Create the Flask application for a knowledge base (or for an open Casebook)."""
    app = Flask(__name__, template_folder=site_folder("templates"), static_folder=site_folder("static"))
    app.config.update(JSON_AS_ASCII=False, SEND_FILE_MAX_AGE_DEFAULT=3600)
    if test_config:
        app.config.update(test_config)
    app.json.ensure_ascii = False
    app.json.mimetype = "application/json; charset=utf-8"  # a browser shows the Chinese, not mojibake
    if casebook is None:
        settings = settings or app.config.get("CASEBOOK_SETTINGS") or settings_from_env()
        casebook = Casebook(settings)
    app.extensions["casebook"] = casebook
    if app.config.get("MAX_CONTENT_LENGTH") is None:
        app.config["MAX_CONTENT_LENGTH"] = casebook.settings.max_request_bytes
        # One limit for the whole body and any one form field, so the 413 message is true.
        app.config["MAX_FORM_MEMORY_SIZE"] = casebook.settings.max_request_bytes
    if casebook.settings.search_log:
        settings = casebook.settings
        app.extensions["casebook.searchlog"] = SearchLog(
            settings.index_dir / "searchlog.sqlite", weeks=settings.search_log_weeks, max_rows=settings.search_log_rows
        )
    app.register_blueprint(bp)
    app.register_blueprint(packs)
    app.jinja_env.globals["outcome_names"] = lambda: casebook.taxonomy.choices("outcomes")
    app.jinja_env.globals["nav"] = [
        ("/", "案例检索"),
        ("/laws/", "法规索引"),
        ("/recent", "最近更新"),
        ("/packs/", "培训包"),
        ("/insights", "检索分析"),
        ("/favourites", "收藏"),
    ]
    return app
