"""Turning an outbox row into an email (or text message) in the recipient's language.

Templates live in ``templates/emails/<kind>.subject.txt``, ``<kind>.txt`` and ``<kind>.html``
(``<kind>.sms.txt`` for text messages). They get ``message``, ``payload``, ``user``, ``event``,
``base_url`` and ``lang``, plus ``when(iso)`` to turn a payload time back into a datetime for the
``dt``/``time``/``date`` filters, and ``link(endpoint, **values)`` for an absolute URL (None while
the endpoint does not exist). Attachments are the ones the domains declared for the message's kind
(:mod:`bazaar.notifications.registry`): a calendar file for booking messages, the QR ticket for the
registration confirmation.
"""

from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime
from email import encoders
from email.header import Header
from email.message import Message
from email.mime.base import MIMEBase
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.utils import formataddr, formatdate, parseaddr
from urllib.parse import urlsplit

from flask import current_app, url_for
from flask_babel import force_locale
from jinja2 import TemplateNotFound
from werkzeug.routing import BuildError

from bazaar.notifications import registry
from bazaar.notifications.models import Channel, OutboxMessage
from bazaar.notifications.registry import Attachment


@dataclass
class Rendered:
    subject: str
    text: str
    html: str | None = None
    attachments: list[Attachment] = field(default_factory=list)


def _when(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _link(endpoint: str, **values) -> str | None:
    try:
        return url_for(endpoint, _external=True, **values)
    except BuildError:
        return None


def _language(message: OutboxMessage) -> str:
    languages = current_app.config["LANGUAGES"]
    return message.language if message.language in languages else current_app.config["BABEL_DEFAULT_LOCALE"]


# Set while a batch is rendered inside one request context (see rendering_batch).
_IN_BATCH: ContextVar[bool] = ContextVar("bazaar_rendering_batch", default=False)


@contextmanager
def rendering_batch():
    """One request context on the site's base URL (``url_for`` makes absolute links from it) for
    every message rendered inside, instead of one per message."""
    with current_app.test_request_context("/", base_url=current_app.config["BASE_URL"]):
        token = _IN_BATCH.set(True)
        try:
            yield
        finally:
            _IN_BATCH.reset(token)


def render(message: OutboxMessage) -> Rendered:
    if not _IN_BATCH.get():
        with rendering_batch():
            return render(message)
    lang = _language(message)
    context = {
        "message": message,
        "payload": registry.payload(message),
        "user": message.user,
        "event": message.event,
        "base_url": current_app.config["BASE_URL"],
        "lang": lang,
        "when": _when,
        "link": _link,
    }
    with force_locale(lang):
        current_app.update_template_context(context)  # the context processors, once for the message's templates
        if message.channel == Channel.SMS:
            return Rendered(subject="", text=_template(f"emails/{message.kind}.sms.txt").render(context).strip())
        subject = " ".join(_template(f"emails/{message.kind}.subject.txt").render(context).split())
        text = _template(f"emails/{message.kind}.txt").render(context)
        try:
            html = _template(f"emails/{message.kind}.html").render(context)
        except TemplateNotFound:
            html = None
        return Rendered(subject=subject, text=text, html=html, attachments=registry.attachments(message))


def _template(name: str):
    """The compiled template (Jinja keeps it loaded)."""
    return current_app.jinja_env.get_template(name)


def build_email(message: OutboxMessage, rendered: Rendered) -> Message:
    """The MIME message: text and HTML alternatives plus attachments.

    Built with the classic ``email.mime`` API: its ``Header`` encodes a non-ASCII subject without
    losing spaces when folding (the newer ``EmailMessage`` drops the space where it splits a
    mixed Arabic and Latin subject), and it is several times cheaper per message."""
    config = current_app.config
    domain = urlsplit(config["BASE_URL"]).hostname or "bazaar.local"
    body = MIMEText(rendered.text, "plain", "utf-8")
    if rendered.html:
        body = MIMEMultipart("alternative", _subparts=[body, MIMEText(rendered.html, "html", "utf-8")])
    if rendered.attachments:
        email = MIMEMultipart("mixed", _subparts=[body])
        for att in rendered.attachments:
            if isinstance(att.data, str):
                part = MIMEText(att.data, att.subtype, "utf-8")
                for key, value in att.params.items():
                    part.set_param(key, value)
            else:
                part = MIMEBase(att.maintype, att.subtype)
                part.set_payload(att.data)
                encoders.encode_base64(part)
            part.add_header("Content-Disposition", "attachment", filename=att.filename)
            email.attach(part)
    else:
        email = body
    sender_name, sender_address = parseaddr(config["MAIL_FROM"])
    email["Subject"] = Header(rendered.subject, "utf-8")
    email["From"] = formataddr((sender_name, sender_address), charset="utf-8")
    email["To"] = message.to_address
    email["Date"] = formatdate(localtime=False)
    # One Message-ID per outbox row: should the crash window ever send a row twice, mail clients
    # show it once.
    email["Message-ID"] = f"<outbox-{message.id}@{domain}>"
    email["X-Bazaar-Message-Id"] = str(message.id)
    email["Auto-Submitted"] = "auto-generated"
    return email
