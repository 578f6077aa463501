"""Money: exact yuan amounts as Decimal, and the one place their wire format is checked.

A money value on the wire is a JSON string or integer holding a plain decimal (no exponent,
at most two decimal places, 0 <= v < 1e12). Fractional floats are refused because binary floating
point cannot carry fen exactly; the errors use the codes of `errors.py`.
"""

import re
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal
from typing import Annotated

from pydantic import PlainSerializer, PlainValidator, WithJsonSchema
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import PydanticCustomError

FEN = Decimal("0.01")
ZERO = Decimal("0.00")
MONEY_LIMIT = Decimal(10) ** 12

_NEGATIVE = re.compile(r"-[0-9]+(?:\.[0-9]+)?")
_EXPONENT = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)[eE][+-]?[0-9]+")
_TOO_PRECISE = re.compile(r"[0-9]+\.[0-9]{3,}")
_DECIMAL = re.compile(r"[0-9]+(?:\.[0-9]{1,2})?")


@dataclass(frozen=True)
class WireDecimal:
    """One kind of decimal on the wire. `pattern` is the whole rule for a string, and is what the
    JSON Schema says, so a client's validator and ours agree on every string; an integer is checked
    against `maximum`. JSON Schema counts 6836.0 as an integer, and so do we."""

    pattern: str
    maximum: Decimal
    positive: bool = False

    def parse(self, value: object) -> Decimal:
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, (str, int, Decimal)):
            raise PydanticCustomError(
                "wrong_type", "must be a decimal string or an integer, not {kind}", {"kind": type(value).__name__}
            )
        text = value if isinstance(value, str) else str(value)
        if isinstance(value, str) and not re.fullmatch(self.pattern, text):
            if _NEGATIVE.fullmatch(text):
                raise PydanticCustomError("out_of_range", "must not be negative, got {value}", {"value": text})
            if _EXPONENT.fullmatch(text):
                raise PydanticCustomError(
                    "money_exponent", "must be written without an exponent, got {value}", {"value": text}
                )
            if _TOO_PRECISE.fullmatch(text):
                raise PydanticCustomError(
                    "money_precision", "must have at most 2 decimal places, got {value}", {"value": text}
                )
            if not _DECIMAL.fullmatch(text):
                raise PydanticCustomError("invalid_money", "is not a plain decimal number: '{value}'", {"value": text})
            raise PydanticCustomError(
                "out_of_range", "must be ≤ {limit}, got {value}", {"limit": self.maximum, "value": text}
            )
        number = Decimal(text)
        if not number.is_finite() or number < 0 or number > self.maximum or (self.positive and number == 0):
            low = "> 0" if self.positive else "≥ 0"
            raise PydanticCustomError(
                "out_of_range",
                "must be {low} and ≤ {limit}, got {value}",
                {"low": low, "limit": self.maximum, "value": text},
            )
        return number

    def json_schema(self, description: str) -> JsonSchemaValue:
        text: JsonSchemaValue = {"type": "string", "pattern": f"^{self.pattern}$"}
        if self.positive:
            text["not"] = {"pattern": r"^0*(\.0*)?$"}
        integer = {"type": "integer", "minimum": 1 if self.positive else 0, "maximum": int(self.maximum)}
        return {"anyOf": [text, integer], "description": description}


# At most 12 digits before the point and 2 after: 0 ≤ v ≤ 999,999,999,999.99.
MONEY = WireDecimal(r"[0-9]{1,12}(\.[0-9]{1,2})?", Decimal("999999999999.99"))
POSITIVE_MONEY = WireDecimal(MONEY.pattern, MONEY.maximum, positive=True)
SCORE = WireDecimal(r"(100(\.0{1,2})?|[0-9]{1,2}(\.[0-9]{1,2})?)", Decimal(100))


def _fen(d: Decimal) -> str:
    return f"{d:.2f}"


Money = Annotated[
    Decimal,
    PlainValidator(MONEY.parse),
    PlainSerializer(_fen, return_type=str),
    WithJsonSchema(MONEY.json_schema("yuan, plain decimal, ≤ 2 places")),
]
PositiveMoney = Annotated[
    Decimal,
    PlainValidator(POSITIVE_MONEY.parse),
    PlainSerializer(_fen, return_type=str),
    WithJsonSchema(POSITIVE_MONEY.json_schema("yuan, more than zero, plain decimal, ≤ 2 places")),
]
Score = Annotated[
    Decimal,
    PlainValidator(SCORE.parse),
    PlainSerializer(lambda d: str(d), return_type=str),
    WithJsonSchema(SCORE.json_schema("review-panel score 0–100")),
]


def down_to_fen(value: Decimal) -> Decimal:
    return value.quantize(FEN, rounding=ROUND_DOWN)


def yuan(value: Decimal) -> str:
    """1234567.5 -> '1,234,567.50' (the form used in traces and reasons)."""
    return f"{value:,.2f}"
