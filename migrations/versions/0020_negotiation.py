"""negotiation rounds: negotiations, invited firms, rounds with their sealing keys and signed
roots, sealed offers

Revision ID: 0020_negotiation
Revises: 0019_awards
Create Date: 2026-12-03 16:41:03.195955

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0020_negotiation'
down_revision = '0019_awards'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('negotiations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('reference', sa.String(length=40), nullable=False),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('city_id', sa.Integer(), nullable=False),
    sa.Column('centre_org_id', sa.Integer(), nullable=False),
    sa.Column('category_id', sa.Integer(), nullable=True),
    sa.Column('tender_id', sa.Integer(), nullable=True),
    sa.Column('lot_id', sa.Integer(), nullable=True),
    sa.Column('agreement_id', sa.Integer(), nullable=True),
    sa.Column('project_ids', sa.JSON(), nullable=False),
    sa.Column('quantity_milli', sa.BigInteger(), nullable=False),
    sa.Column('unit', sa.String(length=20), nullable=False),
    sa.Column('ceiling_fen', sa.BigInteger(), nullable=False),
    sa.Column('step_bp', sa.Integer(), nullable=False),
    sa.Column('step_min_fen', sa.BigInteger(), nullable=False),
    sa.Column('min_rounds', sa.Integer(), nullable=False),
    sa.Column('tie_rule', sa.String(length=30), nullable=False),
    sa.Column('winner_org_id', sa.Integer(), nullable=True),
    sa.Column('winner_offer_id', sa.Integer(), nullable=True),
    sa.Column('total_fen', sa.BigInteger(), nullable=True),
    sa.Column('fail_reason', sa.JSON(), nullable=True),
    sa.Column('cancel_reason', sa.Text(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('concluded_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("kind IN ('competitive_negotiation', 'competitive_consultation', 'mini_competition')", name=op.f('ck_negotiations_kind')),
    sa.CheckConstraint("status IN ('open', 'final', 'concluded', 'failed', 'cancelled')", name=op.f('ck_negotiations_status')),
    sa.CheckConstraint("tie_rule IN ('earliest_offer', 'lower_first_offer')", name=op.f('ck_negotiations_tie_rule')),
    sa.CheckConstraint('ceiling_fen > 0 AND quantity_milli > 0', name=op.f('ck_negotiations_amounts')),
    sa.CheckConstraint('step_bp >= 0 AND step_bp <= 5000 AND step_min_fen >= 0', name=op.f('ck_negotiations_step')),
    sa.ForeignKeyConstraint(['category_id'], ['categories.id'], name=op.f('fk_negotiations_category_id_categories')),
    sa.ForeignKeyConstraint(['centre_org_id'], ['organisations.id'], name=op.f('fk_negotiations_centre_org_id_organisations')),
    sa.ForeignKeyConstraint(['city_id'], ['cities.id'], name=op.f('fk_negotiations_city_id_cities')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_negotiations_created_by_id_users')),
    sa.ForeignKeyConstraint(['lot_id'], ['lots.id'], name=op.f('fk_negotiations_lot_id_lots'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['tender_id'], ['tenders.id'], name=op.f('fk_negotiations_tender_id_tenders'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['winner_org_id'], ['organisations.id'], name=op.f('fk_negotiations_winner_org_id_organisations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_negotiations')),
    sa.UniqueConstraint('reference', name=op.f('uq_negotiations_reference'))
    )
    with op.batch_alter_table('negotiations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_negotiations_agreement_id'), ['agreement_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_negotiations_centre_org_id'), ['centre_org_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_negotiations_city_id'), ['city_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_negotiations_lot_id'), ['lot_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_negotiations_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_negotiations_tender_id'), ['tender_id'], unique=False)

    op.create_table('negotiation_participants',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('negotiation_id', sa.Integer(), nullable=False),
    sa.Column('supplier_org_id', sa.Integer(), nullable=False),
    sa.Column('invited_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['negotiation_id'], ['negotiations.id'], name=op.f('fk_negotiation_participants_negotiation_id_negotiations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['supplier_org_id'], ['organisations.id'], name=op.f('fk_negotiation_participants_supplier_org_id_organisations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_negotiation_participants')),
    sa.UniqueConstraint('negotiation_id', 'supplier_org_id', name='uq_negotiation_participant')
    )
    with op.batch_alter_table('negotiation_participants', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_negotiation_participants_negotiation_id'), ['negotiation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_negotiation_participants_supplier_org_id'), ['supplier_org_id'], unique=False)

    op.create_table('negotiation_rounds',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('negotiation_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('final', sa.Boolean(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('opened_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('deadline_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('public_key', sa.String(length=64), nullable=False),
    sa.Column('wrapped_private_key', sa.Text(), nullable=True),
    sa.Column('key_salt', sa.String(length=64), nullable=True),
    sa.Column('merkle_root', sa.String(length=64), nullable=True),
    sa.Column('root_statement', sa.Text(), nullable=True),
    sa.Column('root_signature', sa.String(length=200), nullable=True),
    sa.Column('best_total_fen', sa.BigInteger(), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("status IN ('open', 'closed')", name=op.f('ck_negotiation_rounds_status')),
    sa.ForeignKeyConstraint(['negotiation_id'], ['negotiations.id'], name=op.f('fk_negotiation_rounds_negotiation_id_negotiations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_negotiation_rounds')),
    sa.UniqueConstraint('negotiation_id', 'number', name='uq_negotiation_round_number')
    )
    with op.batch_alter_table('negotiation_rounds', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_negotiation_rounds_negotiation_id'), ['negotiation_id'], unique=False)

    op.create_table('negotiation_offers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('negotiation_id', sa.Integer(), nullable=False),
    sa.Column('supplier_org_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('envelope', sa.LargeBinary(), nullable=False),
    sa.Column('envelope_sha256', sa.String(length=64), nullable=False),
    sa.Column('receipt_statement', sa.Text(), nullable=False),
    sa.Column('receipt_signature', sa.String(length=200), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('submitted_by_id', sa.Integer(), nullable=False),
    sa.Column('total_fen', sa.BigInteger(), nullable=True),
    sa.Column('void_reason', sa.JSON(), nullable=True),
    sa.CheckConstraint("status IN ('sealed', 'opened', 'void')", name=op.f('ck_negotiation_offers_status')),
    sa.ForeignKeyConstraint(['negotiation_id'], ['negotiations.id'], name=op.f('fk_negotiation_offers_negotiation_id_negotiations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['round_id'], ['negotiation_rounds.id'], name=op.f('fk_negotiation_offers_round_id_negotiation_rounds'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['submitted_by_id'], ['users.id'], name=op.f('fk_negotiation_offers_submitted_by_id_users')),
    sa.ForeignKeyConstraint(['supplier_org_id'], ['organisations.id'], name=op.f('fk_negotiation_offers_supplier_org_id_organisations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_negotiation_offers')),
    sa.UniqueConstraint('round_id', 'supplier_org_id', name='uq_negotiation_offer_firm')
    )
    with op.batch_alter_table('negotiation_offers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_negotiation_offers_negotiation_id'), ['negotiation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_negotiation_offers_round_id'), ['round_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_negotiation_offers_supplier_org_id'), ['supplier_org_id'], unique=False)



def downgrade():
    with op.batch_alter_table('negotiation_offers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_negotiation_offers_supplier_org_id'))
        batch_op.drop_index(batch_op.f('ix_negotiation_offers_round_id'))
        batch_op.drop_index(batch_op.f('ix_negotiation_offers_negotiation_id'))

    op.drop_table('negotiation_offers')
    with op.batch_alter_table('negotiation_rounds', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_negotiation_rounds_negotiation_id'))

    op.drop_table('negotiation_rounds')
    with op.batch_alter_table('negotiation_participants', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_negotiation_participants_supplier_org_id'))
        batch_op.drop_index(batch_op.f('ix_negotiation_participants_negotiation_id'))

    op.drop_table('negotiation_participants')
    with op.batch_alter_table('negotiations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_negotiations_tender_id'))
        batch_op.drop_index(batch_op.f('ix_negotiations_status'))
        batch_op.drop_index(batch_op.f('ix_negotiations_lot_id'))
        batch_op.drop_index(batch_op.f('ix_negotiations_city_id'))
        batch_op.drop_index(batch_op.f('ix_negotiations_centre_org_id'))
        batch_op.drop_index(batch_op.f('ix_negotiations_agreement_id'))

    op.drop_table('negotiations')
