"""One escaping function per output context: every string from data reaches a page through one of these.

Text from a scenario, an overlay, a network, the vehicle catalogue or a batch file
is data, never markup or code. Each function here makes a value safe for one
context and says which; the map, the report, the Gantt chart and the batch summary
use nothing else (a test fails on any other escaping in those modules).

========================  =====================================================
context                   function
========================  =====================================================
HTML element text         :func:`html_text`
HTML attribute (quoted)   :func:`html_attr`
JavaScript string         :func:`js_string`
HTML in a JS template     :func:`template_html` (folium's popups and tooltips)
JSON in ``<script>``      :func:`json_script`
XML (SVG) text            :func:`xml_text`
XML (SVG) attribute       :func:`xml_attr`
XML by ElementTree        :func:`xml_chars` (KML, GPX: the serialiser escapes)
========================  =====================================================

Contexts nest: a string Leaflet will insert as HTML but that travels inside a
script as JSON is escaped for HTML (:func:`html_text`) and the JSON then for the
script (:func:`json_script`, or folium's own ``tojson`` for GeoJSON data and layer
names). Each layer is escaped once, by the function for that layer.

Every function first replaces lone surrogates (which UTF-8 cannot encode, so the
page could not be written) by U+FFFD; ordinary text passes through unchanged.
"""

from __future__ import annotations

import html
import json
import re
from typing import Any

__all__ = [
    "html_attr",
    "html_text",
    "js_string",
    "json_script",
    "template_html",
    "xml_attr",
    "xml_chars",
    "xml_text",
]

_SURROGATE = re.compile("[\ud800-\udfff]")
# characters XML 1.0 does not allow at all (C0 controls but tab, LF and CR; U+FFFE, U+FFFF)
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_TEMPLATE = str.maketrans({"`": "&#96;", "$": "&#36;", "\\": "&#92;"})
_SCRIPT = str.maketrans(
    {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}
)
_XML_ATTR = str.maketrans({'"': "&quot;", "'": "&#39;", "\t": "&#9;", "\n": "&#10;", "\r": "&#13;"})


def _text(value: object) -> str:
    """Return ``value`` as text, lone surrogates replaced by U+FFFD."""
    return _SURROGATE.sub("\ufffd", str(value))


def html_text(value: object) -> str:
    """Escape text for the content of an HTML element (``<td>…</td>``, ``<title>``, inline SVG text).

    ``&``, ``<`` and ``>`` are entity-encoded so that the text cannot open or
    close a tag or an entity; ``"`` and ``'`` too, so that the result stays safe if
    it ends up in a quoted attribute. Also for HTML that Leaflet inserts itself
    (GeoJSON properties shown by folium's ``GeoJsonTooltip``, layer names in the
    layer control, tooltips of the time slider's markers).

    Parameters
    ----------
    value
        Any value; converted with ``str``.

    Returns
    -------
    str
        The escaped text; the browser shows exactly ``str(value)``.
    """
    return html.escape(_text(value), quote=True)


def html_attr(value: object) -> str:
    """Escape a value for an HTML attribute written between quotes (``href='…'``, ``title="…"``).

    As :func:`html_text` (``&<>"'`` entity-encoded, so the value cannot close the
    attribute whichever quote it is written in), and the backtick too, which old
    browsers took for an attribute quote. Always quote the attribute; this does
    not make an unquoted one safe, nor a ``javascript:`` URL harmless.

    Parameters
    ----------
    value
        Any value; converted with ``str``.

    Returns
    -------
    str
        The escaped value.
    """
    return html_text(value).replace("`", "&#96;")


