"""What the database says when a statement fails never carries the values bound to it: those are
applicants' data and secrets, and error messages end up in logs."""

import uuid
from decimal import Decimal

import pytest
from sqlalchemy.exc import IntegrityError

from services.intake import partners
from services.intake.tables import SCHEMA
from shared import migrations
from tests.infra import create_database
from tests.wiring import wired

pytestmark = pytest.mark.integration


async def test_an_integrity_errors_text_carries_no_bound_values(postgres):
    url = await create_database(postgres.url_template, f"test_errors_{uuid.uuid4().hex[:8]}")
    await migrations.upgrade("intake", SCHEMA, url)
    name = f"partner-{uuid.uuid4().hex}"
    async with wired(url, "intake") as intake:
        await partners.create(intake, name, requests_per_second=Decimal("12.5"))
        with pytest.raises(IntegrityError) as conflict:
            await partners.create(intake, name, requests_per_second=Decimal("12.5"))
    text = str(conflict.value)
    assert "duplicate key value violates unique constraint" in text  # the error is the one provoked
    assert "parameters hidden" in text
    assert name not in text and "12.5" not in text
