"""Where a partner's webhook may point: a public address, over https.

Notify POSTs signed data wherever a partner says. Without these rules a partner could make our
servers call the cloud's metadata service, an admin port on the internal network, or our own
services' metrics, with our signature on the request. So, at registration (intake) and again at
every send (notify, on the address it then connects to, so that a DNS answer changed after
registration cannot slip through):

- the scheme is https;
- the host, however it is spelt (decimal, octal, hex or short IPv4 like `2130706433`, `0x7f.1`,
  `017700000001`, `127.1`; IPv6; IPv4 carried in IPv6), and every address a name resolves to, is
  a public one: not loopback, private, link-local, unique-local, site-local, carrier-grade NAT,
  multicast, unspecified, reserved, nor a cloud-metadata address. Classification is the standard
  library's `ipaddress` (`is_global` and friends); we only add what it cannot know: metadata
  services, and IPv4 addresses embedded in IPv6 ones;
- names that can only be local (`localhost`, `*.localhost`, `*.internal`) and metadata names are
  refused before any lookup.

`allow_private` (the WEBHOOK_ALLOW_PRIVATE_TARGETS setting, for development and tests) lets a
webhook reach loopback and private addresses, and over plain http there only. Metadata services,
multicast and the unspecified address stay refused even then.
"""

from __future__ import annotations

import asyncio
import socket
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_address

import httpx

from shared.settings import Settings

IPAddress = IPv4Address | IPv6Address

METADATA_ADDRESSES = frozenset(
    ip_address(a)
    for a in (
        "169.254.169.254",  # AWS, Google Cloud, Azure, Huawei Cloud, OpenStack
        "fd00:ec2::254",  # AWS over IPv6
        "169.254.170.2",  # AWS container credentials
        "100.100.100.200",  # Alibaba Cloud
        "169.254.0.23",  # Tencent Cloud
        "192.0.0.192",  # Oracle Cloud (classic)
    )
)
METADATA_NAMES = frozenset(
    {
        "metadata",
        "metadata.google.internal",
        "metadata.goog",
        "metadata.tencentyun.com",
        "instance-data",
        "instance-data.ec2.internal",
        "metadata.azure.com",
    }
)
LOCAL_ONLY_SUFFIXES = (".localhost", ".internal")  # RFC 6761; ICANN's private-use TLD

# Named only to say which kind of non-public address it is; `is_global` is what refuses them.
_CARRIER_GRADE_NAT = IPv4Network("100.64.0.0/10")
_UNIQUE_LOCAL = IPv6Network("fc00::/7")
_NAT64 = (IPv6Network("64:ff9b::/96"), IPv6Network("64:ff9b:1::/48"))  # RFC 6052, RFC 8215
_IPV4_COMPATIBLE = IPv6Network("::/96")
_DEFAULT_PORTS = {"https": 443, "http": 80}


class TargetRefused(ValueError):
    """The webhook may not point there; `code` says why, for the API's field error."""

    def __init__(self, code: str, message_en: str, message_zh: str):
        super().__init__(message_en)
        self.code, self.message_en, self.message_zh = code, message_en, message_zh


class TargetUnresolvable(TargetRefused):
    """The name did not resolve (now): refused at registration, retried at send time."""


@dataclass(frozen=True)
class Target:
    """A checked webhook URL and the addresses it was found to have: connect to these only."""

    url: httpx.URL
    host: str  # ASCII (IDNA) form, no brackets
    port: int
    addresses: tuple[IPAddress, ...]


def literal_address(host: str) -> IPAddress | None:
    """The address `host` spells, read the way the OS resolver reads it; None when it is a name."""
    bare = host.strip("[]")
    try:
        return ip_address(bare)
    except ValueError:
        pass
    try:
        # inet_aton is what getaddrinfo uses for numbers: decimal, octal, hex and short forms.
        return IPv4Address(socket.inet_aton(bare))
    except (OSError, ValueError):
        return None


def embedded_ipv4(address: IPAddress) -> IPv4Address | None:
    """The IPv4 address an IPv6 one carries (mapped, 6to4, Teredo client, NAT64, compatible)."""
    if isinstance(address, IPv4Address):
        return None
    if address.ipv4_mapped:
        return address.ipv4_mapped
    if address.sixtofour:
        return address.sixtofour
    if address.teredo:
        return address.teredo[1]
    if any(address in net for net in _NAT64) or (address in _IPV4_COMPATIBLE and int(address) > 1):
        return IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def non_public_kind(address: IPAddress) -> str | None:
    """Which kind of non-public address this is ("a loopback address" …), or None if it is public."""
    if address in METADATA_ADDRESSES:
        return "a cloud metadata address"
    if (carried := embedded_ipv4(address)) is not None and (kind := non_public_kind(carried)):
        return f"{kind} ({carried}, carried in IPv6)"
    if address.is_loopback:
        return "a loopback address"
    if address.is_unspecified:
        return "the unspecified address"
    if address.is_multicast:
        return "a multicast address"
    if address.is_link_local:
        return "a link-local address"
    if address in _CARRIER_GRADE_NAT:
        return "a carrier-grade NAT address"
    if address in _UNIQUE_LOCAL:
        return "a unique-local address"
    if getattr(address, "is_site_local", False):
        return "a site-local address"
    if address.is_reserved:
        return "a reserved address"
    if address.is_private:
        return "a private address"
    if not address.is_global:
        return "not a globally reachable address"
    return None


