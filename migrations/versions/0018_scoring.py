"""scoring: evaluation plans and criteria of draft tenders, the dated rules of abnormally low
prices (national default seeded), lot evaluations with their frozen reports, experts' score
sheets and scores, price flags with justifications, report signatures

Revision ID: 0018_scoring
Revises: 0017_draws_panels
Create Date: 2026-12-10 12:00:00

"""
import datetime as dt

from alembic import op
import sqlalchemy as sa


revision = '0018_scoring'
down_revision = '0017_draws_panels'
branch_labels = None
# Foreign keys to opened_bids (0016) and evaluation_panels (0017): whatever the chain's order after
# the merge, those tables exist first.
depends_on = ('0016_opening', '0017_draws_panels')

# The national default for abnormally low prices (DOMAIN.md 9: "below 50 % of the average of valid
# bids", a 2026 notice, weak source: a city adds its own dated row). No national ceiling trigger.
NATIONAL_RULE = dict(city_id=None, effective_from=dt.date(2020, 1, 1), below_average_bp=5000, below_ceiling_bp=None,
                     justification_working_days=2,
                     note='National default: below 50 % of the average of the other valid bids (configurable)')


def upgrade():
    op.create_table('abnormal_price_rules',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('city_id', sa.Integer(), nullable=True),
    sa.Column('effective_from', sa.Date(), nullable=False),
    sa.Column('below_average_bp', sa.Integer(), nullable=True),
    sa.Column('below_ceiling_bp', sa.Integer(), nullable=True),
    sa.Column('justification_working_days', sa.Integer(), nullable=False),
    sa.Column('note', sa.String(length=300), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('below_average_bp IS NULL OR below_average_bp BETWEEN 1 AND 10000', name=op.f('ck_abnormal_price_rules_below_average')),
    sa.CheckConstraint('below_ceiling_bp IS NULL OR below_ceiling_bp BETWEEN 1 AND 10000', name=op.f('ck_abnormal_price_rules_below_ceiling')),
    sa.CheckConstraint('justification_working_days BETWEEN 1 AND 30', name=op.f('ck_abnormal_price_rules_justification_days')),
    sa.ForeignKeyConstraint(['city_id'], ['cities.id'], name=op.f('fk_abnormal_price_rules_city_id_cities')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_abnormal_price_rules_created_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_abnormal_price_rules'))
    )
    with op.batch_alter_table('abnormal_price_rules', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_abnormal_price_rules_city_id'), ['city_id'], unique=False)
        batch_op.create_index('uq_abnormal_price_rules_city', ['city_id', 'effective_from'], unique=True, sqlite_where=sa.text('city_id IS NOT NULL'), postgresql_where=sa.text('city_id IS NOT NULL'))
        batch_op.create_index('uq_abnormal_price_rules_national', ['effective_from'], unique=True, sqlite_where=sa.text('city_id IS NULL'), postgresql_where=sa.text('city_id IS NULL'))

    op.create_table('scoring_plans',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tender_id', sa.Integer(), nullable=False),
    sa.Column('lot_id', sa.Integer(), nullable=True),
    sa.Column('method', sa.String(length=20), nullable=False),
    sa.Column('subject', sa.String(length=10), nullable=False),
    sa.Column('price_weight_bp', sa.Integer(), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("method IN ('lowest_price', 'comprehensive')", name=op.f('ck_scoring_plans_method')),
    sa.CheckConstraint("subject IN ('goods', 'services')", name=op.f('ck_scoring_plans_subject')),
    sa.CheckConstraint('price_weight_bp BETWEEN 0 AND 10000', name=op.f('ck_scoring_plans_price_weight')),
    sa.ForeignKeyConstraint(['lot_id'], ['lots.id'], name=op.f('fk_scoring_plans_lot_id_lots'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tender_id'], ['tenders.id'], name=op.f('fk_scoring_plans_tender_id_tenders'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_scoring_plans_updated_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_scoring_plans'))
    )
    with op.batch_alter_table('scoring_plans', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_scoring_plans_tender_id'), ['tender_id'], unique=False)
        batch_op.create_index('uq_scoring_plans_lot', ['lot_id'], unique=True, sqlite_where=sa.text('lot_id IS NOT NULL'), postgresql_where=sa.text('lot_id IS NOT NULL'))
        batch_op.create_index('uq_scoring_plans_tender', ['tender_id'], unique=True, sqlite_where=sa.text('lot_id IS NULL'), postgresql_where=sa.text('lot_id IS NULL'))

    op.create_table('lot_evaluations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('lot_id', sa.Integer(), nullable=False),
    sa.Column('tender_id', sa.Integer(), nullable=False),
    sa.Column('panel_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('method', sa.String(length=20), nullable=False),
    sa.Column('subject', sa.String(length=10), nullable=False),
    sa.Column('price_weight_bp', sa.Integer(), nullable=False),
    sa.Column('criteria', sa.JSON(), nullable=False),
    sa.Column('rule_id', sa.Integer(), nullable=True),
    sa.Column('justification_due_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('started_by_id', sa.Integer(), nullable=True),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('report_version', sa.Integer(), nullable=False),
    sa.Column('report', sa.JSON(), nullable=True),
    sa.Column('report_sha256', sa.String(length=64), nullable=True),
    sa.Column('report_issued_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('report_issued_by_id', sa.Integer(), nullable=True),
    sa.Column('member_user_ids', sa.JSON(), nullable=False),
    sa.Column('signed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('reopen_reason', sa.Text(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("method IN ('lowest_price', 'comprehensive')", name=op.f('ck_lot_evaluations_method')),
    sa.CheckConstraint("status IN ('scoring', 'signing', 'signed')", name=op.f('ck_lot_evaluations_status')),
    sa.ForeignKeyConstraint(['lot_id'], ['lots.id'], name=op.f('fk_lot_evaluations_lot_id_lots'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['panel_id'], ['evaluation_panels.id'], name=op.f('fk_lot_evaluations_panel_id_evaluation_panels')),
    sa.ForeignKeyConstraint(['report_issued_by_id'], ['users.id'], name=op.f('fk_lot_evaluations_report_issued_by_id_users')),
    sa.ForeignKeyConstraint(['rule_id'], ['abnormal_price_rules.id'], name=op.f('fk_lot_evaluations_rule_id_abnormal_price_rules')),
    sa.ForeignKeyConstraint(['started_by_id'], ['users.id'], name=op.f('fk_lot_evaluations_started_by_id_users')),
    sa.ForeignKeyConstraint(['tender_id'], ['tenders.id'], name=op.f('fk_lot_evaluations_tender_id_tenders'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lot_evaluations')),
    sa.UniqueConstraint('lot_id', name=op.f('uq_lot_evaluations_lot_id'))
    )
    with op.batch_alter_table('lot_evaluations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lot_evaluations_panel_id'), ['panel_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_lot_evaluations_tender_id'), ['tender_id'], unique=False)

    op.create_table('scoring_criteria',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('plan_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('weight_bp', sa.Integer(), nullable=False),
    sa.Column('max_score_cp', sa.Integer(), nullable=False),
    sa.CheckConstraint('max_score_cp BETWEEN 1 AND 100000', name=op.f('ck_scoring_criteria_max_score')),
    sa.CheckConstraint('weight_bp BETWEEN 1 AND 10000', name=op.f('ck_scoring_criteria_weight')),
    sa.ForeignKeyConstraint(['plan_id'], ['scoring_plans.id'], name=op.f('fk_scoring_criteria_plan_id_scoring_plans'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_scoring_criteria')),
    sa.UniqueConstraint('plan_id', 'position', name='uq_scoring_criteria_position')
    )
    with op.batch_alter_table('scoring_criteria', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_scoring_criteria_plan_id'), ['plan_id'], unique=False)

    op.create_table('price_flags',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('evaluation_id', sa.Integer(), nullable=False),
    sa.Column('opened_bid_id', sa.Integer(), nullable=False),
    sa.Column('supplier_org_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('reasons', sa.JSON(), nullable=False),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('justification', sa.Text(), nullable=False),
    sa.Column('justified_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('justified_by_id', sa.Integer(), nullable=True),
    sa.Column('decision_reason', sa.Text(), nullable=False),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("status IN ('awaiting', 'justified', 'accepted', 'rejected', 'lapsed')", name=op.f('ck_price_flags_status')),
    sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_price_flags_decided_by_id_users')),
    sa.ForeignKeyConstraint(['evaluation_id'], ['lot_evaluations.id'], name=op.f('fk_price_flags_evaluation_id_lot_evaluations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['justified_by_id'], ['users.id'], name=op.f('fk_price_flags_justified_by_id_users')),
    sa.ForeignKeyConstraint(['opened_bid_id'], ['opened_bids.id'], name=op.f('fk_price_flags_opened_bid_id_opened_bids')),
    sa.ForeignKeyConstraint(['supplier_org_id'], ['organisations.id'], name=op.f('fk_price_flags_supplier_org_id_organisations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_price_flags')),
    sa.UniqueConstraint('evaluation_id', 'opened_bid_id', name='uq_price_flags_bid')
    )
    with op.batch_alter_table('price_flags', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_price_flags_evaluation_id'), ['evaluation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_price_flags_supplier_org_id'), ['supplier_org_id'], unique=False)

    op.create_table('report_signatures',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('evaluation_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('expert_user_id', sa.Integer(), nullable=False),
    sa.Column('report_sha256', sa.String(length=64), nullable=False),
    sa.Column('signed_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['evaluation_id'], ['lot_evaluations.id'], name=op.f('fk_report_signatures_evaluation_id_lot_evaluations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['expert_user_id'], ['users.id'], name=op.f('fk_report_signatures_expert_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_report_signatures')),
    sa.UniqueConstraint('evaluation_id', 'version', 'expert_user_id', name='uq_report_signatures')
    )
    with op.batch_alter_table('report_signatures', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_report_signatures_evaluation_id'), ['evaluation_id'], unique=False)

    op.create_table('score_sheets',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('evaluation_id', sa.Integer(), nullable=False),
    sa.Column('expert_user_id', sa.Integer(), nullable=False),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['evaluation_id'], ['lot_evaluations.id'], name=op.f('fk_score_sheets_evaluation_id_lot_evaluations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['expert_user_id'], ['users.id'], name=op.f('fk_score_sheets_expert_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_score_sheets')),
    sa.UniqueConstraint('evaluation_id', 'expert_user_id', name='uq_score_sheets_expert')
    )
    with op.batch_alter_table('score_sheets', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_score_sheets_evaluation_id'), ['evaluation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_score_sheets_expert_user_id'), ['expert_user_id'], unique=False)

    op.create_table('scores',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('sheet_id', sa.Integer(), nullable=False),
    sa.Column('opened_bid_id', sa.Integer(), nullable=False),
    sa.Column('criterion_id', sa.Integer(), nullable=False),
    sa.Column('score_cp', sa.Integer(), nullable=False),
    sa.CheckConstraint('score_cp BETWEEN 0 AND 100000', name=op.f('ck_scores_score')),
    sa.ForeignKeyConstraint(['criterion_id'], ['scoring_criteria.id'], name=op.f('fk_scores_criterion_id_scoring_criteria')),
    sa.ForeignKeyConstraint(['opened_bid_id'], ['opened_bids.id'], name=op.f('fk_scores_opened_bid_id_opened_bids')),
    sa.ForeignKeyConstraint(['sheet_id'], ['score_sheets.id'], name=op.f('fk_scores_sheet_id_score_sheets'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_scores')),
    sa.UniqueConstraint('sheet_id', 'opened_bid_id', 'criterion_id', name='uq_scores_cell')
    )
    with op.batch_alter_table('scores', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_scores_opened_bid_id'), ['opened_bid_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_scores_sheet_id'), ['sheet_id'], unique=False)

    rules = sa.table('abnormal_price_rules', sa.column('city_id', sa.Integer()),
                     sa.column('effective_from', sa.Date()), sa.column('below_average_bp', sa.Integer()),
                     sa.column('below_ceiling_bp', sa.Integer()), sa.column('justification_working_days', sa.Integer()),
                     sa.column('note', sa.String()), sa.column('created_at', sa.DateTime(timezone=True)))
    op.bulk_insert(rules, [dict(NATIONAL_RULE, created_at=dt.datetime(2026, 12, 10, tzinfo=dt.timezone.utc))])


def downgrade():
    with op.batch_alter_table('scores', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_scores_sheet_id'))
        batch_op.drop_index(batch_op.f('ix_scores_opened_bid_id'))

    op.drop_table('scores')
    with op.batch_alter_table('score_sheets', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_score_sheets_expert_user_id'))
        batch_op.drop_index(batch_op.f('ix_score_sheets_evaluation_id'))

    op.drop_table('score_sheets')
    with op.batch_alter_table('report_signatures', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_report_signatures_evaluation_id'))

    op.drop_table('report_signatures')
    with op.batch_alter_table('price_flags', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_price_flags_supplier_org_id'))
        batch_op.drop_index(batch_op.f('ix_price_flags_evaluation_id'))

    op.drop_table('price_flags')
    with op.batch_alter_table('scoring_criteria', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_scoring_criteria_plan_id'))

    op.drop_table('scoring_criteria')
    with op.batch_alter_table('lot_evaluations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_lot_evaluations_tender_id'))
        batch_op.drop_index(batch_op.f('ix_lot_evaluations_panel_id'))

    op.drop_table('lot_evaluations')
    with op.batch_alter_table('scoring_plans', schema=None) as batch_op:
        batch_op.drop_index('uq_scoring_plans_tender', sqlite_where=sa.text('lot_id IS NULL'), postgresql_where=sa.text('lot_id IS NULL'))
        batch_op.drop_index('uq_scoring_plans_lot', sqlite_where=sa.text('lot_id IS NOT NULL'), postgresql_where=sa.text('lot_id IS NOT NULL'))
        batch_op.drop_index(batch_op.f('ix_scoring_plans_tender_id'))

    op.drop_table('scoring_plans')
    with op.batch_alter_table('abnormal_price_rules', schema=None) as batch_op:
        batch_op.drop_index('uq_abnormal_price_rules_national', sqlite_where=sa.text('city_id IS NULL'), postgresql_where=sa.text('city_id IS NULL'))
        batch_op.drop_index('uq_abnormal_price_rules_city', sqlite_where=sa.text('city_id IS NOT NULL'), postgresql_where=sa.text('city_id IS NOT NULL'))
        batch_op.drop_index(batch_op.f('ix_abnormal_price_rules_city_id'))

    op.drop_table('abnormal_price_rules')
