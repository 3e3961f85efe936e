"""The fixed answers of the visitor profile. Codes are stored; labels are translated.

The codes match :mod:`bazaar.demo` and are what statistics group by, so never rename one.
"""

from babel import Locale
from flask_babel import lazy_gettext as _l

EDUCATION_LEVELS = [
    ("compulsory", _l("Compulsory school")),
    ("upper_secondary", _l("Upper secondary school")),
    ("post_secondary_short", _l("Post-secondary education, less than 3 years")),
    ("university", _l("University, 3 years or more")),
]
DEGREE_ORIGINS = [
    ("swedish", _l("Swedish")),
    ("foreign", _l("From another country")),
]
CREDENTIAL_VALIDATION = [
    ("yes", _l("Yes, it has been validated in Sweden")),
    ("in_progress", _l("It is being validated")),
    ("no", _l("No")),
]
EMPLOYMENT_STATUSES = [
    ("unemployed", _l("Looking for work")),
    ("employed", _l("Employed")),
    ("employed_below_qualifications", _l("Employed, below my qualifications")),
    ("studying", _l("Studying")),
    ("establishment_programme", _l("In the establishment programme")),
]
SWEDISH_LEVELS = [
    ("none", _l("None yet")),
    ("basic", _l("Basic")),
    ("intermediate", _l("Intermediate")),
    ("fluent", _l("Fluent")),
]
YEARS_IN_SWEDEN = [
    ("0-2", _l("Less than 3 years")),
    ("3-5", _l("3–5 years")),
    ("6-10", _l("6–10 years")),
    ("10+", _l("More than 10 years")),
    ("born", _l("Born in Sweden")),
]
GENDERS = [
    ("woman", _l("Woman")),
    ("man", _l("Man")),
    ("other", _l("Another gender")),
]
AGE_BANDS = [("16-24", "16–24"), ("25-34", "25–34"), ("35-44", "35–44"), ("45-54", "45–54"), ("55+", "55+")]
HEARD_VIA = [
    ("employment_service", _l("The Swedish Public Employment Service")),
    ("sfi", _l("SFI or other school")),
    ("municipality", _l("The municipality")),
    ("friends", _l("Friends or family")),
    ("social_media", _l("Social media")),
    ("newspaper", _l("Newspaper, radio or poster")),
    ("other", _l("Other")),
]
# Self-declared foreign background, as Statistics Sweden defines it (MIS 2002:3): born abroad,
# or born in Sweden with both parents born abroad. The definition code is stored with each answer.
FOREIGN_BACKGROUND = [
    ("born_abroad", _l("I was born outside Sweden")),
    ("parents_abroad", _l("I was born in Sweden and both my parents were born outside Sweden")),
    ("neither", _l("Neither")),
    ("prefer_not", _l("I prefer not to say")),
]
FOREIGN_BACKGROUND_DEFINITION = "scb_mis_2002_3"

# Languages visitors commonly speak at Swedish fairs (ISO 639-1); names come from Babel.
SPOKEN_LANGUAGES = (
    "sv",
    "en",
    "ar",
    "so",
    "fa",
    "ti",
    "uk",
    "ru",
    "tr",
    "ku",
    "ps",
    "am",
    "da",
    "no",
    "fi",
    "pl",
    "bs",
    "sr",
    "hr",
    "sq",
    "es",
    "fr",
    "de",
    "it",
    "pt",
    "th",
    "vi",
    "zh",
    "hi",
    "ur",
    "bn",
    "sw",
)


def language_choices(display_lang: str) -> list[tuple[str, str]]:
    """Spoken-language choices named in the reader's language, each also in its own."""
    try:
        reader = Locale.parse(display_lang)
    except (ValueError, TypeError):
        reader = Locale.parse("en")
    choices = []
    for code in SPOKEN_LANGUAGES:
        own = Locale.parse(code).get_display_name(code) or code
        shown = reader.languages.get(code) or own
        label = shown if shown.casefold() == own.casefold() else f"{shown} ({own})"
        choices.append((code, label))
    return sorted(choices, key=lambda c: c[1].casefold())
