"""Checks on uploaded logos (exhibitors' booths, an event's organising bodies): type and size."""

LOGO_MAX_BYTES = 1024 * 1024

_LOGO_SIGNATURES = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
)


class LogoRefused(ValueError):
    """The upload is not a logo we keep: ``str(exc)`` is "too large" or "not an image"."""


def sniff_logo(data: bytes) -> str | None:
    """The image type told by the file's first bytes (PNG, JPEG or WebP), else None."""
    for signature, mimetype in _LOGO_SIGNATURES:
        if data.startswith(signature):
            return mimetype
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def checked_logo(data: bytes) -> str:
    """The mimetype of ``data`` if it is a PNG, JPEG or WebP image of at most 1 MB; else :class:`LogoRefused`."""
    if len(data) > LOGO_MAX_BYTES:
        raise LogoRefused("too large")
    mimetype = sniff_logo(data)
    if mimetype is None:
        raise LogoRefused("not an image")
    return mimetype


def read_upload(upload) -> bytes:
    """At most one byte more than a logo may have of an uploaded file (enough to tell it is too large)."""
    return upload.stream.read(LOGO_MAX_BYTES + 1) if upload else b""
