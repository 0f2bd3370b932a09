"""Summaries know the rules that counted them

The summary columns of an application (errors, warnings, sections done) are counted by the rule engine. A new column,
`regole`, holds the fingerprint of the rules that counted them (patti_web.domande.analysis.RULES): a row counted by
other rules (an older release, or a data migration, which knows no rules) is counted again when it is read. Every row
starts empty: each is counted again, once, by the rules of the release that reads it.

Revision ID: 5e1a9c2b7d40
Revises: dbbaac2da304
Create Date: 2026-12-01 19:10:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5e1a9c2b7d40'
down_revision = 'dbbaac2da304'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('application', schema=None) as batch_op:
        batch_op.add_column(sa.Column('regole', sa.String(length=20), nullable=False, server_default=''))
    with op.batch_alter_table('application', schema=None) as batch_op:
        batch_op.alter_column('regole', server_default=None)


def downgrade():
    with op.batch_alter_table('application', schema=None) as batch_op:
        batch_op.drop_column('regole')
