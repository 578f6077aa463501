"""What every page needs: the console's parts, the signed-in official, their role, and forms that
carry the session's CSRF token."""

from dataclasses import dataclass
from typing import Annotated
from urllib.parse import parse_qs

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import async_sessionmaker
from starlette.datastructures import UploadFile

from services.console import sessions
from services.console.rules import Expiry, csrf_matches
from services.console.sessions import Limits, Signed
from services.console.settings import ConsoleSettings
from services.console.upstream import Upstream, UpstreamRefused
from services.console.web.render import Pages
from shared.policy import CurrentPolicy, catalogue
from shared.secretbox import SecretBox

SESSION_COOKIE = "__Host-console-session"
SIGNIN_COOKIE = "__Host-console-signin"  # the sign-in form's own CSRF token (double submit)
MAX_FORM_BYTES = 64 * 1024
# A form carrying a policy version's text (eligibility takes at most 512 Ki characters, up to 4 bytes
# each in UTF-8, and a form may carry it twice: uploaded and pasted).
MAX_UPLOAD_BYTES = 4 * 1024 * 1024 + 64 * 1024


@dataclass
class Console:
    settings: ConsoleSettings
    db: async_sessionmaker
    box: SecretBox
    upstream: Upstream
    pages: Pages
    expiry: Expiry
    limits: Limits
    policy: CurrentPolicy

    @property
    def clauses(self) -> dict[str, dict]:
        """The policy's clauses by id, as its catalogue words them (no I/O)."""
        return {c["id"]: c for c in catalogue(self.policy.book)}


class NeedSignIn(Exception):
    pass


class NotAllowed(Exception):
    pass


class CsrfRefused(Exception):
    pass


class TooLarge(Exception):
    pass


def console(request: Request) -> Console:
    return request.app.state.console


async def current(request: Request) -> Signed | None:
    c = console(request)
    token = request.cookies.get(SESSION_COOKIE)
    me = await sessions.find(c.db, token, c.expiry) if token else None
    request.state.me = me
    return me


def allow(*roles: str):
    async def check(request: Request) -> Signed:
        me = await current(request)
        if me is None:
            raise NeedSignIn()
        if me.role not in roles:
            raise NotAllowed()
        return me

    return Depends(check)


Official = Annotated[Signed, allow("admin", "reviewer")]
Admin = Annotated[Signed, allow("admin")]
Reviewer = Annotated[Signed, allow("reviewer")]
Anyone = Annotated[Signed, allow("admin", "reviewer", "finance", "policy_admin")]
Money = Annotated[Signed, allow("admin", "finance")]
PolicyReader = Annotated[Signed, allow("policy_admin", "admin")]
PolicyAdmin = Annotated[Signed, allow("policy_admin")]


def key(request: Request, me: Signed) -> str:
    """The official's own API key, opened for this request only."""
    return console(request).box.open(me.api_key_sealed)


async def read_form(request: Request) -> dict[str, list[str]]:
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_FORM_BYTES:
            raise CsrfRefused()  # nothing of ours posts that much
    return parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True)


async def form(request: Request, me: Signed) -> dict[str, str]:
    """The posted form (first value of each field), once its CSRF token matched the session's."""
    fields = await read_form(request)
    if not csrf_matches(me.csrf_token, (fields.get("csrf_token") or [""])[0]):
        raise CsrfRefused()
    return {k: v[0] for k, v in fields.items()}


def confirmed(fields: dict[str, str]) -> None:
    """What cannot be undone (a cancellation, a clawback, a withdrawal) goes ahead only with its
    confirmation ticked: checked here as well as in the browser."""
    if fields.get("confirm") != "yes":
        raise UpstreamRefused(
            422,
            "not_confirmed",
            "此操作不可撤销：请勾选确认后再提交。",
            "This cannot be undone: tick the confirmation, then submit.",
            [{"field": "confirm", "message_zh": "请勾选确认", "message_en": "tick to confirm"}],
        )


@dataclass(frozen=True)
class Upload:
    fields: dict[str, str]  # each field's first value, as the browser sent it
    files: dict[str, bytes]  # each file chosen, as its bytes (empty when none was)


async def upload_form(request: Request, me: Signed) -> Upload:
    """A posted multipart form (a file may come with it), once its CSRF token matched the session's."""
    size = request.headers.get("content-length", "")
    if not size.isdigit() or int(size) > MAX_UPLOAD_BYTES:  # browsers always say how long a form is
        raise TooLarge()
    fields: dict[str, str] = {}
    files: dict[str, bytes] = {}
    async with request.form(max_files=2, max_fields=20, max_part_size=MAX_UPLOAD_BYTES) as posted:
        if not csrf_matches(me.csrf_token, str(posted.get("csrf_token") or "")):
            raise CsrfRefused()
        for name, value in posted.multi_items():
            if isinstance(value, UploadFile):
                files.setdefault(name, await value.read())
            else:
                fields.setdefault(name, value)
    return Upload(fields, files)
