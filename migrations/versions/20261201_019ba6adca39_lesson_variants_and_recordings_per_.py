"""lesson variants and recordings per language

A lesson may have a variant per language (its text, its recording, or both: lesson_variant, one per lesson and
language; the unique constraint's index serves lookups by lesson); a question a recording per language
(question_audio); a stored recording keeps its duration, read from its bytes (media.duration_ms, empty for files
stored before).

Revision ID: 019ba6adca39
Revises: 7770588d6fcc
Create Date: 2026-12-01 21:31:45.874728

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '019ba6adca39'
down_revision = '7770588d6fcc'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('lesson_variant',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('lesson_id', sa.Integer(), nullable=False),
    sa.Column('language', sa.String(length=5), nullable=False),
    sa.Column('title', sa.String(length=160), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('audio_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['audio_id'], ['media.id'], name=op.f('fk_lesson_variant_audio_id_media'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['lesson_id'], ['lesson.id'], name=op.f('fk_lesson_variant_lesson_id_lesson'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lesson_variant')),
    sa.UniqueConstraint('lesson_id', 'language', name=op.f('uq_lesson_variant_lesson_id_language'))
    )
    op.create_table('question_audio',
    sa.Column('question_id', sa.Integer(), nullable=False),
    sa.Column('language', sa.String(length=5), nullable=False),
    sa.Column('media_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['media_id'], ['media.id'], name=op.f('fk_question_audio_media_id_media'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['question_id'], ['question.id'], name=op.f('fk_question_audio_question_id_question'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('question_id', 'language', name=op.f('pk_question_audio'))
    )
    with op.batch_alter_table('question_audio', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_question_audio_media_id'), ['media_id'], unique=False)

    with op.batch_alter_table('media', schema=None) as batch_op:
        batch_op.add_column(sa.Column('duration_ms', sa.Integer(), nullable=True))



def downgrade():
    with op.batch_alter_table('media', schema=None) as batch_op:
        batch_op.drop_column('duration_ms')

    with op.batch_alter_table('question_audio', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_question_audio_media_id'))

    op.drop_table('question_audio')
    op.drop_table('lesson_variant')