def _never_allowed(kind: str) -> bool:
    return kind.startswith(("a cloud metadata", "a multicast", "the unspecified"))


@dataclass(frozen=True)
class WebhookTargets:
    """The rules above, with the development switch and the time a lookup may take."""

    allow_private: bool = False
    resolve_timeout_s: float = 2.0

    @classmethod
    def from_settings(cls, settings: Settings) -> WebhookTargets:
        return cls(settings.webhook_allow_private_targets, settings.webhook_resolve_timeout_s)

    def parse(self, url: str) -> tuple[httpx.URL, str, int]:
        """The URL, its host (ASCII, no brackets) and port; refused if the scheme or name is not allowed."""
        try:
            parsed = httpx.URL(url)
            host = parsed.raw_host.decode("ascii").lower()
        except (httpx.InvalidURL, UnicodeError):
            raise TargetRefused("invalid_url", "is not a usable URL", "不是可用的 URL") from None
        if parsed.scheme not in _DEFAULT_PORTS or not host:
            raise TargetRefused("insecure_scheme", "must be an https URL", "须为 https 地址")
        if parsed.scheme == "http" and not self.allow_private:
            raise TargetRefused(
                "insecure_scheme",
                "must be an https URL (plain http is for development only)",
                "须为 https 地址（http 仅限开发环境）",
            )
        name = host.rstrip(".")
        if name in METADATA_NAMES:
            raise TargetRefused("forbidden_target", f"{host} is a cloud metadata service", f"{host} 是云元数据服务")
        if (name == "localhost" or name.endswith(LOCAL_ONLY_SUFFIXES)) and not self.allow_private:
            raise TargetRefused(
                "forbidden_target",
                f"{host} can only name a local machine; webhooks must be public",
                f"{host} 只能指向本地主机，回调地址须为公网地址",
            )
        return parsed, host, parsed.port or _DEFAULT_PORTS[parsed.scheme]

    def refuse_addresses(self, parsed: httpx.URL, host: str, addresses: tuple[IPAddress, ...]) -> None:
        """Refuses unless every address is allowed (one bad answer is enough to refuse)."""
        for address in addresses:
            kind = non_public_kind(address)
            if kind and (_never_allowed(kind) or not self.allow_private):
                if literal_address(host) is None:
                    en, zh = f"{host} resolves to {address}, {kind}", f"{host} 解析为非公网地址 {address}"
                else:
                    en, zh = f"{address} is {kind}", f"{address} 不是公网地址"
                raise TargetRefused(
                    "forbidden_target", f"{en}; webhooks must reach a public address", f"{zh}，回调地址须为公网地址"
                )
            if parsed.scheme == "http" and not kind:
                raise TargetRefused(
                    "insecure_scheme",
                    "must be an https URL (plain http only to a local receiver)",
                    "须为 https 地址（http 仅限本地测试接收端）",
                )

    async def check(self, url: str) -> Target:
        """The target, with the addresses found for it now; TargetRefused if any is not allowed."""
        parsed, host, port = self.parse(url)
        addresses = await self.resolve(host, port)
        self.refuse_addresses(parsed, host, addresses)
        return Target(parsed, host, port, addresses)

    async def resolve(self, host: str, port: int) -> tuple[IPAddress, ...]:
        if (literal := literal_address(host)) is not None:
            return (literal,)
        try:
            async with asyncio.timeout(self.resolve_timeout_s):
                infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except TimeoutError:
            raise TargetUnresolvable(
                "unresolvable_host",
                f"{host} did not resolve within {self.resolve_timeout_s:g} s",
                f"{host} 域名解析超时",
            ) from None
        except (socket.gaierror, UnicodeError) as e:
            raise TargetUnresolvable(
                "unresolvable_host", f"{host} does not resolve ({getattr(e, 'strerror', e)})", f"{host} 无法解析"
            ) from None
        # An IPv4 or IPv6 socket address (all a name resolves to) starts with the address as text.
        hosts = [info[4][0] for info in infos]
        # Scope ids ("fe80::1%eth0") are dropped: they do not change what kind of address it is.
        return tuple(dict.fromkeys(ip_address(h.split("%")[0]) for h in hosts if isinstance(h, str)))


def pinned_request(target: Target, address: IPAddress) -> tuple[httpx.URL, dict[str, str], dict[str, str]]:
    """The URL, headers and extensions that reach `address` exactly, as if the name had resolved to
    it: the Host header and TLS server name (SNI, and the certificate checked) stay the name."""
    url = target.url.copy_with(host=str(address))
    headers = {"Host": target.url.netloc.decode("ascii")}
    extensions = {"sni_hostname": target.host} if target.url.scheme == "https" else {}
    return url, headers, extensions
