"""catalog: products, evidence, documents, verdicts

Revision ID: 0003_products
Revises: 0002_standards
Create Date: 2026-11-21 19:26:27.044763

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0003_products'
down_revision = '0002_standards'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('products',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('supplier_id', sa.Integer(), nullable=False),
    sa.Column('sku', sa.String(length=64), nullable=False),
    sa.Column('name_zh', sa.String(length=200), nullable=False),
    sa.Column('name_en', sa.String(length=200), nullable=False),
    sa.Column('category_id', sa.Integer(), nullable=False),
    sa.Column('brand', sa.String(length=120), nullable=False),
    sa.Column('model_spec', sa.String(length=200), nullable=False),
    sa.Column('unit', sa.String(length=32), nullable=False),
    sa.Column('list_price_fen', sa.BigInteger(), nullable=False),
    sa.Column('manufacturer', sa.String(length=200), nullable=False),
    sa.Column('plant', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('suspended_reason', sa.String(length=500), nullable=True),
    sa.Column('suspension_kind', sa.String(length=16), nullable=True),
    sa.Column('review_note', sa.String(length=500), nullable=True),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('verified_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('listed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("status IN ('draft', 'submitted', 'verified', 'listed', 'suspended', 'rejected')", name=op.f('ck_products_status')),
    sa.CheckConstraint('list_price_fen >= 0', name=op.f('ck_products_price_nonnegative')),
    sa.ForeignKeyConstraint(['category_id'], ['categories.id'], name=op.f('fk_products_category_id_categories')),
    sa.ForeignKeyConstraint(['supplier_id'], ['organisations.id'], name=op.f('fk_products_supplier_id_organisations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_products')),
    sa.UniqueConstraint('supplier_id', 'sku', name='uq_products_supplier_sku')
    )
    with op.batch_alter_table('products', schema=None) as batch_op:
        batch_op.create_index('ix_products_category_status', ['category_id', 'status'], unique=False)
        batch_op.create_index(batch_op.f('ix_products_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_products_supplier_id'), ['supplier_id'], unique=False)

    op.create_table('carbon_declarations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('declared_unit', sa.String(length=32), nullable=False),
    sa.Column('gwp_a1a3', sa.Float(), nullable=False),
    sa.Column('valid_until', sa.Date(), nullable=True),
    sa.Column('program_operator', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('gwp_a1a3 >= 0', name=op.f('ck_carbon_declarations_gwp_nonnegative')),
    sa.ForeignKeyConstraint(['product_id'], ['products.id'], name=op.f('fk_carbon_declarations_product_id_products'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_carbon_declarations'))
    )
    with op.batch_alter_table('carbon_declarations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_carbon_declarations_product_id'), ['product_id'], unique=False)

    op.create_table('documents',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('content_type', sa.String(length=64), nullable=False),
    sa.Column('size', sa.BigInteger(), nullable=False),
    sa.Column('original_name', sa.String(length=255), nullable=False),
    sa.Column('stored_path', sa.String(length=300), nullable=False),
    sa.Column('uploaded_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['uploaded_by_id'], ['users.id'], name=op.f('fk_documents_uploaded_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_documents')),
    sa.UniqueConstraint('sha256', name=op.f('uq_documents_sha256'))
    )
    op.create_table('product_indicator_values',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('value_num', sa.Float(), nullable=True),
    sa.Column('value_text', sa.String(length=200), nullable=True),
    sa.Column('unit', sa.String(length=32), nullable=False),
    sa.ForeignKeyConstraint(['product_id'], ['products.id'], name=op.f('fk_product_indicator_values_product_id_products'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_product_indicator_values')),
    sa.UniqueConstraint('product_id', 'key', name='uq_product_indicator_values_product_key')
    )
    op.create_table('product_verdicts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('city_id', sa.Integer(), nullable=False),
    sa.Column('standard_version_id', sa.Integer(), nullable=True),
    sa.Column('verdict', sa.String(length=16), nullable=False),
    sa.Column('details', sa.JSON(), nullable=False),
    sa.Column('evaluated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("verdict IN ('pass', 'fail', 'incomplete')", name=op.f('ck_product_verdicts_verdict')),
    sa.ForeignKeyConstraint(['city_id'], ['cities.id'], name=op.f('fk_product_verdicts_city_id_cities')),
    sa.ForeignKeyConstraint(['product_id'], ['products.id'], name=op.f('fk_product_verdicts_product_id_products'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['standard_version_id'], ['standard_versions.id'], name=op.f('fk_product_verdicts_standard_version_id_standard_versions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_product_verdicts')),
    sa.UniqueConstraint('product_id', 'city_id', name='uq_product_verdicts_product_city')
    )
    with op.batch_alter_table('product_verdicts', schema=None) as batch_op:
        batch_op.create_index('ix_product_verdicts_city_verdict', ['city_id', 'verdict'], unique=False)

    op.create_table('certificates',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=64), nullable=False),
    sa.Column('body', sa.String(length=200), nullable=False),
    sa.Column('star_grade', sa.Integer(), nullable=False),
    sa.Column('standard', sa.String(length=200), nullable=False),
    sa.Column('issued_on', sa.Date(), nullable=False),
    sa.Column('expires_on', sa.Date(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('changed_on', sa.Date(), nullable=True),
    sa.Column('document_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("status IN ('valid', 'suspended', 'revoked', 'expired')", name=op.f('ck_certificates_status')),
    sa.CheckConstraint('expires_on > issued_on', name=op.f('ck_certificates_expiry_after_issue')),
    sa.CheckConstraint('star_grade >= 1 AND star_grade <= 3', name=op.f('ck_certificates_star_grade')),
    sa.ForeignKeyConstraint(['document_id'], ['documents.id'], name=op.f('fk_certificates_document_id_documents')),
    sa.ForeignKeyConstraint(['product_id'], ['products.id'], name=op.f('fk_certificates_product_id_products'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_certificates'))
    )
    with op.batch_alter_table('certificates', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_certificates_expires_on'), ['expires_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_certificates_number'), ['number'], unique=False)
        batch_op.create_index(batch_op.f('ix_certificates_product_id'), ['product_id'], unique=False)

    op.create_table('product_documents',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('document_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("kind IN ('certificate', 'test_report', 'other')", name=op.f('ck_product_documents_kind')),
    sa.ForeignKeyConstraint(['document_id'], ['documents.id'], name=op.f('fk_product_documents_document_id_documents')),
    sa.ForeignKeyConstraint(['product_id'], ['products.id'], name=op.f('fk_product_documents_product_id_products'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_product_documents')),
    sa.UniqueConstraint('product_id', 'document_id', name='uq_product_documents_product_document')
    )
    with op.batch_alter_table('product_documents', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_product_documents_document_id'), ['document_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_product_documents_product_id'), ['product_id'], unique=False)

    op.create_table('test_reports',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=64), nullable=False),
    sa.Column('lab', sa.String(length=200), nullable=False),
    sa.Column('issued_on', sa.Date(), nullable=False),
    sa.Column('covers', sa.JSON(), nullable=False),
    sa.Column('document_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['document_id'], ['documents.id'], name=op.f('fk_test_reports_document_id_documents')),
    sa.ForeignKeyConstraint(['product_id'], ['products.id'], name=op.f('fk_test_reports_product_id_products'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_test_reports'))
    )
    with op.batch_alter_table('test_reports', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_test_reports_product_id'), ['product_id'], unique=False)


def downgrade():
    with op.batch_alter_table('test_reports', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_test_reports_product_id'))

    op.drop_table('test_reports')
    with op.batch_alter_table('product_documents', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_product_documents_product_id'))
        batch_op.drop_index(batch_op.f('ix_product_documents_document_id'))

    op.drop_table('product_documents')
    with op.batch_alter_table('certificates', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_certificates_product_id'))
        batch_op.drop_index(batch_op.f('ix_certificates_number'))
        batch_op.drop_index(batch_op.f('ix_certificates_expires_on'))

    op.drop_table('certificates')
    with op.batch_alter_table('product_verdicts', schema=None) as batch_op:
        batch_op.drop_index('ix_product_verdicts_city_verdict')

    op.drop_table('product_verdicts')
    op.drop_table('product_indicator_values')
    op.drop_table('documents')
    with op.batch_alter_table('carbon_declarations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_carbon_declarations_product_id'))

    op.drop_table('carbon_declarations')
    with op.batch_alter_table('products', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_products_supplier_id'))
        batch_op.drop_index(batch_op.f('ix_products_status'))
        batch_op.drop_index('ix_products_category_status')

    op.drop_table('products')
