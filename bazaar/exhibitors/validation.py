"""Checks on what exhibitors type in: organisation numbers, phone numbers, countries (logos: ``bazaar.images``)."""

import re

import phonenumbers
from babel import Locale


def normalise_org_number(text: str) -> str | None:
    """A Swedish organisation number as ``NNNNNN-NNNN`` if valid (Luhn check digit), else None.

    Accepts it with or without the dash and with surrounding spaces.
    """
    digits = re.sub(r"[\s-]", "", text or "")
    if not re.fullmatch(r"\d{10}", digits) or not luhn_valid(digits):
        return None
    return f"{digits[:6]}-{digits[6:]}"


def luhn_valid(digits: str) -> bool:
    total = 0
    for position, char in enumerate(reversed(digits)):
        n = int(char)
        if position % 2 == 1:
            n *= 2
            if n > 9:
                n -= 9
        total += n
    return total % 10 == 0


def normalise_phone(text: str, region: str = "SE") -> str | None:
    """The number in E.164 form if it is a valid phone number, else None."""
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def country_choices(lang: str) -> list[tuple[str, str]]:
    """ISO 3166-1 alpha-2 codes with their names in ``lang``, sorted by name."""
    try:
        territories = Locale.parse(lang).territories
    except (ValueError, TypeError):
        territories = Locale.parse("en").territories
    names = {
        code: name
        for code, name in territories.items()
        if len(code) == 2 and code.isalpha() and code not in ("ZZ", "XA", "XB", "EU", "EZ", "UN", "QO")
    }
    return sorted(names.items(), key=lambda item: item[1])
