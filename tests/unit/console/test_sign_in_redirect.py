"""After signing in, an official is sent back where they were going: on this site only."""

import pytest

from services.console.web.auth import _safe_next


@pytest.mark.parametrize(
    "target",
    [
        "/",
        "/applications?status=ineligible&q=91510100MA61R8XN39",
        "/rounds/2.3-alliance-chain/2024/candidates/9f1c2a4e-0d5b-4a57-9c61-2f0e8d3b7a10",
    ],
)
def test_a_path_of_this_site_is_kept(target):
    assert _safe_next(target) == target


@pytest.mark.parametrize(
    "target",
    [
        "//evil.example",
        "/\\evil.example",
        "https://evil.example/",
        "/\t/evil.example",
        "/\n/evil.example",
        "javascript:alert(1)",
        "",
        None,
        "applications",
    ],
)
def test_anything_that_could_lead_elsewhere_goes_to_the_start_page(target):
    assert _safe_next(target) == "/"
