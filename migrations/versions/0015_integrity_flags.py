"""reports: integrity runs and flags per period (issue 14 §3)

Revision ID: 0015_integrity_flags
Revises: 0014_answer_evidence
Create Date: 2026-12-07 17:10:00

"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy import Text
from sqlalchemy.dialects import postgresql

import core.models.types

# revision identifiers, used by Alembic.
revision = '0015_integrity_flags'
down_revision = '0014_answer_evidence'
branch_labels = None
depends_on = None


def _json():
    return sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), 'postgresql')


def upgrade():
    op.create_table('integrity_runs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('period', sa.String(length=16), nullable=False),
    sa.Column('computed_at', core.models.types.UTCDateTime(), nullable=False),
    sa.Column('responses', sa.Integer(), nullable=False),
    sa.Column('last_response_id', sa.Integer(), nullable=False),
    sa.Column('thresholds', _json(), nullable=False),
    sa.Column('excluded_counts', _json(), nullable=False),
    sa.Column('excluded_responses', _json(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_integrity_runs')),
    sa.UniqueConstraint('period', name=op.f('uq_integrity_runs_period'))
    )
    op.create_table('integrity_flags',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('period', sa.String(length=16), nullable=False),
    sa.Column('subject_kind', sa.String(length=16), nullable=False),
    sa.Column('subject_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('rule', sa.String(length=32), nullable=False),
    sa.Column('responses', sa.Integer(), nullable=False),
    sa.Column('first_at', core.models.types.UTCDateTime(), nullable=True),
    sa.Column('last_at', core.models.types.UTCDateTime(), nullable=True),
    sa.Column('evidence', _json(), nullable=False),
    sa.Column('response_ids', _json(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('found_at', core.models.types.UTCDateTime(), nullable=False),
    sa.Column('updated_at', core.models.types.UTCDateTime(), nullable=False),
    sa.Column('reviewed_at', core.models.types.UTCDateTime(), nullable=True),
    sa.Column('reviewed_by_id', sa.Integer(), nullable=True),
    sa.Column('review_note', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['reviewed_by_id'], ['users.id'],
                            name=op.f('fk_integrity_flags_reviewed_by_id_users'),
                            ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'],
                            name=op.f('fk_integrity_flags_unit_id_units'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_integrity_flags')),
    sa.UniqueConstraint('period', 'subject_kind', 'subject_id', 'rule',
                        name='uq_integrity_flags_subject_rule')
    )
    with op.batch_alter_table('integrity_flags', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_integrity_flags_period'), ['period'], unique=False)
        batch_op.create_index(batch_op.f('ix_integrity_flags_unit_id'), ['unit_id'],
                              unique=False)


def downgrade():
    with op.batch_alter_table('integrity_flags', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_integrity_flags_unit_id'))
        batch_op.drop_index(batch_op.f('ix_integrity_flags_period'))
    op.drop_table('integrity_flags')
    op.drop_table('integrity_runs')
