"""organisations keep their business licence; organisation notices become per-person notifications

Revision ID: 0008_licences_notices
Revises: 0007_notifications
Create Date: 2026-12-02 18:05:00

"""
import json

from alembic import op
import sqlalchemy as sa

revision = '0008_licences_notices'
down_revision = '0007_notifications'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('organisations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('licence_document_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_organisations_licence_document_id_documents'),
                                    'documents', ['licence_document_id'], ['id'], ondelete='SET NULL')
    # Each organisation notice becomes a notification for every person of the organisation;
    # the old English subject is kept as the message (shown as it is).
    conn = op.get_bind()
    notices = conn.execute(sa.text("SELECT organisation_id, kind, subject, link, created_at, read_at FROM notices")).fetchall()
    for org_id, kind, subject, link, created_at, read_at in notices:
        users = conn.execute(sa.text("SELECT id FROM users WHERE organisation_id = :o"), {"o": org_id}).scalars().all()
        for user_id in users:
            conn.execute(sa.text("INSERT INTO notifications (user_id, kind, message, link, created_at, read_at) "
                                 "VALUES (:u, :k, :m, :l, :c, :r)"),
                         {"u": user_id, "k": kind, "m": json.dumps({"key": subject, "params": {}}), "l": link,
                          "c": created_at, "r": read_at})
    with op.batch_alter_table('notices', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_notices_organisation_id'))
    op.drop_table('notices')


def downgrade():
    op.create_table('notices',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=60), nullable=False),
    sa.Column('subject', sa.String(length=300), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('link', sa.String(length=300), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('read_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_notices_organisation_id_organisations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notices'))
    )
    with op.batch_alter_table('notices', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_notices_organisation_id'), ['organisation_id'], unique=False)
    with op.batch_alter_table('organisations', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_organisations_licence_document_id_documents'), type_='foreignkey')
        batch_op.drop_column('licence_document_id')
