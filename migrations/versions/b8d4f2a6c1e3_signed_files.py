"""Signed files: the act and the letters of adhesion that come back signed, each for a document and a version

Revision ID: b8d4f2a6c1e3
Revises: a7c3e9f1b2d4
Create Date: 2026-12-01 22:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b8d4f2a6c1e3'
down_revision = 'a7c3e9f1b2d4'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'file_firmato',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('application_id', sa.Integer(), nullable=False),
        sa.Column('documento', sa.String(length=40), nullable=False),
        sa.Column('versione', sa.Integer(), nullable=False),
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.Column('nome_file', sa.String(length=200), nullable=False),
        sa.Column('dimensione', sa.Integer(), nullable=False),
        sa.Column('formato', sa.String(length=10), nullable=False),
        sa.Column('firmatario', sa.String(length=16), nullable=False),
        sa.Column('nome_firmatario', sa.String(length=200), nullable=False),
        sa.Column('esito', sa.String(length=30), nullable=False),
        sa.Column('controlli', sa.JSON(), nullable=False),
        sa.Column('caricato_da', sa.Integer(), nullable=True),
        sa.Column('caricato_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['application_id'], ['application.id'],
                                name=op.f('fk_file_firmato_application_id_application'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['caricato_da'], ['user_account.id'],
                                name=op.f('fk_file_firmato_caricato_da_user_account'), ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_file_firmato')),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table('file_firmato', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_file_firmato_application_id'), ['application_id'], unique=False)


def downgrade():
    with op.batch_alter_table('file_firmato', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_file_firmato_application_id'))
    op.drop_table('file_firmato')
