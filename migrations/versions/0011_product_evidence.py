"""product documents keep the name their uploader gave (per link, not per shared file);
certificates remember the expiry date their supplier was warned about; the seeded standard
versions' note is written for people (it named a developer file)

Revision ID: 0011_product_evidence
Revises: 0010_verdict_details
Create Date: 2026-12-06 09:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0011_product_evidence'
down_revision = '0010_verdict_details'
branch_labels = None
depends_on = None

OLD_SEED_NOTE = "Seeded from DOMAIN.md section 4; limits marked L are configurable defaults, not law."
SEED_NOTE = ("First version on the platform. Limits marked as platform defaults can be tightened in a "
             "later version.")


def upgrade():
    with op.batch_alter_table('product_documents', schema=None) as batch_op:
        batch_op.add_column(sa.Column('display_name', sa.String(length=255), nullable=False, server_default=''))
    with op.batch_alter_table('certificates', schema=None) as batch_op:
        batch_op.add_column(sa.Column('expiry_notice_for', sa.Date(), nullable=True))
    # Existing links keep the stored name only where someone of the product's own supplier
    # uploaded the file; other links show a neutral name (kind and hash) instead.
    op.execute(sa.text(
        "UPDATE product_documents SET display_name = ("
        " SELECT d.original_name FROM documents d JOIN users u ON u.id = d.uploaded_by_id"
        " JOIN products p ON p.id = product_documents.product_id"
        " WHERE d.id = product_documents.document_id AND u.organisation_id = p.supplier_id)"
        " WHERE EXISTS ("
        " SELECT 1 FROM documents d JOIN users u ON u.id = d.uploaded_by_id"
        " JOIN products p ON p.id = product_documents.product_id"
        " WHERE d.id = product_documents.document_id AND u.organisation_id = p.supplier_id)"))
    with op.batch_alter_table('product_documents', schema=None) as batch_op:
        batch_op.alter_column('display_name', server_default=None)
    op.execute(sa.text("UPDATE standard_versions SET note = :new WHERE note = :old")
               .bindparams(new=SEED_NOTE, old=OLD_SEED_NOTE))


def downgrade():
    op.execute(sa.text("UPDATE standard_versions SET note = :old WHERE note = :new")
               .bindparams(new=SEED_NOTE, old=OLD_SEED_NOTE))
    with op.batch_alter_table('certificates', schema=None) as batch_op:
        batch_op.drop_column('expiry_notice_for')
    with op.batch_alter_table('product_documents', schema=None) as batch_op:
        batch_op.drop_column('display_name')
