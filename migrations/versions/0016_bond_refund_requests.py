"""automatic bond returns: when a return was asked and why

`bonds.refund_requested_at` / `bonds.refund_cause`: an automatic return (tender or lot ended,
bid withdrawn) that the chronograph's `bonds.refund` job makes; the pages show "refund pending"
until it is done.

Revision ID: 0016_bond_refund_requests
Revises: 0015_bonds
Create Date: 2026-12-04 09:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0016_bond_refund_requests'
down_revision = '0015_bonds'
branch_labels = None
depends_on = None

CAUSES = "('tender_cancelled', 'tender_failed', 'lot_cancelled', 'lot_failed', 'bid_withdrawn', 'no_bid')"
LIVE = sa.text("status IN ('pending', 'held')")


def _drop_live_index():
    # SQLite rebuilds the table for the CHECK constraint: the partial unique index is dropped
    # first and made again after, so it keeps its WHERE clause on both databases.
    op.drop_index('uq_bonds_live_lot_supplier', table_name='bonds', sqlite_where=LIVE, postgresql_where=LIVE)


def _create_live_index():
    op.create_index('uq_bonds_live_lot_supplier', 'bonds', ['lot_id', 'supplier_org_id'], unique=True,
                    sqlite_where=LIVE, postgresql_where=LIVE)


def upgrade():
    _drop_live_index()
    with op.batch_alter_table('bonds', schema=None) as batch_op:
        batch_op.add_column(sa.Column('refund_requested_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('refund_cause', sa.String(length=30), nullable=True))
        batch_op.create_check_constraint(op.f('ck_bonds_refund_cause'), f"refund_cause IS NULL OR refund_cause IN {CAUSES}")
    _create_live_index()


def downgrade():
    _drop_live_index()
    with op.batch_alter_table('bonds', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_bonds_refund_cause'), type_='check')
        batch_op.drop_column('refund_cause')
        batch_op.drop_column('refund_requested_at')
    _create_live_index()
