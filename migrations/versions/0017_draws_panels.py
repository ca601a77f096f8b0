"""random draws, evaluation experts and panels

`draws` (core.draws): reproducible random draws (seed commitment, pool snapshot, result, reveal);
`experts`: evaluation experts of a city's pool (accounts in a new organisation kind
`expert_pool`, administered by the city's finance office); `expert_draw_rules`: the dated rule
of expert draws (recent-service period; national default seeded here); `evaluation_panels` and
`panel_members`: panels drawn for a lot or a tender and their seats.

Revision ID: 0017_draws_panels
Revises: 0016_opening
Create Date: 2026-12-03 13:17:39.491335

"""
import datetime as dt

from alembic import op
import sqlalchemy as sa


revision = '0017_draws_panels'
down_revision = '0016_opening'
branch_labels = None
depends_on = None

ORG_KINDS_BEFORE = ('supplier', 'purchaser', 'procurement_centre', 'finance_office', 'inspection_authority', 'platform')
ORG_KINDS_AFTER = ORG_KINDS_BEFORE + ('expert_pool',)

#: The national default of the expert-draw rule: an expert who served on a panel for a
#: purchaser stays out of that purchaser's draws for 90 days (a configurable default, not law:
#: cities add their own dated rows).
NATIONAL_RULE = {"city_id": None, "effective_from": dt.date(2020, 1, 1), "recent_service_days": 90,
                 "note": "National default (configurable): 90 days before serving the same purchaser again."}


