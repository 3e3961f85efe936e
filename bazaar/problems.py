"""RFC 9457 problem details for every API error."""

from flask import abort as flask_abort
from flask import jsonify, make_response


def problem(status: int, code: str, detail: str, **extra):
    body = {
        "type": f"https://bazaar.invalid/problems/{code}",
        "title": code.replace("_", " "),
        "status": status,
        "code": code,
        "detail": detail,
        **extra,
    }
    response = make_response(jsonify(body), status)
    response.mimetype = "application/problem+json"
    return response


def abort(status: int, code: str, detail: str):
    flask_abort(problem(status, code, detail))
