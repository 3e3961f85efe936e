"""Password hashing and the Flask-Login wiring."""

import hmac
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import g
from flask_login import user_loaded_from_cookie, user_logged_in
from sqlalchemy import Integer, bindparam, select

from bazaar.accounts.models import User
from bazaar.clock import utcnow
from bazaar.extensions import db, login_manager

# Argon2id with OWASP's first recommended setting (19 MiB, two passes, one lane): about 40 ms a
# hash here, so forty people logging in at once at a fair's door do not queue for seconds behind
# the library default (64 MiB, four lanes: 0.3-0.6 s on two cores). A hash made with other settings
# is made again at its next login (``check_password``).
_hasher = PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1)


@cache
def _user_by_id():
    """The session's user, by id: built once per process (compiled once), as every request runs it."""
    return select(User).where(User.id == bindparam("id", type_=Integer()))


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def check_password(user, password: str) -> bool:
    if not user or not user.password_hash:
        _hasher.hash(password)  # same cost whether or not the account exists
        return False
    try:
        _hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
        db.session.commit()
    return True


def init_app(app) -> None:
    @app.before_request
    def _forget_cached_user():
        # Flask-Login caches the user on ``g``; a request must never inherit one from an app
        # context that outlives it (as in tests that hold a context around several requests).
        g.pop("_login_user", None)

    login_manager.login_view = "accounts.login"
    login_manager.login_message = None

    @login_manager.user_loader
    def load_user(session_id: str):
        user_id, _, stamp = session_id.partition(".")
        if not user_id.isdigit():
            return None
        user = db.session.scalars(_user_by_id(), {"id": int(user_id)}).first()
        if user is None or not hmac.compare_digest(stamp, user.session_stamp()):
            return None  # the password changed since this session began
        return user

    @user_logged_in.connect_via(app)
    @user_loaded_from_cookie.connect_via(app)
    def _note_login(sender, user, **extra):
        """A login (by password, link or remember cookie) is activity: it keeps the person's data
        past an event's retention period (see :func:`bazaar.privacy.retention.purgeable`)."""
        user.last_login_at = utcnow()
        db.session.commit()
