"""inspections: "double random, one open" campaigns of a city's inspection authority (targets and
teams drawn with core.draws), results and their publication deadline, inspectors' recorded ties,
rectification notices; the dated inspection rule (national default seeded here)

Revision ID: 0022_inspections
Revises: 0021_agreements_orders
Create Date: 2026-12-03 16:55:00

"""
import datetime as dt

from alembic import op
import sqlalchemy as sa


revision = '0022_inspections'
down_revision = '0021_agreements_orders'
branch_labels = None
depends_on = None

#: The national default of the inspection rule (configurable, cities add their own dated rows):
#: a target inspected in the last 365 days stays out of new draws; a general item draws at most
#: 5% of its pool (key items are uncapped); teams of at least 2 inspectors; results published
#: within 20 working days after the inspection ends.
NATIONAL_RULE = {"city_id": None, "effective_from": dt.date(2020, 1, 1), "recent_exclusion_days": 365,
                 "max_general_share_bp": 500, "min_team_size": 2, "publication_working_days": 20,
                 "note": "National default (configurable): 365-day exclusion, general items at most 5%, "
                         "teams of 2 or more, publication within 20 working days."}


def upgrade():
    op.create_table('inspection_rules',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('city_id', sa.Integer(), nullable=True),
    sa.Column('effective_from', sa.Date(), nullable=False),
    sa.Column('recent_exclusion_days', sa.Integer(), nullable=False),
    sa.Column('max_general_share_bp', sa.Integer(), nullable=False),
    sa.Column('min_team_size', sa.Integer(), nullable=False),
    sa.Column('publication_working_days', sa.Integer(), nullable=False),
    sa.Column('note', sa.String(length=300), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('max_general_share_bp BETWEEN 1 AND 10000', name=op.f('ck_inspection_rules_max_general_share_bp')),
    sa.CheckConstraint('min_team_size BETWEEN 2 AND 9', name=op.f('ck_inspection_rules_min_team_size')),
    sa.CheckConstraint('publication_working_days BETWEEN 1 AND 60', name=op.f('ck_inspection_rules_publication_working_days')),
    sa.CheckConstraint('recent_exclusion_days BETWEEN 0 AND 3650', name=op.f('ck_inspection_rules_recent_exclusion_days')),
    sa.ForeignKeyConstraint(['city_id'], ['cities.id'], name=op.f('fk_inspection_rules_city_id_cities')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_inspection_rules_created_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_inspection_rules'))
    )
    with op.batch_alter_table('inspection_rules', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_inspection_rules_city_id'), ['city_id'], unique=False)
        batch_op.create_index('uq_inspection_rules_city', ['city_id', 'effective_from'], unique=True, sqlite_where=sa.text('city_id IS NOT NULL'), postgresql_where=sa.text('city_id IS NOT NULL'))
        batch_op.create_index('uq_inspection_rules_national', ['effective_from'], unique=True, sqlite_where=sa.text('city_id IS NULL'), postgresql_where=sa.text('city_id IS NULL'))

    op.create_table('inspector_ties',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('inspector_id', sa.Integer(), nullable=False),
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.Column('reason', sa.String(length=30), nullable=False),
    sa.Column('note', sa.String(length=300), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("reason IN ('employer', 'former_employer', 'relative', 'financial_interest', 'other')", name=op.f('ck_inspector_ties_reason')),
    sa.ForeignKeyConstraint(['inspector_id'], ['users.id'], name=op.f('fk_inspector_ties_inspector_id_users')),
    sa.ForeignKeyConstraint(['org_id'], ['organisations.id'], name=op.f('fk_inspector_ties_org_id_organisations')),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'], name=op.f('fk_inspector_ties_recorded_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_inspector_ties')),
    sa.UniqueConstraint('inspector_id', 'org_id', name='uq_inspector_ties_pair')
    )
    with op.batch_alter_table('inspector_ties', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_inspector_ties_inspector_id'), ['inspector_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_inspector_ties_org_id'), ['org_id'], unique=False)

    op.create_table('inspection_campaigns',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('reference', sa.String(length=40), nullable=False),
    sa.Column('city_id', sa.Integer(), nullable=False),
    sa.Column('authority_org_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('items', sa.JSON(), nullable=False),
    sa.Column('team_size', sa.Integer(), nullable=False),
    sa.Column('rule_id', sa.Integer(), nullable=True),
    sa.Column('recent_exclusion_days', sa.Integer(), nullable=False),
    sa.Column('max_general_share_bp', sa.Integer(), nullable=False),
    sa.Column('min_team_size', sa.Integer(), nullable=False),
    sa.Column('publication_working_days', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('target_draw_id', sa.Integer(), nullable=False),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('ends_on', sa.Date(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('drawn_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('cancelled_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("status IN ('planned', 'active', 'closed', 'cancelled')", name=op.f('ck_inspection_campaigns_status')),
    sa.CheckConstraint('team_size >= 2', name=op.f('ck_inspection_campaigns_team_size')),
    sa.ForeignKeyConstraint(['authority_org_id'], ['organisations.id'], name=op.f('fk_inspection_campaigns_authority_org_id_organisations')),
    sa.ForeignKeyConstraint(['city_id'], ['cities.id'], name=op.f('fk_inspection_campaigns_city_id_cities')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_inspection_campaigns_created_by_id_users')),
    sa.ForeignKeyConstraint(['rule_id'], ['inspection_rules.id'], name=op.f('fk_inspection_campaigns_rule_id_inspection_rules')),
    sa.ForeignKeyConstraint(['target_draw_id'], ['draws.id'], name=op.f('fk_inspection_campaigns_target_draw_id_draws')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_inspection_campaigns')),
    sa.UniqueConstraint('reference', name=op.f('uq_inspection_campaigns_reference'))
    )
    with op.batch_alter_table('inspection_campaigns', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_inspection_campaigns_authority_org_id'), ['authority_org_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_inspection_campaigns_city_id'), ['city_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_inspection_campaigns_status'), ['status'], unique=False)

    op.create_table('inspections',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('city_id', sa.Integer(), nullable=False),
    sa.Column('target_kind', sa.String(length=20), nullable=False),
    sa.Column('target_id', sa.Integer(), nullable=False),
    sa.Column('target_ref', sa.String(length=40), nullable=False),
    sa.Column('target_name', sa.String(length=300), nullable=False),
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=True),
    sa.Column('item_codes', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('team_draw_id', sa.Integer(), nullable=False),
    sa.Column('pending_draw_id', sa.Integer(), nullable=True),
    sa.Column('items_checked', sa.JSON(), nullable=False),
    sa.Column('samples', sa.JSON(), nullable=False),
    sa.Column('findings', sa.Text(), nullable=False),
    sa.Column('compliant', sa.Boolean(), nullable=True),
    sa.Column('ended_on', sa.Date(), nullable=True),
    sa.Column('publish_due_on', sa.Date(), nullable=True),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('published_by_id', sa.Integer(), nullable=True),
    sa.Column('overdue_flagged_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("status IN ('team_pending', 'scheduled', 'recorded', 'published')", name=op.f('ck_inspections_status')),
    sa.CheckConstraint("target_kind IN ('project', 'firm', 'product')", name=op.f('ck_inspections_target_kind')),
    sa.ForeignKeyConstraint(['campaign_id'], ['inspection_campaigns.id'], name=op.f('fk_inspections_campaign_id_inspection_campaigns'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['city_id'], ['cities.id'], name=op.f('fk_inspections_city_id_cities')),
    sa.ForeignKeyConstraint(['org_id'], ['organisations.id'], name=op.f('fk_inspections_org_id_organisations')),
    sa.ForeignKeyConstraint(['pending_draw_id'], ['draws.id'], name=op.f('fk_inspections_pending_draw_id_draws')),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_inspections_project_id_projects')),
    sa.ForeignKeyConstraint(['published_by_id'], ['users.id'], name=op.f('fk_inspections_published_by_id_users')),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'], name=op.f('fk_inspections_recorded_by_id_users')),
    sa.ForeignKeyConstraint(['team_draw_id'], ['draws.id'], name=op.f('fk_inspections_team_draw_id_draws')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_inspections')),
    sa.UniqueConstraint('campaign_id', 'target_ref', name='uq_inspections_target')
    )
    with op.batch_alter_table('inspections', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_inspections_campaign_id'), ['campaign_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_inspections_city_id'), ['city_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_inspections_org_id'), ['org_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_inspections_project_id'), ['project_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_inspections_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_inspections_target_ref'), ['target_ref'], unique=False)

    op.create_table('inspection_team_seats',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('inspection_id', sa.Integer(), nullable=False),
    sa.Column('seat', sa.Integer(), nullable=False),
    sa.Column('inspector_id', sa.Integer(), nullable=False),
    sa.Column('draw_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('replaces_id', sa.Integer(), nullable=True),
    sa.Column('recusal_reason', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('recused_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("status IN ('active', 'recused')", name=op.f('ck_inspection_team_seats_status')),
    sa.ForeignKeyConstraint(['draw_id'], ['draws.id'], name=op.f('fk_inspection_team_seats_draw_id_draws')),
    sa.ForeignKeyConstraint(['inspection_id'], ['inspections.id'], name=op.f('fk_inspection_team_seats_inspection_id_inspections'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['inspector_id'], ['users.id'], name=op.f('fk_inspection_team_seats_inspector_id_users')),
    sa.ForeignKeyConstraint(['replaces_id'], ['inspection_team_seats.id'], name=op.f('fk_inspection_team_seats_replaces_id_inspection_team_seats')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_inspection_team_seats')),
    sa.UniqueConstraint('inspection_id', 'inspector_id', name='uq_inspection_team_seats_inspector')
    )
    with op.batch_alter_table('inspection_team_seats', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_inspection_team_seats_inspection_id'), ['inspection_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_inspection_team_seats_inspector_id'), ['inspector_id'], unique=False)
        batch_op.create_index('uq_inspection_team_seats_active', ['inspection_id', 'seat'], unique=True, sqlite_where=sa.text("status = 'active'"), postgresql_where=sa.text("status = 'active'"))

    op.create_table('rectifications',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('reference', sa.String(length=40), nullable=False),
    sa.Column('inspection_id', sa.Integer(), nullable=False),
    sa.Column('city_id', sa.Integer(), nullable=False),
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('required_actions', sa.Text(), nullable=False),
    sa.Column('deadline', sa.Date(), nullable=False),
    sa.Column('issued_by_id', sa.Integer(), nullable=True),
    sa.Column('issued_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('response', sa.Text(), nullable=False),
    sa.Column('evidence_document_ids', sa.JSON(), nullable=False),
    sa.Column('responded_by_id', sa.Integer(), nullable=True),
    sa.Column('responded_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('reinspection_note', sa.Text(), nullable=False),
    sa.Column('reinspected_by_id', sa.Integer(), nullable=True),
    sa.Column('reinspected_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('deadline_passed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("status IN ('open', 'responded', 'escalated', 'closed')", name=op.f('ck_rectifications_status')),
    sa.ForeignKeyConstraint(['city_id'], ['cities.id'], name=op.f('fk_rectifications_city_id_cities')),
    sa.ForeignKeyConstraint(['inspection_id'], ['inspections.id'], name=op.f('fk_rectifications_inspection_id_inspections'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['issued_by_id'], ['users.id'], name=op.f('fk_rectifications_issued_by_id_users')),
    sa.ForeignKeyConstraint(['org_id'], ['organisations.id'], name=op.f('fk_rectifications_org_id_organisations')),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_rectifications_project_id_projects')),
    sa.ForeignKeyConstraint(['reinspected_by_id'], ['users.id'], name=op.f('fk_rectifications_reinspected_by_id_users')),
    sa.ForeignKeyConstraint(['responded_by_id'], ['users.id'], name=op.f('fk_rectifications_responded_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rectifications')),
    sa.UniqueConstraint('reference', name=op.f('uq_rectifications_reference'))
    )
    with op.batch_alter_table('rectifications', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_rectifications_city_id'), ['city_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_rectifications_inspection_id'), ['inspection_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_rectifications_org_id'), ['org_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_rectifications_project_id'), ['project_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_rectifications_status'), ['status'], unique=False)

    rules = sa.table('inspection_rules', sa.column('city_id', sa.Integer()), sa.column('effective_from', sa.Date()),
                     sa.column('recent_exclusion_days', sa.Integer()), sa.column('max_general_share_bp', sa.Integer()),
                     sa.column('min_team_size', sa.Integer()), sa.column('publication_working_days', sa.Integer()),
                     sa.column('note', sa.String()), sa.column('created_at', sa.DateTime(timezone=True)))
    op.bulk_insert(rules, [dict(NATIONAL_RULE, created_at=dt.datetime(2026, 12, 3, tzinfo=dt.timezone.utc))])


def downgrade():
    with op.batch_alter_table('rectifications', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_rectifications_status'))
        batch_op.drop_index(batch_op.f('ix_rectifications_project_id'))
        batch_op.drop_index(batch_op.f('ix_rectifications_org_id'))
        batch_op.drop_index(batch_op.f('ix_rectifications_inspection_id'))
        batch_op.drop_index(batch_op.f('ix_rectifications_city_id'))

    op.drop_table('rectifications')
    with op.batch_alter_table('inspection_team_seats', schema=None) as batch_op:
        batch_op.drop_index('uq_inspection_team_seats_active', sqlite_where=sa.text("status = 'active'"), postgresql_where=sa.text("status = 'active'"))
        batch_op.drop_index(batch_op.f('ix_inspection_team_seats_inspector_id'))
        batch_op.drop_index(batch_op.f('ix_inspection_team_seats_inspection_id'))

    op.drop_table('inspection_team_seats')
    with op.batch_alter_table('inspections', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_inspections_target_ref'))
        batch_op.drop_index(batch_op.f('ix_inspections_status'))
        batch_op.drop_index(batch_op.f('ix_inspections_project_id'))
        batch_op.drop_index(batch_op.f('ix_inspections_org_id'))
        batch_op.drop_index(batch_op.f('ix_inspections_city_id'))
        batch_op.drop_index(batch_op.f('ix_inspections_campaign_id'))

    op.drop_table('inspections')
    with op.batch_alter_table('inspection_campaigns', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_inspection_campaigns_status'))
        batch_op.drop_index(batch_op.f('ix_inspection_campaigns_city_id'))
        batch_op.drop_index(batch_op.f('ix_inspection_campaigns_authority_org_id'))

    op.drop_table('inspection_campaigns')
    with op.batch_alter_table('inspector_ties', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_inspector_ties_org_id'))
        batch_op.drop_index(batch_op.f('ix_inspector_ties_inspector_id'))

    op.drop_table('inspector_ties')
    with op.batch_alter_table('inspection_rules', schema=None) as batch_op:
        batch_op.drop_index('uq_inspection_rules_national', sqlite_where=sa.text('city_id IS NULL'), postgresql_where=sa.text('city_id IS NULL'))
        batch_op.drop_index('uq_inspection_rules_city', sqlite_where=sa.text('city_id IS NOT NULL'), postgresql_where=sa.text('city_id IS NOT NULL'))
        batch_op.drop_index(batch_op.f('ix_inspection_rules_city_id'))

    op.drop_table('inspection_rules')
