"""Charts drawn on the server as inline SVG: readable without JavaScript, styled only by
presentation attributes and classes of static/css (the CSP allows no inline style).

A horizontal bar chart: one labelled bar per row, its value written beside it, each bar with a
<title> (the label and value) that a screen reader and a hover both give.
"""

from dataclasses import dataclass

from markupsafe import Markup, escape

ROW = 26  # height of one bar's row, in SVG units
BAR = 18
LABEL_WIDTH = 250  # room for a label of _short's 30 characters at 13 px
BAR_WIDTH = 360
VALUE_WIDTH = 90
WIDTH = LABEL_WIDTH + BAR_WIDTH + VALUE_WIDTH


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    shown: str  # the value as people read it, e.g. "12" or "4,5 min"


def bar_chart(title: str, bars: list[Bar], *, chart_id: str) -> Markup:
    """A horizontal bar chart of `bars`, scaled to the largest value."""
    height = max(len(bars), 1) * ROW + 8
    largest = max((bar.value for bar in bars), default=0) or 1
    parts = [
        f'<svg class="chart" role="img" viewBox="0 0 {WIDTH} {height}" width="100%" '
        f'preserveAspectRatio="xMinYMin meet" aria-labelledby="{chart_id}-title" '
        f'xmlns="http://www.w3.org/2000/svg">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
    ]
    for index, bar in enumerate(bars):
        top = 4 + index * ROW
        length = 0 if bar.value <= 0 else max(2.0, BAR_WIDTH * bar.value / largest)
        middle = top + BAR / 2 + 5
        parts.append(
            f'<g class="chart-row"><title>{escape(bar.label)}: {escape(bar.shown)}</title>'
            f'<text class="chart-label" x="{LABEL_WIDTH - 8}" y="{middle}" '
            f'text-anchor="end">{escape(_short(bar.label))}</text>'
            f'<rect class="chart-bar" x="{LABEL_WIDTH}" y="{top}" width="{length:.1f}" '
            f'height="{BAR}" rx="2"></rect>'
            f'<text class="chart-value" x="{LABEL_WIDTH + length + 6:.1f}" y="{middle}">'
            f"{escape(bar.shown)}</text></g>"
        )
    if not bars:
        parts.append(f'<text class="chart-label" x="8" y="20">{escape("-")}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def _short(label: str, limit: int = 30) -> str:
    """A long label cut at its start: office names differ at their end (the city)."""
    return label if len(label) <= limit else "…" + label[-(limit - 1) :]
