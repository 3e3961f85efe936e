"""Friendly error pages (HTML for people, JSON for API callers)."""

import logging

import sentry_sdk
from flask import jsonify, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DisconnectionError, InterfaceError, OperationalError
from werkzeug.exceptions import HTTPException

from bazaar.database import request_may_replay
from bazaar.extensions import db
from bazaar.problems import problem

log = logging.getLogger("bazaar.errors")


def _wants_json() -> bool:
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


def init_app(app) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(e):
        return render_template(
            "errors/error.html",
            code=400,
            title=_("The form had expired"),
            message=_("Please go back, reload the page and send the form again."),
        ), 400

    @app.errorhandler(HTTPException)
    def http_error(e: HTTPException):
        if e.code is None or e.code < 400:
            return e
        if request.path.startswith("/api/"):
            errors = (getattr(e, "data", None) or {}).get("messages")
            return problem(
                e.code,
                e.name.lower().replace(" ", "_"),
                e.description or e.name,
                **({"errors": errors} if errors else {}),
            )
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
            "errors/error.html",
            code=e.code,
            title=titles.get(e.code, e.name),
            message=messages.get(e.code, ""),
        ), e.code

    @app.errorhandler(OperationalError)
    @app.errorhandler(InterfaceError)
    @app.errorhandler(DisconnectionError)
    def database_unavailable(e: Exception):
        """A cut or refused database connection is transient: run the request once more where that is
        safe (bazaar/database.py), else say so (503), never 500."""
        try:
            db.session.rollback()
        except Exception:  # the connection may be gone entirely; the pool replaces it on next use
            db.session.close()
        if request_may_replay(e, request.environ):
            return "", 503  # discarded: the request runs again
        log.warning("database unavailable", extra={"path": request.path, "error": type(e).__name__})
        detail = _("The service is busy for a moment. Nothing you entered is lost: please try again in a minute.")
        if request.path.startswith("/api/"):
            response = problem(503, "service_unavailable", detail)
        elif _wants_json():
            response = jsonify(error="Service Unavailable", code=503)
            response.status_code = 503
        else:
            response = (
                render_template("errors/error.html", code=503, title=_("Please try again in a minute"), message=detail),
                503,
            )
            response = app.make_response(response)
        response.headers["Retry-After"] = "30"
        return response

    @app.errorhandler(Exception)
    def server_error(e: Exception):
        sentry_sdk.capture_exception(e)  # handled here, so Sentry's Flask integration does not see it
        log.exception("unhandled error", extra={"path": request.path, "method": request.method})
        db.session.rollback()
        if _wants_json():
            return jsonify(error="Internal Server Error", code=500), 500
        return render_template(
            "errors/error.html",
            code=500,
            title=_("Something went wrong on our side"),
            message=_("Nothing you entered is lost. Please try again in a minute."),
        ), 500
