"""awards: the award of each lot (finance review, award notice, standstill), offers to the
next-ranked firms, challenges and complaints; the profiles' complaint decision period

Revision ID: 0019_awards
Revises: 0018_scoring
Create Date: 2026-12-12 09:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0019_awards'
down_revision = '0018_scoring'
branch_labels = None
depends_on = None

_LIVE_OFFER = "status IN ('offered', 'accepted')"


def upgrade():
    # The finance office decides a complaint within 30 working days (Government Procurement
    # Law art. 56): a rule number, so a profile column (existing rows get the national default).
    # Plain ADD/DROP COLUMN (SQLite >= 3.35 has both): a batch copy of the table would have to
    # carry its partial unique indexes over.
    op.add_column('procedure_profiles', sa.Column('complaint_decision_working_days', sa.Integer(), nullable=False,
                                                  server_default=sa.text('30')))

    op.create_table('awards',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tender_id', sa.Integer(), nullable=False),
    sa.Column('lot_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('profile_id', sa.Integer(), nullable=True),
    sa.Column('candidates', sa.JSON(), nullable=False),
    sa.Column('winner_org_id', sa.Integer(), nullable=True),
    sa.Column('winner_bid_id', sa.Integer(), nullable=True),
    sa.Column('winner_opened_bid_id', sa.Integer(), nullable=True),
    sa.Column('winner_rank', sa.Integer(), nullable=True),
    sa.Column('total_fen', sa.BigInteger(), nullable=True),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('submitted_by_id', sa.Integer(), nullable=True),
    sa.Column('review_due_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('review_overdue_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('reviewed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('reviewed_by_id', sa.Integer(), nullable=True),
    sa.Column('review_comment', sa.Text(), nullable=False),
    sa.Column('notice_number', sa.Integer(), nullable=False),
    sa.Column('notice_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('notice_by_id', sa.Integer(), nullable=True),
    sa.Column('notice_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('standstill_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('challenge_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('fail_reason', sa.JSON(), nullable=True),
    sa.Column('failed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('next_step', sa.String(length=40), nullable=True),
    sa.Column('next_step_reason', sa.Text(), nullable=False),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("status IN ('finance_review', 'returned', 'approved', 'notified', 'offering', 'failed', "
                       "'retender', 'negotiation')", name=op.f('ck_awards_status')),
    sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_awards_decided_by_id_users')),
    sa.ForeignKeyConstraint(['lot_id'], ['lots.id'], name=op.f('fk_awards_lot_id_lots'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['notice_by_id'], ['users.id'], name=op.f('fk_awards_notice_by_id_users')),
    sa.ForeignKeyConstraint(['profile_id'], ['procedure_profiles.id'], name=op.f('fk_awards_profile_id_procedure_profiles')),
    sa.ForeignKeyConstraint(['reviewed_by_id'], ['users.id'], name=op.f('fk_awards_reviewed_by_id_users')),
    sa.ForeignKeyConstraint(['submitted_by_id'], ['users.id'], name=op.f('fk_awards_submitted_by_id_users')),
    sa.ForeignKeyConstraint(['tender_id'], ['tenders.id'], name=op.f('fk_awards_tender_id_tenders'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['winner_bid_id'], ['bids.id'], name=op.f('fk_awards_winner_bid_id_bids')),
    sa.ForeignKeyConstraint(['winner_org_id'], ['organisations.id'], name=op.f('fk_awards_winner_org_id_organisations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_awards')),
    sa.UniqueConstraint('lot_id', name=op.f('uq_awards_lot_id'))
    )
    with op.batch_alter_table('awards', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_awards_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_awards_tender_id'), ['tender_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_awards_winner_org_id'), ['winner_org_id'], unique=False)

    op.create_table('award_offers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('award_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('rank', sa.Integer(), nullable=False),
    sa.Column('supplier_org_id', sa.Integer(), nullable=False),
    sa.Column('bid_id', sa.Integer(), nullable=True),
    sa.Column('opened_bid_id', sa.Integer(), nullable=True),
    sa.Column('total_fen', sa.BigInteger(), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('offered_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('respond_by', sa.DateTime(timezone=True), nullable=True),
    sa.Column('responded_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('responded_by_id', sa.Integer(), nullable=True),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('withdrawal_kind', sa.String(length=20), nullable=True),
    sa.Column('bond_id', sa.Integer(), nullable=True),
    sa.Column('bond_forfeited', sa.Boolean(), nullable=False),
    sa.CheckConstraint("status IN ('offered', 'accepted', 'declined', 'lapsed', 'withdrawn')",
                       name=op.f('ck_award_offers_status')),
    sa.CheckConstraint("withdrawal_kind IS NULL OR withdrawal_kind IN ('winner_withdrew', 'refused_to_sign')",
                       name=op.f('ck_award_offers_withdrawal_kind')),
    sa.ForeignKeyConstraint(['award_id'], ['awards.id'], name=op.f('fk_award_offers_award_id_awards'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['bid_id'], ['bids.id'], name=op.f('fk_award_offers_bid_id_bids')),
    sa.ForeignKeyConstraint(['bond_id'], ['bonds.id'], name=op.f('fk_award_offers_bond_id_bonds')),
    sa.ForeignKeyConstraint(['responded_by_id'], ['users.id'], name=op.f('fk_award_offers_responded_by_id_users')),
    sa.ForeignKeyConstraint(['supplier_org_id'], ['organisations.id'], name=op.f('fk_award_offers_supplier_org_id_organisations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_award_offers')),
    sa.UniqueConstraint('award_id', 'number', name='uq_award_offers_number'),
    sa.UniqueConstraint('award_id', 'supplier_org_id', name='uq_award_offers_firm')
    )
    with op.batch_alter_table('award_offers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_award_offers_award_id'), ['award_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_award_offers_supplier_org_id'), ['supplier_org_id'], unique=False)
        batch_op.create_index('uq_award_offers_live', ['award_id'], unique=True,
                              sqlite_where=sa.text(_LIVE_OFFER), postgresql_where=sa.text(_LIVE_OFFER))

    op.create_table('award_challenges',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('award_id', sa.Integer(), nullable=False),
    sa.Column('tender_id', sa.Integer(), nullable=False),
    sa.Column('lot_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('notice_number', sa.Integer(), nullable=False),
    sa.Column('supplier_org_id', sa.Integer(), nullable=False),
    sa.Column('lodged_by_id', sa.Integer(), nullable=True),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('lodged_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('answer_due_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('answer_overdue_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('answer', sa.Text(), nullable=False),
    sa.Column('answered_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('answered_by_id', sa.Integer(), nullable=True),
    sa.Column('complaint_until', sa.DateTime(timezone=True), nullable=False),
    sa.Column('withdrawn_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("status IN ('lodged', 'answered', 'withdrawn')", name=op.f('ck_award_challenges_status')),
    sa.ForeignKeyConstraint(['answered_by_id'], ['users.id'], name=op.f('fk_award_challenges_answered_by_id_users')),
    sa.ForeignKeyConstraint(['award_id'], ['awards.id'], name=op.f('fk_award_challenges_award_id_awards'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['lodged_by_id'], ['users.id'], name=op.f('fk_award_challenges_lodged_by_id_users')),
    sa.ForeignKeyConstraint(['lot_id'], ['lots.id'], name=op.f('fk_award_challenges_lot_id_lots'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['supplier_org_id'], ['organisations.id'], name=op.f('fk_award_challenges_supplier_org_id_organisations')),
    sa.ForeignKeyConstraint(['tender_id'], ['tenders.id'], name=op.f('fk_award_challenges_tender_id_tenders'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_award_challenges')),
    sa.UniqueConstraint('award_id', 'number', name='uq_award_challenges_number')
    )
    with op.batch_alter_table('award_challenges', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_award_challenges_award_id'), ['award_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_award_challenges_supplier_org_id'), ['supplier_org_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_award_challenges_tender_id'), ['tender_id'], unique=False)

    op.create_table('award_complaints',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('challenge_id', sa.Integer(), nullable=False),
    sa.Column('award_id', sa.Integer(), nullable=False),
    sa.Column('supplier_org_id', sa.Integer(), nullable=False),
    sa.Column('lodged_by_id', sa.Integer(), nullable=True),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('lodged_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('decision_due_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('decision_overdue_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('decision', sa.Text(), nullable=False),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('withdrawn_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("status IN ('lodged', 'upheld', 'dismissed', 'withdrawn')",
                       name=op.f('ck_award_complaints_status')),
    sa.ForeignKeyConstraint(['award_id'], ['awards.id'], name=op.f('fk_award_complaints_award_id_awards'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['challenge_id'], ['award_challenges.id'], name=op.f('fk_award_complaints_challenge_id_award_challenges'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_award_complaints_decided_by_id_users')),
    sa.ForeignKeyConstraint(['lodged_by_id'], ['users.id'], name=op.f('fk_award_complaints_lodged_by_id_users')),
    sa.ForeignKeyConstraint(['supplier_org_id'], ['organisations.id'], name=op.f('fk_award_complaints_supplier_org_id_organisations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_award_complaints')),
    sa.UniqueConstraint('challenge_id', name=op.f('uq_award_complaints_challenge_id'))
    )
    with op.batch_alter_table('award_complaints', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_award_complaints_award_id'), ['award_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_award_complaints_supplier_org_id'), ['supplier_org_id'], unique=False)


def downgrade():
    with op.batch_alter_table('award_complaints', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_award_complaints_supplier_org_id'))
        batch_op.drop_index(batch_op.f('ix_award_complaints_award_id'))
    op.drop_table('award_complaints')
    with op.batch_alter_table('award_challenges', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_award_challenges_tender_id'))
        batch_op.drop_index(batch_op.f('ix_award_challenges_supplier_org_id'))
        batch_op.drop_index(batch_op.f('ix_award_challenges_award_id'))
    op.drop_table('award_challenges')
    with op.batch_alter_table('award_offers', schema=None) as batch_op:
        batch_op.drop_index('uq_award_offers_live', sqlite_where=sa.text(_LIVE_OFFER),
                            postgresql_where=sa.text(_LIVE_OFFER))
        batch_op.drop_index(batch_op.f('ix_award_offers_supplier_org_id'))
        batch_op.drop_index(batch_op.f('ix_award_offers_award_id'))
    op.drop_table('award_offers')
    with op.batch_alter_table('awards', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_awards_winner_org_id'))
        batch_op.drop_index(batch_op.f('ix_awards_tender_id'))
        batch_op.drop_index(batch_op.f('ix_awards_status'))
    op.drop_table('awards')
    op.drop_column('procedure_profiles', 'complaint_decision_working_days')
