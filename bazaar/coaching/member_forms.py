"""The group member's own forms (visitor-facing: every language)."""

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, StringField
from wtforms.validators import DataRequired, Length

from bazaar.accounts.forms import ProfileFieldsForm, language_field, language_options
from bazaar.forms import BazaarForm, strip


class MemberCodeForm(BazaarForm):
    code = StringField(
        _l("Your code"),
        filters=[strip],
        validators=[DataRequired(), Length(max=20)],
        description=_l("It is on the sheet you got, e.g. ABCD-EFGH."),
    )


class FirstUseForm(BazaarForm):
    """The member's own choices: language, the privacy terms, and each optional consent (unticked
    until they tick it)."""

    preferred_language = language_field(_l("Your language"))
    accept_privacy = BooleanField(
        _l("I have read how my personal data is used, and I accept it"),
        validators=[DataRequired(message=_l("Please tick this box to continue."))],
    )
    consent_share_profile = ProfileFieldsForm.consent_share_profile
    consent_followup = ProfileFieldsForm.consent_followup
    consent_news = ProfileFieldsForm.consent_news
    consent_matching = ProfileFieldsForm.consent_matching
    CONSENTS = ProfileFieldsForm.CONSENTS
    WHY = {f"consent_{c}": ProfileFieldsForm.WHY[f"consent_{c}"] for c in ProfileFieldsForm.CONSENTS}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.preferred_language.choices = language_options()

    def fill_from(self, user) -> None:
        """The member's own earlier choices (a coach can never have made any)."""
        self.preferred_language.data = user.preferred_language
        profile = user.profile
        for consent in self.CONSENTS:
            given = profile is not None and getattr(profile, f"consent_{consent}_at") is not None
            getattr(self, f"consent_{consent}").data = given

    def consents(self) -> dict[str, bool]:
        return {c: bool(getattr(self, f"consent_{c}").data) for c in self.CONSENTS}
