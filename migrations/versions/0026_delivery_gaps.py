"""delivery gaps: rectification notices from failed delivery samples (an origin of exactly one
kind: inspection or delivery sample), the dated delivery rule (test-report validity, national
default 365 days)

Revision ID: 0026_delivery_gaps
Revises: 0025_oversight
Create Date: 2026-12-03 17:50:00

"""
import datetime as dt

import sqlalchemy as sa
from alembic import op

revision = '0026_delivery_gaps'
down_revision = '0025_oversight'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('delivery_rules',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('city_id', sa.Integer(), nullable=True),
    sa.Column('effective_from', sa.Date(), nullable=False),
    sa.Column('test_report_valid_days', sa.Integer(), nullable=False),
    sa.Column('note', sa.String(length=300), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('test_report_valid_days BETWEEN 1 AND 3650',
                       name=op.f('ck_delivery_rules_test_report_valid_days')),
    sa.ForeignKeyConstraint(['city_id'], ['cities.id'], name=op.f('fk_delivery_rules_city_id_cities')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_delivery_rules_created_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_delivery_rules'))
    )
    with op.batch_alter_table('delivery_rules', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_delivery_rules_city_id'), ['city_id'], unique=False)
        batch_op.create_index('uq_delivery_rules_city', ['city_id', 'effective_from'], unique=True,
                              sqlite_where=sa.text('city_id IS NOT NULL'),
                              postgresql_where=sa.text('city_id IS NOT NULL'))
        batch_op.create_index('uq_delivery_rules_national', ['effective_from'], unique=True,
                              sqlite_where=sa.text('city_id IS NULL'), postgresql_where=sa.text('city_id IS NULL'))
    # The national rule in force from the start: a third-party test report proves compliance for
    # 365 days after its issue day (the constant the checks used before).
    rules = sa.table('delivery_rules', sa.column('city_id', sa.Integer()), sa.column('effective_from', sa.Date()),
                     sa.column('test_report_valid_days', sa.Integer()), sa.column('note', sa.String()),
                     sa.column('created_at', sa.DateTime(timezone=True)))
    op.bulk_insert(rules, [{'city_id': None, 'effective_from': dt.date(2020, 1, 1), 'test_report_valid_days': 365,
                            'note': 'National default',
                            'created_at': dt.datetime(2026, 12, 3, tzinfo=dt.timezone.utc)}])

    with op.batch_alter_table('rectifications', schema=None) as batch_op:
        batch_op.add_column(sa.Column('delivery_sample_id', sa.Integer(), nullable=True))
        batch_op.alter_column('inspection_id', existing_type=sa.Integer(), nullable=True)
        batch_op.create_foreign_key(batch_op.f('fk_rectifications_delivery_sample_id_delivery_samples'),
                                    'delivery_samples', ['delivery_sample_id'], ['id'], ondelete='CASCADE')
        batch_op.create_unique_constraint(batch_op.f('uq_rectifications_delivery_sample_id'), ['delivery_sample_id'])
        batch_op.create_check_constraint(batch_op.f('ck_rectifications_one_origin'),
                                         '(inspection_id IS NULL) <> (delivery_sample_id IS NULL)')


def downgrade():
    with op.batch_alter_table('rectifications', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_rectifications_one_origin'), type_='check')
        batch_op.drop_constraint(batch_op.f('uq_rectifications_delivery_sample_id'), type_='unique')
        batch_op.drop_constraint(batch_op.f('fk_rectifications_delivery_sample_id_delivery_samples'),
                                 type_='foreignkey')
        batch_op.alter_column('inspection_id', existing_type=sa.Integer(), nullable=False)
        batch_op.drop_column('delivery_sample_id')
    with op.batch_alter_table('delivery_rules', schema=None) as batch_op:
        batch_op.drop_index('uq_delivery_rules_national', sqlite_where=sa.text('city_id IS NULL'),
                            postgresql_where=sa.text('city_id IS NULL'))
        batch_op.drop_index('uq_delivery_rules_city', sqlite_where=sa.text('city_id IS NOT NULL'),
                            postgresql_where=sa.text('city_id IS NOT NULL'))
        batch_op.drop_index(batch_op.f('ix_delivery_rules_city_id'))
    op.drop_table('delivery_rules')