def template_html(value: object) -> str:
    r"""Escape text for HTML written inside a JavaScript template literal (folium's popups and tooltips).

    folium 0.20 writes tooltips as ``bindTooltip(`<div>…</div>`)`` and popups as
    ``$(`…`)[0]``: the text is first read by the JavaScript parser (where a
    backtick ends the literal, ``${…}`` runs code and ``\`` starts an escape), then
    inserted as HTML. So besides ``&<>"'`` (as :func:`html_text`) the backtick,
    ``$`` and the backslash are entity-encoded: JavaScript sees plain characters
    and the HTML parser turns them back into what the name holds. ``<`` being
    encoded, ``</script>`` cannot end the page's script either.

    Parameters
    ----------
    value
        Any value; converted with ``str``.

    Returns
    -------
    str
        The escaped text; the tooltip or popup shows exactly ``str(value)``.
    """
    return html_text(value).translate(_TEMPLATE)


def json_script(value: Any) -> str:
    r"""Serialise ``value`` as JSON to write inside a ``<script>`` element (``var D = …;``).

    JSON is a JavaScript expression, but the HTML parser reads the script first:
    ``</script>`` would end it and ``<!--`` changes how it is parsed. ``<``, ``>``
    and ``&`` are written as ``\u003c``, ``\u003e`` and ``\u0026`` (the same
    characters to JavaScript), and U+2028 and U+2029 as escapes too (line
    terminators in older JavaScript). Strings the script will insert as HTML must
    also be escaped for HTML (:func:`html_text`) before they are put in ``value``.

    Parameters
    ----------
    value
        Anything :func:`json.dumps` serialises (non-ASCII text kept as is).

    Returns
    -------
    str
        Compact JSON (no spaces after separators), safe in a script element.
    """
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return _SURROGATE.sub("\ufffd", text).translate(_SCRIPT)


def js_string(value: object) -> str:
    r"""Quote text as a JavaScript string literal to write inside a ``<script>`` element.

    The text becomes a double-quoted literal (quotes and backslashes escaped, as
    JSON writes them), with ``<``, ``>``, ``&``, U+2028 and U+2029 written as
    ``\u`` escapes so that it cannot end or confuse the script element
    (:func:`json_script`). The result includes its quotes: do not put it inside
    another pair, nor inside a template literal.

    Parameters
    ----------
    value
        Any value; converted with ``str``.

    Returns
    -------
    str
        A JavaScript string literal whose value is ``str(value)``.
    """
    return json_script(_text(value))


def xml_text(value: object) -> str:
    """Escape text for the content of an XML element of a standalone SVG file (``<text>``, ``<title>``).

    ``&``, ``<`` and ``>`` are entity-encoded; characters XML 1.0 does not allow
    (control characters other than tab, LF and CR; U+FFFE, U+FFFF) become U+FFFD,
    so the file stays well-formed. The result is also valid inside HTML (the
    report inlines the chart).

    Parameters
    ----------
    value
        Any value; converted with ``str``.

    Returns
    -------
    str
        The escaped text.
    """
    text = _NOT_XML.sub("\ufffd", _text(value))
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def xml_attr(value: object) -> str:
    """Escape a value for a quoted XML attribute of an SVG file (``fill="…"``, ``aria-label="…"``).

    As :func:`xml_text`, and ``"`` and ``'`` entity-encoded so that the value
    cannot close the attribute, and tab, LF and CR as character references (an
    XML parser would turn them into spaces).

    Parameters
    ----------
    value
        Any value; converted with ``str``.

    Returns
    -------
    str
        The escaped value.
    """
    return xml_text(value).translate(_XML_ATTR)


def xml_chars(value: object) -> str:
    """Make text fit for an XML serialiser that escapes it itself (:mod:`xml.etree.ElementTree`).

    The KML and GPX files are built as element trees, whose serialiser entity-encodes
    ``&``, ``<``, ``>`` (and quotes in attributes): escaping here too would show
    ``&amp;`` to the reader. What it does not do is keep the file well-formed when the
    text holds characters XML 1.0 does not allow (control characters other than tab,
    LF and CR; U+FFFE, U+FFFF) or lone surrogates (which UTF-8 cannot encode): those
    become U+FFFD here, as in :func:`xml_text`.

    Parameters
    ----------
    value
        Any value; converted with ``str``.

    Returns
    -------
    str
        The text, unescaped, with only characters XML 1.0 allows.
    """
    return _NOT_XML.sub("\ufffd", _text(value))
