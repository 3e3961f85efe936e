"""Friendly error pages (HTML for people, JSON for API callers)."""
import logging

from flask import jsonify, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from bazaar.extensions import db

log = logging.getLogger("bazaar.errors")


def _wants_json() -> bool:
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


def init_app(app) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(e):
        return render_template(
            "errors/error.html", code=400,
            title=_("The form had expired"),
            message=_("Please go back, reload the page and send the form again."),
        ), 400

    @app.errorhandler(HTTPException)
    def http_error(e: HTTPException):
        if e.code is None or e.code < 400:
            return e
        if request.path.startswith("/api/"):
            from bazaar.api.problems import problem

            errors = (getattr(e, "data", None) or {}).get("messages")
            return problem(e.code, e.name.lower().replace(" ", "_"), e.description or e.name,
                           **({"errors": errors} if errors else {}))
        if _wants_json():
            return jsonify(error=e.name, code=e.code), e.code
        titles = {
            403: _("You do not have access to this page"),
            404: _("We could not find that page"),
            405: _("That action is not possible here"),
            413: _("The file is too large"),
            429: _("Too many attempts"),
        }
        messages = {
            429: _("Please wait a few minutes and try again."),
            413: _("Please choose a smaller file."),
        }
        return render_template(
            "errors/error.html", code=e.code, title=titles.get(e.code, e.name),
            message=messages.get(e.code, ""),
        ), e.code

    @app.errorhandler(Exception)
    def server_error(e: Exception):
        log.exception("unhandled error", extra={"path": request.path, "method": request.method})
        db.session.rollback()
        if _wants_json():
            return jsonify(error="Internal Server Error", code=500), 500
        return render_template(
            "errors/error.html", code=500, title=_("Something went wrong on our side"),
            message=_("Nothing you entered is lost. Please try again in a minute."),
        ), 500
