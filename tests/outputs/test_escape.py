"""Each escaping function against hostile strings: nothing can leave its context, text survives as written."""

from __future__ import annotations

import html
import json
import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path

import pytest

from enablement.outputs.escape import (
    html_attr,
    html_text,
    js_string,
    json_script,
    template_html,
    xml_attr,
    xml_chars,
    xml_text,
)

ROOT = Path(__file__).resolve().parents[2] / "enablement"

HOSTILE = [
    "<script>alert(1)</script>",
    "\"'><img src=x onerror=alert(2)>",
    "`",
    "${alert(3)}",
    "</script><script>alert(4)</script>",
    "<!--",
    "\u2028",
    "\u2029",
    "\\",
    "a & b &amp; c &#60; d",
    "Antwerp ${alert(101)} `x` \\` \\${y}",
]
PLAIN = ["Liège", "Zoë Van Ranst", "Sint-Genesius-Rode", "Bruxelles/Brussel", "Łódź, Köln, Aix (Aachen)"]
ALL = HOSTILE + PLAIN


class _Attrs(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.attrs: list[tuple[str, str | None]] = []
        self.data: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.attrs += attrs

    def handle_data(self, data):
        self.data.append(data)


def parsed(page: str) -> _Attrs:
    p = _Attrs()
    p.feed(page)
    p.close()
    return p


@pytest.mark.parametrize("s", ALL)
def test_html_text_cannot_open_a_tag_and_reads_back_as_written(s):
    out = html_text(s)
    assert not set("<>\"'") & set(out)
    assert html.unescape(out) == s
    p = parsed(f"<p>{out}</p>")
    assert "".join(p.data) == s and p.attrs == []


@pytest.mark.parametrize("s", ALL)
@pytest.mark.parametrize("quote", ['"', "'"])
def test_html_attr_cannot_close_the_attribute(s, quote):
    out = html_attr(s)
    assert not set("<>\"'`") & set(out)
    assert parsed(f"<a title={quote}{out}{quote} href='x'>t</a>").attrs == [("title", s), ("href", "x")]


@pytest.mark.parametrize("s", ALL)
def test_template_html_leaves_javascript_nothing_to_read_and_html_the_text(s):
    out = template_html(s)
    # no character a template literal or the HTML parser reads as syntax
    assert not set("`$\\<>\"'") & set(out)
    assert "${" not in out and "</script" not in out.lower()
    assert html.unescape(out) == s
    assert "".join(parsed(f"<div>{out}</div>").data) == s


@pytest.mark.parametrize("s", ALL)
def test_json_script_cannot_end_the_script_and_reads_back_as_written(s):
    value = {"n": s, "p": [[1.5, s]], s: True}
    out = json_script(value)
    assert not set("<>&\u2028\u2029") & set(out)
    assert "</script" not in out.lower() and "<!--" not in out
    assert json.loads(out) == value


@pytest.mark.parametrize("s", ALL)
def test_js_string_is_one_string_literal(s):
    out = js_string(s)
    assert out.startswith('"') and out.endswith('"')
    assert not set("<>&\u2028\u2029") & set(out)
    assert json.loads(out) == s  # a JSON string is a JavaScript string literal
    # the only unescaped double quotes are the two around it
    assert re.findall(r'(?<!\\)"', out[1:-1]) == []


@pytest.mark.parametrize("s", [*ALL, "tab\there", "bell\x07 and nul\x00"])
def test_xml_text_keeps_the_svg_well_formed(s):
    out = xml_text(s)
    assert not set("<>") & set(out)
    text = ET.fromstring(f"<svg><text>{out}</text></svg>").find("text").text
    assert text == s.replace("\x07", "\ufffd").replace("\x00", "\ufffd")


@pytest.mark.parametrize("s", [*ALL, "two\nlines\tand a tab"])
@pytest.mark.parametrize("quote", ['"', "'"])
def test_xml_attr_cannot_close_the_attribute(s, quote):
    out = xml_attr(s)
    assert not set("<>\"'\n\t") & set(out)
    assert ET.fromstring(f"<svg><rect a={quote}{out}{quote}/></svg>").find("rect").get("a") == s


@pytest.mark.parametrize("s", [*ALL, "bell\x07, nul\x00 and a lone \ud800", "]]> tab\there"])
def test_xml_chars_lets_element_tree_write_any_text_and_read_it_back(s):
    """KML and GPX: ElementTree escapes; xml_chars only drops what XML cannot hold (and does not escape)."""
    root = ET.Element("kml", name=xml_chars(s))
    ET.SubElement(root, "name").text = xml_chars(s)
    back = ET.fromstring(ET.tostring(root, encoding="utf-8"))
    shown = s.replace("\x07", "\ufffd").replace("\x00", "\ufffd").replace("\ud800", "\ufffd")
    assert back.find("name").text == shown and back.get("name") == shown
    assert xml_chars("a & <b>") == "a & <b>"


@pytest.mark.parametrize("s", PLAIN)
@pytest.mark.parametrize("escape", [html_text, html_attr, template_html, xml_text, xml_attr])
def test_plain_names_with_accents_pass_unchanged(s, escape):
    assert escape(s) == s


@pytest.mark.parametrize("s", PLAIN)
def test_plain_names_stay_readable_in_json(s):
    assert s in json_script({"n": s}) and js_string(s) == f'"{s}"'


def test_lone_surrogates_become_a_replacement_character_so_the_page_can_be_written():
    for escape in (html_text, html_attr, template_html, xml_text, xml_attr, js_string):
        assert "\ufffd" in escape("a\ud800b") and escape("a\ud800b").encode("utf-8")
    assert json_script(["a\udfffb"]).encode("utf-8")


def test_values_other_than_text_are_shown_as_str():
    assert html_text(3.5) == "3.5" and template_html(None) == "None" and xml_text(7) == "7"


def _escaping_modules() -> list[Path]:
    return [*sorted((ROOT / "outputs").glob("*.py")), ROOT / "batch" / "report.py"]


def test_outputs_escape_only_through_the_escape_module():
    """No other escaping in the modules that write HTML, JavaScript or SVG: one path per context."""
    other = re.compile(
        r"^\s*(import html\b|from html\b|import xml\.sax|from xml\.sax)|html\.escape|saxutils", re.M
    )
    found = {
        p.relative_to(ROOT.parent).as_posix(): [
            m.group(0).strip() for m in other.finditer(p.read_text("utf-8"))
        ]
        for p in _escaping_modules()
        if p.name != "escape.py"
    }
    assert {k: v for k, v in found.items() if v} == {}
    assert (ROOT / "outputs" / "escape.py") in _escaping_modules()
