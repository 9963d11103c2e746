"""feedback: case indexes end with due_at, so the work lists' "overdue" and "due soon" counts
read one index range per unit and state

Revision ID: 0010_worklist_indexes
Revises: 0009_job_runs
Create Date: 2026-12-07 03:20:00

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = '0010_worklist_indexes'
down_revision = '0009_job_runs'
branch_labels = None
depends_on = None


def upgrade():
    # (agency_id, state) and (handling_unit_id, state) become prefixes of the new indexes,
    # which serve the queues' queries as well as they did.
    op.drop_index('ix_feedback_cases_agency_state', table_name='feedback_cases')
    op.drop_index('ix_feedback_cases_handling_state', table_name='feedback_cases')
    op.create_index('ix_feedback_cases_agency_state_due', 'feedback_cases',
                    ['agency_id', 'state', 'due_at'], unique=False)
    op.create_index('ix_feedback_cases_handling_state_due', 'feedback_cases',
                    ['handling_unit_id', 'state', 'due_at'], unique=False)


def downgrade():
    op.drop_index('ix_feedback_cases_handling_state_due', table_name='feedback_cases')
    op.drop_index('ix_feedback_cases_agency_state_due', table_name='feedback_cases')
    op.create_index('ix_feedback_cases_handling_state', 'feedback_cases',
                    ['handling_unit_id', 'state'], unique=False)
    op.create_index('ix_feedback_cases_agency_state', 'feedback_cases',
                    ['agency_id', 'state'], unique=False)
