"""certificate signatures and settings

Each certificate keeps the Ed25519 signature of the statement its QR carries and the key id that made it
(NULL for those issued before the network had a key: `flask lms keys sign-missing`). certificate_settings
holds the signatories and logo an admin sets (one row).

Revision ID: 0e4f11a88373
Revises: ae5a1457082b
Create Date: 2026-12-01 20:13:28.136112

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0e4f11a88373'
down_revision = 'ae5a1457082b'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('certificate_settings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('signatories', sa.JSON(), nullable=False),
    sa.Column('logo_media_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['logo_media_id'], ['media.id'], name=op.f('fk_certificate_settings_logo_media_id_media'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['updated_by_id'], ['user.id'], name=op.f('fk_certificate_settings_updated_by_id_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_certificate_settings'))
    )
    with op.batch_alter_table('certificate', schema=None) as batch_op:
        batch_op.add_column(sa.Column('signature', sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column('signing_kid', sa.String(length=16), nullable=True))



def downgrade():
    with op.batch_alter_table('certificate', schema=None) as batch_op:
        batch_op.drop_column('signing_kid')
        batch_op.drop_column('signature')

    op.drop_table('certificate_settings')
