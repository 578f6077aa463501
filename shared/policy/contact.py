"""Whom to tell about an application: an e-mail address, optionally a phone, and a language.

Optional on every application. The address is checked for syntax only (`email-validator`, no DNS
lookup: refusing a submission because a mail server is down would be worse than a bounce), and
kept in its normalised form (the domain lower-cased and IDNA-encoded where needed). A phone is
E.164-like: an optional `+`, then 6–15 digits, spaces and hyphens allowed between them.
"""

import re
from typing import Annotated, Literal

from email_validator import EmailNotValidError, validate_email
from pydantic import AfterValidator, BaseModel, ConfigDict, StringConstraints, WithJsonSchema
from pydantic_core import PydanticCustomError

Language = Literal["zh", "en"]
PHONE_PATTERN = r"^\+?[0-9](?:[ -]?[0-9]){5,14}$"


def _email(value: str) -> str:
    try:
        return validate_email(value, check_deliverability=False).normalized
    except EmailNotValidError as e:
        raise PydanticCustomError("invalid_email", "is not a valid e-mail address: {why}", {"why": str(e)}) from None


def _phone(value: str) -> str:
    if not re.fullmatch(PHONE_PATTERN, value):
        raise PydanticCustomError(
            "invalid_phone",
            "is not a phone number: an optional +, then 6 to 15 digits "
            "(spaces or hyphens between them allowed), got '{value}'",
            {"value": value},
        )
    return value


Email = Annotated[
    str,
    StringConstraints(max_length=254),
    AfterValidator(_email),
    WithJsonSchema(
        {
            "type": "string",
            "format": "email",
            "maxLength": 254,
            "description": "where the applicant is told of each status change",
        }
    ),
]
Phone = Annotated[
    str,
    StringConstraints(max_length=32),
    AfterValidator(_phone),
    WithJsonSchema({"type": "string", "pattern": PHONE_PATTERN, "maxLength": 32}),
]


class Contact(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    email: Email
    phone: Phone | None = None
    language: Language = "zh"
