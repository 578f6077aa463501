"""The vocabulary of fact types a policy file may declare, mapped to pydantic types.

The policy data names a type per fact ("money", "count", "enum:node_level", ...); this module
turns that name into the validating annotation, so adding a clause never needs new code.
"""

import datetime as dt
import re
from collections.abc import Mapping
from typing import Annotated, Any, Literal

from annotated_types import Ge, Le
from pydantic import PlainValidator, Strict, WithJsonSchema
from pydantic_core import PydanticCustomError

from .money import Money, Score
from .text import IDENTIFIER_MAX, IDENTIFIER_RAW_MAX, NO_CONTROLS_PATTERN, parse_identifier

Count = Annotated[int, Strict(), Ge(0), Le(10**12)]
Ordinal = Annotated[int, Strict(), Ge(1), Le(100)]
Year = Annotated[int, Strict(), Ge(1900), Le(2200)]
Flag = Annotated[bool, Strict()]
# Parsed into the key one-time rules compare (see `text.py`); the application keeps the spelling sent.
Identifier = Annotated[
    str,
    PlainValidator(parse_identifier),
    WithJsonSchema({"type": "string", "minLength": 1, "maxLength": IDENTIFIER_RAW_MAX, "pattern": NO_CONTROLS_PATTERN}),
]

_SIMPLE: dict[str, tuple[Any, str]] = {
    "money": (Money, "money (yuan: decimal string or integer, ≤ 2 places, 0 ≤ v < 1e12)"),
    "count": (Count, "integer ≥ 0"),
    "ordinal": (Ordinal, "integer ≥ 1"),
    "year": (Year, "integer year"),
    "bool": (Flag, "boolean"),
    "id": (
        Identifier,
        f"identifier, compared after Unicode NFKC, trimming, case folding and collapsing inner "
        f"spaces (`SN-001`, `ｓｎ－００１` and ` sn-001 ` are one), {IDENTIFIER_MAX} characters at most "
        f"then; no control, bidirectional-control or invisible characters",
    ),
    "score": (Score, "decimal 0–100, set by the review panel"),
}

# The type names a policy file may declare, as its authors write them.
TYPE_NAMES = (*_SIMPLE, "enum:<name>")

_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _parse_date(value: object) -> dt.date:
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    if not isinstance(value, str):
        raise PydanticCustomError(
            "wrong_type", "must be a date string YYYY-MM-DD, not {kind}", {"kind": type(value).__name__}
        )
    if not _ISO_DATE.fullmatch(value):
        raise PydanticCustomError("invalid_date", "must be a date written YYYY-MM-DD, got {value!r}", {"value": value})
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise PydanticCustomError("invalid_date", "{value} is not a day of the calendar", {"value": value}) from None


Day = Annotated[dt.date, PlainValidator(_parse_date), WithJsonSchema({"type": "string", "format": "date"})]


def fact_type(name: str, enums: Mapping[str, list[str]]) -> tuple[Any, str]:
    """(pydantic annotation, human label) for a declared type name; KeyError if unknown."""
    if name.startswith("enum:"):
        values = enums[name[5:]]
        return Literal[tuple(values)], "one of " + " · ".join(values)
    return _SIMPLE[name]
