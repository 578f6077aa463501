"""Bad input: pydantic's validation errors turned into short codes with English and Chinese messages."""

from collections.abc import Iterable
from dataclasses import dataclass

from pydantic import ValidationError
from pydantic_core import ErrorDetails

# pydantic's own error types -> our codes (our validators raise our codes directly).
_CODES = {
    "missing": "missing",
    "extra_forbidden": "unknown_field",
    "union_tag_invalid": "unknown_clause",
    "union_tag_not_found": "missing",
    "literal_error": "invalid_choice",
    "greater_than_equal": "out_of_range",
    "less_than_equal": "out_of_range",
    "greater_than": "out_of_range",
    "less_than": "out_of_range",
    "string_pattern_mismatch": "invalid_format",
    "string_too_short": "invalid_format",
    "string_too_long": "invalid_format",
    "int_type": "wrong_type",
    "bool_type": "wrong_type",
    "string_type": "wrong_type",
    "model_type": "wrong_type",
    "model_attributes_type": "wrong_type",
    "dict_type": "wrong_type",
    "int_from_float": "wrong_type",
}

_ENGLISH = {
    "missing": "is required but missing",
    "unknown_field": "unknown field: not declared for this clause",
    "unknown_clause": "is not a clause of the policy",
}

MESSAGES_ZH = {
    "missing": "缺少必填字段",
    "unknown_field": "本条款未声明该字段",
    "unknown_clause": "不是本政策的条款编号",
    "invalid_credit_code": "统一社会信用代码无效（字符非法或校验位不符）",
    "money_exponent": "金额不得使用科学计数法",
    "money_precision": "金额最多保留两位小数",
    "invalid_money": "金额须为普通十进制数（字符串或整数）",
    "wrong_type": "类型错误",
    "out_of_range": "数值超出允许范围",
    "invalid_date": "日期无效，须为真实存在的 YYYY-MM-DD 日期",
    "invalid_choice": "取值不在允许的选项内",
    "invalid_format": "格式或长度不符",
    "invalid_character": "含控制字符、双向文本控制字符或不可见字符，不予接受",
    "empty_identifier": "去除空格后为空",
    "invalid_email": "电子邮箱地址无效",
    "invalid_phone": "电话号码无效：可选 +，后接 6 至 15 位数字",
    "invalid_account_number": "银行账号须为 9–30 位数字，不含空格或其他字符",
    "payee_name_mismatch": "收款账户户名须与申请人名称一致（补贴只拨付至申请人本单位账户）",
    "invalid": "取值无效",
}


@dataclass(frozen=True, slots=True)
class FieldError:
    field: str  # dotted path, e.g. "facts.investment_cost"
    code: str  # short snake_case code, e.g. "money_precision"
    message_en: str
    message_zh: str

    def to_json(self) -> dict[str, str]:
        return {"field": self.field, "code": self.code, "message_en": self.message_en, "message_zh": self.message_zh}


class InvalidApplication(ValueError):
    """The application is bad input (refused before any decision); `errors` says where and why."""

    def __init__(self, errors: list[FieldError]):
        self.errors = errors
        super().__init__("; ".join(e.message_en for e in errors))


def field_error(field: str, code: str, detail_en: str) -> FieldError:
    zh = MESSAGES_ZH.get(code, MESSAGES_ZH["invalid"])
    return FieldError(field, code, f"{field}: {detail_en}", f"{field}：{zh}")


def from_validation_error(exc: ValidationError, clause_ids: frozenset[str]) -> InvalidApplication:
    return InvalidApplication(field_errors(exc.errors(include_url=False), clause_ids))


def field_errors(pydantic_errors: Iterable[ErrorDetails], clause_ids: frozenset[str] = frozenset()) -> list[FieldError]:
    """pydantic's errors as ours: a dotted field, a short code, English and Chinese."""
    errors = []
    for err in pydantic_errors:
        loc = err["loc"]
        if loc and loc[0] in clause_ids:  # the discriminated union prefixes the clause tag
            loc = loc[1:]
        kind = err["type"]
        code = _CODES.get(kind, kind if kind in MESSAGES_ZH else "invalid")
        if kind.startswith("union_tag"):
            loc = ("clause",)
        field = ".".join(str(part) for part in loc) or "(application)"
        detail = _ENGLISH.get(code) or err["msg"]
        if code == "unknown_clause":
            detail = f"{err.get('ctx', {}).get('tag')!r} {detail}"
        errors.append(field_error(field, code, detail))
    return errors
