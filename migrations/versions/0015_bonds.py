"""bid bonds and processed stripe events

`bonds`: one supplier's bid security per lot (card PaymentIntent or bank guarantee document),
at most one live (pending or held) bond per lot and firm; `stripe_events`: ids of processed
provider events (a repeat is ignored).

Revision ID: 0015_bonds
Revises: 0014_bids
Create Date: 2026-12-03 08:33:56.356511

"""
from alembic import op
import sqlalchemy as sa


revision = '0015_bonds'
down_revision = '0014_bids'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('stripe_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.String(length=100), nullable=False),
    sa.Column('type', sa.String(length=100), nullable=False),
    sa.Column('object_id', sa.String(length=100), nullable=True),
    sa.Column('outcome', sa.String(length=30), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stripe_events')),
    sa.UniqueConstraint('event_id', name=op.f('uq_stripe_events_event_id'))
    )
    with op.batch_alter_table('stripe_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_stripe_events_object_id'), ['object_id'], unique=False)

    op.create_table('bonds',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tender_id', sa.Integer(), nullable=False),
    sa.Column('lot_id', sa.Integer(), nullable=False),
    sa.Column('supplier_org_id', sa.Integer(), nullable=False),
    sa.Column('amount_fen', sa.BigInteger(), nullable=False),
    sa.Column('method', sa.String(length=20), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('payment_intent_id', sa.String(length=100), nullable=True),
    sa.Column('card_fingerprint', sa.String(length=100), nullable=True),
    sa.Column('guarantee_document_id', sa.Integer(), nullable=True),
    sa.Column('verified_by_id', sa.Integer(), nullable=True),
    sa.Column('verified_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('reject_reason', sa.Text(), nullable=False),
    sa.Column('held_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('refund_due_on', sa.Date(), nullable=True),
    sa.Column('refund_overdue_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('refunded_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('refund_id', sa.String(length=100), nullable=True),
    sa.Column('forfeited_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('forfeit_reason', sa.String(length=30), nullable=True),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("forfeit_reason IS NULL OR forfeit_reason IN ('winner_withdrew', 'refused_to_sign')", name=op.f('ck_bonds_forfeit_reason')),
    sa.CheckConstraint("method IN ('card', 'bank_guarantee')", name=op.f('ck_bonds_method')),
    sa.CheckConstraint("status IN ('pending', 'held', 'refunded', 'forfeited', 'failed', 'cancelled')", name=op.f('ck_bonds_status')),
    sa.CheckConstraint('amount_fen > 0', name=op.f('ck_bonds_amount_positive')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_bonds_created_by_id_users')),
    sa.ForeignKeyConstraint(['guarantee_document_id'], ['documents.id'], name=op.f('fk_bonds_guarantee_document_id_documents')),
    sa.ForeignKeyConstraint(['lot_id'], ['lots.id'], name=op.f('fk_bonds_lot_id_lots')),
    sa.ForeignKeyConstraint(['supplier_org_id'], ['organisations.id'], name=op.f('fk_bonds_supplier_org_id_organisations')),
    sa.ForeignKeyConstraint(['tender_id'], ['tenders.id'], name=op.f('fk_bonds_tender_id_tenders')),
    sa.ForeignKeyConstraint(['verified_by_id'], ['users.id'], name=op.f('fk_bonds_verified_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bonds')),
    sa.UniqueConstraint('payment_intent_id', name=op.f('uq_bonds_payment_intent_id'))
    )
    with op.batch_alter_table('bonds', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_bonds_card_fingerprint'), ['card_fingerprint'], unique=False)
        batch_op.create_index(batch_op.f('ix_bonds_lot_id'), ['lot_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_bonds_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_bonds_supplier_org_id'), ['supplier_org_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_bonds_tender_id'), ['tender_id'], unique=False)
        batch_op.create_index('uq_bonds_live_lot_supplier', ['lot_id', 'supplier_org_id'], unique=True, sqlite_where=sa.text("status IN ('pending', 'held')"), postgresql_where=sa.text("status IN ('pending', 'held')"))



def downgrade():
    with op.batch_alter_table('bonds', schema=None) as batch_op:
        batch_op.drop_index('uq_bonds_live_lot_supplier', sqlite_where=sa.text("status IN ('pending', 'held')"), postgresql_where=sa.text("status IN ('pending', 'held')"))
        batch_op.drop_index(batch_op.f('ix_bonds_tender_id'))
        batch_op.drop_index(batch_op.f('ix_bonds_supplier_org_id'))
        batch_op.drop_index(batch_op.f('ix_bonds_status'))
        batch_op.drop_index(batch_op.f('ix_bonds_lot_id'))
        batch_op.drop_index(batch_op.f('ix_bonds_card_fingerprint'))

    op.drop_table('bonds')
    with op.batch_alter_table('stripe_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_stripe_events_object_id'))

    op.drop_table('stripe_events')
