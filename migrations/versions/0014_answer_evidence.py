"""feedback: evidence to close and the public moderation log (issue 14, sections 2 and 5)

The growing list of legal documents, the legal basis on answers and publications, evidence
attachments with their number, the reason a case was closed without an answer, and decisions
not to publish.

Revision ID: 0014_answer_evidence
Revises: 0013_pakn_followup
Create Date: 2026-12-07 17:00:00

"""
import sqlalchemy as sa
from alembic import op

from core.models.types import UTCDateTime

# revision identifiers, used by Alembic.
revision = '0014_answer_evidence'
down_revision = '0013_pakn_followup'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('feedback_legal_documents',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('number', sa.String(length=60), nullable=False),
    sa.Column('number_key', sa.String(length=60), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('issued_on', sa.Date(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'],
                            name=op.f('fk_feedback_legal_documents_created_by_id_users'),
                            ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_feedback_legal_documents')),
    sa.UniqueConstraint('number_key', name=op.f('uq_feedback_legal_documents_number_key'))
    )
    op.create_table('feedback_non_publications',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('reason', sa.String(length=24), nullable=False),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['feedback_cases.id'],
                            name=op.f('fk_feedback_non_publications_case_id_feedback_cases'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'],
                            name=op.f('fk_feedback_non_publications_decided_by_id_users'),
                            ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_feedback_non_publications')),
    sa.UniqueConstraint('case_id', name=op.f('uq_feedback_non_publications_case_id'))
    )
    with op.batch_alter_table('feedback_non_publications', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_feedback_non_publications_decided_at'),
                              ['decided_at'], unique=False)

    with op.batch_alter_table('feedback_cases', schema=None) as batch_op:
        batch_op.add_column(sa.Column('closure_reason', sa.String(length=32), nullable=True))
    with op.batch_alter_table('feedback_attachments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('evidence_number', sa.String(length=60), nullable=True))
    for table in ('feedback_answers', 'feedback_publications'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('legal_document_id', sa.Integer(), nullable=True))
            batch_op.add_column(sa.Column('legal_article', sa.String(length=60),
                                          nullable=True))
            batch_op.create_foreign_key(
                batch_op.f(f'fk_{table}_legal_document_id_feedback_legal_documents'),
                'feedback_legal_documents', ['legal_document_id'], ['id'],
                ondelete='RESTRICT')


def downgrade():
    # feedback_cases is referred to by many tables: rebuilding it (batch mode) would drop it
    # under their rows with foreign keys enforced, so its plain column goes with a native
    # DROP COLUMN (SQLite 3.35+, as on PostgreSQL). The other tables are rebuilt as usual.
    op.drop_column('feedback_cases', 'closure_reason')
    for table in ('feedback_publications', 'feedback_answers'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(
                batch_op.f(f'fk_{table}_legal_document_id_feedback_legal_documents'),
                type_='foreignkey')
            batch_op.drop_column('legal_article')
            batch_op.drop_column('legal_document_id')
    with op.batch_alter_table('feedback_attachments', schema=None) as batch_op:
        batch_op.drop_column('evidence_number')
    with op.batch_alter_table('feedback_non_publications', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_feedback_non_publications_decided_at'))
    op.drop_table('feedback_non_publications')
    op.drop_table('feedback_legal_documents')
