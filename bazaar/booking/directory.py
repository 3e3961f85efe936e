"""The exhibitor directory: approved exhibitors at an event, filtered the way visitors ask."""

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from bazaar.booking.rules import free_slot_counts
from bazaar.exhibitors.models import ApplicationStatus, Exhibitor
from bazaar.extensions import db


@dataclass
class Listing:
    """An approved exhibitor in the directory, with the openings that match the filters."""

    exhibitor: object
    openings: list
    free_slots: int
    search_text: str = ""  # the texts the search looks in, folded, for the page to narrow the list as you type


def _texts(exhibitor) -> list[str]:
    """What the directory's search looks in, folded: name, booth, sector, description, every opening."""
    texts = [
        exhibitor.name,
        exhibitor.booth_number or "",
        exhibitor.sector or "",
        *(exhibitor.description or {}).values(),
    ]
    for opening in exhibitor.openings:
        texts += [*(opening.title or {}).values(), opening.location or "", opening.occupation or ""]
    return [(t or "").casefold() for t in texts if t]


def approved_exhibitors(event) -> list:
    """The approved exhibitors at ``event`` by name, with their openings (two statements: joined,
    each exhibitor's row and its texts would be sent and decoded once per opening), which the
    directory and its filters' choices both read."""
    return db.session.scalars(
        select(Exhibitor)
        .where(Exhibitor.event_id == event.id, Exhibitor.status == ApplicationStatus.APPROVED)
        .options(selectinload(Exhibitor.openings))
        .order_by(Exhibitor.name)
    ).all()


def directory(
    event,
    q: str = "",
    occupation: str = "",
    language: str = "",
    country: str = "",
    employment_type: str = "",
    free_only: bool = False,
    exhibitors: list | None = None,
) -> list[Listing]:
    """Approved exhibitors at ``event`` filtered by what visitors ask for. Opening filters
    (occupation, country, employment type) keep exhibitors with at least one matching opening.
    ``exhibitors``: :func:`approved_exhibitors` if the caller has read them already."""
    if exhibitors is None:
        exhibitors = approved_exhibitors(event)
    free = free_slot_counts(event)
    needle = (q or "").strip().casefold()
    listings = []
    for exhibitor in exhibitors:
        openings = [
            o
            for o in exhibitor.openings
            if (not occupation or o.occupation == occupation)
            and (not employment_type or o.employment_type == employment_type)
            and (not country or o.country == country)
        ]
        if (occupation or employment_type) and not openings:
            continue
        if country and not openings and country not in (exhibitor.job_countries or []):
            continue
        if language and language not in (exhibitor.booth_languages or []):
            continue
        if free_only and not free.get(exhibitor.id):
            continue
        texts = _texts(exhibitor)
        if needle and not any(needle in t for t in texts):
            continue
        listings.append(
            Listing(
                exhibitor,
                openings if (occupation or employment_type or country) else list(exhibitor.openings),
                free.get(exhibitor.id, 0),
                "\n".join(texts),
            )
        )
    return listings


def directory_choices(event, exhibitors: list | None = None) -> dict[str, list[str]]:
    """Codes present at ``event`` for the directory's filters (languages and job countries).
    ``exhibitors``: :func:`approved_exhibitors` if the caller has read them already."""
    if exhibitors is None:
        exhibitors = approved_exhibitors(event)
    languages, countries = set(), set()
    for exhibitor in exhibitors:
        languages.update(exhibitor.booth_languages or [])
        countries.update(exhibitor.job_countries or [])
        countries.update(opening.country for opening in exhibitor.openings)
    return {"languages": sorted(languages), "countries": sorted(c for c in countries if c)}
