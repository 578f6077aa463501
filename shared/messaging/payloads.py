"""The base of every event payload, and the registry that maps a `ce_type` back to its model."""

from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict

_REGISTRY: dict[str, type["Payload"]] = {}


class Payload(BaseModel):
    """An event's data. Published types are never edited: a change is a new `.vN` type."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    ce_type: ClassVar[str]
    topic: ClassVar[str]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "ce_type" in cls.__dict__:
            if cls.ce_type in _REGISTRY:
                raise TypeError(f"event type {cls.ce_type} defined twice")
            _REGISTRY[cls.ce_type] = cls


def payload_type(ce_type: str) -> type[Payload] | None:
    return _REGISTRY.get(ce_type)


def all_payload_types() -> dict[str, type[Payload]]:
    return dict(_REGISTRY)
