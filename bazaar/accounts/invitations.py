"""Emailed invitations into a role: an exhibitor's staff, an event's staff.

One mechanism for every kind (a table with the :class:`bazaar.accounts.models.Invitation` columns):
the signed link (for its address, for 14 days, while pending), sending it through the outbox, the
pending list, withdrawal, claiming it once, and the confirm page where the invited person accepts
(GET shows, POST accepts; a new address makes its account there). The domain adds the role.
"""

from collections.abc import Callable
from datetime import timedelta

from flask import flash, redirect, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_user
from sqlalchemy import select, update
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from bazaar.accounts.models import User
from bazaar.accounts.services import create_user, find_user_by_email
from bazaar.clock import utcnow
from bazaar.extensions import db
from bazaar.forms import BazaarForm
from bazaar.notifications.services import queue
from bazaar.tokens import InvalidToken, SignedLink

LINK_DAYS = 14


class WrongAccount(Exception):
    """The invitation was sent to another address than the account accepting it."""


class AcceptInvitationForm(BazaarForm):
    """Asked only when the invited address has no account yet."""

    name = StringField(_l("Your name"), validators=[DataRequired(), Length(max=200)])
    password = PasswordField(
        _l("Choose a password (at least 10 characters)"), validators=[DataRequired(), Length(min=10, max=200)]
    )


def link(purpose: str, model) -> SignedLink:
    """The signed link of one kind of invitation: for its address, while the invitation is pending."""
    return SignedLink(
        purpose, model, {"i": "id", "e": "email"}, timedelta(days=LINK_DAYS), usable=lambda i: i.is_pending
    )


def send(kind: str, signed: SignedLink, invitation, *, event, inviter: User, payload: dict) -> None:
    """Queue the message ``kind`` with the invitation's link, in the invited person's language."""
    db.session.flush()
    existing = find_user_by_email(invitation.email)
    queue(
        kind,
        to_address=invitation.email,
        user=existing,
        event=event,
        subject=invitation,
        language=existing.preferred_language if existing else event.default_language,
        payload={**payload, "inviter_name": inviter.name, "role": invitation.role, "token": signed.token(invitation)},
    )


def pending(model, *where) -> list:
    """The invitations of ``model`` matching ``where`` that are neither accepted nor withdrawn, oldest first."""
    return list(
        db.session.scalars(
            select(model)
            .where(*where, model.accepted_at.is_(None), model.withdrawn_at.is_(None))
            .order_by(model.created_at, model.id)
        )
    )


def withdraw(invitation) -> None:
    """The link stops working at once."""
    invitation.withdrawn_at = utcnow()
    db.session.commit()


def claim(invitation, user: User) -> None:
    """Mark the invitation used by ``user``; whoever holds the link proves they read mail sent to the
    address. A conditional UPDATE claims it, so two clicks at once claim it once (the second raises
    :class:`InvalidToken`). The caller adds the role and commits."""
    if user.email != invitation.email:
        raise WrongAccount(invitation.email)
    model = type(invitation)
    now = utcnow()
    claimed = db.session.execute(
        update(model)
        .where(model.id == invitation.id, model.accepted_at.is_(None), model.withdrawn_at.is_(None))
        .values(accepted_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    if claimed != 1:
        db.session.rollback()
        raise InvalidToken("used or withdrawn")
    if user.email_verified_at is None:
        user.email_verified_at = now


def confirm_page(signed: SignedLink, token: str, accept: Callable, heading: str | Callable, done: Callable):
    """The page an invitation link opens. ``accept(invitation, user)`` gives the role; ``heading`` (a
    text, or a function of the invitation) says what the person joins; ``done(invitation)`` is where
    they go after."""
    try:
        invite = signed.load(token)
    except InvalidToken:
        return render_template("accounts/invitation_invalid.html"), 404
    existing = find_user_by_email(invite.email)
    form = AcceptInvitationForm() if existing is None else None
    wrong_account = current_user.is_authenticated and current_user.email != invite.email
    shown = {
        "invite": invite,
        "heading": heading(invite) if callable(heading) else heading,
        "form": form,
        "existing": existing,
        "wrong_account": wrong_account,
    }
    if request.method != "POST" or wrong_account:
        return render_template("accounts/invitation.html", **shown)
    try:
        if existing is None and form.validate_on_submit():
            user = create_user(invite.email, form.name.data, form.password.data)
            db.session.flush()
            accept(invite, user)
            login_user(user)
        elif existing is not None and current_user.is_authenticated:
            accept(invite, current_user._get_current_object())
        else:
            return render_template("accounts/invitation.html", **shown), 400
    except InvalidToken:
        return render_template("accounts/invitation_invalid.html"), 404
    flash(_("Welcome! You are now part of the team."), "success")
    return redirect(done(invite))
