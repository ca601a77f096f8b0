"""signed audit checkpoints; audit events looked up by object (records verify)

Revision ID: 0009_audit_checkpoints
Revises: 0008_licences_notices
Create Date: 2026-12-03 10:00:00

"""
from alembic import op
import sqlalchemy as sa

revision = '0009_audit_checkpoints'
down_revision = '0008_licences_notices'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('audit_checkpoints',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('seq', sa.BigInteger(), nullable=False),
    sa.Column('head_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('statement', sa.Text(), nullable=False),
    sa.Column('public_key', sa.String(length=64), nullable=False),
    sa.Column('signature', sa.String(length=128), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_checkpoints')),
    sa.UniqueConstraint('seq', name=op.f('uq_audit_checkpoints_seq'))
    )
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.create_index('ix_audit_events_object', ['object_type', 'object_id'], unique=False)


def downgrade():
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_events_object')
    op.drop_table('audit_checkpoints')
