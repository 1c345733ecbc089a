"""A report's chart as inline SVG drawn on the server: no chart library, nothing loaded from the internet.

Lines for series over days, bars for series over labels (a statement's outcomes); the axis shows the range.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe

from loyalty.reports import ChartSeries

WIDTH, HEIGHT, PAD = 640, 200, 36
COLOURS = ("#417690", "#c0392b", "#27ae60", "#8e44ad", "#d35400", "#2c3e50")


def line_chart(series: Sequence[ChartSeries]) -> SafeString:
    xs = sorted({x for each in series for x, _value in each.points}, key=str)
    values = [Decimal(value) for each in series for _x, value in each.points] or [Decimal(0)]
    low, high = min(min(values), Decimal(0)), max(max(values), Decimal(1))
    if not xs:
        return SafeString("")
    span = high - low or Decimal(1)

    def x_of(x) -> float:
        return PAD + (WIDTH - 2 * PAD) * (xs.index(x) + 0.5) / len(xs)

    def y_of(value) -> float:
        return HEIGHT - PAD - float((Decimal(value) - low) / span) * (HEIGHT - 2 * PAD)

    parts = [f'<line x1="{PAD}" y1="{y_of(0):.1f}" x2="{WIDTH - PAD}" y2="{y_of(0):.1f}" stroke="#999"/>',
             format_html('<text x="2" y="{}" font-size="11">{}</text>', PAD - 4, f"{high:,.2f}"),
             format_html('<text x="2" y="{}" font-size="11">{}</text>', HEIGHT - PAD + 14, f"{low:,.2f}"),
             format_html('<text x="{}" y="{}" font-size="11">{}</text>', PAD, HEIGHT - 4, str(xs[0])),
             format_html('<text x="{}" y="{}" font-size="11" text-anchor="end">{}</text>', WIDTH - PAD,
                         HEIGHT - 4, str(xs[-1]))]
    bars = not all(hasattr(x, "isoformat") for x in xs)
    for index, each in enumerate(series):
        colour = COLOURS[index % len(COLOURS)]
        if bars:
            width = (WIDTH - 2 * PAD) / len(xs) / (len(series) + 1)
            for x, value in each.points:
                top, bottom = sorted((y_of(value), y_of(0)))
                parts.append(f'<rect x="{x_of(x) - width / 2 + index * width:.1f}" y="{top:.1f}" width="{width:.1f}" '
                             f'height="{bottom - top:.1f}" fill="{colour}"><title>{escape(x)}: {value}</title></rect>')
        else:
            points = " ".join(f"{x_of(x):.1f},{y_of(value):.1f}" for x, value in each.points)
            parts.append(f'<polyline fill="none" stroke="{colour}" stroke-width="2" points="{points}"/>')
            # A dot per day, so a one-day range still shows its figure.
            parts.extend(f'<circle cx="{x_of(x):.1f}" cy="{y_of(value):.1f}" r="3" fill="{colour}">'
                         f'<title>{escape(x)}: {value}</title></circle>' for x, value in each.points)
        parts.append(format_html('<text x="{}" y="{}" font-size="11" fill="{}">■ {}</text>', PAD + 4 + index * 170,
                                 14, colour, each.label))
    return mark_safe(  # noqa: S308 (every text part is escaped above; numbers are formatted by us)
        f'<svg class="report-chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" width="100%" '
        f'preserveAspectRatio="xMidYMid meet">{"".join(str(part) for part in parts)}</svg>')
