"""sealed bids: key holders, tender opening keys and their Shamir shares, sealed bids, signed
receipts and the Merkle roots published at the deadline

Revision ID: 0014_bids
Revises: 0013_tendering
Create Date: 2026-12-03 08:31:05.622992

"""
from alembic import op
import sqlalchemy as sa


revision = '0014_bids'
down_revision = '0013_tendering'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('bid_key_holders',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('public_key', sa.String(length=64), nullable=False),
    sa.Column('wrapped_private_key', sa.Text(), nullable=False),
    sa.Column('salt', sa.String(length=64), nullable=False),
    sa.Column('opslimit', sa.Integer(), nullable=False),
    sa.Column('memlimit', sa.Integer(), nullable=False),
    sa.Column('enrolled_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_bid_key_holders_organisation_id_organisations')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_bid_key_holders_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', name=op.f('pk_bid_key_holders'))
    )
    with op.batch_alter_table('bid_key_holders', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_bid_key_holders_organisation_id'), ['organisation_id'], unique=False)

    op.create_table('tender_bid_roots',
    sa.Column('tender_id', sa.Integer(), nullable=False),
    sa.Column('root', sa.String(length=64), nullable=False),
    sa.Column('leaf_count', sa.Integer(), nullable=False),
    sa.Column('leaves', sa.Text(), nullable=False),
    sa.Column('statement', sa.Text(), nullable=False),
    sa.Column('signature', sa.String(length=100), nullable=False),
    sa.Column('computed_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['tender_id'], ['tenders.id'], name=op.f('fk_tender_bid_roots_tender_id_tenders'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('tender_id', name=op.f('pk_tender_bid_roots'))
    )
    op.create_table('tender_opening_keys',
    sa.Column('tender_id', sa.Integer(), nullable=False),
    sa.Column('public_key', sa.String(length=64), nullable=False),
    sa.Column('k', sa.Integer(), nullable=False),
    sa.Column('n', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('k >= 2 AND n >= k', name=op.f('ck_tender_opening_keys_threshold')),
    sa.ForeignKeyConstraint(['tender_id'], ['tenders.id'], name=op.f('fk_tender_opening_keys_tender_id_tenders'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('tender_id', name=op.f('pk_tender_opening_keys'))
    )
    op.create_table('bids',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tender_id', sa.Integer(), nullable=False),
    sa.Column('lot_id', sa.Integer(), nullable=False),
    sa.Column('supplier_org_id', sa.Integer(), nullable=False),
    sa.Column('submitted_by_id', sa.Integer(), nullable=True),
    sa.Column('sequence', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=30), nullable=False),
    sa.Column('sealed_envelope', sa.LargeBinary(), nullable=False),
    sa.Column('envelope_sha256', sa.String(length=64), nullable=False),
    sa.Column('client_sealed', sa.Boolean(), nullable=False),
    sa.Column('idempotency_key', sa.String(length=80), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('replaces_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("status IN ('submitted', 'replaced', 'withdrawn', 'needs_reconfirmation', 'not_opened')", name=op.f('ck_bids_status')),
    sa.ForeignKeyConstraint(['lot_id'], ['lots.id'], name=op.f('fk_bids_lot_id_lots')),
    sa.ForeignKeyConstraint(['replaces_id'], ['bids.id'], name=op.f('fk_bids_replaces_id_bids')),
    sa.ForeignKeyConstraint(['submitted_by_id'], ['users.id'], name=op.f('fk_bids_submitted_by_id_users')),
    sa.ForeignKeyConstraint(['supplier_org_id'], ['organisations.id'], name=op.f('fk_bids_supplier_org_id_organisations')),
    sa.ForeignKeyConstraint(['tender_id'], ['tenders.id'], name=op.f('fk_bids_tender_id_tenders'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bids')),
    sa.UniqueConstraint('supplier_org_id', 'idempotency_key', name='uq_bids_idempotency')
    )
    with op.batch_alter_table('bids', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_bids_lot_id'), ['lot_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_bids_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_bids_supplier_org_id'), ['supplier_org_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_bids_tender_id'), ['tender_id'], unique=False)
        batch_op.create_index('uq_bids_live_supplier_lot', ['lot_id', 'supplier_org_id'], unique=True, sqlite_where=sa.text("status IN ('submitted', 'needs_reconfirmation')"), postgresql_where=sa.text("status IN ('submitted', 'needs_reconfirmation')"))

    op.create_table('tender_key_shares',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tender_id', sa.Integer(), nullable=False),
    sa.Column('holder_user_id', sa.Integer(), nullable=False),
    sa.Column('x', sa.Integer(), nullable=False),
    sa.Column('sealed_share', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['holder_user_id'], ['users.id'], name=op.f('fk_tender_key_shares_holder_user_id_users')),
    sa.ForeignKeyConstraint(['tender_id'], ['tender_opening_keys.tender_id'], name=op.f('fk_tender_key_shares_tender_id_tender_opening_keys'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tender_key_shares')),
    sa.UniqueConstraint('tender_id', 'holder_user_id', name='uq_tender_key_shares_holder'),
    sa.UniqueConstraint('tender_id', 'x', name='uq_tender_key_shares_x')
    )
    with op.batch_alter_table('tender_key_shares', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_tender_key_shares_holder_user_id'), ['holder_user_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_tender_key_shares_tender_id'), ['tender_id'], unique=False)

    op.create_table('bid_receipts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('bid_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('statement', sa.Text(), nullable=False),
    sa.Column('signature', sa.String(length=100), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("kind IN ('submitted', 'replaced', 'withdrawn', 'reconfirmed')", name=op.f('ck_bid_receipts_kind')),
    sa.ForeignKeyConstraint(['bid_id'], ['bids.id'], name=op.f('fk_bid_receipts_bid_id_bids'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bid_receipts'))
    )
    with op.batch_alter_table('bid_receipts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_bid_receipts_bid_id'), ['bid_id'], unique=False)



def downgrade():
    with op.batch_alter_table('bid_receipts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_bid_receipts_bid_id'))

    op.drop_table('bid_receipts')
    with op.batch_alter_table('tender_key_shares', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_tender_key_shares_tender_id'))
        batch_op.drop_index(batch_op.f('ix_tender_key_shares_holder_user_id'))

    op.drop_table('tender_key_shares')
    with op.batch_alter_table('bids', schema=None) as batch_op:
        batch_op.drop_index('uq_bids_live_supplier_lot', sqlite_where=sa.text("status IN ('submitted', 'needs_reconfirmation')"), postgresql_where=sa.text("status IN ('submitted', 'needs_reconfirmation')"))
        batch_op.drop_index(batch_op.f('ix_bids_tender_id'))
        batch_op.drop_index(batch_op.f('ix_bids_supplier_org_id'))
        batch_op.drop_index(batch_op.f('ix_bids_status'))
        batch_op.drop_index(batch_op.f('ix_bids_lot_id'))

    op.drop_table('bids')
    op.drop_table('tender_opening_keys')
    op.drop_table('tender_bid_roots')
    with op.batch_alter_table('bid_key_holders', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_bid_key_holders_organisation_id'))

    op.drop_table('bid_key_holders')
