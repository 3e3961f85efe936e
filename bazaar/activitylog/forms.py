from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l
from wtforms import DateField, SelectField
from wtforms.validators import Optional, ValidationError

from bazaar.forms import YEARS, BazaarForm


def _in_years(field) -> None:
    if field.data and field.data.year not in YEARS:
        raise ValidationError(_l("Please enter a year from %(first)d to %(last)d.", first=YEARS[0], last=YEARS[-1]))


def _midnight(day: date, zone: str) -> datetime:
    """The start of ``day`` at the fair, in UTC."""
    return datetime.combine(day, time(), tzinfo=ZoneInfo(zone)).astimezone(UTC)


class ActivityFilterForm(BazaarForm):
    """A GET form: filtering changes nothing, so it carries no CSRF token. The choices of action
    and actor are the ones the event's log holds (set by the view)."""

    class Meta:
        csrf = False

    action = SelectField(_l("What"), validators=[Optional()], choices=[("", _l("All"))])
    actor = SelectField(_l("Who"), validators=[Optional()], choices=[("", _l("Everyone"))])
    since = DateField(_l("From (date)"), validators=[Optional()])
    until = DateField(_l("To (date)"), validators=[Optional()])

    def validate_since(self, field):
        _in_years(field)

    def validate_until(self, field):
        _in_years(field)
        if field.data and self.since.data and field.data < self.since.data:
            raise ValidationError(_l("The end date must not be before the start date."))

    def filters(self, zone: str) -> dict:
        """The arguments of :func:`bazaar.activitylog.services.entries`; the dates are whole days
        in the fair's time zone ``zone``, both included."""
        since, until = self.since.data, self.until.data
        return {
            "action": self.action.data or None,
            "actor_id": int(self.actor.data) if self.actor.data else None,
            "since": _midnight(since, zone) if since else None,
            "until": _midnight(until + timedelta(days=1), zone) if until else None,
        }
