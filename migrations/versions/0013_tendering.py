"""batch tenders: procedure profiles (dated rules, national defaults seeded here), pooling
rounds and pooled bill lines, tenders with lots, documents, clarification questions, amendments
and followers

Revision ID: 0013_tendering
Revises: 0012_workdays_deadlines
Create Date: 2026-12-03 07:24:21.918910

"""
from alembic import op
import sqlalchemy as sa


revision = '0013_tendering'
down_revision = '0012_workdays_deadlines'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('pooling_rounds',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('reference', sa.String(length=40), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('city_id', sa.Integer(), nullable=False),
    sa.Column('centre_org_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('opens_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('closes_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("status IN ('open', 'closed', 'tendered', 'cancelled')", name=op.f('ck_pooling_rounds_status')),
    sa.CheckConstraint('closes_at > opens_at', name=op.f('ck_pooling_rounds_window')),
    sa.ForeignKeyConstraint(['centre_org_id'], ['organisations.id'], name=op.f('fk_pooling_rounds_centre_org_id_organisations')),
    sa.ForeignKeyConstraint(['city_id'], ['cities.id'], name=op.f('fk_pooling_rounds_city_id_cities')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_pooling_rounds_created_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pooling_rounds')),
    sa.UniqueConstraint('reference', name=op.f('uq_pooling_rounds_reference'))
    )
    with op.batch_alter_table('pooling_rounds', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_pooling_rounds_centre_org_id'), ['centre_org_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_pooling_rounds_city_id'), ['city_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_pooling_rounds_status'), ['status'], unique=False)

    op.create_table('procedure_profiles',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('method', sa.String(length=40), nullable=False),
    sa.Column('track', sa.String(length=10), nullable=False),
    sa.Column('city_id', sa.Integer(), nullable=True),
    sa.Column('effective_from', sa.Date(), nullable=False),
    sa.Column('legal_basis', sa.String(length=300), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('min_tender_days', sa.Integer(), nullable=False),
    sa.Column('doc_availability_working_days', sa.Integer(), nullable=False),
    sa.Column('clarification_cutoff_days', sa.Integer(), nullable=False),
    sa.Column('bond_cap_bp', sa.Integer(), nullable=False),
    sa.Column('min_valid_bidders', sa.Integer(), nullable=False),
    sa.Column('price_weight_floor_goods_bp', sa.Integer(), nullable=False),
    sa.Column('price_weight_floor_services_bp', sa.Integer(), nullable=False),
    sa.Column('award_confirm_working_days', sa.Integer(), nullable=False),
    sa.Column('award_notice_working_days', sa.Integer(), nullable=False),
    sa.Column('standstill_working_days', sa.Integer(), nullable=False),
    sa.Column('challenge_working_days', sa.Integer(), nullable=False),
    sa.Column('challenge_answer_working_days', sa.Integer(), nullable=False),
    sa.Column('complaint_working_days', sa.Integer(), nullable=False),
    sa.Column('contract_sign_days', sa.Integer(), nullable=False),
    sa.Column('contract_publish_working_days', sa.Integer(), nullable=False),
    sa.Column('bond_refund_working_days', sa.Integer(), nullable=False),
    sa.Column('panel_min_size', sa.Integer(), nullable=False),
    sa.Column('panel_large_size', sa.Integer(), nullable=False),
    sa.Column('panel_large_budget_fen', sa.BigInteger(), nullable=False),
    sa.Column('min_negotiation_rounds', sa.Integer(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("method IN ('public_tender', 'competitive_negotiation', 'competitive_consultation', 'framework_agreement', 'call_off')", name=op.f('ck_procedure_profiles_method')),
    sa.CheckConstraint("track IN ('gpl', 'tbl')", name=op.f('ck_procedure_profiles_track')),
    sa.CheckConstraint('bond_cap_bp BETWEEN 0 AND 10000', name=op.f('ck_procedure_profiles_bond_cap')),
    sa.CheckConstraint('min_tender_days >= 0 AND doc_availability_working_days >= 0 AND clarification_cutoff_days >= 0', name=op.f('ck_procedure_profiles_periods')),
    sa.CheckConstraint('min_valid_bidders >= 1', name=op.f('ck_procedure_profiles_min_bidders')),
    sa.CheckConstraint('panel_min_size >= 1 AND panel_large_size >= panel_min_size', name=op.f('ck_procedure_profiles_panel')),
    sa.CheckConstraint('price_weight_floor_goods_bp BETWEEN 0 AND 10000 AND price_weight_floor_services_bp BETWEEN 0 AND 10000', name=op.f('ck_procedure_profiles_price_weights')),
    sa.ForeignKeyConstraint(['city_id'], ['cities.id'], name=op.f('fk_procedure_profiles_city_id_cities')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_procedure_profiles_created_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_procedure_profiles'))
    )
    with op.batch_alter_table('procedure_profiles', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_procedure_profiles_city_id'), ['city_id'], unique=False)
        batch_op.create_index('uq_procedure_profiles_city', ['method', 'track', 'city_id', 'effective_from'], unique=True, sqlite_where=sa.text('city_id IS NOT NULL'), postgresql_where=sa.text('city_id IS NOT NULL'))
        batch_op.create_index('uq_procedure_profiles_national', ['method', 'track', 'effective_from'], unique=True, sqlite_where=sa.text('city_id IS NULL'), postgresql_where=sa.text('city_id IS NULL'))

    op.create_table('pooling_round_categories',
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('category_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['category_id'], ['categories.id'], name=op.f('fk_pooling_round_categories_category_id_categories')),
    sa.ForeignKeyConstraint(['round_id'], ['pooling_rounds.id'], name=op.f('fk_pooling_round_categories_round_id_pooling_rounds'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('round_id', 'category_id', name=op.f('pk_pooling_round_categories'))
    )
    op.create_table('tenders',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('reference', sa.String(length=40), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('city_id', sa.Integer(), nullable=False),
    sa.Column('centre_org_id', sa.Integer(), nullable=False),
    sa.Column('pooling_round_id', sa.Integer(), nullable=True),
    sa.Column('method', sa.String(length=40), nullable=False),
    sa.Column('track', sa.String(length=10), nullable=False),
    sa.Column('profile_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('bid_deadline_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('clarification_cutoff_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('documents_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('submitted_by_id', sa.Integer(), nullable=True),
    sa.Column('reviewed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('reviewed_by_id', sa.Integer(), nullable=True),
    sa.Column('review_comment', sa.Text(), nullable=False),
    sa.Column('review_checks', sa.JSON(), nullable=False),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('published_by_id', sa.Integer(), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('cancelled_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('cancel_reason_type', sa.String(length=40), nullable=True),
    sa.Column('cancel_reason', sa.Text(), nullable=False),
    sa.Column('amendment_count', sa.Integer(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("cancel_reason_type IS NULL OR cancel_reason_type IN ('no_longer_needed', 'budget_withdrawn', 'requirements_changed', 'irregularity', 'insufficient_competition', 'other')", name=op.f('ck_tenders_cancel_reason_type')),
    sa.CheckConstraint("method IN ('public_tender', 'competitive_negotiation', 'competitive_consultation', 'framework_agreement', 'call_off')", name=op.f('ck_tenders_method')),
    sa.CheckConstraint("status IN ('draft', 'finance_review', 'approved', 'published', 'closed', 'cancelled', 'failed')", name=op.f('ck_tenders_status')),
    sa.CheckConstraint("track IN ('gpl', 'tbl')", name=op.f('ck_tenders_track')),
    sa.CheckConstraint('amendment_count >= 0', name=op.f('ck_tenders_amendment_count')),
    sa.ForeignKeyConstraint(['centre_org_id'], ['organisations.id'], name=op.f('fk_tenders_centre_org_id_organisations')),
    sa.ForeignKeyConstraint(['city_id'], ['cities.id'], name=op.f('fk_tenders_city_id_cities')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_tenders_created_by_id_users')),
    sa.ForeignKeyConstraint(['pooling_round_id'], ['pooling_rounds.id'], name=op.f('fk_tenders_pooling_round_id_pooling_rounds')),
    sa.ForeignKeyConstraint(['profile_id'], ['procedure_profiles.id'], name=op.f('fk_tenders_profile_id_procedure_profiles')),
    sa.ForeignKeyConstraint(['published_by_id'], ['users.id'], name=op.f('fk_tenders_published_by_id_users')),
    sa.ForeignKeyConstraint(['reviewed_by_id'], ['users.id'], name=op.f('fk_tenders_reviewed_by_id_users')),
    sa.ForeignKeyConstraint(['submitted_by_id'], ['users.id'], name=op.f('fk_tenders_submitted_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tenders')),
    sa.UniqueConstraint('reference', name=op.f('uq_tenders_reference'))
    )
    with op.batch_alter_table('tenders', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_tenders_bid_deadline_at'), ['bid_deadline_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_tenders_centre_org_id'), ['centre_org_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_tenders_city_id'), ['city_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_tenders_pooling_round_id'), ['pooling_round_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_tenders_status'), ['status'], unique=False)

    op.create_table('lots',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tender_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('category_id', sa.Integer(), nullable=False),
    sa.Column('specification', sa.String(length=300), nullable=False),
    sa.Column('unit', sa.String(length=10), nullable=False),
    sa.Column('quantity_milli', sa.BigInteger(), nullable=False),
    sa.Column('ceiling_fen', sa.BigInteger(), nullable=False),
    sa.Column('bond_fen', sa.BigInteger(), nullable=False),
    sa.Column('requirements', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.CheckConstraint("status IN ('active', 'cancelled', 'failed')", name=op.f('ck_lots_status')),
    sa.CheckConstraint("unit IN ('m3', 'm2', 'm', 't', 'kg', 'L', 'piece', 'set')", name=op.f('ck_lots_unit')),
    sa.CheckConstraint('ceiling_fen > 0 AND bond_fen >= 0', name=op.f('ck_lots_money')),
    sa.CheckConstraint('quantity_milli > 0', name=op.f('ck_lots_quantity_positive')),
    sa.ForeignKeyConstraint(['category_id'], ['categories.id'], name=op.f('fk_lots_category_id_categories')),
    sa.ForeignKeyConstraint(['tender_id'], ['tenders.id'], name=op.f('fk_lots_tender_id_tenders'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lots')),
    sa.UniqueConstraint('tender_id', 'number', name='uq_lots_tender_number')
    )
    with op.batch_alter_table('lots', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lots_category_id'), ['category_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_lots_tender_id'), ['tender_id'], unique=False)

    op.create_table('tender_amendments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tender_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('rationale', sa.Text(), nullable=False),
    sa.Column('changes', sa.JSON(), nullable=False),
    sa.Column('deadline_before', sa.DateTime(timezone=True), nullable=True),
    sa.Column('deadline_after', sa.DateTime(timezone=True), nullable=True),
    sa.Column('deadline_moved', sa.Boolean(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_tender_amendments_created_by_id_users')),
    sa.ForeignKeyConstraint(['tender_id'], ['tenders.id'], name=op.f('fk_tender_amendments_tender_id_tenders'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tender_amendments')),
    sa.UniqueConstraint('tender_id', 'number', name='uq_tender_amendments_number')
    )
    with op.batch_alter_table('tender_amendments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_tender_amendments_tender_id'), ['tender_id'], unique=False)

    op.create_table('tender_follows',
    sa.Column('tender_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['tender_id'], ['tenders.id'], name=op.f('fk_tender_follows_tender_id_tenders'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_tender_follows_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('tender_id', 'user_id', name=op.f('pk_tender_follows'))
    )
    op.create_table('pooled_lines',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('bom_line_id', sa.Integer(), nullable=False),
    sa.Column('category_id', sa.Integer(), nullable=False),
    sa.Column('specification', sa.String(length=300), nullable=False),
    sa.Column('quantity_milli', sa.BigInteger(), nullable=False),
    sa.Column('unit', sa.String(length=10), nullable=False),
    sa.Column('est_unit_price_fen', sa.BigInteger(), nullable=False),
    sa.Column('est_amount_fen', sa.BigInteger(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('lot_id', sa.Integer(), nullable=True),
    sa.Column('contributed_by_id', sa.Integer(), nullable=True),
    sa.Column('contributed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("status IN ('contributed', 'assigned', 'withdrawn', 'released')", name=op.f('ck_pooled_lines_status')),
    sa.CheckConstraint("unit IN ('m3', 'm2', 'm', 't', 'kg', 'L', 'piece', 'set')", name=op.f('ck_pooled_lines_unit')),
    sa.CheckConstraint('quantity_milli > 0 AND est_amount_fen >= 0', name=op.f('ck_pooled_lines_amounts')),
    sa.ForeignKeyConstraint(['bom_line_id'], ['bom_lines.id'], name=op.f('fk_pooled_lines_bom_line_id_bom_lines')),
    sa.ForeignKeyConstraint(['category_id'], ['categories.id'], name=op.f('fk_pooled_lines_category_id_categories')),
    sa.ForeignKeyConstraint(['contributed_by_id'], ['users.id'], name=op.f('fk_pooled_lines_contributed_by_id_users')),
    sa.ForeignKeyConstraint(['lot_id'], ['lots.id'], name=op.f('fk_pooled_lines_lot_id_lots')),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_pooled_lines_project_id_projects')),
    sa.ForeignKeyConstraint(['round_id'], ['pooling_rounds.id'], name=op.f('fk_pooled_lines_round_id_pooling_rounds')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pooled_lines'))
    )
    with op.batch_alter_table('pooled_lines', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_pooled_lines_bom_line_id'), ['bom_line_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_pooled_lines_lot_id'), ['lot_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_pooled_lines_project_id'), ['project_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_pooled_lines_round_id'), ['round_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_pooled_lines_status'), ['status'], unique=False)
        batch_op.create_index('uq_pooled_lines_live_bom_line', ['bom_line_id'], unique=True, sqlite_where=sa.text("status IN ('contributed', 'assigned')"), postgresql_where=sa.text("status IN ('contributed', 'assigned')"))

    op.create_table('tender_documents',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tender_id', sa.Integer(), nullable=False),
    sa.Column('document_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('display_name', sa.String(length=255), nullable=False),
    sa.Column('amendment_id', sa.Integer(), nullable=True),
    sa.Column('withdrawn', sa.Boolean(), nullable=False),
    sa.Column('added_by_id', sa.Integer(), nullable=True),
    sa.Column('added_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['added_by_id'], ['users.id'], name=op.f('fk_tender_documents_added_by_id_users')),
    sa.ForeignKeyConstraint(['amendment_id'], ['tender_amendments.id'], name=op.f('fk_tender_documents_amendment_id_tender_amendments')),
    sa.ForeignKeyConstraint(['document_id'], ['documents.id'], name=op.f('fk_tender_documents_document_id_documents')),
    sa.ForeignKeyConstraint(['tender_id'], ['tenders.id'], name=op.f('fk_tender_documents_tender_id_tenders'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tender_documents'))
    )
    with op.batch_alter_table('tender_documents', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_tender_documents_tender_id'), ['tender_id'], unique=False)

    op.create_table('tender_questions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tender_id', sa.Integer(), nullable=False),
    sa.Column('lot_id', sa.Integer(), nullable=True),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('asker_org_id', sa.Integer(), nullable=False),
    sa.Column('asker_user_id', sa.Integer(), nullable=True),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('asked_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('answer', sa.Text(), nullable=False),
    sa.Column('answered_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('answered_by_id', sa.Integer(), nullable=True),
    sa.Column('flagged_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("status IN ('open', 'answered')", name=op.f('ck_tender_questions_status')),
    sa.ForeignKeyConstraint(['answered_by_id'], ['users.id'], name=op.f('fk_tender_questions_answered_by_id_users')),
    sa.ForeignKeyConstraint(['asker_org_id'], ['organisations.id'], name=op.f('fk_tender_questions_asker_org_id_organisations')),
    sa.ForeignKeyConstraint(['asker_user_id'], ['users.id'], name=op.f('fk_tender_questions_asker_user_id_users')),
    sa.ForeignKeyConstraint(['lot_id'], ['lots.id'], name=op.f('fk_tender_questions_lot_id_lots')),
    sa.ForeignKeyConstraint(['tender_id'], ['tenders.id'], name=op.f('fk_tender_questions_tender_id_tenders'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tender_questions')),
    sa.UniqueConstraint('tender_id', 'number', name='uq_tender_questions_number')
    )
    with op.batch_alter_table('tender_questions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_tender_questions_tender_id'), ['tender_id'], unique=False)
    _seed_national_profiles()


# The national defaults (DOMAIN.md sections 6 and 9). A later rule change is a new dated row
# added by a later migration or `flask profiles add`, never an edit of these.
_COMMON = dict(price_weight_floor_goods_bp=3000, price_weight_floor_services_bp=1000,
               award_confirm_working_days=5, award_notice_working_days=1, standstill_working_days=7,
               challenge_working_days=7, challenge_answer_working_days=7, complaint_working_days=15,
               contract_sign_days=30, contract_publish_working_days=2, bond_refund_working_days=5,
               panel_large_budget_fen=1_000_000_000)
_NATIONAL = [
    # method, track, effective_from, legal basis, then the numbers that differ by method
    ("public_tender", "gpl", "2017-10-01", "Government Procurement Law; MOF Order 87 (2017)",
     dict(min_tender_days=20, doc_availability_working_days=5, clarification_cutoff_days=15, bond_cap_bp=200,
          min_valid_bidders=3, panel_min_size=5, panel_large_size=7, min_negotiation_rounds=0)),
    ("public_tender", "tbl", "2000-01-01", "Tendering and Bidding Law and its implementing regulations",
     dict(min_tender_days=20, doc_availability_working_days=5, clarification_cutoff_days=15, bond_cap_bp=200,
          min_valid_bidders=3, panel_min_size=5, panel_large_size=7, min_negotiation_rounds=0)),
    ("competitive_negotiation", "gpl", "2014-02-01", "MOF Order 74 (2014)",
     dict(min_tender_days=3, doc_availability_working_days=3, clarification_cutoff_days=3, bond_cap_bp=200,
          min_valid_bidders=3, panel_min_size=3, panel_large_size=5, min_negotiation_rounds=1)),
    ("competitive_consultation", "gpl", "2015-01-01", "MOF Cai Ku [2014] 214",
     dict(min_tender_days=10, doc_availability_working_days=5, clarification_cutoff_days=5, bond_cap_bp=200,
          min_valid_bidders=3, panel_min_size=3, panel_large_size=5, min_negotiation_rounds=1)),
    ("framework_agreement", "gpl", "2022-03-01", "MOF Order 110 (2022)",
     dict(min_tender_days=20, doc_availability_working_days=5, clarification_cutoff_days=15, bond_cap_bp=200,
          min_valid_bidders=3, panel_min_size=5, panel_large_size=7, min_negotiation_rounds=0)),
    ("call_off", "gpl", "2022-03-01", "MOF Order 110 (2022), second-stage call-offs",
     dict(min_tender_days=3, doc_availability_working_days=0, clarification_cutoff_days=1, bond_cap_bp=0,
          min_valid_bidders=1, panel_min_size=1, panel_large_size=1, min_negotiation_rounds=1)),
]


def _seed_national_profiles():
    import datetime as dt

    table = sa.table("procedure_profiles", *[sa.column(name) for name in (
        "method", "track", "city_id", "effective_from", "legal_basis", "note", "created_at",
        *_COMMON, "min_tender_days", "doc_availability_working_days", "clarification_cutoff_days", "bond_cap_bp",
        "min_valid_bidders", "panel_min_size", "panel_large_size", "min_negotiation_rounds")])
    now = dt.datetime(2026, 12, 3, tzinfo=dt.timezone.utc)
    op.bulk_insert(table, [
        {"method": method, "track": track, "city_id": None, "effective_from": dt.date.fromisoformat(day),
         "legal_basis": basis, "note": "", "created_at": now, **_COMMON, **numbers}
        for method, track, day, basis, numbers in _NATIONAL])


def downgrade():
    with op.batch_alter_table('tender_questions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_tender_questions_tender_id'))

    op.drop_table('tender_questions')
    with op.batch_alter_table('tender_documents', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_tender_documents_tender_id'))

    op.drop_table('tender_documents')
    with op.batch_alter_table('pooled_lines', schema=None) as batch_op:
        batch_op.drop_index('uq_pooled_lines_live_bom_line', sqlite_where=sa.text("status IN ('contributed', 'assigned')"), postgresql_where=sa.text("status IN ('contributed', 'assigned')"))
        batch_op.drop_index(batch_op.f('ix_pooled_lines_status'))
        batch_op.drop_index(batch_op.f('ix_pooled_lines_round_id'))
        batch_op.drop_index(batch_op.f('ix_pooled_lines_project_id'))
        batch_op.drop_index(batch_op.f('ix_pooled_lines_lot_id'))
        batch_op.drop_index(batch_op.f('ix_pooled_lines_bom_line_id'))

    op.drop_table('pooled_lines')
    op.drop_table('tender_follows')
    with op.batch_alter_table('tender_amendments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_tender_amendments_tender_id'))

    op.drop_table('tender_amendments')
    with op.batch_alter_table('lots', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_lots_tender_id'))
        batch_op.drop_index(batch_op.f('ix_lots_category_id'))

    op.drop_table('lots')
    with op.batch_alter_table('tenders', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_tenders_status'))
        batch_op.drop_index(batch_op.f('ix_tenders_pooling_round_id'))
        batch_op.drop_index(batch_op.f('ix_tenders_city_id'))
        batch_op.drop_index(batch_op.f('ix_tenders_centre_org_id'))
        batch_op.drop_index(batch_op.f('ix_tenders_bid_deadline_at'))

    op.drop_table('tenders')
    op.drop_table('pooling_round_categories')
    with op.batch_alter_table('procedure_profiles', schema=None) as batch_op:
        batch_op.drop_index('uq_procedure_profiles_national', sqlite_where=sa.text('city_id IS NULL'), postgresql_where=sa.text('city_id IS NULL'))
        batch_op.drop_index('uq_procedure_profiles_city', sqlite_where=sa.text('city_id IS NOT NULL'), postgresql_where=sa.text('city_id IS NOT NULL'))
        batch_op.drop_index(batch_op.f('ix_procedure_profiles_city_id'))

    op.drop_table('procedure_profiles')
    with op.batch_alter_table('pooling_rounds', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_pooling_rounds_status'))
        batch_op.drop_index(batch_op.f('ix_pooling_rounds_city_id'))
        batch_op.drop_index(batch_op.f('ix_pooling_rounds_centre_org_id'))

    op.drop_table('pooling_rounds')
