"""Sending email: SMTP in production, the console (log) in the embedded default.

A mailer is used as a context manager, so a batch of messages shares one SMTP connection.
Failures are sorted into :class:`TemporaryFailure` (try again later: 4xx replies, connection
refused, timeouts, bad credentials) and :class:`PermanentFailure` (5xx: the address is refused).
"""

import functools
import logging
import smtplib
import ssl
from email.header import decode_header, make_header
from email.message import EmailMessage, Message

from flask import current_app

log = logging.getLogger("bazaar.mail")


class DeliveryError(Exception):
    """A message could not be handed over."""


class TemporaryFailure(DeliveryError):
    """Worth trying again later."""


class PermanentFailure(DeliveryError):
    """Trying again will not help."""


def classify_smtp_error(exc: Exception) -> DeliveryError:
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _msg in exc.recipients.values()]
        reason = "; ".join(
            f"{addr}: {code} {msg.decode(errors='replace') if isinstance(msg, bytes) else msg}"
            for addr, (code, msg) in exc.recipients.items()
        )
        kind = PermanentFailure if codes and all(500 <= c < 600 for c in codes) else TemporaryFailure
        return kind(f"recipient refused: {reason}")
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        # Our credentials are wrong, not the message: keep it for when the configuration is fixed.
        return TemporaryFailure(f"SMTP authentication failed: {exc.smtp_code}")
    if isinstance(exc, smtplib.SMTPResponseException):
        text = exc.smtp_error.decode(errors="replace") if isinstance(exc.smtp_error, bytes) else str(exc.smtp_error)
        kind = PermanentFailure if 500 <= exc.smtp_code < 600 else TemporaryFailure
        return kind(f"SMTP {exc.smtp_code} {text}".strip())
    return TemporaryFailure(f"{type(exc).__name__}: {exc}")


@functools.cache
def _tls_context() -> ssl.SSLContext:
    """The certificate-checking context, built once per process (loading the CA store is slow)."""
    return ssl.create_default_context()


class SMTPMailer:
    def __init__(
        self,
        host: str,
        port: int,
        starttls: bool = False,
        use_ssl: bool = False,
        username: str | None = None,
        password: str | None = None,
        timeout: float = 30.0,
    ):
        self.host, self.port = host, port
        self.starttls, self.use_ssl = starttls, use_ssl
        self.username, self.password = username, password
        self.timeout = timeout
        self._smtp: smtplib.SMTP | None = None

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()

    def _connect(self) -> smtplib.SMTP:
        if self.use_ssl:
            smtp = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=_tls_context())
        else:
            smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
            if self.starttls:
                smtp.starttls(context=_tls_context())
        if self.username:
            smtp.login(self.username, self.password or "")
        return smtp

    def check(self) -> None:
        """Connect, log in if configured, and ask the server for a NOOP; raises if it does not answer."""
        smtp = self._connect()
        try:
            code, reply = smtp.noop()
            if code != 250:
                raise smtplib.SMTPResponseException(code, reply)
        finally:
            smtp.close()

    def send(self, message: Message) -> None:
        """Hand ``message`` to the SMTP server; returns once the server accepted it."""
        try:
            if self._smtp is None:
                self._smtp = self._connect()
            self._smtp.send_message(message)
        except (smtplib.SMTPException, OSError) as exc:
            self._drop_connection()
            raise classify_smtp_error(exc) from exc

    def _drop_connection(self) -> None:
        if self._smtp is not None:
            try:
                self._smtp.close()
            except OSError:
                log.debug("closing a broken SMTP connection failed")
            self._smtp = None

    def close(self) -> None:
        if self._smtp is not None:
            try:
                self._smtp.quit()
            except (smtplib.SMTPException, OSError):
                log.debug("SMTP QUIT failed; the message was already accepted")
            self._smtp = None
            self._drop_connection()


class ConsoleMailer:
    """Writes each message to the log instead of sending it (the embedded default)."""

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()

    def send(self, message: Message) -> None:
        text = next(
            (
                part.get_payload(decode=True).decode(part.get_content_charset() or "utf-8")
                for part in message.walk()
                if part.get_content_type() == "text/plain"
            ),
            "",
        )
        log.info("email to %s: %s\n%s", message["To"], make_header(decode_header(str(message["Subject"]))), text)

    def close(self) -> None:
        """Nothing to release."""


def get_mailer():
    config = current_app.config
    if config.get("MAIL_BACKEND") == "smtp":
        return SMTPMailer(
            config["MAIL_SERVER"],
            config["MAIL_PORT"],
            starttls=config["MAIL_USE_TLS"],
            use_ssl=config["MAIL_USE_SSL"],
            username=config["MAIL_USERNAME"],
            password=config["MAIL_PASSWORD"],
        )
    return ConsoleMailer()


def send_test_email(address: str) -> None:
    """Send a short message straight through the configured mailer (not the outbox), so an
    operator sees at once whether mail leaves this machine; raises :class:`DeliveryError`."""
    message = EmailMessage()
    message["From"] = current_app.config["MAIL_FROM"]
    message["To"] = address
    message["Subject"] = "Bazaar test email"
    message.set_content(f"This test email was sent by Bazaar at {current_app.config['BASE_URL']}.")
    with get_mailer() as mailer:
        mailer.send(message)
