"""rounds, panels, reviews, notices, objections, quota slots; the API-key replica

Revision ID: 683bf5f4af92
Revises: 480ab61921b5
Create Date: 2026-11-26 20:40:56.845279
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "683bf5f4af92"
down_revision = "480ab61921b5"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "api_keys",
        sa.Column("key_id", sa.Text(), nullable=False),
        sa.Column("partner_id", sa.Text(), nullable=False),
        sa.Column("role", sa.Text(), nullable=False),
        sa.Column("requests_per_second", sa.Numeric(precision=10, scale=2), nullable=False),
        sa.Column("secret_hash", sa.Text(), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("key_id", name=op.f("pk_api_keys")),
        schema="quota",
    )
    op.create_table(
        "candidate_details",
        sa.Column("application_id", sa.UUID(), nullable=False),
        sa.Column("clause", sa.Text(), nullable=False),
        sa.Column("applicant_name", sa.Text(), nullable=False),
        sa.Column("applicant_kind", sa.Text(), nullable=False),
        sa.Column("project", sa.Text(), nullable=True),
        sa.Column("grants", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("indicators", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.PrimaryKeyConstraint("application_id", name=op.f("pk_candidate_details")),
        schema="quota",
    )
    op.create_table(
        "rounds",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("clause", sa.Text(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("quota", sa.Integer(), nullable=False),
        sa.Column("deadline", sa.DateTime(timezone=True), nullable=False),
        sa.Column("min_reviews", sa.Integer(), nullable=False),
        sa.Column("min_score", sa.Numeric(precision=5, scale=2), nullable=False),
        sa.Column("notice_working_days", sa.Integer(), nullable=False),
        sa.Column("state", sa.Text(), nullable=False),
        sa.Column("created_by", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "state IN ('open', 'closed', 'in_review', 'ranked', 'in_notice', 'concluded')", name="ck_rounds_state"
        ),
        sa.CheckConstraint("min_reviews >= 1", name="ck_rounds_min_reviews"),
        sa.CheckConstraint("min_score BETWEEN 0 AND 100", name="ck_rounds_min_score"),
        sa.CheckConstraint("notice_working_days >= 1", name="ck_rounds_notice_days"),
        sa.CheckConstraint("quota BETWEEN 1 AND 100", name="ck_rounds_quota"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rounds")),
        sa.UniqueConstraint("clause", "year", name="uq_rounds_clause_year"),
        sa.UniqueConstraint("id", "quota", name="uq_rounds_id_quota"),
        schema="quota",
    )
    op.create_table(
        "notices",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("round_id", sa.UUID(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("published_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("kind IN ('initial', 'promotion')", name="ck_notices_kind"),
        sa.CheckConstraint("ends_on >= published_on", name="ck_notices_dates"),
        sa.ForeignKeyConstraint(["round_id"], ["quota.rounds.id"], name=op.f("fk_notices_round_id")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notices")),
        schema="quota",
    )
    op.create_index(op.f("ix_notices_round_id"), "notices", ["round_id"], unique=False, schema="quota")
    op.create_table(
        "panel",
        sa.Column("round_id", sa.UUID(), nullable=False),
        sa.Column("reviewer_id", sa.Text(), nullable=False),
        sa.Column("assigned_by", sa.Text(), nullable=False),
        sa.Column("assigned_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["round_id"], ["quota.rounds.id"], name=op.f("fk_panel_round_id")),
        sa.PrimaryKeyConstraint("round_id", "reviewer_id", name="pk_panel"),
        schema="quota",
    )
    op.create_table(
        "round_transitions",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("round_id", sa.UUID(), nullable=False),
        sa.Column("previous", sa.Text(), nullable=True),
        sa.Column("state", sa.Text(), nullable=False),
        sa.Column("by", sa.Text(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["round_id"], ["quota.rounds.id"], name=op.f("fk_round_transitions_round_id")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_round_transitions")),
        schema="quota",
    )
    op.create_index(
        op.f("ix_round_transitions_round_id"), "round_transitions", ["round_id"], unique=False, schema="quota"
    )
    op.create_table(
        "conflicts",
        sa.Column("application_id", sa.UUID(), nullable=False),
        sa.Column("reviewer_id", sa.Text(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("declared_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["application_id"], ["quota.candidates.application_id"], name=op.f("fk_conflicts_application_id")
        ),
        sa.PrimaryKeyConstraint("application_id", "reviewer_id", name="pk_conflicts"),
        schema="quota",
    )
    op.create_table(
        "objections",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("round_id", sa.UUID(), nullable=False),
        sa.Column("application_id", sa.UUID(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("contact", sa.Text(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("filed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("decided_by", sa.Text(), nullable=True),
        sa.Column("decision_reason", sa.Text(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "status = 'open' OR (decided_by IS NOT NULL AND decision_reason IS NOT NULL)", name="ck_objections_decided"
        ),
        sa.CheckConstraint("status IN ('open', 'upheld', 'dismissed')", name="ck_objections_status"),
        sa.ForeignKeyConstraint(
            ["application_id"], ["quota.candidates.application_id"], name=op.f("fk_objections_application_id")
        ),
        sa.ForeignKeyConstraint(["round_id"], ["quota.rounds.id"], name=op.f("fk_objections_round_id")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_objections")),
        schema="quota",
    )
    op.create_index(op.f("ix_objections_round_id"), "objections", ["round_id"], unique=False, schema="quota")
    op.create_table(
        "reviews",
        sa.Column("application_id", sa.UUID(), nullable=False),
        sa.Column("reviewer_id", sa.Text(), nullable=False),
        sa.Column("scores", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("score", sa.Numeric(precision=5, scale=2), nullable=True),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "status = 'draft' OR (score IS NOT NULL AND submitted_at IS NOT NULL)", name="ck_reviews_submitted_complete"
        ),
        sa.CheckConstraint("status IN ('draft', 'submitted')", name="ck_reviews_status"),
        sa.ForeignKeyConstraint(
            ["application_id"], ["quota.candidates.application_id"], name=op.f("fk_reviews_application_id")
        ),
        sa.PrimaryKeyConstraint("application_id", "reviewer_id", name="pk_reviews"),
        schema="quota",
    )
    op.create_table(
        "slots",
        sa.Column("round_id", sa.UUID(), nullable=False),
        sa.Column("quota", sa.Integer(), nullable=False),
        sa.Column("slot", sa.Integer(), nullable=False),
        sa.Column("application_id", sa.UUID(), nullable=False),
        sa.CheckConstraint("slot BETWEEN 1 AND quota", name="ck_slots_within_quota"),
        sa.ForeignKeyConstraint(
            ["application_id"], ["quota.candidates.application_id"], name=op.f("fk_slots_application_id")
        ),
        sa.ForeignKeyConstraint(
            ["round_id", "quota"], ["quota.rounds.id", "quota.rounds.quota"], name="fk_slots_round_quota"
        ),
        sa.PrimaryKeyConstraint("round_id", "slot", name="pk_slots"),
        sa.UniqueConstraint("application_id", name=op.f("uq_slots_application_id")),
        schema="quota",
    )
    op.add_column("candidates", sa.Column("round_id", sa.UUID(), nullable=True), schema="quota")
    op.add_column(
        "candidates", sa.Column("standing", sa.Text(), server_default="awaiting_round", nullable=False), schema="quota"
    )
    op.add_column("candidates", sa.Column("rank", sa.Integer(), nullable=True), schema="quota")
    op.add_column(
        "candidates", sa.Column("explanation", postgresql.JSONB(astext_type=sa.Text()), nullable=True), schema="quota"
    )
    op.add_column("candidates", sa.Column("notice_id", sa.UUID(), nullable=True), schema="quota")
    op.add_column("candidates", sa.Column("result_reason", sa.Text(), nullable=True), schema="quota")
    op.create_check_constraint(
        "ck_candidates_standing",
        "candidates",
        "standing IN ('awaiting_round', 'refused', "
        "'candidate', 'proposed', 'waitlisted', 'below_minimum', 'held', 'removed', 'selected', "
        "'not_selected')",
        schema="quota",
    )
    op.create_index("ix_candidates_clause_year", "candidates", ["clause", "year"], unique=False, schema="quota")
    op.create_index("ix_candidates_round", "candidates", ["round_id", "standing"], unique=False, schema="quota")
    op.create_foreign_key(
        op.f("fk_candidates_notice_id"),
        "candidates",
        "notices",
        ["notice_id"],
        ["id"],
        source_schema="quota",
        referent_schema="quota",
    )
    op.create_foreign_key(
        op.f("fk_candidates_round_id"),
        "candidates",
        "rounds",
        ["round_id"],
        ["id"],
        source_schema="quota",
        referent_schema="quota",
    )


def downgrade() -> None:
    op.drop_constraint(op.f("fk_candidates_round_id"), "candidates", schema="quota", type_="foreignkey")
    op.drop_constraint(op.f("fk_candidates_notice_id"), "candidates", schema="quota", type_="foreignkey")
    op.drop_constraint("ck_candidates_standing", "candidates", schema="quota", type_="check")
    op.drop_index("ix_candidates_round", table_name="candidates", schema="quota")
    op.drop_index("ix_candidates_clause_year", table_name="candidates", schema="quota")
    op.drop_column("candidates", "result_reason", schema="quota")
    op.drop_column("candidates", "notice_id", schema="quota")
    op.drop_column("candidates", "explanation", schema="quota")
    op.drop_column("candidates", "rank", schema="quota")
    op.drop_column("candidates", "standing", schema="quota")
    op.drop_column("candidates", "round_id", schema="quota")
    op.drop_table("slots", schema="quota")
    op.drop_table("reviews", schema="quota")
    op.drop_index(op.f("ix_objections_round_id"), table_name="objections", schema="quota")
    op.drop_table("objections", schema="quota")
    op.drop_table("conflicts", schema="quota")
    op.drop_index(op.f("ix_round_transitions_round_id"), table_name="round_transitions", schema="quota")
    op.drop_table("round_transitions", schema="quota")
    op.drop_table("panel", schema="quota")
    op.drop_index(op.f("ix_notices_round_id"), table_name="notices", schema="quota")
    op.drop_table("notices", schema="quota")
    op.drop_table("rounds", schema="quota")
    op.drop_table("candidate_details", schema="quota")
    op.drop_table("api_keys", schema="quota")
