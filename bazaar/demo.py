"""The demo: a coming fair at Jobbdating 07 scale (40 exhibitors, 10 Danish, thousands of visitors,
free times left to book) beside the three past fairs of the source reports, compiled
(:mod:`bazaar.stats.reference`): Jobbdating 07, Rekryteringsbazaren 2007 and the two-day
Mötesplats Rekrytering 2006.

Idempotent: everything hangs off the demo event's slug; if it exists, nothing is added.
"""

import random
import secrets
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bazaar.accounts.auth import hash_password
from bazaar.accounts.choices import FOREIGN_BACKGROUND_DEFINITION
from bazaar.accounts.models import Organisation, User, VisitorProfile
from bazaar.booking.demo import add_slots_and_bookings
from bazaar.clock import utcnow
from bazaar.demo_names import DANISH_EXHIBITORS, FIRST_NAMES, LAST_NAMES, MUNICIPALITIES, SWEDISH_EXHIBITORS
from bazaar.events.models import Event, EventDay, EventOrganiser, EventStaff, EventStatus
from bazaar.exhibitors.models import ApplicationStatus, Exhibitor, ExhibitorStaff, InterviewTable, Opening
from bazaar.extensions import db
from bazaar.occupations import OCCUPATIONS
from bazaar.registrations.models import Registration, RegistrationStatus
from bazaar.stats.reference import (
    JOBBDATING_07,
    MOTESPLATS_REKRYTERING_06,
    REKRYTERINGSBAZAREN_07,
    add_to_demo,
)

DEMO_SLUG = "jobbdating-helsingborg"
DEMO_PASSWORD = "bazaar-demo"
DEMO_LOGINS = {
    "organiser": "organiser@demo.bazaar",
    "organiser in Stockholm": "organiser@stockholm.demo",
    "check-in staff": "door@demo.bazaar",
    "exhibitor admin": "admin@byggkompaniet.demo",
    "exhibitor interviewer": "interviewer@byggkompaniet.demo",
    "visitor": "visitor@demo.bazaar",
    "job coach": "coach@demo.bazaar",
}
STOCKHOLM = ZoneInfo("Europe/Stockholm")


def _local(year, month, day, hour, minute=0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=STOCKHOLM)


def demo_present() -> bool:
    return db.session.scalar(select(Event.id).where(Event.slug == DEMO_SLUG)) is not None


