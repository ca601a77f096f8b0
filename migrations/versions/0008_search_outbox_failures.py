"""search outbox: park rows whose document cannot be delivered (failed_at)

A row whose product document cannot be built (or that the engine keeps rejecting) is parked
with its error instead of blocking every later delivery; `/healthz` reports parked rows and
`flask search retry` puts them back in the queue.

Revision ID: 0008_search_outbox_failures
Revises: 0011_product_evidence
Create Date: 2026-12-02 19:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0008_search_outbox_failures'
down_revision = '0011_product_evidence'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('search_outbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('failed_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index('ix_search_outbox_failed', ['failed_at'], unique=False)


def downgrade():
    with op.batch_alter_table('search_outbox', schema=None) as batch_op:
        batch_op.drop_index('ix_search_outbox_failed')
        batch_op.drop_column('failed_at')
