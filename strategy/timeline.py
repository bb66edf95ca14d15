"""Geometry of the staff timeline: measures as horizontal bars from start to end per
field of action, milestones as markers on them, a year and quarter scale and a line
for today. Computed here and drawn by the template as inline SVG: positions are SVG
attributes (x, width), which the content security policy allows, where inline style
attributes are not."""

from dataclasses import dataclass, field
from datetime import date

from django.utils.formats import date_format
from django.utils.translation import gettext as _

# Drawing units (the SVG scales to the width of its container, which scrolls below this).
WIDTH = 1120
LABEL_WIDTH = 210
RIGHT_PADDING = 16
SCALE_HEIGHT = 64  # year labels, quarter labels, the „today“ label, then the axis
FIELD_ROW = 32
MEASURE_ROW = 38
BAR_HEIGHT = 18


@dataclass
class Marker:
    x: float
    y: float
    kind: str  # "done", "open" or "overdue": drawn as circle, diamond and triangle
    title: str
    points: str = ""  # the diamond's and the triangle's corners


@dataclass
class Row:
    kind: str  # "field" or "measure"
    y: float
    label: str
    height: float = 0
    label_y: float = 0
    status_y: float = 0
    status: str = ""
    status_label: str = ""
    bar_x: float = 0
    bar_width: float = 0
    bar_y: float = 0
    markers: list[Marker] = field(default_factory=list)
    title: str = ""


@dataclass
class Tick:
    x: float
    label: str
    label_x: float
    major: bool = False


@dataclass
class Chart:
    width: int
    height: float
    label_width: int
    scale_bottom: int
    start: date
    end: date
    ticks: list[Tick]
    years: list[Tick]
    rows: list[Row]
    today_x: float | None
    bar_height: int = BAR_HEIGHT


def _quarter_starts(start: date, end: date):
    day = start
    while day <= end:
        yield day
        month = day.month + 3
        day = date(day.year + (month - 1) // 12, (month - 1) % 12 + 1, 1)


def build(groups, *, today: date) -> Chart | None:
    """`groups`: (field of action, its measures with prefetched milestones) pairs.
    None when no measure has a period yet."""
    measures = [measure for _field, group in groups for measure in group]
    if not measures:
        return None
    dates = [measure.start_date for measure in measures] + [measure.end_date for measure in measures]
    dates += [milestone.done_date or milestone.due_date for m in measures for milestone in m.milestones.all()]
    start = date(min(dates).year, 1, 1)
    end = date(max(dates).year + 1, 1, 1)  # exclusive: the scale ends with the last year
    total_days = (end - start).days
    chart_left = LABEL_WIDTH
    chart_width = WIDTH - LABEL_WIDTH - RIGHT_PADDING

    def x_of(day: date) -> float:
        return round(chart_left + (day - start).days / total_days * chart_width, 1)

    years = []
    for year in range(start.year, end.year):
        left, right = x_of(date(year, 1, 1)), x_of(date(year + 1, 1, 1))
        years.append(Tick(x=left, label=str(year), label_x=round((left + right) / 2, 1), major=True))
    ticks = []
    for quarter_start in _quarter_starts(start, end):
        if quarter_start >= end:
            break
        month = quarter_start.month + 3
        following = date(quarter_start.year + (month - 1) // 12, (month - 1) % 12 + 1, 1)
        left, right = x_of(quarter_start), x_of(following)
        number = (quarter_start.month - 1) // 3 + 1
        ticks.append(
            Tick(x=left, label=f"Q{number}", label_x=round((left + right) / 2, 1), major=quarter_start.month == 1)
        )

    rows = []
    y = SCALE_HEIGHT + 8
    for field_of_action, group in groups:
        if not group:
            continue
        rows.append(
            Row(
                kind="field",
                y=y,
                height=FIELD_ROW - 4,
                label_y=y + 19,
                label=f"{field_of_action.code} {field_of_action.title}",
            )
        )
        y += FIELD_ROW
        for measure in group:
            bar_x = x_of(measure.start_date)
            bar_end = x_of(measure.end_date)
            bar_y = y + (MEASURE_ROW - BAR_HEIGHT) / 2
            row = Row(
                kind="measure",
                y=y,
                height=MEASURE_ROW,
                label_y=y + 16,
                status_y=y + 31,
                label=measure.code,
                status=measure.status,
                status_label=measure.get_status_display(),
                bar_x=bar_x,
                bar_width=max(round(bar_end - bar_x, 1), 3),
                bar_y=bar_y,
                title=f"{measure.code} {measure.title}",
            )
            centre = bar_y + BAR_HEIGHT / 2
            for milestone in measure.milestones.all():
                row.markers.append(_marker(milestone, x_of(milestone.done_date or milestone.due_date), centre, today))
            rows.append(row)
            y += MEASURE_ROW
    today_x = x_of(today) if start <= today < end else None
    return Chart(
        width=WIDTH,
        height=y + 8,
        label_width=LABEL_WIDTH,
        scale_bottom=SCALE_HEIGHT,
        start=start,
        end=end,
        ticks=ticks,
        years=years,
        rows=rows,
        today_x=today_x,
    )


def _marker(milestone, x: float, y: float, today: date) -> Marker:
    if milestone.done_date is not None:
        kind = "done"
        state = _("erreicht am %(date)s") % {"date": date_format(milestone.done_date, "SHORT_DATE_FORMAT")}
    elif milestone.is_overdue(today):
        kind = "overdue"
        state = _("überfällig seit %(date)s") % {"date": date_format(milestone.due_date, "SHORT_DATE_FORMAT")}
    else:
        kind = "open"
        state = _("fällig am %(date)s") % {"date": date_format(milestone.due_date, "SHORT_DATE_FORMAT")}
    marker = Marker(x=x, y=y, kind=kind, title=f"{milestone.title}: {state}")
    if kind == "open":  # a diamond
        marker.points = f"{x},{y - 7} {x + 7},{y} {x},{y + 7} {x - 7},{y}"
    elif kind == "overdue":  # a triangle pointing up, like a warning sign
        marker.points = f"{x},{y - 8} {x + 8},{y + 6} {x - 8},{y + 6}"
    return marker
