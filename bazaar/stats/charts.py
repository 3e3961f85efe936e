"""Charts drawn on the server as SVG (no figures are computed in the browser).

Colours come from classes styled in ``style.css`` (the CSP forbids inline styles). Each chart has
a title for screen readers; the same figures are always in a table next to it.

The drawing is as wide as a phone's column (``WIDTH``), so on a phone its text is drawn at the size
``style.css`` gives it, not scaled down; each label sits on its own line above its bar, so a long
label is never cut off by the bar beside it (one longer than the drawing is shortened, in full in
its tooltip and in the table).
"""

from markupsafe import Markup, escape

WIDTH = 360
LABEL_HEIGHT = 18
BAR_HEIGHT = 18
GAP = 10
VALUE_WIDTH = 64
BAR_WIDTH = WIDTH - VALUE_WIDTH
LABEL_CHARS = 52  # about what fits in WIDTH at the chart's font size


def _svg(title: str, height: int, body: list[str]) -> Markup:
    return Markup(
        f'<svg class="chart" role="img" viewBox="0 0 {WIDTH} {height}" width="100%" '
        f'preserveAspectRatio="xMinYMin meet" xmlns="http://www.w3.org/2000/svg">'
        f"<title>{escape(title)}</title>{''.join(body)}</svg>"
    )


def _label(y: int, text: str, css: str = "chart-label") -> str:
    short = text if len(text) <= LABEL_CHARS else text[: LABEL_CHARS - 1].rstrip() + "…"
    tooltip = f"<title>{escape(text)}</title>" if short != text else ""
    return f'<text class="{css}" x="0" y="{y + LABEL_HEIGHT - 5}">{tooltip}{escape(short)}</text>'


def _bar(y: int, value: int | float | None, top: float, text: str, css: str) -> list[str]:
    length = 0 if not value or not top else max(1.0, BAR_WIDTH * value / top)
    return [
        f'<rect class="{css}" x="0" y="{y}" width="{length:.1f}" height="{BAR_HEIGHT}" rx="2"/>',
        f'<text class="chart-value" x="{length + 6:.1f}" y="{y + BAR_HEIGHT - 4}">{escape(text)}</text>',
    ]


def bar_chart(title: str, items: list[tuple[str, int | float | None, str]]) -> Markup:
    """Horizontal bars: ``items`` are (label, value, value as text); None draws no bar."""
    top = max((v for _, v, _ in items if v), default=0)
    body, y = [], 0
    for label, value, text in items:
        body.append(_label(y, label))
        body += _bar(y + LABEL_HEIGHT, value, top, text, "bar")
        y += LABEL_HEIGHT + BAR_HEIGHT + GAP
    return _svg(title, max(y, 1), body)


def grouped_bar_chart(
    title: str, series: list[str], groups: list[tuple[str, list[int | float | None], list[str]]]
) -> Markup:
    """One group of bars per figure, one bar per series (e.g. per event), scaled within the group
    so a small figure (jobs) is as readable as a large one (visitors)."""
    body, y = [], 0
    for label, values, texts in groups:
        body.append(_label(y, label, "chart-group"))
        y += LABEL_HEIGHT + 2
        top = max((v for v in values if v), default=0)
        for i, (name, value, text) in enumerate(zip(series, values, texts)):
            body.append(_label(y, name))
            body += _bar(y + LABEL_HEIGHT, value, top, text, f"bar series-{i % 6}")
            y += LABEL_HEIGHT + BAR_HEIGHT + 4
        y += GAP
    return _svg(title, max(y, 1), body)
