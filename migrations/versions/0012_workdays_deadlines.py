"""working-day calendar overrides and the chronograph's deadlines

`calendar_days` overrides the State Council calendar shipped by `chinese_calendar` (and covers
years it does not know); `deadlines` holds each object's next time-driven transition per kind,
run by `core.scheduler`.

Revision ID: 0012_workdays_deadlines
Revises: 0008_search_outbox_failures
Create Date: 2026-12-03 10:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0012_workdays_deadlines'
down_revision = '0008_search_outbox_failures'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('calendar_days',
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('working', sa.Boolean(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('day', name=op.f('pk_calendar_days'))
    )
    op.create_table('deadlines',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=60), nullable=False),
    sa.Column('object_type', sa.String(length=40), nullable=False),
    sa.Column('object_id', sa.Integer(), nullable=False),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('done_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("status IN ('pending','done','cancelled')", name=op.f('ck_deadlines_status')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_deadlines')),
    sa.UniqueConstraint('kind', 'object_type', 'object_id', name=op.f('uq_deadlines_kind_object_type_object_id'))
    )
    with op.batch_alter_table('deadlines', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_deadlines_due_at'), ['due_at'], unique=False)
        batch_op.create_index('ix_deadlines_object', ['object_type', 'object_id'], unique=False)


def downgrade():
    with op.batch_alter_table('deadlines', schema=None) as batch_op:
        batch_op.drop_index('ix_deadlines_object')
        batch_op.drop_index(batch_op.f('ix_deadlines_due_at'))
    op.drop_table('deadlines')
    op.drop_table('calendar_days')
