"""A process's book changes whole when a version is published or withdrawn: readers take the new one
from then on, documents built from the old one are built again, and a text is taken only as the
version it is held as."""

import httpx
import pytest
from sqlalchemy import Column, MetaData, Table, Text, true

from shared.policy import CurrentPolicy, PolicyBook, PolicyDataError, load_policies
from shared.policy_versions import PublishedVersions, Source, content_hash
from tests.policy_files import DISTRICT_NODE, illustration

DISTRICT = illustration("bars-district-2025", "2025-02-10", "2027-02-09", extra=DISTRICT_NODE)
TABLE = Table("published", MetaData(), Column("version_id", Text), Column("content_hash", Text), Column("source", Text))


def test_replace_swaps_the_book_and_tells_who_built_something_from_it():
    policy = CurrentPolicy(load_policies())
    taken = policy.book  # a unit of work under way keeps the book it took
    told: list[PolicyBook] = []
    policy.on_replace(told.append)
    successor = PublishedVersions(policy, TABLE, true()).book_with(
        [Source("bars-district-2025", content_hash(DISTRICT), DISTRICT)]
    )
    policy.replace(successor)
    assert policy.book is successor and told == [successor]
    assert [v.id for v in successor.versions] == ["chengdu-blockchain-2023", "bars-district-2025"]
    assert [v.id for v in taken.versions] == ["chengdu-blockchain-2023"]


def test_a_text_is_taken_only_as_the_version_it_is_held_as():
    published = PublishedVersions(CurrentPolicy(load_policies()), TABLE, true())
    with pytest.raises(PolicyDataError, match="not what it is held as"):
        published.book_with([Source("bars-district-2025", content_hash(DISTRICT + " "), DISTRICT)])
    with pytest.raises(PolicyDataError, match="not what it is held as"):
        published.book_with([Source("another-id", content_hash(DISTRICT), DISTRICT)])
    twin = illustration("chengdu-blockchain-2023", "2025-02-10", "2027-02-09")  # a bundled id, another text
    with pytest.raises(PolicyDataError, match="share an id"):
        published.book_with([Source("chengdu-blockchain-2023", content_hash(twin), twin)])


async def test_a_services_document_describes_the_book_it_has_now():
    from services.intake.main import create_app
    from shared.secretbox import new_key
    from shared.settings import Settings

    intake = create_app(
        Settings(database_url="postgresql://x@localhost/x", kafka_bootstrap_servers="-", secrets_key=new_key())
    )
    policy = intake.state.runtime.wiring.policy

    async def examples() -> set[str]:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=intake), base_url="http://intake") as client:
            document = (await client.get("/openapi.json")).json()
        body = document["paths"]["/v1/applications"]["post"]["requestBody"]["content"]["application/json"]
        assert "500" in document["paths"]["/v1/applications"]["post"]["responses"]  # errors documented again too
        return set(body["examples"])

    assert "9.1-district-node" not in await examples()
    policy.replace(
        PublishedVersions(policy, TABLE, true()).book_with(
            [Source("bars-district-2025", content_hash(DISTRICT), DISTRICT)]
        )
    )
    assert "9.1-district-node" in await examples()