def load_demo(visitors: int = 4700, seed: int = 7, past_editions: bool = True) -> bool:
    """Create the demo fair, and the past editions unless ``past_editions`` is false. Returns False
    (and changes nothing) if it is already there."""
    if demo_present():
        return False
    rng = random.Random(seed)
    password = hash_password(DEMO_PASSWORD)
    now = utcnow()
    orgs = [
        Organisation(name=n)
        for n in ("Länsstyrelsen Skåne", "Helsingborgs stad – Arbetsmarknad", "Arbetsförmedlingen Nordvästra Skåne")
    ]
    stockholm = [
        Organisation(name=n)
        for n in ("Länsstyrelsen i Stockholms län", "Stockholms stad – Jobbtorg", "Arbetsförmedlingen Stockholm")
    ]
    db.session.add_all(orgs + stockholm)

    def person(email, name, **kw):
        user = User(email=email, name=name, password_hash=password, email_verified_at=now, **kw)
        db.session.add(user)
        return user

    person(DEMO_LOGINS["organiser"], "Eva Lindqvist", organisation=orgs[0])
    person(DEMO_LOGINS["organiser in Stockholm"], "Birgitta Holm", organisation=stockholm[0])
    door = person(DEMO_LOGINS["check-in staff"], "Jonas Berg")

    fair_day = (now + timedelta(days=30)).astimezone(STOCKHOLM).date()
    event = Event(
        slug=DEMO_SLUG,
        name=f"Jobbdating Helsingborg {fair_day.year}",
        description={
            "sv": "Träffa 40 arbetsgivare från Skåne och Danmark och gå på korta anställningsintervjuer på plats.",
            "en": "Meet 40 employers from Skåne and Denmark and have short job interviews on the spot.",
        },
        directions={
            "sv": "Gå 5 minuter från Knutpunkten (tåg, buss och färja). Ingången ligger mot Järnvägsgatan.",
            "en": "A 5-minute walk from Knutpunkten (train, bus and ferry). The entrance faces Järnvägsgatan.",
        },
        venue_name="Helsingborg Arena",
        venue_address="Hälsovägen 10, 252 21 Helsingborg",
        starts_at=_local(fair_day.year, fair_day.month, fair_day.day, 10),
        ends_at=_local(fair_day.year, fair_day.month, fair_day.day, 16),
        registration_opens_at=now - timedelta(days=20),
        booking_opens_at=now - timedelta(days=10),
        capacity=6000,
        status=EventStatus.PUBLISHED,
    )
    event.days = [EventDay.spanning(event.starts_at, event.ends_at, "Europe/Stockholm")]
    for org in orgs:
        event.organisers.append(EventOrganiser(organisation=org))
    db.session.add(event)
    db.session.flush()
    db.session.add(EventStaff(event_id=event.id, user_id=door.id, role="checkin"))

    occupations = list(OCCUPATIONS)
    for i, (name, org_type, sector) in enumerate(SWEDISH_EXHIBITORS + DANISH_EXHIBITORS):
        danish = i >= len(SWEDISH_EXHIBITORS)
        exhibitor = Exhibitor(
            event_id=event.id,
            name=name,
            org_type=org_type,
            sector=sector,
            country="DK" if danish else "SE",
            org_number=None if danish else _valid_org_number(rng),
            job_countries=["DK"] if danish else (["SE", "NO"] if i % 7 == 0 else ["SE"]),
            contact_name=f"{rng.choice(FIRST_NAMES[25:40])} {rng.choice(LAST_NAMES[15:25])}",
            contact_email=f"contact{i}@exhibitor.demo",
            status=ApplicationStatus.APPROVED,
            decided_at=now,
            description={
                "sv": f"{name} söker nya medarbetare. Kom och prata med oss!",
                "en": f"{name} is looking for new colleagues. Come and talk to us!",
            },
            booth_languages=["da", "en"] if danish else rng.sample(["sv", "en", "ar", "so", "fa", "ti", "uk"], 3),
            recruits_abroad=danish,
            booth_number=f"{'D' if danish else 'S'}{i + 1:02d}",
        )
        for t in range(3):
            exhibitor.tables.append(InterviewTable(name=f"Bord {t + 1}"))
        for _ in range(rng.randint(1, 3)):
            occ = rng.choice(occupations)
            exhibitor.openings.append(
                Opening(
                    title={"sv": str(OCCUPATIONS[occ]), "en": str(OCCUPATIONS[occ])},
                    occupation=occ,
                    positions=rng.randint(1, 8),
                    location="Helsingør" if danish else "Helsingborg",
                    country="DK" if danish else "SE",
                    employment_type=rng.choice(["permanent", "temporary", "probationary", "seasonal"]),
                    swedish_developing_ok=rng.random() < 0.6,
                )
            )
        db.session.add(exhibitor)
        if i == 0:
            exhibitor.staff.append(
                ExhibitorStaff(user=person(DEMO_LOGINS["exhibitor admin"], "Karin Ek"), role="admin")
            )
            exhibitor.staff.append(
                ExhibitorStaff(user=person(DEMO_LOGINS["exhibitor interviewer"], "Ali Rahimi"), role="interviewer")
            )
    db.session.flush()

    demo_visitor = person(DEMO_LOGINS["visitor"], "Amina Warsame", preferred_language="en")
    coach = person(DEMO_LOGINS["job coach"], "Lena Sjöberg")
    db.session.flush()
    _visitors(event, rng, visitors, demo_visitor, now)
    _registration_variety(event, coach, visitors, now)

    add_slots_and_bookings(event, demo_visitor, rng, now)  # interview slots, bookings, a waiting list
    db.session.commit()

    editions = [(JOBBDATING_07, orgs), (REKRYTERINGSBAZAREN_07, stockholm), (MOTESPLATS_REKRYTERING_06, orgs[:1])]
    add_to_demo(editions if past_editions else [], event)  # the past editions, compiled next to this fair
    return True


