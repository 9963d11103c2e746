"""core: job_runs, so each periodic job runs once per period across several job runners

Revision ID: 0009_job_runs
Revises: 0008_online_points
Create Date: 2026-12-07 02:20:00

"""
from alembic import op
import sqlalchemy as sa

from core.models.types import UTCDateTime

# revision identifiers, used by Alembic.
revision = '0009_job_runs'
down_revision = '0008_online_points'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('job_runs',
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('claimed_at', UTCDateTime(), nullable=True),
    sa.Column('claimed_by', sa.String(length=120), nullable=True),
    sa.Column('last_success_at', UTCDateTime(), nullable=True),
    sa.Column('last_failure_at', UTCDateTime(), nullable=True),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_job_runs'))
    )


def downgrade():
    op.drop_table('job_runs')
