"""PAKN follow-up ratings (issue 14 §1): rating tokens for a follow-up subject, and the
follow-up of each answer sent to a formal PAKN's sender

Revision ID: 0013_pakn_followup
Revises: 0012_day_responses
Create Date: 2026-12-07 17:00:00

"""
import sqlalchemy as sa

import core.models.types
from alembic import op

# revision identifiers, used by Alembic.
revision = '0013_pakn_followup'
down_revision = '0012_day_responses'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('survey_rating_tokens', schema=None) as batch_op:
        batch_op.alter_column('dossier_id', existing_type=sa.Integer(), nullable=True)
        batch_op.add_column(sa.Column('subject', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('subject_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('unit_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_survey_rating_tokens_unit_id_units'),
                                    'units', ['unit_id'], ['id'], ondelete='RESTRICT')
        batch_op.create_index('ix_survey_rating_tokens_subject', ['subject', 'subject_id'],
                              unique=False)

    op.create_table('feedback_followups',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('answer_id', sa.Integer(), nullable=True),
    sa.Column('handling_unit_id', sa.Integer(), nullable=False),
    sa.Column('sent_at', core.models.types.UTCDateTime(), nullable=False),
    sa.Column('reopen_until', core.models.types.UTCDateTime(), nullable=False),
    sa.Column('rated_at', core.models.types.UTCDateTime(), nullable=True),
    sa.Column('resolved', sa.Boolean(), nullable=True),
    sa.Column('satisfied_answers', sa.SmallInteger(), nullable=True),
    sa.Column('rated_answers', sa.SmallInteger(), nullable=True),
    sa.Column('reopened_at', core.models.types.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['answer_id'], ['feedback_answers.id'],
                            name=op.f('fk_feedback_followups_answer_id_feedback_answers'),
                            ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['case_id'], ['feedback_cases.id'],
                            name=op.f('fk_feedback_followups_case_id_feedback_cases'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['handling_unit_id'], ['units.id'],
                            name=op.f('fk_feedback_followups_handling_unit_id_units'),
                            ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_feedback_followups'))
    )
    with op.batch_alter_table('feedback_followups', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_feedback_followups_case_id'), ['case_id'],
                              unique=False)
        batch_op.create_index(batch_op.f('ix_feedback_followups_handling_unit_id'),
                              ['handling_unit_id'], unique=False)


def downgrade():
    with op.batch_alter_table('feedback_followups', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_feedback_followups_handling_unit_id'))
        batch_op.drop_index(batch_op.f('ix_feedback_followups_case_id'))
    op.drop_table('feedback_followups')

    op.execute("DELETE FROM survey_rating_tokens WHERE dossier_id IS NULL")
    with op.batch_alter_table('survey_rating_tokens', schema=None) as batch_op:
        batch_op.drop_index('ix_survey_rating_tokens_subject')
        batch_op.drop_constraint(batch_op.f('fk_survey_rating_tokens_unit_id_units'),
                                 type_='foreignkey')
        batch_op.drop_column('unit_id')
        batch_op.drop_column('subject_id')
        batch_op.drop_column('subject')
        batch_op.alter_column('dossier_id', existing_type=sa.Integer(), nullable=False)
