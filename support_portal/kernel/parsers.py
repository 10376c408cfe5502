"""A JSON parser that refuses hostile bodies with a 400 before they cost anything.

Python's JSON decoder recurses once per nesting level, so a few kilobytes of ``[[[[…`` raise
``RecursionError`` deep inside it; and DRF reads a JSON body whole, whatever its size. This
parser reads at most ``API_JSON_MAX_BYTES`` (+1 to notice more), counts the nesting depth of
the bytes outside strings, and only then decodes. Invalid UTF-8 and malformed JSON are 400s too.
"""

import json
import re
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

#: Defaults when the settings do not name them (the settings document both).
DEFAULT_MAX_BYTES = 1024 * 1024
DEFAULT_MAX_DEPTH = 32
#: An oversized body is drained up to this many times the limit before the 400 is sent.
DRAIN_LIMIT_FACTOR = 16

_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_BRACKET = re.compile(rb"[\[\]{}]")


def json_depth(raw: bytes, limit: int) -> int:
    """The deepest nesting of ``raw`` outside string literals; stops counting past ``limit``."""
    depth = deepest = 0
    for match in _BRACKET.finditer(_STRING.sub(b'""', raw)):
        if match.group() in (b"[", b"{"):
            depth += 1
            if depth > deepest:
                deepest = depth
                if deepest > limit:
                    break
        else:
            depth -= 1
    return deepest


def parse_bounded_json(raw: bytes, *, max_depth: int) -> Any:
    if json_depth(raw, max_depth) > max_depth:
        raise ParseError(_("The JSON body is nested more than %(depth)d levels deep.")
                         % {"depth": max_depth})
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ParseError(_("The request body is not valid UTF-8.")) from None
    try:
        return json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise ParseError(_("The JSON body is malformed: %(error)s") % {"error": exc}) from None


class BoundedJSONParser(JSONParser):
    """DRF's JSON parser with size and depth limits (settings ``API_JSON_MAX_BYTES``,
    ``API_JSON_MAX_DEPTH``)."""

    def parse(self, stream: Any, media_type: str | None = None,
              parser_context: Mapping[str, Any] | None = None) -> Any:
        max_bytes = getattr(settings, "API_JSON_MAX_BYTES", DEFAULT_MAX_BYTES)
        max_depth = getattr(settings, "API_JSON_MAX_DEPTH", DEFAULT_MAX_DEPTH)
        raw = stream.read(max_bytes + 1) if stream is not None else b""
        if len(raw) > max_bytes:
            # Read (and drop) a modest excess, so the client, still sending, gets the answer
            # instead of a connection reset; a body past that is cut off.
            for _chunk in range(DRAIN_LIMIT_FACTOR * 16):
                if not stream.read(max_bytes // 16 or 1):
                    break
            raise ParseError(_("The request body is larger than %(kb)d kB.")
                             % {"kb": max_bytes // 1024})
        return parse_bounded_json(raw, max_depth=max_depth)
