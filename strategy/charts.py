"""Indicator charts for the public strategy pages, drawn on the server as inline SVG:
the history of an indicator against its target value and target date.

The page needs no script for them (the Content Security Policy allows none inline, and
citizens on old phones see the chart all the same). This module only computes the
geometry and the wording; the template draws it (strategy/public/includes/
indicator_chart.html) with a `<title>`, a `<desc>` and the same figures as a table."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.utils import formats
from django.utils.translation import gettext as _

from .models import IndicatorUnit

# The drawing area in SVG user units; the SVG scales to the width of its container.
WIDTH = 440
HEIGHT = 250
MARGIN_LEFT = 60
MARGIN_RIGHT = 20
MARGIN_TOP = 28
MARGIN_BOTTOM = 44
# More points than this are thinned to the last value of each month: daily snapshots
# over years would be an unreadable chart and a table nobody scrolls through.
MAX_POINTS = 36

UNIT_SYMBOL = {IndicatorUnit.PERCENT: "%", IndicatorUnit.EURO: "€"}


def format_value(value, unit: str) -> str:
    """A value as citizens read it: German decimal comma, thousands grouped, no
    trailing zeros (62,5 %, 1.250 €, 14 Tage)."""
    if value is None:
        return "–"
    value = Decimal(value)
    places = 0 if value == value.to_integral_value() else (1 if (value * 10) == (value * 10).to_integral_value() else 2)
    number = formats.number_format(value, decimal_pos=places, use_l10n=True, force_grouping=True)
    days = _("Tag") if value == 1 else _("Tage")
    suffix = days if unit == IndicatorUnit.DAYS else UNIT_SYMBOL.get(unit, "")
    return f"{number}\u00a0{suffix}" if suffix else number


@dataclass(frozen=True)
class Point:
    date: date
    value: Decimal
    x: float
    y: float
    label: str  # the value, formatted
    live: bool = False  # computed for this page view, not a stored snapshot


@dataclass(frozen=True)
class Tick:
    position: float
    label: str


@dataclass
class IndicatorChart:
    indicator_code: str
    title: str
    description: str
    points: list[Point]
    unit: str
    target_value: Decimal
    target_date: date
    target_label: str  # „Ziel: 80 % bis 31.12.2027“, for the caption and the description
    target_short_label: str  # „Ziel: 80 %“, in the drawing by the target line
    target_date_label: str  # „12/2027“, on the time axis at the target date
    target_y: float
    target_x: float
    baseline: Point | None
    y_ticks: list[Tick] = field(default_factory=list)
    x_ticks: list[Tick] = field(default_factory=list)
    width: int = WIDTH
    height: int = HEIGHT
    left: int = MARGIN_LEFT
    right: int = WIDTH - MARGIN_RIGHT
    top: int = MARGIN_TOP
    bottom: int = HEIGHT - MARGIN_BOTTOM

    @property
    def polyline(self) -> str:
        return " ".join(f"{p.x:.1f},{p.y:.1f}" for p in self.points)

    @property
    def target_marker(self) -> str:
        """A diamond at the target (value and date): its shape, not its colour, says "Ziel"."""
        x, y = self.target_x, self.target_y
        return f"{x:.1f},{y - 7:.1f} {x + 7:.1f},{y:.1f} {x:.1f},{y + 7:.1f} {x - 7:.1f},{y:.1f}"

    @property
    def target_label_position(self) -> tuple[float, float, str]:
        """Where the „Ziel: …“ label goes (x, y, text-anchor): next to the target
        marker or at the left end of the target line, above or below the line, in the
        first place that the drawn values do not cross – the label must stay readable."""
        width = len(self.target_short_label) * 9  # generous for 17px bold text on phones
        near_marker = self.target_x > (self.left + self.right) / 2
        candidates = []
        for y in (self.target_y - 8, self.target_y + 20):
            if not (16 <= y < self.bottom - 4):  # the text is about 16 units high
                continue
            if near_marker:
                candidates.append((self.target_x - 12, y, "end", self.target_x - 12 - width))
            else:
                candidates.append((self.target_x + 12, y, "start", self.target_x + 12))
            candidates.append((self.left + 6, y, "start", self.left + 6))
        if not candidates:
            return (round(self.target_x - 12, 1), round(self.target_y - 10, 1), "end")
        line = self._line_samples()

        def crossings(candidate):
            _x, y, _anchor, box_left = candidate
            return sum(1 for px, py in line if box_left - 6 <= px <= box_left + width + 6 and y - 18 <= py <= y + 6)

        x, y, anchor, _box_left = min(candidates, key=crossings)  # the first of the least crossed
        return (round(x, 1), round(y, 1), anchor)

    def _line_samples(self) -> list[tuple[float, float]]:
        """Points along the drawn line (the values and what lies between them)."""
        samples = [(p.x, p.y) for p in self.points]
        for a, b in zip(self.points, self.points[1:], strict=False):
            samples += [(a.x + (b.x - a.x) * i / 8, a.y + (b.y - a.y) * i / 8) for i in range(1, 8)]
        if self.baseline:
            samples.append((self.baseline.x, self.baseline.y))
        return samples

    @property
    def target_date_anchor(self) -> str:
        return "end" if self.target_x > self.right - 30 else "middle"

    @property
    def baseline_corner(self) -> tuple[float, float] | None:
        """Top left corner of the square that marks the baseline."""
        return (round(self.baseline.x - 4, 1), round(self.baseline.y - 4, 1)) if self.baseline else None

    @property
    def target_value_label(self) -> str:
        return format_value(self.target_value, self.unit)

    @property
    def latest(self) -> Point | None:
        return self.points[-1] if self.points else None


def thin_to_months(values: list[tuple[date, Decimal]]) -> list[tuple[date, Decimal]]:
    """The last value of each month, when there are too many to draw."""
    if len(values) <= MAX_POINTS:
        return values
    by_month = {}
    for day, value in values:
        by_month[(day.year, day.month)] = (day, value)
    return list(by_month.values())


def nice_step(span: float, ticks: int = 4) -> float:
    raw = span / ticks if span > 0 else 1
    magnitude = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 2.5, 5, 10):
        if raw <= factor * magnitude:
            return factor * magnitude
    return 10 * magnitude


def _month_index(day: date) -> int:
    return day.year * 12 + day.month - 1


def _x_ticks(start: date, end: date, x_of) -> list[Tick]:
    months = _month_index(end) - _month_index(start)
    step = next((s for s in (1, 2, 3, 6, 12, 24, 60) if months / s <= 5), 120)
    first = _month_index(start) + 1  # the first whole month inside the range
    if step >= 12:
        first = (first + 11) // 12 * 12  # years start in January
    elif step > 1:
        first = (first + step - 1) // step * step
    ticks = []
    for index in range(first, _month_index(end) + 1, step):
        day = date(index // 12, index % 12 + 1, 1)
        label = str(day.year) if step >= 12 else formats.date_format(day, "m/Y")
        ticks.append(Tick(x_of(day), label))
    return ticks


def indicator_chart(
    indicator, values: list[tuple[date, Decimal]], *, live: tuple[date, Decimal] | None = None
) -> IndicatorChart:
    """The chart of one indicator: `values` are its stored (date, value) pairs in date
    order, `live` today's value computed from the system, if any."""
    values = thin_to_months(list(values))
    if live is not None and (not values or values[-1][0] < live[0]):
        values.append(live)
    unit = indicator.unit
    target_value = Decimal(indicator.target_value)
    target_date = indicator.target_date
    baseline = None
    if indicator.baseline_value is not None and indicator.baseline_date is not None:
        baseline = (indicator.baseline_date, Decimal(indicator.baseline_value))

    days = [day for day, _value in values] + [target_date] + ([baseline[0]] if baseline else [])
    start, end = min(days), max(days)
    if start == end:
        start = date.fromordinal(start.toordinal() - 30)
    numbers = [float(v) for _day, v in values] + [float(target_value)] + ([float(baseline[1])] if baseline else [])
    low, highest = min(0.0, min(numbers)), max(numbers)
    step = nice_step(highest - low)
    low = math.floor(low / step) * step
    high = math.ceil(highest / step) * step
    if high - highest < step / 4:
        high += step  # room above the highest point for the target label
    if unit == IndicatorUnit.PERCENT and highest <= 100:
        high = min(high, 100.0)

    left, right = MARGIN_LEFT, WIDTH - MARGIN_RIGHT
    top, bottom = MARGIN_TOP, HEIGHT - MARGIN_BOTTOM
    span_days = (end - start).days or 1

    # Coordinates to a tenth of a unit: enough for the eye, and short markup.
    def x_of(day: date) -> float:
        return round(left + (day - start).days / span_days * (right - left), 1)

    def y_of(value) -> float:
        return round(bottom - (float(value) - low) / (high - low) * (bottom - top), 1)

    points = [
        Point(
            day,
            value,
            x_of(day),
            y_of(value),
            format_value(value, unit),
            live=live is not None and (day, value) == live,
        )
        for day, value in values
    ]
    y_ticks = []
    tick = low
    while tick <= high + step / 1000:
        y_ticks.append(Tick(y_of(tick), format_value(Decimal(str(round(tick, 6))), unit)))
        tick += step
    target_label = format_value(target_value, unit)
    target_date_label = formats.date_format(target_date, "SHORT_DATE_FORMAT")
    chart = IndicatorChart(
        indicator_code=indicator.code,
        title=_("Verlauf des Indikators „%(title)s“ und sein Ziel") % {"title": indicator.title},
        description="",
        points=points,
        unit=unit,
        target_value=target_value,
        target_date=target_date,
        target_label=_("Ziel: %(value)s bis %(date)s") % {"value": target_label, "date": target_date_label},
        target_short_label=_("Ziel: %(value)s") % {"value": target_label},
        target_date_label=formats.date_format(target_date, "m/Y"),
        target_y=y_of(target_value),
        target_x=x_of(target_date),
        baseline=(
            Point(baseline[0], baseline[1], x_of(baseline[0]), y_of(baseline[1]), format_value(baseline[1], unit))
            if baseline
            else None
        ),
        y_ticks=y_ticks,
        # The target date has its own label on the axis; ticks it would cover give way.
        x_ticks=[tick for tick in _x_ticks(start, end, x_of) if not -45 < tick.position - x_of(target_date) < 75],
    )
    chart.description = describe(chart, indicator)
    return chart


def describe(chart: IndicatorChart, indicator) -> str:
    """The chart in one or two sentences, for screen readers (the SVG's <desc>)."""
    parts = []
    if len(chart.points) == 1:
        point = chart.points[0]
        parts.append(
            _("Ein Wert vom %(date)s: %(value)s.")
            % {"date": formats.date_format(point.date, "SHORT_DATE_FORMAT"), "value": point.label}
        )
    elif chart.points:
        first, last = chart.points[0], chart.points[-1]
        parts.append(
            _("%(count)s Werte vom %(first_date)s (%(first)s) bis zum %(last_date)s (%(last)s).")
            % {
                "count": len(chart.points),
                "first_date": formats.date_format(first.date, "SHORT_DATE_FORMAT"),
                "first": first.label,
                "last_date": formats.date_format(last.date, "SHORT_DATE_FORMAT"),
                "last": last.label,
            }
        )
    else:
        parts.append(_("Noch keine Werte erfasst."))
    parts.append(chart.target_label + ".")
    parts.append(_("Höhere Werte sind besser.") if indicator.higher_is_better else _("Niedrigere Werte sind besser."))
    return " ".join(parts)
