"""Every table of the package, for code that needs them all at once (mapper configuration,
Alembic's comparison with the migrations). Each capability owns its models module."""

from procurement.bids.models import Bid, BidReceipt, BidRoot, KeyHolder, KeyShare, OpeningKey
from procurement.bonds.models import Bond, StripeEvent
from procurement.budget.models import Budget, FundingSource
from procurement.design.models import BomLine
from procurement.documents.models import ProjectDocument
from procurement.pooling.models import PooledLine, PoolingRound
from procurement.profiles.models import ProcedureProfile
from procurement.projects.models import Project, ProjectPerson
from procurement.records.models import ProjectRecord
from procurement.tendering.models import Amendment, Lot, Question, Tender, TenderDocument, TenderFollow

__all__ = ["Amendment", "Bid", "BidReceipt", "BidRoot", "KeyHolder", "KeyShare", "OpeningKey", "Bond", "StripeEvent", "Budget", "BomLine", "FundingSource", "Lot", "PooledLine", "PoolingRound", "ProcedureProfile",
           "Project", "ProjectDocument", "ProjectPerson", "ProjectRecord", "Question", "Tender", "TenderDocument",
           "TenderFollow"]