def _org_kinds(kinds):
    """Replace the organisations.kind check (SQLite: batch mode recreates the table)."""
    with op.batch_alter_table('organisations', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_organisations_kind'), type_='check')
        batch_op.create_check_constraint('kind', "kind IN ('" + "','".join(kinds) + "')")


def upgrade():
    _org_kinds(ORG_KINDS_AFTER)
    op.create_table('draws',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('purpose', sa.String(length=40), nullable=False),
    sa.Column('subject', sa.String(length=80), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('algorithm', sa.String(length=40), nullable=False),
    sa.Column('commitment', sa.String(length=64), nullable=False),
    sa.Column('seed', sa.String(length=64), nullable=False),
    sa.Column('parent_id', sa.Integer(), nullable=True),
    sa.Column('size', sa.Integer(), nullable=True),
    sa.Column('strata', sa.JSON(), nullable=True),
    sa.Column('pool_snapshot', sa.Text(), nullable=True),
    sa.Column('pool_sha256', sa.String(length=64), nullable=True),
    sa.Column('pool_size', sa.Integer(), nullable=True),
    sa.Column('excluded_count', sa.Integer(), nullable=True),
    sa.Column('result', sa.JSON(), nullable=True),
    sa.Column('committed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('drawn_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revealed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('committed_by_id', sa.Integer(), nullable=True),
    sa.Column('drawn_by_id', sa.Integer(), nullable=True),
    sa.Column('revealed_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("status IN ('committed','drawn','revealed','cancelled')", name=op.f('ck_draws_status')),
    sa.ForeignKeyConstraint(['committed_by_id'], ['users.id'], name=op.f('fk_draws_committed_by_id_users')),
    sa.ForeignKeyConstraint(['drawn_by_id'], ['users.id'], name=op.f('fk_draws_drawn_by_id_users')),
    sa.ForeignKeyConstraint(['parent_id'], ['draws.id'], name=op.f('fk_draws_parent_id_draws')),
    sa.ForeignKeyConstraint(['revealed_by_id'], ['users.id'], name=op.f('fk_draws_revealed_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_draws'))
    )
    with op.batch_alter_table('draws', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_draws_parent_id'), ['parent_id'], unique=False)
        batch_op.create_index('ix_draws_purpose_subject', ['purpose', 'subject'], unique=False)

    op.create_table('expert_draw_rules',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('city_id', sa.Integer(), nullable=True),
    sa.Column('effective_from', sa.Date(), nullable=False),
    sa.Column('recent_service_days', sa.Integer(), nullable=False),
    sa.Column('note', sa.String(length=300), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('recent_service_days BETWEEN 0 AND 3650', name=op.f('ck_expert_draw_rules_recent_service_days')),
    sa.ForeignKeyConstraint(['city_id'], ['cities.id'], name=op.f('fk_expert_draw_rules_city_id_cities')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_expert_draw_rules_created_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_expert_draw_rules'))
    )
    with op.batch_alter_table('expert_draw_rules', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_expert_draw_rules_city_id'), ['city_id'], unique=False)
        batch_op.create_index('uq_expert_draw_rules_city', ['city_id', 'effective_from'], unique=True, sqlite_where=sa.text('city_id IS NOT NULL'), postgresql_where=sa.text('city_id IS NOT NULL'))
        batch_op.create_index('uq_expert_draw_rules_national', ['effective_from'], unique=True, sqlite_where=sa.text('city_id IS NULL'), postgresql_where=sa.text('city_id IS NULL'))

    op.create_table('experts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('pool_org_id', sa.Integer(), nullable=False),
    sa.Column('city_id', sa.Integer(), nullable=False),
    sa.Column('specialities', sa.JSON(), nullable=False),
    sa.Column('employer_name', sa.String(length=200), nullable=False),
    sa.Column('employer_credit_code', sa.String(length=18), nullable=True),
    sa.Column('province', sa.String(length=80), nullable=False),
    sa.Column('locality', sa.String(length=80), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('deactivated_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_served_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['city_id'], ['cities.id'], name=op.f('fk_experts_city_id_cities')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_experts_created_by_id_users')),
    sa.ForeignKeyConstraint(['pool_org_id'], ['organisations.id'], name=op.f('fk_experts_pool_org_id_organisations')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_experts_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_experts')),
    sa.UniqueConstraint('user_id', name=op.f('uq_experts_user_id'))
    )
    with op.batch_alter_table('experts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_experts_city_id'), ['city_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_experts_employer_credit_code'), ['employer_credit_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_experts_pool_org_id'), ['pool_org_id'], unique=False)

    op.create_table('evaluation_panels',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tender_id', sa.Integer(), nullable=False),
    sa.Column('lot_id', sa.Integer(), nullable=True),
    sa.Column('scope', sa.String(length=40), nullable=False),
    sa.Column('city_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('budget_fen', sa.BigInteger(), nullable=False),
    sa.Column('profile_id', sa.Integer(), nullable=True),
    sa.Column('recent_service_days', sa.Integer(), nullable=False),
    sa.Column('draw_id', sa.Integer(), nullable=False),
    sa.Column('pending_draw_id', sa.Integer(), nullable=True),
    sa.Column('evaluation_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('venue', sa.String(length=300), nullable=False),
    sa.Column('project_ids', sa.JSON(), nullable=False),
    sa.Column('purchaser_org_ids', sa.JSON(), nullable=False),
    sa.Column('requested_by_id', sa.Integer(), nullable=True),
    sa.Column('requested_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('drawn_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('completed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('cancelled_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('cancel_reason', sa.Text(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("status IN ('requested', 'inviting', 'complete', 'cancelled')", name=op.f('ck_evaluation_panels_status')),
    sa.CheckConstraint('size >= 1', name=op.f('ck_evaluation_panels_size')),
    sa.ForeignKeyConstraint(['city_id'], ['cities.id'], name=op.f('fk_evaluation_panels_city_id_cities')),
    sa.ForeignKeyConstraint(['draw_id'], ['draws.id'], name=op.f('fk_evaluation_panels_draw_id_draws')),
    sa.ForeignKeyConstraint(['lot_id'], ['lots.id'], name=op.f('fk_evaluation_panels_lot_id_lots')),
    sa.ForeignKeyConstraint(['pending_draw_id'], ['draws.id'], name=op.f('fk_evaluation_panels_pending_draw_id_draws')),
    sa.ForeignKeyConstraint(['profile_id'], ['procedure_profiles.id'], name=op.f('fk_evaluation_panels_profile_id_procedure_profiles')),
    sa.ForeignKeyConstraint(['requested_by_id'], ['users.id'], name=op.f('fk_evaluation_panels_requested_by_id_users')),
    sa.ForeignKeyConstraint(['tender_id'], ['tenders.id'], name=op.f('fk_evaluation_panels_tender_id_tenders'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_evaluation_panels'))
    )
    with op.batch_alter_table('evaluation_panels', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_evaluation_panels_city_id'), ['city_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_evaluation_panels_lot_id'), ['lot_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_evaluation_panels_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_evaluation_panels_tender_id'), ['tender_id'], unique=False)
        batch_op.create_index('uq_evaluation_panels_live_scope', ['scope'], unique=True, sqlite_where=sa.text("status <> 'cancelled'"), postgresql_where=sa.text("status <> 'cancelled'"))

    op.create_table('panel_members',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('panel_id', sa.Integer(), nullable=False),
    sa.Column('seat', sa.Integer(), nullable=False),
    sa.Column('expert_id', sa.Integer(), nullable=False),
    sa.Column('draw_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('replaces_id', sa.Integer(), nullable=True),
    sa.Column('invited_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('responded_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('decline_reason_type', sa.String(length=30), nullable=True),
    sa.Column('decline_reason', sa.Text(), nullable=False),
    sa.CheckConstraint("decline_reason_type IS NULL OR decline_reason_type IN ('conflict_of_interest', 'unavailable', 'other')", name=op.f('ck_panel_members_decline_reason_type')),
    sa.CheckConstraint("status IN ('invited', 'accepted', 'declined', 'released')", name=op.f('ck_panel_members_status')),
    sa.ForeignKeyConstraint(['draw_id'], ['draws.id'], name=op.f('fk_panel_members_draw_id_draws')),
    sa.ForeignKeyConstraint(['expert_id'], ['experts.id'], name=op.f('fk_panel_members_expert_id_experts')),
    sa.ForeignKeyConstraint(['panel_id'], ['evaluation_panels.id'], name=op.f('fk_panel_members_panel_id_evaluation_panels'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['replaces_id'], ['panel_members.id'], name=op.f('fk_panel_members_replaces_id_panel_members')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_panel_members')),
    sa.UniqueConstraint('panel_id', 'expert_id', name='uq_panel_members_expert')
    )
    with op.batch_alter_table('panel_members', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_panel_members_expert_id'), ['expert_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_panel_members_panel_id'), ['panel_id'], unique=False)
        batch_op.create_index('uq_panel_members_seated', ['panel_id', 'seat'], unique=True, sqlite_where=sa.text("status IN ('invited', 'accepted')"), postgresql_where=sa.text("status IN ('invited', 'accepted')"))


    rules = sa.table('expert_draw_rules', sa.column('city_id', sa.Integer()), sa.column('effective_from', sa.Date()),
                     sa.column('recent_service_days', sa.Integer()), sa.column('note', sa.String()),
                     sa.column('created_at', sa.DateTime(timezone=True)))
    op.bulk_insert(rules, [dict(NATIONAL_RULE, created_at=dt.datetime(2026, 12, 3, tzinfo=dt.timezone.utc))])


def downgrade():
    with op.batch_alter_table('panel_members', schema=None) as batch_op:
        batch_op.drop_index('uq_panel_members_seated', sqlite_where=sa.text("status IN ('invited', 'accepted')"), postgresql_where=sa.text("status IN ('invited', 'accepted')"))
        batch_op.drop_index(batch_op.f('ix_panel_members_panel_id'))
        batch_op.drop_index(batch_op.f('ix_panel_members_expert_id'))

    op.drop_table('panel_members')
    with op.batch_alter_table('evaluation_panels', schema=None) as batch_op:
        batch_op.drop_index('uq_evaluation_panels_live_scope', sqlite_where=sa.text("status <> 'cancelled'"), postgresql_where=sa.text("status <> 'cancelled'"))
        batch_op.drop_index(batch_op.f('ix_evaluation_panels_tender_id'))
        batch_op.drop_index(batch_op.f('ix_evaluation_panels_status'))
        batch_op.drop_index(batch_op.f('ix_evaluation_panels_lot_id'))
        batch_op.drop_index(batch_op.f('ix_evaluation_panels_city_id'))

    op.drop_table('evaluation_panels')
    with op.batch_alter_table('experts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_experts_pool_org_id'))
        batch_op.drop_index(batch_op.f('ix_experts_employer_credit_code'))
        batch_op.drop_index(batch_op.f('ix_experts_city_id'))

    op.drop_table('experts')
    with op.batch_alter_table('expert_draw_rules', schema=None) as batch_op:
        batch_op.drop_index('uq_expert_draw_rules_national', sqlite_where=sa.text('city_id IS NULL'), postgresql_where=sa.text('city_id IS NULL'))
        batch_op.drop_index('uq_expert_draw_rules_city', sqlite_where=sa.text('city_id IS NOT NULL'), postgresql_where=sa.text('city_id IS NOT NULL'))
        batch_op.drop_index(batch_op.f('ix_expert_draw_rules_city_id'))

    op.drop_table('expert_draw_rules')
    with op.batch_alter_table('draws', schema=None) as batch_op:
        batch_op.drop_index('ix_draws_purpose_subject')
        batch_op.drop_index(batch_op.f('ix_draws_parent_id'))

    op.drop_table('draws')
    pools = "SELECT id FROM organisations WHERE kind = 'expert_pool'"
    op.execute(f"DELETE FROM user_roles WHERE user_id IN (SELECT id FROM users WHERE organisation_id IN ({pools}))")
    op.execute(f"DELETE FROM users WHERE organisation_id IN ({pools})")
    op.execute("DELETE FROM organisations WHERE kind = 'expert_pool'")
    _org_kinds(ORG_KINDS_BEFORE)
