"""Webhook deliveries: an outbox row of channel ``webhook`` is POSTed as JSON to its URL, signed.

The signature header is ``Bazaar-Signature: t=<unix time>,v1=<hex>``, where ``<hex>`` is the
HMAC-SHA256 of ``"<t>.<body>"`` under the endpoint's secret (the scheme Stripe and Svix use): the
receiver recomputes it, compares in constant time and refuses old timestamps, so a captured
delivery cannot be replayed later. The row is signed when it is sent, so a retry carries a fresh
timestamp. ``Bazaar-Delivery`` is the same on every try of one delivery: receivers drop repeats by it.

Outcomes map onto the outbox's: a 2xx answer is sent; a timeout, a refused connection, 408, 425,
429 and 5xx are tried again with the outbox's backoff; any other answer fails the row (the
organiser can send it again once the receiver is fixed). Redirects are not followed. Addresses in
private, loopback and link-local networks are refused unless ``WEBHOOK_ALLOW_PRIVATE`` is set, so an
organiser's URL cannot reach the servers beside Bazaar.
"""

import hashlib
import hmac
import ipaddress
import json
import socket
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from urllib.parse import urlsplit

from flask import current_app

from bazaar.notifications.mail import PermanentFailure, TemporaryFailure

SIGNATURE_HEADER = "Bazaar-Signature"
TIMEOUT_SECONDS = 10
RETRY_STATUSES = {408, 425, 429}
USER_AGENT = "Bazaar-Webhooks/1"


@dataclass
class WebhookRequest:
    url: str
    body: bytes
    headers: dict[str, str]


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """The ``Bazaar-Signature`` value for ``body`` sent at ``timestamp``."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


def verify(secret: str, header: str, body: bytes, tolerance: int = 300, now: float | None = None) -> bool:
    """What a receiver does: the header's MAC matches and its timestamp is at most ``tolerance`` s old."""
    parts = dict(item.split("=", 1) for item in header.split(",") if "=" in item)
    try:
        timestamp = int(parts["t"])
    except (KeyError, ValueError):
        return False
    if abs((now if now is not None else time.time()) - timestamp) > tolerance:
        return False
    return hmac.compare_digest(signature(secret, timestamp, body), f"t={timestamp},v1={parts.get('v1', '')}")


def build(url: str, payload: dict, secret: str) -> WebhookRequest:
    """The signed request for one try of a delivery (``payload`` holds ``topic``, ``delivery`` and ``body``)."""
    body = json.dumps(payload["body"], ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode()
    return WebhookRequest(
        url,
        body,
        {
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            "Bazaar-Event": payload["topic"],
            "Bazaar-Delivery": payload["delivery"],
            SIGNATURE_HEADER: signature(secret, int(time.time()), body),
        },
    )


def refused_address(url: str) -> str | None:
    """Why ``url`` may not be called (a private address, a bad scheme), or None."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "only http and https URLs can receive webhooks"
    if current_app.config.get("WEBHOOK_ALLOW_PRIVATE"):
        return None
    try:
        infos = socket.getaddrinfo(parts.hostname, parts.port or (443 if parts.scheme == "https" else 80))
    except socket.gaierror as exc:
        raise TemporaryFailure(f"cannot resolve {parts.hostname}: {exc}") from exc
    for info in infos:
        address = ipaddress.ip_address(info[4][0].split("%")[0])
        if not address.is_global:
            return f"{parts.hostname} is a private address ({address}); webhooks go to public addresses only"
    return None


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # a 3xx is an answer like any other: not 2xx, so not delivered


def post(request: WebhookRequest) -> int:
    """Deliver one try; returns the HTTP status, or raises Temporary/PermanentFailure."""
    refused = refused_address(request.url)
    if refused:
        raise PermanentFailure(refused)
    opener = urllib.request.build_opener(_NoRedirects)
    try:
        http_request = urllib.request.Request(request.url, data=request.body, headers=request.headers, method="POST")
    except ValueError as exc:
        raise PermanentFailure(f"webhook: {exc}") from exc
    try:
        with opener.open(http_request, timeout=TIMEOUT_SECONDS) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        status = exc.code
        exc.close()
    except (urllib.error.URLError, OSError) as exc:  # refused, reset, timed out, TLS
        raise TemporaryFailure(f"webhook: {getattr(exc, 'reason', exc)}") from exc
    if status >= 500 or status in RETRY_STATUSES:
        raise TemporaryFailure(f"webhook: HTTP {status}")
    raise PermanentFailure(f"webhook: HTTP {status}")
