"""grants recorded before identifiers were normalised are keyed by their normalised form

A subject's key is compared as recorded, so an old `node_id=SN-001` must become `node_id=sn-001`
to be found by a claim for `ｓｎ－００１`. Where two old rows meet under one key (the same subject
paid twice under two spellings, before this fix) the later keeps its history under a key of its
own, `…#also-<application id>`, and the earlier holds the subject.

Revision ID: 0003_normalised_subject_keys
Revises: 0002_grants_keyed_by_rule
"""

import sqlalchemy as sa
from alembic import op

from shared.policy.text import identifier_key

revision = "0003_normalised_subject_keys"
down_revision = "0002_grants_keyed_by_rule"
branch_labels = None
depends_on = None
S = "eligibility"


def upgrade() -> None:
    conn = op.get_bind()
    rows = conn.execute(
        sa.text(
            f"SELECT credit_code, subject_key, clause, project_id, application_id, granted_at "
            f"FROM {S}.grants ORDER BY granted_at, application_id"
        )
    ).all()
    taken = {(r.credit_code, r.subject_key, r.clause) for r in rows if identifier_key(r.subject_key) == r.subject_key}
    for r in rows:
        key = identifier_key(r.subject_key)
        project = identifier_key(r.project_id) if r.project_id is not None else None
        if key == r.subject_key and project == r.project_id:
            continue
        if (r.credit_code, key, r.clause) in taken:
            key = f"{key}#also-{r.application_id}"
        taken.add((r.credit_code, key, r.clause))
        conn.execute(
            sa.text(
                f"UPDATE {S}.grants SET subject_key = :key, project_id = :project "
                f"WHERE credit_code = :code AND subject_key = :old AND clause = :clause"
            ),
            {"key": key, "project": project, "code": r.credit_code, "old": r.subject_key, "clause": r.clause},
        )


def downgrade() -> None:
    pass  # the old spellings are not kept: a normalised key is as good a key
