"""catalog: category groups, categories, standard editions, versions, requirements, indicator rules

Revision ID: 0002_standards
Revises: 0001_core
Create Date: 2026-11-21 19:25:58.499437

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0002_standards'
down_revision = '0001_core'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('category_groups',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=64), nullable=False),
    sa.Column('name_en', sa.String(length=200), nullable=False),
    sa.Column('name_zh', sa.String(length=200), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_category_groups')),
    sa.UniqueConstraint('code', name=op.f('uq_category_groups_code'))
    )
    op.create_table('standard_editions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=16), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('title_zh', sa.String(length=300), nullable=False),
    sa.Column('effective_from', sa.Date(), nullable=False),
    sa.Column('optional_green_share_min', sa.Float(), nullable=True),
    sa.Column('notes', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_standard_editions')),
    sa.UniqueConstraint('code', name=op.f('uq_standard_editions_code'))
    )
    op.create_table('categories',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=64), nullable=False),
    sa.Column('group_id', sa.Integer(), nullable=False),
    sa.Column('name_en', sa.String(length=200), nullable=False),
    sa.Column('name_zh', sa.String(length=200), nullable=False),
    sa.Column('default_unit', sa.String(length=32), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['group_id'], ['category_groups.id'], name=op.f('fk_categories_group_id_category_groups')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_categories')),
    sa.UniqueConstraint('code', name=op.f('uq_categories_code'))
    )
    with op.batch_alter_table('categories', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_categories_group_id'), ['group_id'], unique=False)

    op.create_table('standard_versions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('edition_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('effective_from', sa.Date(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('based_on_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("status IN ('draft', 'in_force', 'superseded')", name=op.f('ck_standard_versions_status')),
    sa.ForeignKeyConstraint(['based_on_id'], ['standard_versions.id'], name=op.f('fk_standard_versions_based_on_id_standard_versions')),
    sa.ForeignKeyConstraint(['edition_id'], ['standard_editions.id'], name=op.f('fk_standard_versions_edition_id_standard_editions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_standard_versions')),
    sa.UniqueConstraint('edition_id', 'number', name='uq_standard_versions_edition_number')
    )
    with op.batch_alter_table('standard_versions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_standard_versions_edition_id'), ['edition_id'], unique=False)

    op.create_table('category_requirements',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('category_id', sa.Integer(), nullable=False),
    sa.Column('requirement', sa.String(length=16), nullable=False),
    sa.CheckConstraint("requirement IN ('mandatory', 'optional')", name=op.f('ck_category_requirements_requirement')),
    sa.ForeignKeyConstraint(['category_id'], ['categories.id'], name=op.f('fk_category_requirements_category_id_categories')),
    sa.ForeignKeyConstraint(['version_id'], ['standard_versions.id'], name=op.f('fk_category_requirements_version_id_standard_versions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_category_requirements')),
    sa.UniqueConstraint('version_id', 'category_id', name='uq_category_requirements_version_category')
    )
    with op.batch_alter_table('category_requirements', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_category_requirements_category_id'), ['category_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_category_requirements_version_id'), ['version_id'], unique=False)

    op.create_table('indicator_rules',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('category_id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('name_en', sa.String(length=200), nullable=False),
    sa.Column('name_zh', sa.String(length=200), nullable=False),
    sa.Column('unit', sa.String(length=32), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('comparison', sa.String(length=16), nullable=False),
    sa.Column('limit_value', sa.JSON(), nullable=False),
    sa.Column('scale', sa.JSON(), nullable=True),
    sa.Column('test_standard', sa.String(length=200), nullable=False),
    sa.Column('climate_zone', sa.String(length=20), nullable=True),
    sa.Column('city_code', sa.String(length=40), nullable=True),
    sa.Column('scope', sa.String(length=64), nullable=False),
    sa.Column('confidence', sa.String(length=8), nullable=False),
    sa.Column('source', sa.String(length=300), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.CheckConstraint("comparison IN ('<=', '>=', '=', 'in', 'at_least', 'bool')", name=op.f('ck_indicator_rules_comparison')),
    sa.CheckConstraint("kind IN ('green', 'quality')", name=op.f('ck_indicator_rules_kind')),
    sa.ForeignKeyConstraint(['category_id'], ['categories.id'], name=op.f('fk_indicator_rules_category_id_categories')),
    sa.ForeignKeyConstraint(['version_id'], ['standard_versions.id'], name=op.f('fk_indicator_rules_version_id_standard_versions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_indicator_rules')),
    sa.UniqueConstraint('version_id', 'category_id', 'key', 'scope', name='uq_indicator_rules_version_category_key_scope')
    )
    with op.batch_alter_table('indicator_rules', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_indicator_rules_category_id'), ['category_id'], unique=False)
        batch_op.create_index('ix_indicator_rules_version_category', ['version_id', 'category_id'], unique=False)


def downgrade():
    op.drop_table('indicator_rules')
    op.drop_table('category_requirements')
    op.drop_table('standard_versions')
    op.drop_table('categories')
    op.drop_table('standard_editions')
    op.drop_table('category_groups')
