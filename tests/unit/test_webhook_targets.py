"""The rules a webhook target must pass, without the network: how hosts are read, which addresses
are public, what the development switch allows, and how a checked address is pinned."""

import asyncio
import datetime as dt
import socket
import ssl
from ipaddress import ip_address

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from shared.webhook_targets import (
    Target,
    TargetRefused,
    WebhookTargets,
    literal_address,
    non_public_kind,
    pinned_request,
)

PRODUCTION, DEVELOPMENT = WebhookTargets(), WebhookTargets(allow_private=True)


@pytest.mark.parametrize(
    "spelt",
    [
        "127.0.0.1",
        "2130706433",
        "017700000001",
        "0x7f000001",
        "0x7f.1",
        "127.1",
        "0177.0.0.01",
        "0x7F.0.0.1",
        "169.254.169.254",
        "2852039166",
        "0xa9fea9fe",
        "0251.0376.0251.0376",
        "10.5",
        "0",
        "::1",
        "[::ffff:127.0.0.1]",
        "fd00:ec2::254",
    ],
)
def test_a_host_is_read_as_the_operating_systems_resolver_reads_it(spelt):
    resolver_says = socket.getaddrinfo(spelt.strip("[]"), 443, type=socket.SOCK_STREAM)[0][4][0]
    assert literal_address(spelt) == ip_address(resolver_says)


@pytest.mark.parametrize("name", ["portal.example.cn", "localhost", "127.0.0.1.example.cn", "0x7g.1", ""])
def test_a_name_is_not_an_address(name):
    assert literal_address(name) is None


@pytest.mark.parametrize(
    "address, kind",
    [
        ("127.0.0.1", "a loopback address"),
        ("::1", "a loopback address"),
        ("10.0.0.5", "a private address"),
        ("172.31.255.255", "a private address"),
        ("192.168.0.1", "a private address"),
        ("169.254.169.254", "a cloud metadata address"),
        ("fd00:ec2::254", "a cloud metadata address"),
        ("100.100.100.200", "a cloud metadata address"),
        ("169.254.3.4", "a link-local address"),
        ("fe80::1", "a link-local address"),
        ("fd12::1", "a unique-local address"),
        ("fec0::1", "a site-local address"),
        ("100.64.0.1", "a carrier-grade NAT address"),
        ("100.127.255.254", "a carrier-grade NAT address"),
        ("224.0.0.251", "a multicast address"),
        ("ff05::2", "a multicast address"),
        ("0.0.0.0", "the unspecified address"),
        ("::", "the unspecified address"),
        ("240.0.0.1", "a reserved address"),
        ("192.0.2.1", "a private address"),  # documentation range
        ("::ffff:10.0.0.5", "a private address (10.0.0.5, carried in IPv6)"),
        ("64:ff9b::a9fe:a9fe", "a cloud metadata address (169.254.169.254, carried in IPv6)"),
        ("2002:c0a8:101::1", "a private address (192.168.1.1, carried in IPv6)"),
        ("::ffff:8.8.8.8", "a reserved address"),  # a public IPv4 address is registered as itself
    ],
)
def test_every_kind_of_non_public_address_is_named(address, kind):
    assert non_public_kind(ip_address(address)) == kind


@pytest.mark.parametrize("address", ["93.184.215.14", "8.8.8.8", "100.128.0.1", "2606:4700::1111", "2002:808:808::1"])
def test_a_public_address_is_public(address):
    assert non_public_kind(ip_address(address)) is None


def check(rules: WebhookTargets, url: str) -> Target:
    return asyncio.run(rules.check(url))


def refusal(rules: WebhookTargets, url: str) -> str:
    with pytest.raises(TargetRefused) as refused:
        check(rules, url)
    return refused.value.code


def test_a_public_https_address_is_allowed_and_plain_http_never_is_by_default():
    assert check(PRODUCTION, "https://93.184.215.14:8443/hooks").addresses == (ip_address("93.184.215.14"),)
    assert refusal(PRODUCTION, "http://93.184.215.14/hooks") == "insecure_scheme"
    assert refusal(PRODUCTION, "ftp://93.184.215.14/hooks") == "insecure_scheme"


def test_development_allows_local_receivers_over_http_but_never_metadata_multicast_or_public_http():
    assert check(DEVELOPMENT, "http://127.0.0.1:8004/hooks").addresses == (ip_address("127.0.0.1"),)
    assert check(DEVELOPMENT, "http://localhost:8004/hooks").addresses
    assert check(DEVELOPMENT, "https://10.0.0.5/hooks").addresses
    assert refusal(DEVELOPMENT, "http://169.254.169.254/latest/meta-data") == "forbidden_target"
    assert refusal(DEVELOPMENT, "https://metadata.google.internal/") == "forbidden_target"
    assert refusal(DEVELOPMENT, "https://224.0.0.1/") == "forbidden_target"
    assert refusal(DEVELOPMENT, "http://93.184.215.14/hooks") == "insecure_scheme"


def test_a_name_that_does_not_resolve_is_refused_as_unresolvable():
    assert refusal(PRODUCTION, "https://portal.invalid/hooks") == "unresolvable_host"


def test_a_checked_name_is_called_on_its_checked_address_with_its_own_name_for_host_and_tls():
    target = Target(
        httpx.URL("https://portal.example.cn:8443/hooks?x=1"),
        "portal.example.cn",
        8443,
        (ip_address("93.184.215.14"), ip_address("2606:2800:21f:cb07:6820:80da:af6b:8b2c")),
    )
    url, headers, extensions = pinned_request(target, target.addresses[1])
    assert str(url) == "https://[2606:2800:21f:cb07:6820:80da:af6b:8b2c]:8443/hooks?x=1"
    assert headers == {"Host": "portal.example.cn:8443"}
    assert extensions == {"sni_hostname": "portal.example.cn"}


def self_signed(name: str, directory) -> tuple[str, str]:
    """A certificate for `name` only (no address in it), and its key, as PEM files."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=1))
        .not_valid_after(now + dt.timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return str(cert_path), str(key_path)


async def test_a_pinned_https_request_still_verifies_the_certificate_of_the_name(tmp_path):
    cert, key = self_signed("portal.test", tmp_path)
    server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_tls.load_cert_chain(cert, key)
    server_names, seen = [], []
    server_tls.sni_callback = lambda ssl_socket, name, context: server_names.append(name)

    async def answer(reader, writer):
        request = await reader.readuntil(b"\r\n\r\n")
        seen.append(request.split(b"\r\n")[:2])
        writer.write(b"HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n")
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(answer, "127.0.0.1", 0, ssl=server_tls)
    port = server.sockets[0].getsockname()[1]
    target = Target(httpx.URL(f"https://portal.test:{port}/hooks"), "portal.test", port, (ip_address("127.0.0.1"),))
    try:
        async with httpx.AsyncClient(verify=ssl.create_default_context(cafile=cert), trust_env=False) as client:
            url, headers, extensions = pinned_request(target, target.addresses[0])
            response = await client.post(url, content=b"{}", headers=headers, extensions=extensions)
            assert response.status_code == 204
            # Without the name, the same address fails verification: the certificate is the name's.
            with pytest.raises(httpx.ConnectError, match=r"CERTIFICATE_VERIFY_FAILED|match"):
                await client.post(url, content=b"{}", headers=headers)
    finally:
        server.close()
        await server.wait_closed()
    assert seen == [[b"POST /hooks HTTP/1.1", f"Host: portal.test:{port}".encode()]]
    assert server_names[0] == "portal.test"  # the TLS server name (SNI) was the name, not the address
