"""Money: exact yuan amounts as Decimal, and the one place their wire format is checked.

A money value on the wire is a JSON string or integer holding a plain decimal (no exponent,
at most two decimal places, 0 <= v < 1e12). Floats are refused because binary floating point
cannot carry fen exactly; the errors use the codes of `errors.py`.
"""

import re
from decimal import ROUND_DOWN, Decimal
from typing import Annotated

from pydantic import PlainSerializer, PlainValidator, WithJsonSchema
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import PydanticCustomError

FEN = Decimal("0.01")
ZERO = Decimal("0.00")
MONEY_LIMIT = Decimal(10) ** 12

_PLAIN = re.compile(r"[0-9]+(?:\.[0-9]{1,2})?")
_NEGATIVE = re.compile(r"-[0-9]+(?:\.[0-9]+)?")
_EXPONENT = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)[eE][+-]?[0-9]+")
_TOO_PRECISE = re.compile(r"[0-9]+\.[0-9]{3,}")


def parse_decimal(value: object, limit: Decimal, inclusive_limit: bool = False) -> Decimal:
    """Check a wire value (str | int | Decimal) against the plain-decimal rules; return it exactly."""
    if isinstance(value, bool) or not isinstance(value, (str, int, Decimal)):
        raise PydanticCustomError(
            "wrong_type", "must be a decimal string or an integer, not {kind}", {"kind": type(value).__name__}
        )
    if isinstance(value, int):
        number = Decimal(value)
    else:
        text = value if isinstance(value, str) else str(value)
        if _PLAIN.fullmatch(text):
            number = Decimal(text)
        elif _NEGATIVE.fullmatch(text):
            raise PydanticCustomError("out_of_range", "must not be negative, got {value}", {"value": text})
        elif _EXPONENT.fullmatch(text):
            raise PydanticCustomError(
                "money_exponent", "must be written without an exponent, got {value}", {"value": text}
            )
        elif _TOO_PRECISE.fullmatch(text):
            raise PydanticCustomError(
                "money_precision", "must have at most 2 decimal places, got {value}", {"value": text}
            )
        else:
            raise PydanticCustomError("invalid_money", "is not a plain decimal number: '{value}'", {"value": text})
    if number < 0 or number > limit or (number == limit and not inclusive_limit):
        bound = f"≤ {limit}" if inclusive_limit else f"< {limit}"
        raise PydanticCustomError(
            "out_of_range", "must be ≥ 0 and {bound}, got {value}", {"bound": bound, "value": str(value)}
        )
    return number


def _parse_money(value: object) -> Decimal:
    return parse_decimal(value, MONEY_LIMIT)


def _parse_score(value: object) -> Decimal:
    return parse_decimal(value, Decimal(100), inclusive_limit=True)


def _schema(maximum: str) -> JsonSchemaValue:
    return {
        "anyOf": [
            {"type": "string", "pattern": r"^[0-9]+(\.[0-9]{1,2})?$"},
            {"type": "integer", "minimum": 0, "maximum": int(Decimal(maximum))},
        ]
    }


Money = Annotated[
    Decimal,
    PlainValidator(_parse_money),
    PlainSerializer(lambda d: f"{d:.2f}", return_type=str),
    WithJsonSchema(_schema("999999999999.99") | {"description": "yuan, plain decimal, ≤ 2 places"}),
]

Score = Annotated[
    Decimal,
    PlainValidator(_parse_score),
    PlainSerializer(lambda d: str(d), return_type=str),
    WithJsonSchema(_schema("100") | {"description": "review-panel score 0–100"}),
]


def down_to_fen(value: Decimal) -> Decimal:
    return value.quantize(FEN, rounding=ROUND_DOWN)


def yuan(value: Decimal) -> str:
    """1234567.5 -> '1,234,567.50' (the form used in traces and reasons)."""
    return f"{value:,.2f}"
