"""Pages from the Jinja2 templates in diamondtrace/templates/, always autoescaped.

Every value a participant wrote (names, mines, descriptions, certificate and report numbers, stone
IDs) reaches HTML only through a template, where Jinja2 escapes it; no HTML is assembled in Python.
The filters turn the read model's plain values into words; none returns markup.
"""

from __future__ import annotations

import datetime as dt
import shlex
from typing import Any
from urllib.parse import quote

from jinja2 import Environment, PackageLoader, StrictUndefined

from ..model import Action, Flag, Origin, Status, stone_id
from ..records import hex32


def utc(timestamp: int, date_only: bool = False) -> str:
    """A block or record time as people read it: `2026-11-26 18:03:37 UTC` (or the date alone)."""
    moment = dt.datetime.fromtimestamp(timestamp, dt.timezone.utc)
    return moment.date().isoformat() if date_only else moment.strftime("%Y-%m-%d %H:%M:%S UTC")


def action(value: int) -> str:
    """A custody action in words: `Retail sale`."""
    return Action(value).label.replace("-", " ").capitalize()


def segment(value: str) -> str:
    """Text as one URL path segment: every character that means something in a URL (`/`, `?`, `#`,
    `%`, `:`) is percent-encoded, so a stone ID or certificate number links to its own page."""
    return quote(value, safe="")


def carat(centicarats: int) -> str:
    """A weight as people read it: `12,345.67`."""
    return f"{centicarats // 100:,}.{centicarats % 100:02d}"


def sentence(text: str) -> str:
    """The first letter capitalized, the rest as it is (addresses keep their checksum case)."""
    return text[:1].upper() + text[1:]


ENV = Environment(
    loader=PackageLoader("diamondtrace", "templates"),
    autoescape=True,
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
ENV.filters.update(
    {
        "utc": utc,
        "action": action,
        "carat": carat,
        "stone_id": stone_id,
        "hex32": hex32,
        "segment": segment,
        "sentence": sentence,
        # A command shown for copying: a stone ID such as `$(reboot)` stays one inert argument.
        "shell": shlex.quote,
        "thousands": "{:,}".format,
    }
)

# The read model's enums, so templates compare values rather than names.
ENV.globals.update(Origin=Origin, Flag=Flag, Status=Status)


def render(template: str, **context: Any) -> str:
    return ENV.get_template(template).render(**context)
