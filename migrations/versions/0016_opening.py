"""bid opening: opening sessions and unlocked shares, opened bids and their documents,
qualification results per bid and check, lot outcomes

Revision ID: 0016_opening
Revises: 0016_bond_refund_requests
Create Date: 2026-12-10 09:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0016_opening'
down_revision = '0016_bond_refund_requests'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('opening_sessions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tender_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('attempt', sa.Integer(), nullable=False),
    sa.Column('public_key', sa.String(length=64), nullable=False),
    sa.Column('wrapped_private_key', sa.Text(), nullable=True),
    sa.Column('key_salt', sa.String(length=64), nullable=True),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('opened_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('opened_by_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("status IN ('collecting', 'opened', 'expired')", name=op.f('ck_opening_sessions_status')),
    sa.ForeignKeyConstraint(['opened_by_id'], ['users.id'], name=op.f('fk_opening_sessions_opened_by_id_users')),
    sa.ForeignKeyConstraint(['tender_id'], ['tenders.id'], name=op.f('fk_opening_sessions_tender_id_tenders'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_opening_sessions')),
    sa.UniqueConstraint('tender_id', name=op.f('uq_opening_sessions_tender_id'))
    )
    op.create_table('opening_unlocked_shares',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('attempt', sa.Integer(), nullable=False),
    sa.Column('holder_user_id', sa.Integer(), nullable=False),
    sa.Column('x', sa.Integer(), nullable=False),
    sa.Column('sealed_share', sa.Text(), nullable=True),
    sa.Column('unlocked_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('wiped_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['holder_user_id'], ['users.id'], name=op.f('fk_opening_unlocked_shares_holder_user_id_users')),
    sa.ForeignKeyConstraint(['session_id'], ['opening_sessions.id'], name=op.f('fk_opening_unlocked_shares_session_id_opening_sessions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_opening_unlocked_shares')),
    sa.UniqueConstraint('session_id', 'attempt', 'holder_user_id', name='uq_opening_unlocked_holder'),
    sa.UniqueConstraint('session_id', 'attempt', 'x', name='uq_opening_unlocked_x')
    )
    with op.batch_alter_table('opening_unlocked_shares', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_opening_unlocked_shares_session_id'), ['session_id'], unique=False)

    op.create_table('opened_bids',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tender_id', sa.Integer(), nullable=False),
    sa.Column('lot_id', sa.Integer(), nullable=False),
    sa.Column('bid_id', sa.Integer(), nullable=False),
    sa.Column('supplier_org_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('void_reason', sa.JSON(), nullable=True),
    sa.Column('product_id', sa.Integer(), nullable=True),
    sa.Column('unit_price_fen', sa.BigInteger(), nullable=True),
    sa.Column('total_fen', sa.BigInteger(), nullable=True),
    sa.Column('envelope_sha256', sa.String(length=64), nullable=False),
    sa.Column('committed_sha256', sa.String(length=64), nullable=True),
    sa.Column('client_sealed', sa.Boolean(), nullable=False),
    sa.Column('opened_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("status IN ('valid', 'void')", name=op.f('ck_opened_bids_status')),
    sa.ForeignKeyConstraint(['bid_id'], ['bids.id'], name=op.f('fk_opened_bids_bid_id_bids')),
    sa.ForeignKeyConstraint(['lot_id'], ['lots.id'], name=op.f('fk_opened_bids_lot_id_lots')),
    sa.ForeignKeyConstraint(['supplier_org_id'], ['organisations.id'], name=op.f('fk_opened_bids_supplier_org_id_organisations')),
    sa.ForeignKeyConstraint(['tender_id'], ['tenders.id'], name=op.f('fk_opened_bids_tender_id_tenders'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_opened_bids')),
    sa.UniqueConstraint('bid_id', name=op.f('uq_opened_bids_bid_id'))
    )
    with op.batch_alter_table('opened_bids', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_opened_bids_lot_id'), ['lot_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_opened_bids_supplier_org_id'), ['supplier_org_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_opened_bids_tender_id'), ['tender_id'], unique=False)

    op.create_table('opened_bid_documents',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('opened_bid_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('content', sa.LargeBinary(), nullable=False),
    sa.ForeignKeyConstraint(['opened_bid_id'], ['opened_bids.id'], name=op.f('fk_opened_bid_documents_opened_bid_id_opened_bids'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_opened_bid_documents'))
    )
    with op.batch_alter_table('opened_bid_documents', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_opened_bid_documents_opened_bid_id'), ['opened_bid_id'], unique=False)

    op.create_table('qualification_results',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('opened_bid_id', sa.Integer(), nullable=False),
    sa.Column('lot_id', sa.Integer(), nullable=False),
    sa.Column('check_name', sa.String(length=20), nullable=False),
    sa.Column('auto_passed', sa.Boolean(), nullable=False),
    sa.Column('reason', sa.JSON(), nullable=False),
    sa.Column('passed', sa.Boolean(), nullable=False),
    sa.Column('override_reason', sa.Text(), nullable=False),
    sa.Column('overridden_by_id', sa.Integer(), nullable=True),
    sa.Column('overridden_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('checked_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("check_name IN ('supplier', 'product', 'compliance', 'price', 'bond')", name=op.f('ck_qualification_results_check_name')),
    sa.ForeignKeyConstraint(['lot_id'], ['lots.id'], name=op.f('fk_qualification_results_lot_id_lots')),
    sa.ForeignKeyConstraint(['opened_bid_id'], ['opened_bids.id'], name=op.f('fk_qualification_results_opened_bid_id_opened_bids'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['overridden_by_id'], ['users.id'], name=op.f('fk_qualification_results_overridden_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_qualification_results')),
    sa.UniqueConstraint('opened_bid_id', 'check_name', name='uq_qualification_results_check')
    )
    with op.batch_alter_table('qualification_results', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_qualification_results_lot_id'), ['lot_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_qualification_results_opened_bid_id'), ['opened_bid_id'], unique=False)

    op.create_table('lot_openings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('lot_id', sa.Integer(), nullable=False),
    sa.Column('tender_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('valid_bids', sa.Integer(), nullable=False),
    sa.Column('qualified_bids', sa.Integer(), nullable=True),
    sa.Column('min_bidders', sa.Integer(), nullable=False),
    sa.Column('fail_reason', sa.JSON(), nullable=True),
    sa.Column('next_step', sa.String(length=40), nullable=True),
    sa.Column('next_step_reason', sa.Text(), nullable=False),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('opened_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("status IN ('qualifying', 'qualified', 'failed', 'retender', 'negotiation')", name=op.f('ck_lot_openings_status')),
    sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_lot_openings_decided_by_id_users')),
    sa.ForeignKeyConstraint(['lot_id'], ['lots.id'], name=op.f('fk_lot_openings_lot_id_lots'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tender_id'], ['tenders.id'], name=op.f('fk_lot_openings_tender_id_tenders'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lot_openings')),
    sa.UniqueConstraint('lot_id', name=op.f('uq_lot_openings_lot_id'))
    )
    with op.batch_alter_table('lot_openings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lot_openings_tender_id'), ['tender_id'], unique=False)


def downgrade():
    with op.batch_alter_table('lot_openings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_lot_openings_tender_id'))
    op.drop_table('lot_openings')
    with op.batch_alter_table('qualification_results', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_qualification_results_opened_bid_id'))
        batch_op.drop_index(batch_op.f('ix_qualification_results_lot_id'))
    op.drop_table('qualification_results')
    with op.batch_alter_table('opened_bid_documents', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_opened_bid_documents_opened_bid_id'))
    op.drop_table('opened_bid_documents')
    with op.batch_alter_table('opened_bids', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_opened_bids_tender_id'))
        batch_op.drop_index(batch_op.f('ix_opened_bids_supplier_org_id'))
        batch_op.drop_index(batch_op.f('ix_opened_bids_lot_id'))
    op.drop_table('opened_bids')
    with op.batch_alter_table('opening_unlocked_shares', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_opening_unlocked_shares_session_id'))
    op.drop_table('opening_unlocked_shares')
    op.drop_table('opening_sessions')