def _visitors(event, rng, count, demo_visitor, now) -> None:
    """Bulk-insert visitors with varied, realistic optional profiles (no passwords: not logins)."""
    education = ["compulsory", "upper_secondary", "post_secondary_short", "university", None]
    employment = [
        "unemployed",
        "establishment_programme",
        "employed_below_qualifications",
        "studying",
        "employed",
        None,
    ]
    langs = ["ar", "so", "fa", "ti", "uk", "tr", "en", "sv", "da"]
    users, profiles = [], []
    for n in range(count - 1):
        users.append(
            {
                "email": f"visitor{n}@example.demo",
                "name": f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}",
                "preferred_language": rng.choice(["sv", "en", "ar", "ar", "so", "fa", "ti", "uk", "tr", "da"]),
                "email_verified_at": now,
                "is_active_account": True,
                "created_at": now,
            }
        )
    db.session.execute(db.insert(User), users)
    user_ids = [demo_visitor.id] + list(
        db.session.scalars(select(User.id).where(User.email.like("visitor%@example.demo")).order_by(User.id))
    )
    for uid in user_ids:
        shares = rng.random() < 0.8
        profiles.append(
            {
                "user_id": uid,
                "municipality": rng.choice(MUNICIPALITIES),
                "education_level": rng.choice(education),
                "degree_origin": rng.choice(["swedish", "foreign", "foreign", None]),
                "employment_status": rng.choice(employment),
                "occupations": rng.sample(list(OCCUPATIONS)[:-1], rng.randint(1, 3)),
                "languages": rng.sample(langs, rng.randint(1, 3)),
                "swedish_level": rng.choice(["none", "basic", "intermediate", "fluent", None]),
                "years_in_sweden": rng.choice(["0-2", "3-5", "6-10", "10+", "born", None]),
                "gender": rng.choice(["woman", "man", "woman", "man", "other", None]),
                "age_band": rng.choice(["16-24", "25-34", "35-44", "45-54", "55+"]),
                "heard_via": rng.choice(["employment_service", "sfi", "friends", "social_media", "newspaper"]),
                "consent_share_profile_at": now if shares else None,
                "consent_followup_at": now if rng.random() < 0.7 else None,
            }
        )
    db.session.execute(db.insert(VisitorProfile), profiles)
    db.session.execute(
        db.insert(Registration),
        [
            {
                "event_id": event.id,
                "user_id": uid,
                "status": RegistrationStatus.REGISTERED,
                "ticket_code": secrets.token_urlsafe(16),
                "created_at": now,
                "walk_in": False,
            }
            for uid in user_ids
        ],
    )


def _registration_variety(event, coach, visitors, now) -> None:
    """What real sign-ups look like beyond the basic profile: phones, validated credentials, the
    sensitive question answered by those who consented, newsletters, sign-ups spread over the
    registration weeks, SFI classes registered by a job coach, and a few cancellations.
    Uses its own random stream so the rest of the demo stays as it was."""

    rng = random.Random(visitors * 7919)
    profiles = db.session.execute(
        select(VisitorProfile.id, VisitorProfile.degree_origin)
        .join(User, User.id == VisitorProfile.user_id)
        .where(User.email.like("visitor%@example.demo"))
        .order_by(VisitorProfile.id)
    ).all()
    updates = []
    for profile_id, degree_origin in profiles:
        sensitive = rng.random() < 0.55
        updates.append(
            {
                "id": profile_id,
                "phone": f"+4670{rng.randint(1000000, 9999999)}" if rng.random() < 0.6 else None,
                "credential_validated": rng.choice(["yes", "no", "no", "in_progress"])
                if degree_origin == "foreign"
                else None,
                "consent_news_at": now if rng.random() < 0.4 else None,
                "consent_sensitive_at": now if sensitive else None,
                "foreign_background": rng.choice(["born_abroad"] * 6 + ["parents_abroad", "neither", "prefer_not"])
                if sensitive
                else None,
                "foreign_background_definition": FOREIGN_BACKGROUND_DEFINITION if sensitive else None,
            }
        )
    db.session.execute(db.update(VisitorProfile), updates)

    registrations = (
        db.session.execute(
            select(Registration.id)
            .join(User, User.id == Registration.user_id)
            .where(Registration.event_id == event.id, User.email.like("visitor%@example.demo"))
            .order_by(Registration.id)
        )
        .scalars()
        .all()
    )
    opened = event.registration_opens_at or now
    span = max((now - opened).total_seconds(), 1)
    coached = set(rng.sample(registrations, min(len(registrations) // 40, 120)))
    updates = []
    for reg_id in registrations:
        created = opened + timedelta(seconds=span * rng.random() ** 0.7)
        row = {"id": reg_id, "created_at": created, "registered_by_id": coach.id if reg_id in coached else None}
        if reg_id not in coached and rng.random() < 0.02:
            row.update(
                status=RegistrationStatus.CANCELLED, cancelled_at=min(created + timedelta(days=rng.randint(1, 10)), now)
            )
        updates.append(row)
    db.session.execute(db.update(Registration), updates)


def _valid_org_number(rng) -> str:
    """A Swedish organisation number (NNNNNN-NNNC) with a correct Luhn check digit."""
    digits = [5, 5, 6] + [rng.randint(0, 9) for _ in range(6)]
    total = 0
    for i, d in enumerate(digits):
        v = d * (2 if i % 2 == 0 else 1)
        total += v - 9 if v > 9 else v
    check = (10 - total % 10) % 10
    s = "".join(map(str, digits)) + str(check)
    return f"{s[:6]}-{s[6:]}"
