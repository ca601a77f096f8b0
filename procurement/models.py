"""Every table of the package, for code that needs them all at once (mapper configuration,
Alembic's comparison with the migrations). Each capability owns its models module."""

from procurement.budget.models import Budget, FundingSource
from procurement.design.models import BomLine
from procurement.documents.models import ProjectDocument
from procurement.projects.models import Project, ProjectPerson
from procurement.records.models import ProjectRecord

__all__ = ["Budget", "BomLine", "FundingSource", "Project", "ProjectDocument", "ProjectPerson", "ProjectRecord"]
