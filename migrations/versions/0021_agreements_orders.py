"""agreements and orders: contracts and framework agreements signed on awarded lots, their
suppliers and per-project quotas; call-off orders and their lines

Revision ID: 0021_agreements_orders
Revises: 0020_negotiation
Create Date: 2026-12-03 16:50:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0021_agreements_orders'
down_revision = '0020_negotiation'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('agreements',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('reference', sa.String(length=40), nullable=False),
    sa.Column('lot_id', sa.Integer(), nullable=False),
    sa.Column('award_id', sa.Integer(), nullable=False),
    sa.Column('tender_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('city_id', sa.Integer(), nullable=False),
    sa.Column('centre_org_id', sa.Integer(), nullable=False),
    sa.Column('category_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('valid_from', sa.Date(), nullable=False),
    sa.Column('valid_until', sa.Date(), nullable=False),
    sa.Column('total_quantity_milli', sa.BigInteger(), nullable=False),
    sa.Column('ordered_quantity_milli', sa.BigInteger(), nullable=False),
    sa.Column('unit', sa.String(length=10), nullable=False),
    sa.Column('retention_bp', sa.Integer(), nullable=False),
    sa.Column('sign_due_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('sign_overdue_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('signed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('signed_by_id', sa.Integer(), nullable=True),
    sa.Column('publish_due_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('publish_overdue_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('published_by_id', sa.Integer(), nullable=True),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('end_reason', sa.Text(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("kind IN ('contract', 'framework')", name=op.f('ck_agreements_kind')),
    sa.CheckConstraint("status IN ('draft', 'signed', 'published', 'expired', 'terminated', 'cancelled')", name=op.f('ck_agreements_status')),
    sa.CheckConstraint("unit IN ('m3', 'm2', 'm', 't', 'kg', 'L', 'piece', 'set')", name=op.f('ck_agreements_unit')),
    sa.CheckConstraint('ordered_quantity_milli >= 0 AND ordered_quantity_milli <= total_quantity_milli', name=op.f('ck_agreements_ordered_within_total')),
    sa.CheckConstraint('retention_bp >= 0 AND retention_bp <= 1000', name=op.f('ck_agreements_retention')),
    sa.CheckConstraint('total_quantity_milli > 0', name=op.f('ck_agreements_total_positive')),
    sa.CheckConstraint('valid_until >= valid_from', name=op.f('ck_agreements_validity')),
    sa.ForeignKeyConstraint(['award_id'], ['awards.id'], name=op.f('fk_agreements_award_id_awards')),
    sa.ForeignKeyConstraint(['category_id'], ['categories.id'], name=op.f('fk_agreements_category_id_categories')),
    sa.ForeignKeyConstraint(['centre_org_id'], ['organisations.id'], name=op.f('fk_agreements_centre_org_id_organisations')),
    sa.ForeignKeyConstraint(['city_id'], ['cities.id'], name=op.f('fk_agreements_city_id_cities')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_agreements_created_by_id_users')),
    sa.ForeignKeyConstraint(['lot_id'], ['lots.id'], name=op.f('fk_agreements_lot_id_lots')),
    sa.ForeignKeyConstraint(['published_by_id'], ['users.id'], name=op.f('fk_agreements_published_by_id_users')),
    sa.ForeignKeyConstraint(['signed_by_id'], ['users.id'], name=op.f('fk_agreements_signed_by_id_users')),
    sa.ForeignKeyConstraint(['tender_id'], ['tenders.id'], name=op.f('fk_agreements_tender_id_tenders')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_agreements')),
    sa.UniqueConstraint('reference', name=op.f('uq_agreements_reference'))
    )
    with op.batch_alter_table('agreements', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_agreements_award_id'), ['award_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_agreements_centre_org_id'), ['centre_org_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_agreements_city_id'), ['city_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_agreements_lot_id'), ['lot_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_agreements_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_agreements_tender_id'), ['tender_id'], unique=False)
        batch_op.create_index('uq_agreements_live_lot', ['lot_id'], unique=True, sqlite_where=sa.text("status IN ('draft', 'signed', 'published')"), postgresql_where=sa.text("status IN ('draft', 'signed', 'published')"))

    op.create_table('agreement_quotas',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('agreement_id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('bom_line_id', sa.Integer(), nullable=False),
    sa.Column('pooled_line_id', sa.Integer(), nullable=True),
    sa.Column('quantity_milli', sa.BigInteger(), nullable=False),
    sa.Column('ordered_milli', sa.BigInteger(), nullable=False),
    sa.CheckConstraint('ordered_milli >= 0 AND ordered_milli <= quantity_milli', name=op.f('ck_agreement_quotas_ordered_within_quota')),
    sa.CheckConstraint('quantity_milli > 0', name=op.f('ck_agreement_quotas_quantity_positive')),
    sa.ForeignKeyConstraint(['agreement_id'], ['agreements.id'], name=op.f('fk_agreement_quotas_agreement_id_agreements'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['bom_line_id'], ['bom_lines.id'], name=op.f('fk_agreement_quotas_bom_line_id_bom_lines')),
    sa.ForeignKeyConstraint(['pooled_line_id'], ['pooled_lines.id'], name=op.f('fk_agreement_quotas_pooled_line_id_pooled_lines')),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_agreement_quotas_project_id_projects')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_agreement_quotas')),
    sa.UniqueConstraint('agreement_id', 'bom_line_id', name='uq_agreement_quotas_line')
    )
    with op.batch_alter_table('agreement_quotas', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_agreement_quotas_agreement_id'), ['agreement_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_agreement_quotas_bom_line_id'), ['bom_line_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_agreement_quotas_project_id'), ['project_id'], unique=False)

    op.create_table('agreement_suppliers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('agreement_id', sa.Integer(), nullable=False),
    sa.Column('supplier_org_id', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('unit_price_fen', sa.BigInteger(), nullable=False),
    sa.Column('rank', sa.Integer(), nullable=False),
    sa.Column('bid_id', sa.Integer(), nullable=True),
    sa.Column('opened_bid_id', sa.Integer(), nullable=True),
    sa.CheckConstraint('unit_price_fen > 0', name=op.f('ck_agreement_suppliers_price_positive')),
    sa.ForeignKeyConstraint(['agreement_id'], ['agreements.id'], name=op.f('fk_agreement_suppliers_agreement_id_agreements'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['bid_id'], ['bids.id'], name=op.f('fk_agreement_suppliers_bid_id_bids')),
    sa.ForeignKeyConstraint(['supplier_org_id'], ['organisations.id'], name=op.f('fk_agreement_suppliers_supplier_org_id_organisations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_agreement_suppliers')),
    sa.UniqueConstraint('agreement_id', 'supplier_org_id', name='uq_agreement_suppliers_firm')
    )
    with op.batch_alter_table('agreement_suppliers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_agreement_suppliers_agreement_id'), ['agreement_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_agreement_suppliers_product_id'), ['product_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_agreement_suppliers_supplier_org_id'), ['supplier_org_id'], unique=False)

    op.create_table('orders',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('reference', sa.String(length=40), nullable=False),
    sa.Column('agreement_id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('supplier_org_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('request_id', sa.String(length=64), nullable=False),
    sa.Column('selection_method', sa.String(length=20), nullable=False),
    sa.Column('selection_note', sa.Text(), nullable=False),
    sa.Column('negotiation_id', sa.Integer(), nullable=True),
    sa.Column('total_fen', sa.BigInteger(), nullable=False),
    sa.Column('placed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('placed_by_id', sa.Integer(), nullable=True),
    sa.Column('confirmed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('confirmed_by_id', sa.Integer(), nullable=True),
    sa.Column('delivered_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('accepted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('accepted_by_id', sa.Integer(), nullable=True),
    sa.Column('cancelled_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('cancelled_by_id', sa.Integer(), nullable=True),
    sa.Column('cancel_reason', sa.Text(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("selection_method IN ('direct', 'mini_competition')", name=op.f('ck_orders_selection_method')),
    sa.CheckConstraint("status IN ('placed', 'confirmed', 'partly_delivered', 'delivered', 'accepted', 'cancelled')", name=op.f('ck_orders_status')),
    sa.ForeignKeyConstraint(['accepted_by_id'], ['users.id'], name=op.f('fk_orders_accepted_by_id_users')),
    sa.ForeignKeyConstraint(['agreement_id'], ['agreements.id'], name=op.f('fk_orders_agreement_id_agreements')),
    sa.ForeignKeyConstraint(['cancelled_by_id'], ['users.id'], name=op.f('fk_orders_cancelled_by_id_users')),
    sa.ForeignKeyConstraint(['confirmed_by_id'], ['users.id'], name=op.f('fk_orders_confirmed_by_id_users')),
    sa.ForeignKeyConstraint(['placed_by_id'], ['users.id'], name=op.f('fk_orders_placed_by_id_users')),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_orders_project_id_projects')),
    sa.ForeignKeyConstraint(['supplier_org_id'], ['organisations.id'], name=op.f('fk_orders_supplier_org_id_organisations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_orders')),
    sa.UniqueConstraint('project_id', 'request_id', name='uq_orders_request'),
    sa.UniqueConstraint('reference', name=op.f('uq_orders_reference'))
    )
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_orders_agreement_id'), ['agreement_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_orders_project_id'), ['project_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_orders_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_orders_supplier_org_id'), ['supplier_org_id'], unique=False)

    op.create_table('order_lines',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('quota_id', sa.Integer(), nullable=True),
    sa.Column('bom_line_id', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('quantity_milli', sa.BigInteger(), nullable=False),
    sa.Column('unit', sa.String(length=10), nullable=False),
    sa.Column('unit_price_fen', sa.BigInteger(), nullable=False),
    sa.Column('amount_fen', sa.BigInteger(), nullable=False),
    sa.Column('delivered_milli', sa.BigInteger(), nullable=False),
    sa.CheckConstraint("unit IN ('m3', 'm2', 'm', 't', 'kg', 'L', 'piece', 'set')", name=op.f('ck_order_lines_unit')),
    sa.CheckConstraint('delivered_milli >= 0', name=op.f('ck_order_lines_delivered')),
    sa.CheckConstraint('quantity_milli > 0', name=op.f('ck_order_lines_quantity_positive')),
    sa.CheckConstraint('unit_price_fen > 0 AND amount_fen >= 0', name=op.f('ck_order_lines_amounts')),
    sa.ForeignKeyConstraint(['bom_line_id'], ['bom_lines.id'], name=op.f('fk_order_lines_bom_line_id_bom_lines')),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_order_lines_order_id_orders'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['quota_id'], ['agreement_quotas.id'], name=op.f('fk_order_lines_quota_id_agreement_quotas')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_order_lines')),
    sa.UniqueConstraint('order_id', 'bom_line_id', name='uq_order_lines_line')
    )
    with op.batch_alter_table('order_lines', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_order_lines_bom_line_id'), ['bom_line_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_order_lines_order_id'), ['order_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_order_lines_quota_id'), ['quota_id'], unique=False)


def downgrade():
    with op.batch_alter_table('order_lines', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_order_lines_quota_id'))
        batch_op.drop_index(batch_op.f('ix_order_lines_order_id'))
        batch_op.drop_index(batch_op.f('ix_order_lines_bom_line_id'))

    op.drop_table('order_lines')
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_orders_supplier_org_id'))
        batch_op.drop_index(batch_op.f('ix_orders_status'))
        batch_op.drop_index(batch_op.f('ix_orders_project_id'))
        batch_op.drop_index(batch_op.f('ix_orders_agreement_id'))

    op.drop_table('orders')
    with op.batch_alter_table('agreement_suppliers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_agreement_suppliers_supplier_org_id'))
        batch_op.drop_index(batch_op.f('ix_agreement_suppliers_product_id'))
        batch_op.drop_index(batch_op.f('ix_agreement_suppliers_agreement_id'))

    op.drop_table('agreement_suppliers')
    with op.batch_alter_table('agreement_quotas', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_agreement_quotas_project_id'))
        batch_op.drop_index(batch_op.f('ix_agreement_quotas_bom_line_id'))
        batch_op.drop_index(batch_op.f('ix_agreement_quotas_agreement_id'))

    op.drop_table('agreement_quotas')
    with op.batch_alter_table('agreements', schema=None) as batch_op:
        batch_op.drop_index('uq_agreements_live_lot', sqlite_where=sa.text("status IN ('draft', 'signed', 'published')"), postgresql_where=sa.text("status IN ('draft', 'signed', 'published')"))
        batch_op.drop_index(batch_op.f('ix_agreements_tender_id'))
        batch_op.drop_index(batch_op.f('ix_agreements_status'))
        batch_op.drop_index(batch_op.f('ix_agreements_lot_id'))
        batch_op.drop_index(batch_op.f('ix_agreements_city_id'))
        batch_op.drop_index(batch_op.f('ix_agreements_centre_org_id'))
        batch_op.drop_index(batch_op.f('ix_agreements_award_id'))

    op.drop_table('agreements')
