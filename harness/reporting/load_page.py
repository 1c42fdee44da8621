"""The HTML page of a load run: ``load.html``, self-contained, charts as inline SVG.

Rendered from a ``report.json`` that has a ``load`` section (no import of the
load generator: the page can be rebuilt from a saved report). Charts: echo
round-trip percentiles over time, connections over time, throughput, errors
and violations over time, errors by kind, and the server's RSS and CPU when
they were sampled. No script, no CDN: the page opens offline.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape
from typing import Any

__all__ = ["line_chart", "render_load_page"]

_W, _H, _PAD = 640, 220, 44
_COLOURS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd")


def _nice(value: float) -> str:
    return f"{value:.3g}" if value < 1000 else f"{value:,.0f}"


def line_chart(title: str, points: Sequence[Mapping[str, Any]], keys: Sequence[str],
               unit: str, chart_id: str) -> str:
    """An SVG chart of ``keys`` of the time series ``points`` against their ``t``."""
    series = [(key, [(float(p["t"]), float(p[key])) for p in points if key in p])
              for key in keys]
    series = [(key, values) for key, values in series if values]
    head = f'<figure class="chart" id="{chart_id}"><figcaption>{escape(title)}</figcaption>'
    if not series:
        return head + '<p class="empty">not measured</p></figure>'
    xs = [x for _, values in series for x, _ in values]
    ys = [y for _, values in series for _, y in values]
    x0, x1 = min(xs), max(max(xs), min(xs) + 1e-9)
    y1 = max(max(ys), 1e-9) * 1.05
    width, height = _W - 2 * _PAD, _H - 2 * _PAD

    def at(x: float, y: float) -> str:
        return f"{_PAD + (x - x0) / (x1 - x0) * width:.1f},{_H - _PAD - y / y1 * height:.1f}"

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {_W} {_H}" '
             f'width="{_W}" height="{_H}" role="img" aria-label="{escape(title)}">',
             f'<line x1="{_PAD}" y1="{_H - _PAD}" x2="{_W - _PAD}" y2="{_H - _PAD}" '
             f'stroke="#999"/>',
             f'<line x1="{_PAD}" y1="{_PAD}" x2="{_PAD}" y2="{_H - _PAD}" stroke="#999"/>',
             f'<text x="{_PAD - 4}" y="{_PAD + 4}" text-anchor="end" font-size="10">'
             f'{_nice(y1)}</text>',
             f'<text x="{_PAD - 4}" y="{_H - _PAD}" text-anchor="end" font-size="10">0</text>',
             f'<text x="{_W - _PAD}" y="{_H - _PAD + 14}" text-anchor="end" font-size="10">'
             f'{x1:.0f} s</text>',
             f'<text x="{_PAD}" y="{_PAD - 8}" font-size="10">{escape(unit)}</text>']
    for n, (key, values) in enumerate(series):
        colour = _COLOURS[n % len(_COLOURS)]
        path = " ".join(at(x, y) for x, y in values)
        parts.append(f'<polyline class="series" data-key="{escape(key)}" fill="none" '
                     f'stroke="{colour}" stroke-width="1.5" points="{path}"/>')
        parts.append(f'<text x="{_W - _PAD + 4}" y="{_PAD + 12 * n}" font-size="10" '
                     f'fill="{colour}">{escape(key)}</text>')
    parts.append("</svg>")
    return head + "".join(parts) + "</figure>"


def _bars(title: str, counts: Mapping[str, int], chart_id: str) -> str:
    head = f'<figure class="chart" id="{chart_id}"><figcaption>{escape(title)}</figcaption>'
    if not counts:
        return head + '<p class="empty">none</p></figure>'
    top = max(counts.values())
    rows = "".join(
        f'<div class="bar"><span class="name">{escape(k)}</span>'
        f'<span class="fill" style="width:{max(2, 300 * v // top)}px"></span>'
        f'<span class="count">{v}</span></div>' for k, v in sorted(counts.items()))
    return head + rows + "</figure>"


def _stage_rows(stages: Sequence[Mapping[str, Any]]) -> str:
    rows = []
    for stage in stages:
        rtt = stage["rtt_ms"]
        violations = sum(stage["violations"].values())
        rows.append(
            f'<tr class="{"bad" if violations else "ok"}"><td>{escape(stage["label"])}</td>'
            f'<td>{stage["peak_connections"]}</td><td>{stage["opened"]}</td>'
            f'<td>{stage["messages_per_s"]}</td><td>{stage["handshake_ms"]["p99"]}</td>'
            f'<td>{rtt["p50"]}</td><td>{rtt["p90"]}</td><td>{rtt["p99"]}</td>'
            f'<td>{rtt["p99_9"]}</td><td>{rtt["max"]}</td>'
            f'<td>{stage["ping_deviation_ms"]["p99"]}</td>'
            f'<td>{sum(stage["errors"].values())}</td><td>{violations}</td></tr>')
    return "".join(rows)


_STYLE = """
body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#222}
h1{font-size:1.4em} .verdict.passed{color:#2a7d2a} .verdict.failed{color:#b00020}
table{border-collapse:collapse;margin:1em 0} td,th{border:1px solid #ccc;padding:3px 8px;
text-align:right} tr.bad td{background:#fde8e8} .charts{display:flex;flex-wrap:wrap;gap:1em}
figure.chart{margin:0;border:1px solid #ddd;padding:.5em} figcaption{font-weight:600}
.bar{display:flex;gap:.5em;align-items:center} .bar .name{width:12em;text-align:right}
.bar .fill{display:inline-block;height:10px;background:#d62728}
pre{background:#f6f6f6;padding:.5em;overflow:auto}
"""


def render_load_page(report: Mapping[str, Any]) -> str:
    """The page of ``report`` (``KeyError`` when it has no ``load`` section)."""
    load = report["load"]
    totals = load["totals"]
    series = load["series"]
    passed = load["passed"]
    examples = "".join(
        f'<div class="violation" data-kind="{escape(e["kind"])}"><h3>{escape(e["kind"])} '
        f'(stage {e["stage"] + 1}, connection {e["connection"]})</h3>'
        f'<p>{escape(e["detail"])}</p><pre>{escape(chr(10).join(e["wirelog"]))}</pre></div>'
        for e in load["examples"])
    slo = "".join(f'<li class="{"met" if o["met"] else "missed"}">{escape(o["objective"])}: '
                  f'measured {o["measured"]:g} — {"met" if o["met"] else "missed"}</li>'
                  for o in load["slo"])
    rtt = totals["rtt_ms"]
    charts = "".join([
        line_chart("Echo round trip over time", series, ["p50", "p90", "p99", "p99_9"], "ms",
                   "chart-latency"),
        line_chart("Connections over time", series, ["connections"], "connections",
                   "chart-connections"),
        line_chart("Throughput", series, ["messages_per_s"], "messages/s", "chart-throughput"),
        line_chart("Errors and violations over time", series, ["errors", "violations"],
                   "per second", "chart-errors"),
        _bars("Errors by kind", totals["errors"], "chart-error-kinds"),
        line_chart("Server memory (RSS)", series, ["server_rss_mb"], "MiB", "chart-rss"),
        line_chart("Server CPU", series, ["server_cpu_pct"], "% of a core", "chart-cpu"),
    ])
    url = escape(str(report["target"]["url"]))
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>wsspec load: {url}</title>
<style>{_STYLE}</style></head><body>
<h1>wsspec load — {url}</h1>
<p class="verdict {"passed" if passed else "failed"}" id="verdict">
{"PASSED" if passed else "FAILED"}: {totals["violation_count"]} violations,
{totals["error_count"]} errors ({totals["error_rate"] * 100:.3f}%), engine {escape(load["engine"])},
started {escape(str(report["started"]))}, {report["duration_s"]} s</p>
<p id="totals">{totals["messages_received"]} echoes, {totals["messages_per_s"]} msg/s,
peak {totals["peak_connections"]} connections; round trip p50 {rtt["p50"]} ms,
p90 {rtt["p90"]} ms, p99 {rtt["p99"]} ms, p99.9 {rtt["p99_9"]} ms, max {rtt["max"]} ms</p>
<ul id="slo">{slo}</ul>
<table id="stages"><thead><tr><th>stage</th><th>connections</th><th>opened</th><th>msg/s</th>
<th>handshake p99</th><th>p50</th><th>p90</th><th>p99</th><th>p99.9</th><th>max</th>
<th>ping dev. p99</th><th>errors</th><th>violations</th></tr></thead>
<tbody>{_stage_rows(load["stages"])}</tbody></table>
<div class="charts">{charts}</div>
<h2>Violations</h2><div id="violations">{examples or "<p>none</p>"}</div>
</body></html>
"""
