"""Charts drawn on the server as SVG (no figures are computed in the browser).

Colours come from classes styled in ``style.css`` (the CSP forbids inline styles). Each chart has
a title for screen readers; the same figures are always in a table next to it.
"""

from markupsafe import Markup, escape

BAR_HEIGHT = 22
GAP = 8
LABEL_WIDTH = 210
BAR_WIDTH = 300
VALUE_WIDTH = 70


def _svg(title: str, height: int, body: list[str]) -> Markup:
    width = LABEL_WIDTH + BAR_WIDTH + VALUE_WIDTH
    return Markup(
        f'<svg class="chart" role="img" viewBox="0 0 {width} {height}" width="100%" '
        f'preserveAspectRatio="xMinYMin meet" xmlns="http://www.w3.org/2000/svg">'
        f"<title>{escape(title)}</title>{''.join(body)}</svg>"
    )


def _bar(y: int, value: int | float | None, top: float, text: str, css: str) -> list[str]:
    length = 0 if not value or not top else max(1.0, BAR_WIDTH * value / top)
    return [
        f'<rect class="{css}" x="{LABEL_WIDTH}" y="{y}" width="{length:.1f}" height="{BAR_HEIGHT}" rx="2"/>',
        f'<text class="chart-value" x="{LABEL_WIDTH + length + 6:.1f}" y="{y + BAR_HEIGHT - 6}">{escape(text)}</text>',
    ]


def bar_chart(title: str, items: list[tuple[str, int | float | None, str]]) -> Markup:
    """Horizontal bars: ``items`` are (label, value, value as text); None draws no bar."""
    top = max((v for _, v, _ in items if v), default=0)
    body = []
    for i, (label, value, text) in enumerate(items):
        y = i * (BAR_HEIGHT + GAP)
        body.append(
            f'<text class="chart-label" x="{LABEL_WIDTH - 8}" y="{y + BAR_HEIGHT - 6}" '
            f'text-anchor="end">{escape(label)}</text>'
        )
        body += _bar(y, value, top, text, "bar")
    return _svg(title, max(1, len(items)) * (BAR_HEIGHT + GAP), body)


def grouped_bar_chart(
    title: str, series: list[str], groups: list[tuple[str, list[int | float | None], list[str]]]
) -> Markup:
    """One group of bars per figure, one bar per series (e.g. per event), scaled within the group
    so a small figure (jobs) is as readable as a large one (visitors)."""
    body, y = [], 0
    for label, values, texts in groups:
        body.append(f'<text class="chart-group" x="0" y="{y + 14}">{escape(label)}</text>')
        y += 20
        top = max((v for v in values if v), default=0)
        for i, (name, value, text) in enumerate(zip(series, values, texts)):
            body.append(
                f'<text class="chart-label" x="{LABEL_WIDTH - 8}" y="{y + BAR_HEIGHT - 6}" '
                f'text-anchor="end">{escape(name)}</text>'
            )
            body += _bar(y, value, top, text, f"bar series-{i % 6}")
            y += BAR_HEIGHT + 4
        y += GAP
    return _svg(title, max(y, 1), body)
