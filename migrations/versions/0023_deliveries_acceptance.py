"""deliveries and completion acceptance: deliveries against order lines (automatic checks,
the site manager's decision), lab samples, the acceptance checklist per bill line, payments to
suppliers with quality retention

Revision ID: 0023_deliveries_acceptance
Revises: 0022_inspections
Create Date: 2026-12-14 09:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0023_deliveries_acceptance'
down_revision = '0022_inspections'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('acceptance_checklists',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('generated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('generated_by_id', sa.Integer(), nullable=True),
    sa.Column('signed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('signed_by_id', sa.Integer(), nullable=True),
    sa.Column('remarks', sa.Text(), nullable=False),
    sa.CheckConstraint("status IN ('draft', 'signed')", name=op.f('ck_acceptance_checklists_status')),
    sa.ForeignKeyConstraint(['generated_by_id'], ['users.id'], name=op.f('fk_acceptance_checklists_generated_by_id_users')),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_acceptance_checklists_project_id_projects')),
    sa.ForeignKeyConstraint(['signed_by_id'], ['users.id'], name=op.f('fk_acceptance_checklists_signed_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_acceptance_checklists')),
    sa.UniqueConstraint('project_id', name=op.f('uq_acceptance_checklists_project_id'))
    )
    op.create_table('acceptance_checklist_items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('checklist_id', sa.Integer(), nullable=False),
    sa.Column('bom_line_id', sa.Integer(), nullable=False),
    sa.Column('line_no', sa.Integer(), nullable=False),
    sa.Column('category_id', sa.Integer(), nullable=False),
    sa.Column('product_ids', sa.JSON(), nullable=False),
    sa.Column('ordered_milli', sa.BigInteger(), nullable=False),
    sa.Column('accepted_milli', sa.BigInteger(), nullable=False),
    sa.Column('delivered_in_full', sa.Boolean(), nullable=False),
    sa.Column('certified', sa.Boolean(), nullable=False),
    sa.Column('compliant', sa.Boolean(), nullable=False),
    sa.Column('inspections_clear', sa.Boolean(), nullable=False),
    sa.Column('passed', sa.Boolean(), nullable=False),
    sa.Column('notes', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['bom_line_id'], ['bom_lines.id'], name=op.f('fk_acceptance_checklist_items_bom_line_id_bom_lines')),
    sa.ForeignKeyConstraint(['category_id'], ['categories.id'], name=op.f('fk_acceptance_checklist_items_category_id_categories')),
    sa.ForeignKeyConstraint(['checklist_id'], ['acceptance_checklists.id'], name=op.f('fk_acceptance_checklist_items_checklist_id_acceptance_checklists'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_acceptance_checklist_items')),
    sa.UniqueConstraint('checklist_id', 'bom_line_id', name='uq_checklist_items_line')
    )
    with op.batch_alter_table('acceptance_checklist_items', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_acceptance_checklist_items_checklist_id'), ['checklist_id'], unique=False)

    op.create_table('supplier_payments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('supplier_org_id', sa.Integer(), nullable=False),
    sa.Column('reference', sa.String(length=80), nullable=False),
    sa.Column('amount_fen', sa.BigInteger(), nullable=False),
    sa.Column('retention_bp', sa.Integer(), nullable=False),
    sa.Column('retention_fen', sa.BigInteger(), nullable=False),
    sa.Column('paid_fen', sa.BigInteger(), nullable=False),
    sa.Column('paid_on', sa.Date(), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint('amount_fen = retention_fen + paid_fen', name=op.f('ck_supplier_payments_sum')),
    sa.CheckConstraint('amount_fen > 0 AND retention_fen >= 0 AND paid_fen >= 0', name=op.f('ck_supplier_payments_amounts')),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_supplier_payments_order_id_orders')),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_supplier_payments_project_id_projects')),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'], name=op.f('fk_supplier_payments_recorded_by_id_users')),
    sa.ForeignKeyConstraint(['supplier_org_id'], ['organisations.id'], name=op.f('fk_supplier_payments_supplier_org_id_organisations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_supplier_payments')),
    sa.UniqueConstraint('order_id', 'reference', name='uq_supplier_payments_reference')
    )
    with op.batch_alter_table('supplier_payments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_supplier_payments_order_id'), ['order_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_supplier_payments_project_id'), ['project_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_supplier_payments_supplier_org_id'), ['supplier_org_id'], unique=False)

    op.create_table('deliveries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('reference', sa.String(length=40), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('order_line_id', sa.Integer(), nullable=False),
    sa.Column('supplier_org_id', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('quantity_milli', sa.BigInteger(), nullable=False),
    sa.Column('unit', sa.String(length=10), nullable=False),
    sa.Column('batch_number', sa.String(length=80), nullable=False),
    sa.Column('delivered_on', sa.Date(), nullable=False),
    sa.Column('delivery_note_id', sa.Integer(), nullable=False),
    sa.Column('evidence_kind', sa.String(length=20), nullable=False),
    sa.Column('evidence_number', sa.String(length=80), nullable=False),
    sa.Column('checks', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decision_reason', sa.Text(), nullable=False),
    sa.CheckConstraint("evidence_kind IN ('certificate', 'test_report')", name=op.f('ck_deliveries_evidence_kind')),
    sa.CheckConstraint("status IN ('recorded', 'sampling', 'accepted', 'rejected')", name=op.f('ck_deliveries_status')),
    sa.CheckConstraint("unit IN ('m3', 'm2', 'm', 't', 'kg', 'L', 'piece', 'set')", name=op.f('ck_deliveries_unit')),
    sa.CheckConstraint('quantity_milli > 0', name=op.f('ck_deliveries_quantity_positive')),
    sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_deliveries_decided_by_id_users')),
    sa.ForeignKeyConstraint(['delivery_note_id'], ['documents.id'], name=op.f('fk_deliveries_delivery_note_id_documents')),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_deliveries_order_id_orders')),
    sa.ForeignKeyConstraint(['order_line_id'], ['order_lines.id'], name=op.f('fk_deliveries_order_line_id_order_lines')),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_deliveries_project_id_projects')),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'], name=op.f('fk_deliveries_recorded_by_id_users')),
    sa.ForeignKeyConstraint(['supplier_org_id'], ['organisations.id'], name=op.f('fk_deliveries_supplier_org_id_organisations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_deliveries')),
    sa.UniqueConstraint('reference', name='uq_deliveries_reference')
    )
    with op.batch_alter_table('deliveries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_deliveries_order_id'), ['order_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_deliveries_order_line_id'), ['order_line_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_deliveries_project_id'), ['project_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_deliveries_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_deliveries_supplier_org_id'), ['supplier_org_id'], unique=False)

    op.create_table('delivery_samples',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('delivery_id', sa.Integer(), nullable=False),
    sa.Column('lab_name', sa.String(length=200), nullable=False),
    sa.Column('sample_code', sa.String(length=80), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('sent_by_id', sa.Integer(), nullable=True),
    sa.Column('report_number', sa.String(length=80), nullable=False),
    sa.Column('report_document_id', sa.Integer(), nullable=True),
    sa.Column('findings', sa.Text(), nullable=False),
    sa.Column('reported_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('reported_by_id', sa.Integer(), nullable=True),
    sa.Column('rectification_ref', sa.String(length=80), nullable=False),
    sa.CheckConstraint("status IN ('sent', 'passed', 'failed')", name=op.f('ck_delivery_samples_status')),
    sa.ForeignKeyConstraint(['delivery_id'], ['deliveries.id'], name=op.f('fk_delivery_samples_delivery_id_deliveries'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['report_document_id'], ['documents.id'], name=op.f('fk_delivery_samples_report_document_id_documents')),
    sa.ForeignKeyConstraint(['reported_by_id'], ['users.id'], name=op.f('fk_delivery_samples_reported_by_id_users')),
    sa.ForeignKeyConstraint(['sent_by_id'], ['users.id'], name=op.f('fk_delivery_samples_sent_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_delivery_samples'))
    )
    with op.batch_alter_table('delivery_samples', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_delivery_samples_delivery_id'), ['delivery_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_delivery_samples_status'), ['status'], unique=False)


def downgrade():

    with op.batch_alter_table('delivery_samples', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_delivery_samples_status'))
        batch_op.drop_index(batch_op.f('ix_delivery_samples_delivery_id'))

    op.drop_table('delivery_samples')
    with op.batch_alter_table('deliveries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_deliveries_supplier_org_id'))
        batch_op.drop_index(batch_op.f('ix_deliveries_status'))
        batch_op.drop_index(batch_op.f('ix_deliveries_project_id'))
        batch_op.drop_index(batch_op.f('ix_deliveries_order_line_id'))
        batch_op.drop_index(batch_op.f('ix_deliveries_order_id'))

    op.drop_table('deliveries')
    with op.batch_alter_table('supplier_payments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_supplier_payments_supplier_org_id'))
        batch_op.drop_index(batch_op.f('ix_supplier_payments_project_id'))
        batch_op.drop_index(batch_op.f('ix_supplier_payments_order_id'))

    op.drop_table('supplier_payments')
    with op.batch_alter_table('acceptance_checklist_items', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_acceptance_checklist_items_checklist_id'))

    op.drop_table('acceptance_checklist_items')
    op.drop_table('acceptance_checklists')
