"""Imports every domain's models so SQLAlchemy and Alembic see all tables."""

from bazaar.accounts.models import Organisation, User, VisitorProfile  # noqa: F401
from bazaar.activities.models import Activity, Participant  # noqa: F401
from bazaar.activitylog.models import LogEntry  # noqa: F401
from bazaar.announcements.models import Announcement  # noqa: F401
from bazaar.api.models import ApiToken  # noqa: F401
from bazaar.booking.models import Booking, Slot, WaitlistEntry  # noqa: F401
from bazaar.checkin.models import Arrival, BoothScan, DoorScan  # noqa: F401
from bazaar.coaching.models import CoachGroup, GroupMember  # noqa: F401
from bazaar.events.models import Event, EventDay, EventOrganiser, EventStaff, StaffRequest  # noqa: F401
from bazaar.exhibitors.models import (  # noqa: F401
    Exhibitor,
    ExhibitorStaff,
    InterviewTable,
    Opening,
    StaffInvitation,
)
from bazaar.funding.models import FairBudget, Funding  # noqa: F401
from bazaar.matching.models import Invitation, Need  # noqa: F401
from bazaar.notifications.models import OutboxMessage  # noqa: F401
from bazaar.registrations.models import Registration  # noqa: F401
from bazaar.stats.models import CaseResolution, StatsSnapshot, SurveyResponse  # noqa: F401
from bazaar.webhooks.models import WebhookEndpoint  # noqa: F401
