"""lesson review dates and demo courses

Lessons that state a law, a number, a deadline or a health rule carry the day their facts were checked and the day
to check them again (courses/README.md); a course can be an example («demo»): never official, no certificate.

Revision ID: b883df2ce168
Revises: 0e4f11a88373
Create Date: 2026-12-01 20:13:07.467823

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b883df2ce168'
down_revision = '0e4f11a88373'
branch_labels = None
depends_on = None


def upgrade():
    # Existing courses are not examples: the column is filled with false, then the default is dropped again
    # (the model sets it), so the schema matches the models exactly.
    with op.batch_alter_table('course', schema=None) as batch_op:
        batch_op.add_column(sa.Column('demo', sa.Boolean(), nullable=False, server_default=sa.false()))
    with op.batch_alter_table('course', schema=None) as batch_op:
        batch_op.alter_column('demo', server_default=None)

    with op.batch_alter_table('lesson', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reviewed_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('review_by', sa.Date(), nullable=True))
        batch_op.create_index(batch_op.f('ix_lesson_review_by'), ['review_by'], unique=False)


def downgrade():
    with op.batch_alter_table('lesson', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_lesson_review_by'))
        batch_op.drop_column('review_by')
        batch_op.drop_column('reviewed_on')

    with op.batch_alter_table('course', schema=None) as batch_op:
        batch_op.drop_column('demo')
