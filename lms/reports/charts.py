"""Chart geometry for server-drawn SVG (the markup is in templates/reports/_charts.html): no JavaScript."""

from dataclasses import dataclass, field

WIDTH = 340  # viewBox units; the SVG scales to the width of a 360 px phone and beyond
COLOURS = ("#7a2e0e", "#1e4e79", "#1d6b3a", "#8a5a00")
DASHES = ("", "6 3", "2 3", "8 3 2 3")  # series differ by line pattern too, not only by colour


@dataclass
class Series:
    label: str
    colour: str
    dash: str = ""


@dataclass
class Bar:
    x: float
    y: float
    width: float
    height: float
    value: int | float
    colour: str


@dataclass
class BarRow:
    label: str
    label_y: float
    bars: list[Bar]


@dataclass
class BarChart:
    id: str
    title: str
    desc: str
    height: float
    series: list[Series]
    rows: list[BarRow]
    width: int = WIDTH


def nice_max(value: float) -> float:
    """A round upper bound for an axis: 1, 2, 2.5 or 5 times a power of ten."""
    if value <= 0:
        return 1
    power = 10 ** (len(str(int(value))) - 1)
    return next(step * power for step in (1, 2, 2.5, 5, 10) if step * power >= value)


def bar_chart(chart_id: str, title: str, desc: str, labels: list[str], series: list[tuple[str, list]],
              bar_height: float = 12) -> BarChart:
    """Horizontal bars, one group per label (label above its bars, so long names fit a phone)."""
    top = max((v for _name, values in series for v in values), default=0)
    scale = (WIDTH - 60) / nice_max(top)
    legend = [Series(name, COLOURS[i % len(COLOURS)]) for i, (name, _values) in enumerate(series)]
    rows, y = [], 4 + (18 if len(series) > 1 else 0)
    for index, label in enumerate(labels):
        label_y, y = y + 13, y + 17
        bars = []
        for s, (_name, values) in zip(legend, series, strict=True):
            value = values[index]
            bars.append(Bar(0, y, max(value * scale, 1 if value else 0), bar_height, value, s.colour))
            y += bar_height + 2
        rows.append(BarRow(label, label_y, bars))
        y += 8
    return BarChart(chart_id, title, desc, y, legend, rows)


@dataclass
class LineChart:
    id: str
    title: str
    desc: str
    series: list[Series]
    points: list[list[tuple[float, float, int | float]]]  # per series: (x, y, value)
    x_labels: list[tuple[float, str, str]]  # (x, text, text-anchor)
    y_ticks: list[tuple[float, str]]
    left: float
    bottom: float
    right: float
    legend_y: list[float] = field(default_factory=list)
    width: int = WIDTH
    height: float = 0


def line_chart(chart_id: str, title: str, desc: str, labels: list[str], series: list[tuple[str, list]],
               plot_height: float = 150) -> LineChart:
    """One line per series over the labels (months), with round y ticks and at most ~6 x labels."""
    left, right, top = 40.0, WIDTH - 10.0, 10.0
    bottom = top + plot_height
    axis_max = nice_max(max((v for _name, values in series for v in values), default=0))
    step_x = (right - left) / max(len(labels) - 1, 1)
    legend = [Series(name, COLOURS[i % len(COLOURS)], DASHES[i % len(DASHES)]) for i, (name, _v) in enumerate(series)]
    points = [[(left + i * step_x, bottom - v / axis_max * plot_height, v) for i, v in enumerate(values)]
              for _name, values in series]
    every = max(1, -(-len(labels) // 6))
    anchors = {0: "start", len(labels) - 1: "end"} if len(labels) > 1 else {}
    x_labels = [(left + i * step_x, label, anchors.get(i, "middle")) for i, label in enumerate(labels)
                if (len(labels) - 1 - i) % every == 0]  # counted from the latest month, which is always shown
    fractions = (0, 0.5, 1) if float(axis_max / 2).is_integer() else (0, 1)
    y_ticks = [(bottom - fraction * plot_height, _tick(axis_max * fraction)) for fraction in fractions]
    legend_y = [bottom + 36 + 18 * i for i in range(len(legend))]
    return LineChart(chart_id, title, desc, legend, points, x_labels, y_ticks, left, bottom, right,
                     legend_y, height=(legend_y[-1] if legend_y else bottom + 20) + 10)


def _tick(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"
