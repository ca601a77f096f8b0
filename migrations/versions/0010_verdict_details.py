"""verdict details stored once per distinct value (verdict_details, referenced by digest);
products remember the digest of the file row last imported (unchanged re-imports are skipped)

Revision ID: 0010_verdict_details
Revises: 0009_audit_checkpoints
Create Date: 2026-12-05 10:00:00

"""
import hashlib
import json

import sqlalchemy as sa
from alembic import op

revision = '0010_verdict_details'
down_revision = '0009_audit_checkpoints'
branch_labels = None
depends_on = None

BATCH = 2000


def _digest(details) -> str:
    # Same canonical form as catalog.services.verdicts.details_digest (kept here: a migration
    # must not change when application code does).
    text = json.dumps(details, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.blake2b(text.encode("utf-8"), digest_size=16).hexdigest()


def _details_table():
    return sa.table("verdict_details", sa.column("digest", sa.String), sa.column("details", sa.JSON))


def upgrade():
    op.create_table('verdict_details',
    sa.Column('digest', sa.String(length=32), nullable=False),
    sa.Column('details', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('digest', name=op.f('pk_verdict_details'))
    )
    with op.batch_alter_table('product_verdicts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('details_digest', sa.String(length=32), nullable=True))

    # Move the stored details, batch by batch (keyset on id), each distinct value once.
    conn = op.get_bind()
    verdicts = sa.table("product_verdicts", sa.column("id", sa.Integer), sa.column("details", sa.JSON),
                        sa.column("details_digest", sa.String))
    details_table = _details_table()
    seen: set = set()
    last = 0
    while True:
        rows = conn.execute(sa.select(verdicts.c.id, verdicts.c.details).where(verdicts.c.id > last)
                            .order_by(verdicts.c.id).limit(BATCH)).all()
        if not rows:
            break
        last = rows[-1][0]
        new, updates = [], []
        for vid, details in rows:
            if not details:
                continue
            digest = _digest(details)
            if digest not in seen:
                seen.add(digest)
                new.append({"digest": digest, "details": details})
            updates.append({"vid": vid, "d": digest})
        if new:
            conn.execute(details_table.insert(), new)
        if updates:
            conn.execute(verdicts.update().where(verdicts.c.id == sa.bindparam("vid"))
                         .values(details_digest=sa.bindparam("d")), updates)

    with op.batch_alter_table('product_verdicts', schema=None) as batch_op:
        batch_op.drop_column('details')
        batch_op.create_foreign_key(batch_op.f('fk_product_verdicts_details_digest_verdict_details'),
                                    'verdict_details', ['details_digest'], ['digest'])
    with op.batch_alter_table('products', schema=None) as batch_op:
        batch_op.add_column(sa.Column('import_digest', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('imported_at', sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('products', schema=None) as batch_op:
        batch_op.drop_column('imported_at')
        batch_op.drop_column('import_digest')
    with op.batch_alter_table('product_verdicts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('details', sa.JSON(), nullable=True))
    conn = op.get_bind()
    verdicts = sa.table("product_verdicts", sa.column("id", sa.Integer), sa.column("details", sa.JSON),
                        sa.column("details_digest", sa.String))
    details_table = _details_table()
    for digest, details in conn.execute(sa.select(details_table.c.digest, details_table.c.details)).all():
        conn.execute(verdicts.update().where(verdicts.c.details_digest == digest).values(details=details))
    conn.execute(verdicts.update().where(verdicts.c.details_digest.is_(None)).values(details={}))
    with op.batch_alter_table('product_verdicts', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_product_verdicts_details_digest_verdict_details'), type_='foreignkey')
        batch_op.drop_column('details_digest')
        batch_op.alter_column('details', existing_type=sa.JSON(), nullable=False)
    op.drop_table('verdict_details')
