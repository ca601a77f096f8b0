"""oversight: annual targets per city and year, dated oversight rules (lagging rule, red-flag
thresholds, longest dashboard range), monthly per-city fact tables; the bids' network address

Revision ID: 0025_oversight
Revises: 0024_opendata
Create Date: 2026-12-03 16:40:00

"""
import datetime as dt

import sqlalchemy as sa
from alembic import op

revision = '0025_oversight'
down_revision = '0024_opendata'
branch_labels = None
depends_on = None

_BP = ('coverage_bp', 'green_share_bp', 'batch_share_bp', 'prefab_share_bp')


def upgrade():
    op.create_table('oversight_targets',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('city_id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('green_amount_fen', sa.BigInteger(), nullable=False),
    sa.Column('coverage_bp', sa.Integer(), nullable=False),
    sa.Column('green_share_bp', sa.Integer(), nullable=False),
    sa.Column('batch_share_bp', sa.Integer(), nullable=False),
    sa.Column('prefab_share_bp', sa.Integer(), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('green_amount_fen >= 0', name=op.f('ck_oversight_targets_amount_not_negative')),
    *(sa.CheckConstraint(f'{c} >= 0 AND {c} <= 10000', name=op.f(f'ck_oversight_targets_{c}_range')) for c in _BP),
    sa.ForeignKeyConstraint(['city_id'], ['cities.id'], name=op.f('fk_oversight_targets_city_id_cities')),
    sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_oversight_targets_updated_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_oversight_targets')),
    sa.UniqueConstraint('city_id', 'year', name='uq_oversight_targets_city_year')
    )
    op.create_index(op.f('ix_oversight_targets_city_id'), 'oversight_targets', ['city_id'], unique=False)

    op.create_table('oversight_rules',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('city_id', sa.Integer(), nullable=True),
    sa.Column('effective_from', sa.Date(), nullable=False),
    sa.Column('lagging_share_bp', sa.Integer(), nullable=False),
    sa.Column('lagging_from_month', sa.Integer(), nullable=False),
    sa.Column('near_ceiling_bp', sa.Integer(), nullable=False),
    sa.Column('repeat_wins', sa.Integer(), nullable=False),
    sa.Column('repeat_window_days', sa.Integer(), nullable=False),
    sa.Column('amendment_bp', sa.Integer(), nullable=False),
    sa.Column('max_range_years', sa.Integer(), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('lagging_share_bp BETWEEN 0 AND 10000', name=op.f('ck_oversight_rules_lagging_share_range')),
    sa.CheckConstraint('lagging_from_month BETWEEN 1 AND 12', name=op.f('ck_oversight_rules_lagging_from_range')),
    sa.CheckConstraint('near_ceiling_bp BETWEEN 0 AND 10000', name=op.f('ck_oversight_rules_near_ceiling_range')),
    sa.CheckConstraint('repeat_wins >= 2', name=op.f('ck_oversight_rules_repeat_wins_min')),
    sa.CheckConstraint('repeat_window_days >= 1', name=op.f('ck_oversight_rules_repeat_window_min')),
    sa.CheckConstraint('amendment_bp >= 0', name=op.f('ck_oversight_rules_amendment_not_negative')),
    sa.CheckConstraint('max_range_years >= 1', name=op.f('ck_oversight_rules_max_range_min')),
    sa.ForeignKeyConstraint(['city_id'], ['cities.id'], name=op.f('fk_oversight_rules_city_id_cities')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_oversight_rules_created_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_oversight_rules')),
    sa.UniqueConstraint('city_id', 'effective_from', name='uq_oversight_rules_city_from')
    )
    op.create_index(op.f('ix_oversight_rules_city_id'), 'oversight_rules', ['city_id'], unique=False)
    # The national rule in force from the start: lagging below 80 % of the pro-rata line from
    # March; a winning price at 99 % or more of the ceiling; 3 wins of one centre within a year;
    # a ceiling amended by more than 10 %; dashboards over at most 10 years.
    rules = sa.table('oversight_rules', *(sa.column(c) for c in (
        'city_id', 'effective_from', 'lagging_share_bp', 'lagging_from_month', 'near_ceiling_bp', 'repeat_wins',
        'repeat_window_days', 'amendment_bp', 'max_range_years', 'note', 'created_at')))
    op.bulk_insert(rules, [{'city_id': None, 'effective_from': dt.date(2020, 1, 1), 'lagging_share_bp': 8000,
                            'lagging_from_month': 3, 'near_ceiling_bp': 9900, 'repeat_wins': 3,
                            'repeat_window_days': 365, 'amendment_bp': 1000, 'max_range_years': 10,
                            'note': 'National default', 'created_at': dt.datetime(2026, 12, 3, tzinfo=dt.UTC)}])

    op.create_table('oversight_monthly_facts',
    sa.Column('metric', sa.String(length=40), nullable=False),
    sa.Column('city_id', sa.Integer(), nullable=False),
    sa.Column('month', sa.Date(), nullable=False),
    sa.Column('value', sa.BigInteger(), nullable=False),
    sa.Column('refreshed_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['city_id'], ['cities.id'], name=op.f('fk_oversight_monthly_facts_city_id_cities')),
    sa.PrimaryKeyConstraint('metric', 'city_id', 'month', name=op.f('pk_oversight_monthly_facts'))
    )
    op.create_index('ix_oversight_facts_month_city', 'oversight_monthly_facts', ['month', 'city_id'], unique=False)

    # Plain ADD/DROP COLUMN (SQLite >= 3.35): a batch copy of `bids` would have to carry its
    # partial unique index over.
    op.add_column('bids', sa.Column('client_address', sa.String(length=45), nullable=True))


def downgrade():
    op.drop_column('bids', 'client_address')
    op.drop_index('ix_oversight_facts_month_city', table_name='oversight_monthly_facts')
    op.drop_table('oversight_monthly_facts')
    op.drop_index(op.f('ix_oversight_rules_city_id'), table_name='oversight_rules')
    op.drop_table('oversight_rules')
    op.drop_index(op.f('ix_oversight_targets_city_id'), table_name='oversight_targets')
    op.drop_table('oversight_targets')
