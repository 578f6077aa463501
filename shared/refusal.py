"""A refusal by the rules, shared by every service's domain: the API answers it as an error body,
the operator commands print it and exit 2."""


class Refused(Exception):
    """An action the rules refuse: a stable `code`, why in English and Chinese, the HTTP status it
    answers with, and the fields at fault (if the refusal is about the input)."""

    def __init__(
        self,
        code: str,
        message_en: str,
        message_zh: str,
        status: int = 409,
        fields: list[dict[str, str]] | None = None,
    ):
        super().__init__(message_en)
        self.code, self.message_en, self.message_zh, self.status = code, message_en, message_zh, status
        self.fields = fields or []
