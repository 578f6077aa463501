"""Who applies: the unified social credit code (GB 32100-2015) and the applicant record."""

from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, PlainValidator, StringConstraints, WithJsonSchema
from pydantic_core import PydanticCustomError

from .text import NO_CONTROLS_PATTERN, refuse_controls

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_POSITION = {c: i for i, c in enumerate(ALPHABET)}

ApplicantKind = Literal["enterprise", "institution", "social_organization", "district"]


def check_character(first17: str) -> str:
    """The 18th character for the first 17 (31 - weighted sum mod 31, where 31 maps to '0')."""
    remainder = sum(_POSITION[c] * w for c, w in zip(first17, _WEIGHTS, strict=False)) % 31
    return ALPHABET[(31 - remainder) % 31]


def _check_credit_code(value: object) -> str:
    if not isinstance(value, str):
        raise PydanticCustomError("wrong_type", "must be a string, not {kind}", {"kind": type(value).__name__})
    if len(value) != 18 or any(c not in _POSITION for c in value):
        raise PydanticCustomError(
            "invalid_credit_code",
            "must be 18 characters from 0-9 and A-Y without I, O, S, V, Z (upper case), got '{value}'",
            {"value": value},
        )
    expected = check_character(value[:17])
    if value[17] != expected:
        raise PydanticCustomError(
            "invalid_credit_code",
            "check character is '{got}' but should be '{expected}' for {value}",
            {"got": value[17], "expected": expected, "value": value},
        )
    return value


CreditCode = Annotated[
    str,
    PlainValidator(_check_credit_code),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": f"^[{ALPHABET}]{{18}}$",
            "description": "统一社会信用代码 (GB 32100-2015, check character verified)",
        }
    ),
]


class Applicant(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    credit_code: CreditCode
    # Printed on notices as given: no control or bidirectional-control characters (see `text.py`).
    name: Annotated[
        str,
        StringConstraints(min_length=1, max_length=200),
        AfterValidator(refuse_controls),
        WithJsonSchema({"type": "string", "minLength": 1, "maxLength": 200, "pattern": NO_CONTROLS_PATTERN}),
    ]
    kind: ApplicantKind
