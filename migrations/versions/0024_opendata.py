"""opendata: published OCDS releases (append-only) and the audit-trail position of publication

Revision ID: 0024_opendata
Revises: 0023_deliveries_acceptance
Create Date: 2026-12-03 17:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0024_opendata'
down_revision = '0023_deliveries_acceptance'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('ocds_releases',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ocid', sa.String(length=120), nullable=False),
    sa.Column('key', sa.String(length=80), nullable=False),
    sa.Column('release_id', sa.String(length=200), nullable=False),
    sa.Column('date', sa.DateTime(timezone=True), nullable=False),
    sa.Column('tags', sa.JSON(), nullable=False),
    sa.Column('process_type', sa.String(length=20), nullable=False),
    sa.Column('process_id', sa.Integer(), nullable=False),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ocds_releases')),
    sa.UniqueConstraint('ocid', 'key', name='uq_ocds_releases_ocid_key'),
    sa.UniqueConstraint('release_id', name=op.f('uq_ocds_releases_release_id'))
    )
    op.create_index(op.f('ix_ocds_releases_ocid'), 'ocds_releases', ['ocid'], unique=False)
    op.create_index(op.f('ix_ocds_releases_date'), 'ocds_releases', ['date'], unique=False)
    op.create_index('ix_ocds_releases_process', 'ocds_releases', ['process_type', 'process_id'], unique=False)
    op.create_table('ocds_feed',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('last_audit_seq', sa.BigInteger(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ocds_feed'))
    )


def downgrade():
    op.drop_table('ocds_feed')
    op.drop_index('ix_ocds_releases_process', table_name='ocds_releases')
    op.drop_index(op.f('ix_ocds_releases_date'), table_name='ocds_releases')
    op.drop_index(op.f('ix_ocds_releases_ocid'), table_name='ocds_releases')
    op.drop_table('ocds_releases')
