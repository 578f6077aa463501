"""The wire shape of an application: one pydantic model per clause, discriminated on `clause`.

The models are generated once from the policy data (each clause declares its facts and their
types), so `facts` accepts exactly that clause's facts: unknown ones are refused, missing ones
too, except `review_score`, which the review panel fills in later.
"""

import datetime as dt
from collections.abc import Mapping
from typing import TYPE_CHECKING, Annotated, Any, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, create_model

from shared.payee import Payee, same_name

from .applicant import Applicant
from .contact import Contact
from .errors import FieldError, InvalidApplication, field_error, from_validation_error
from .facts import Day, fact_type

PANEL_FACTS = frozenset({"review_score"})  # set by the review panel, so optional on submission

_STRICT = ConfigDict(extra="forbid", frozen=True)

# Applicants used by the bundled examples (credit codes pass the GB 32100-2015 check).
EXAMPLE_APPLICANTS = {
    "enterprise": {"credit_code": "91510100MA61R8XN39", "name": "成都链网科技有限公司", "kind": "enterprise"},
    "institution": {"credit_code": "12510100MA0000000N", "name": "成都区块链技术研究院", "kind": "institution"},
    "social_organization": {
        "credit_code": "51510100MJ00000019",
        "name": "成都市区块链产业协会",
        "kind": "social_organization",
    },
    "district": {"credit_code": "11510100MB0000001Y", "name": "成都高新技术产业开发区管理委员会", "kind": "district"},
}


if TYPE_CHECKING:

    class Facts(BaseModel):
        """A clause's generated facts model (`_facts_model`): each declared fact an attribute."""

        def __getattr__(self, name: str) -> object: ...


class ApplicationBase(BaseModel):
    """Fields every application has; the per-clause models add `clause` and `facts`."""

    model_config = _STRICT

    applicant: Applicant
    occurred_on: Day
    # Whom notify tells of each status change, and in which language; none: the partner portal only.
    contact: Contact | None = None
    # Where the subsidy is paid; may also be supplied (or corrected) later through the API.
    payee: Payee | None = None

    if TYPE_CHECKING:
        # Declared by each clause's generated model (ApplicationParser), after the fields above.
        clause: str
        facts: Facts


def _slug(clause_id: str) -> str:
    """'4.10-conference' -> '4_10_conference' (schema names: Facts_4_10_conference)."""
    return clause_id.replace(".", "_").replace("-", "_")


def _facts_model(clause_id: str, facts: Mapping[str, str], enums: Mapping[str, list[str]]) -> type[BaseModel]:
    fields: dict[str, Any] = {}
    for name, type_name in facts.items():
        annotation, label = fact_type(type_name, enums)
        if name in PANEL_FACTS:
            fields[name] = (annotation | None, Field(None, description=label))
        else:
            fields[name] = (annotation, Field(description=label))
    return create_model(f"Facts_{_slug(clause_id)}", __config__=_STRICT, **fields)


class ApplicationParser:
    """The generated models for a set of clauses and the function that parses into them."""

    def __init__(self, clause_facts: Mapping[str, Mapping[str, str]], enums: Mapping[str, list[str]]):
        self.models: dict[str, type[ApplicationBase]] = {
            cid: create_model(
                f"Application_{_slug(cid)}",
                __base__=ApplicationBase,
                clause=(_tag(cid), ...),
                facts=(_facts_model(cid, facts, enums), ...),
            )
            for cid, facts in clause_facts.items()
        }
        self.type = _one_of(tuple(self.models.values()))
        self.adapter: TypeAdapter[ApplicationBase] = TypeAdapter(self.type)
        self._ids = frozenset(self.models)

    def parse(self, obj: object) -> ApplicationBase:
        """A validated application, or InvalidApplication listing every problem."""
        try:
            application = self.adapter.validate_python(obj)
        except ValidationError as exc:
            raise from_validation_error(exc, self._ids) from None
        if application.payee and not same_name(application.payee.account_name, application.applicant.name):
            raise InvalidApplication([payee_name_mismatch("payee.account_name")])
        return application


def _tag(clause_id: str) -> Any:
    """The `clause` field's type: that one id (a type built at run time, hence Any to the checker)."""
    return Literal[clause_id]


def _one_of(models: tuple[type[ApplicationBase], ...]) -> Any:
    """The one model, or the union of them discriminated on `clause` (a type built at run time,
    hence Any to the checker)."""
    if len(models) == 1:
        return models[0]
    # Union over a runtime tuple of models: the `X | Y` spelling cannot take one.
    return Annotated[Union[models], Field(discriminator="clause")]  # noqa: UP007


def payee_name_mismatch(field: str) -> FieldError:
    return field_error(
        field, "payee_name_mismatch", "must be the applicant's name: a subsidy is paid into the applicant's own account"
    )


def example(clause_id: str, applicant_kind: str, occurred_on: dt.date, facts: Mapping[str, object]) -> dict[str, Any]:
    """A valid wire-shaped application (JSON-safe values) for documentation and tests."""
    return {
        "clause": clause_id,
        "applicant": dict(EXAMPLE_APPLICANTS[applicant_kind]),
        "occurred_on": occurred_on.isoformat(),
        "facts": dict(facts),
    }
