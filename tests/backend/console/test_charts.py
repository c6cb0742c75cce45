"""SVG charts: valid XML, accessible, escaped, and sane with zero or no data."""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET

import pytest
from markupsafe import Markup

from backend.console.charts import bar_chart, format_number, funnel_chart

SVG = "{http://www.w3.org/2000/svg}"


def parse(chart: Markup) -> ET.Element:
    assert isinstance(chart, Markup)
    return ET.fromstring(str(chart))  # noqa: S314 - our own output, not untrusted input


def bars(root: ET.Element) -> list[float]:
    return [float(rect.attrib["width"]) for rect in root.iter(f"{SVG}rect")]


def texts(root: ET.Element) -> list[str]:
    return [text.text or "" for text in root.iter(f"{SVG}text")]


def test_a_bar_chart_is_an_accessible_svg_image() -> None:
    root = parse(bar_chart([("Jalan & Jembatan", 12), ("Sampah", 6)], title="Laporan per kategori"))
    assert root.tag == f"{SVG}svg"
    assert root.attrib["role"] == "img"
    assert root.attrib["aria-label"] == "Laporan per kategori"
    assert root.findtext(f"{SVG}title") == "Laporan per kategori"
    assert root.findtext(f"{SVG}desc") == "Jalan & Jembatan: 12; Sampah: 6"
    assert int(root.attrib["width"]) == 640
    assert root.attrib["viewBox"] == f"0 0 640 {root.attrib['height']}"
    long, short = bars(root)
    assert long > 0 and short == pytest.approx(long / 2, abs=0.1)
    assert texts(root) == ["Jalan & Jembatan", "12", "Sampah", "6"]
    tooltips = [g.findtext(f"{SVG}title") for g in root.iter(f"{SVG}g")]
    assert tooltips == ["Jalan & Jembatan: 12", "Sampah: 6"]


def test_labels_and_titles_are_escaped() -> None:
    evil = '<script>alert("x")</script>'
    chart = bar_chart([(evil, 1)], title='Judul "<b>&')
    assert "<script>" not in chart and "<b>" not in chart
    root = parse(chart)
    assert root.attrib["aria-label"] == 'Judul "<b>&'
    assert root.findtext(f"{SVG}title") == 'Judul "<b>&'
    assert evil in (root.findtext(f"{SVG}desc") or "")
    funnel = parse(funnel_chart([(evil, 3)], title="<f>"))
    assert funnel.attrib["aria-label"] == "<f>"


def test_long_labels_are_shortened_on_screen_and_kept_in_the_tooltip() -> None:
    label = "Pelayanan Kependudukan dan Pencatatan Sipil di Kecamatan Pasar Kemis"
    root = parse(bar_chart([(label, 1)], title="t", width=300))
    shown = texts(root)[0]
    assert shown.endswith("…") and len(shown) < len(label)
    assert root.find(f"{SVG}g/{SVG}title") is not None
    assert root.findtext(f"{SVG}g/{SVG}title") == f"{label}: 1"


def test_zero_negative_and_missing_values_draw_no_bars() -> None:
    root = parse(bar_chart([("a", 0), ("b", 0)], title="nol"))
    assert bars(root) == [0.0, 0.0]
    assert texts(root) == ["a", "0", "b", "0"]
    odd = parse(bar_chart([("neg", -5), ("nan", math.nan), ("one", 1)], title="odd"))
    assert bars(odd)[:2] == [0.0, 0.0] and bars(odd)[2] > 0
    assert texts(odd)[1::2] == ["-5", "-", "1"]


def test_no_data_says_so() -> None:
    for chart in (bar_chart([], title="Kosong"), funnel_chart([], title="Kosong")):
        root = parse(chart)
        assert root.attrib["aria-label"] == "Kosong"
        assert texts(root) == ["Tidak ada data"]
        assert bars(root) == []
    assert texts(parse(bar_chart([], title="x", empty_text="No data"))) == ["No data"]


def test_a_funnel_sizes_steps_against_the_first_and_shows_their_share() -> None:
    steps = [("Percakapan", 200), ("Formulir dimulai", 80), ("Laporan terkirim", 50)]
    root = parse(funnel_chart(steps, title="Corong"))
    widths = bars(root)
    assert widths[1] == pytest.approx(widths[0] * 0.4, abs=0.1)
    assert widths[2] == pytest.approx(widths[0] * 0.25, abs=0.1)
    rects = list(root.iter(f"{SVG}rect"))
    centres = [float(r.attrib["x"]) + float(r.attrib["width"]) / 2 for r in rects]
    assert max(centres) - min(centres) < 0.2  # centred
    assert texts(root)[1::2] == ["200 (100%)", "80 (40%)", "50 (25%)"]


def test_a_funnel_starting_at_zero_shows_no_shares() -> None:
    root = parse(funnel_chart([("Percakapan", 0), ("Formulir", 0)], title="Corong"))
    assert bars(root) == [0.0, 0.0]
    assert texts(root)[1::2] == ["0", "0"]


def test_numbers_are_written_the_indonesian_way() -> None:
    assert format_number(1234567) == "1.234.567"
    assert format_number(12.5) == "12,5"
    assert format_number(1234.56) == "1.234,6"
    assert format_number(math.inf) == "-"
    root = parse(bar_chart([("x", 0.5)], title="t", value_format=lambda v: f"{v:.0%}"))
    assert texts(root)[1] == "50%"
