"""Past editions rebuilt as rows: the three fairs of the source reports.

- **Jobbdating 07** (Helsingborg, 9 May 2007), the reference edition: 40 exhibitors of which 10
  Danish, 4,700 visitors, 300 interviews held, 85 people hired (reported by exhibitors and/or
  visitors, de-duplicated). Its figures are the published ones and a test holds them exact.
- **Rekryteringsbazaren 2007** (Kulturhuset, Stockholm, one day): 60 exhibitors, about 10,000
  visitors, eight exhibitors recruiting for jobs in Norway, Luxembourg and Ireland.
- **Mötesplats Rekrytering 2006** (Skåne, 20–21 October 2006, two days): 17 exhibitors, about
  5,000 visitors.

For the last two the reports give the days, exhibitors and visitors; the shape of their interviews,
outcomes and survey answers is illustrative (set in their :class:`Edition`). The rows are generated
deterministically with a seeded random generator and bulk inserts; every figure is what compiling
them gives, never typed into a snapshot. The demo loads them so the organiser's dashboard compares
past editions with the coming fair.
"""

import random
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bazaar.accounts.models import Organisation, User, VisitorProfile
from bazaar.booking.models import Booking, Slot
from bazaar.checkin.models import Arrival
from bazaar.demo_names import (
    DANISH_EXHIBITORS,
    FIRST_NAMES,
    LAST_NAMES,
    MUNICIPALITIES,
    STOCKHOLM_EXHIBITORS,
    SWEDISH_EXHIBITORS,
)
from bazaar.events.models import Event, EventDay, EventOrganiser
from bazaar.exhibitors.models import Exhibitor, InterviewTable
from bazaar.extensions import db
from bazaar.occupations import OCCUPATIONS
from bazaar.registrations.models import Registration
from bazaar.stats.models import SurveyResponse
from bazaar.stats.services import compile_snapshot

STOCKHOLM = ZoneInfo("Europe/Stockholm")


def _day(year, month, day, opens=10, closes=16) -> tuple[datetime, datetime]:
    return datetime(year, month, day, opens, tzinfo=STOCKHOLM), datetime(year, month, day, closes, tzinfo=STOCKHOLM)


@dataclass(frozen=True)
class Edition:
    """The shape of a finished edition. Its headline figures follow from these counts through
    the statistics' definitions."""

    slug: str
    name: str
    description: dict
    venue_name: str
    venue_address: str
    days: tuple[tuple[datetime, datetime], ...]
    exhibitors: tuple[tuple[str, str, str, str, tuple[str, ...]], ...]  # name, kind, sector, country, job countries
    email_prefix: str
    seed: int
    preregistered: int
    preregistered_checked_in: int  # the others are no-shows
    walk_ins: int  # registered and checked in at the door
    cancelled: int
    bookings_held: int
    bookings_no_show: int
    bookings_cancelled: int
    walk_in_interviews: int
    hired_by_exhibitors: int
    offers_not_hired: int
    second_interviews: int
    internships: int
    survey_respondents: int
    # Visitor-reported jobs: confirming an exhibitor's hire (same pair), a hired visitor naming no
    # exhibitor (same job), a new pair with an exhibitor that made an offer, and jobs naming no exhibitor.
    jobs_confirming_hire: int
    jobs_hired_unnamed: int
    jobs_new_pair: int
    jobs_unnamed: int
    anonymised_share: float = 0.25  # visitors who have deleted their account since
    returning_share: float = 0.2  # of a day's visitors, those who come back on a later day
    slot_minutes: int = 20
    tables_per_exhibitor: int = 3

    @property
    def starts_at(self) -> datetime:
        return self.days[0][0]

    @property
    def ends_at(self) -> datetime:
        return self.days[-1][1]


JOBBDATING_07 = Edition(
    slug="jobbdating-07",
    name="Jobbdating 07",
    description={
        "sv": "Jobbdating i Helsingborg 2007: arbetsgivare från Skåne och Danmark.",
        "en": "Job dating in Helsingborg 2007: employers from Skåne and Denmark.",
    },
    venue_name="Helsingborg Arena",
    venue_address="Hälsovägen 10, 252 21 Helsingborg",
    days=(_day(2007, 5, 9),),
    exhibitors=tuple((name, kind, sector, "SE", ("SE",)) for name, kind, sector in SWEDISH_EXHIBITORS)
    + tuple((name, kind, sector, "DK", ("DK",)) for name, kind, sector in DANISH_EXHIBITORS),
    email_prefix="jd07",
    seed=2007,
    preregistered=4600,
    preregistered_checked_in=4050,  # 550 no-shows
    walk_ins=650,  # 4,050 + 650 = 4,700 visitors
    cancelled=180,
    bookings_held=240,
    bookings_no_show=60,
    bookings_cancelled=30,
    walk_in_interviews=60,  # 240 + 60 = 300 interviews held
    hired_by_exhibitors=70,
    offers_not_hired=15,
    second_interviews=40,
    internships=12,
    survey_respondents=900,
    jobs_confirming_hire=30,
    jobs_hired_unnamed=5,
    jobs_new_pair=5,
    jobs_unnamed=10,  # 70 + 5 + 10 = 85 people hired
)
REKRYTERINGSBAZAREN_07 = Edition(
    slug="rekryteringsbazaren-2007",
    name="Rekryteringsbazaren 2007",
    description={
        "sv": "Rekryteringsbazaren på Kulturhuset: 60 arbetsgivare, även med jobb i Norge, Luxemburg och Irland.",
        "en": "Rekryteringsbazaren at Kulturhuset: 60 employers, some with jobs in Norway, Luxembourg and Ireland.",
    },
    venue_name="Kulturhuset",
    venue_address="Sergels torg 3, 111 57 Stockholm",
    days=(_day(2007, 11, 8),),
    exhibitors=tuple((n, k, s, c, tuple(j)) for n, k, s, c, j in STOCKHOLM_EXHIBITORS),
    email_prefix="rb07",
    seed=2107,
    preregistered=8200,
    preregistered_checked_in=7100,
    walk_ins=2900,  # 7,100 + 2,900 = 10,000 visitors
    cancelled=300,
    bookings_held=420,
    bookings_no_show=90,
    bookings_cancelled=50,
    walk_in_interviews=130,
    hired_by_exhibitors=96,
    offers_not_hired=25,
    second_interviews=60,
    internships=20,
    survey_respondents=1500,
    jobs_confirming_hire=40,
    jobs_hired_unnamed=8,
    jobs_new_pair=8,
    jobs_unnamed=22,
)
MOTESPLATS_REKRYTERING_06 = Edition(
    slug="motesplats-rekrytering-2006",
    name="Mötesplats Rekrytering 2006",
    description={
        "sv": "Mötesplats Rekrytering i Skåne: två dagar, 17 arbetsgivare.",
        "en": "Mötesplats Rekrytering in Skåne: two days, 17 employers.",
    },
    venue_name="Mässhallen",
    venue_address="Malmö",
    days=(_day(2006, 10, 20), _day(2006, 10, 21)),
    exhibitors=tuple((name, kind, sector, "SE", ("SE",)) for name, kind, sector in SWEDISH_EXHIBITORS[:17]),
    email_prefix="mr06",
    seed=2006,
    preregistered=3900,
    preregistered_checked_in=3400,
    walk_ins=1600,  # 3,400 + 1,600 = 5,000 visitors
    cancelled=120,
    bookings_held=200,
    bookings_no_show=45,
    bookings_cancelled=25,
    walk_in_interviews=70,
    hired_by_exhibitors=38,
    offers_not_hired=10,
    second_interviews=30,
    internships=15,
    survey_respondents=700,
    jobs_confirming_hire=15,
    jobs_hired_unnamed=3,
    jobs_new_pair=4,
    jobs_unnamed=9,
)
PAST_EDITIONS = (JOBBDATING_07, REKRYTERINGSBAZAREN_07, MOTESPLATS_REKRYTERING_06)
REFERENCE_SLUG = JOBBDATING_07.slug


def edition_present(edition: Edition) -> bool:
    return db.session.scalar(select(Event.id).where(Event.slug == edition.slug)) is not None


def load_edition(edition: Edition, organisations: list[Organisation]) -> Event | None:
    """Build the finished ``edition`` co-organised by ``organisations``; None if it exists already."""
    if edition_present(edition):
        return None
    return _Builder(edition, organisations).build()


def load_reference_edition(organisations: list[Organisation]) -> Event | None:
    """Jobbdating 07, the edition whose figures are the published ones."""
    return load_edition(JOBBDATING_07, organisations)


def add_to_demo(editions: list[tuple[Edition, list[Organisation]]], current_event: Event) -> None:
    """Load the past editions next to the demo fair and compile them all, so the organiser's
    dashboard and comparison show figures at once."""
    events = [load_edition(edition, organisations) for edition, organisations in editions]
    db.session.commit()
    for event in events:
        if event is not None:
            compile_snapshot(event.id, "demo")
    compile_snapshot(current_event.id, "demo")


class _Builder:
    def __init__(self, edition: Edition, organisations: list[Organisation]):
        self.e = edition
        self.rng = random.Random(edition.seed)
        self.organisations = organisations

    def build(self) -> Event:
        e = self.e
        event = Event(
            slug=e.slug,
            name=e.name,
            description=e.description,
            venue_name=e.venue_name,
            venue_address=e.venue_address,
            starts_at=e.starts_at,
            ends_at=e.ends_at,
            capacity=int((e.preregistered + e.walk_ins) * 1.3),
            status="finished",
            registration_opens_at=e.starts_at - timedelta(days=40),
            booking_opens_at=e.starts_at - timedelta(days=21),
            followup_days=[30, 90],
            created_at=e.starts_at - timedelta(days=90),
        )
        event.days = [
            EventDay.spanning(opens, closes, event.timezone or "Europe/Stockholm") for opens, closes in e.days
        ]
        for org in self.organisations:
            event.organisers.append(EventOrganiser(organisation=org))
        db.session.add(event)
        db.session.flush()
        self.event = event
        self.exhibitors = self._exhibitors()
        self.slots = self._slots()
        self._visitors()
        self._interviews()
        self._survey()
        db.session.flush()
        return event

    # ---- exhibitors and their interview slots -------------------------------------------
    def _exhibitors(self) -> list[Exhibitor]:
        exhibitors = []
        e = self.e
        for i, (name, org_type, sector, country, job_countries) in enumerate(e.exhibitors):
            home = country == "SE"
            exhibitor = Exhibitor(
                event_id=self.event.id,
                name=name,
                org_type=org_type,
                sector=sector,
                country=country,
                org_number=_org_number(i) if home else None,
                job_countries=list(job_countries),
                contact_name="Kontaktperson",
                contact_email=f"{e.email_prefix}-contact{i}@exhibitor.demo",
                status="approved",
                decided_at=e.starts_at - timedelta(days=30),
                recruits_abroad=set(job_countries) != {"SE"},
                booth_number=f"{'S' if home else country[0]}{i + 1:02d}",
                created_at=e.starts_at - timedelta(days=60),
            )
            for t in range(e.tables_per_exhibitor):
                exhibitor.tables.append(InterviewTable(name=f"Bord {t + 1}"))
            exhibitors.append(exhibitor)
        db.session.add_all(exhibitors)
        db.session.flush()
        return exhibitors

    def _slots(self) -> list[dict]:
        length = timedelta(minutes=self.e.slot_minutes)
        starts = []
        for opens, closes in self.e.days:
            at = opens
            while at + length <= closes:
                starts.append(at)
                at += length
        rows = [
            {
                "event_id": self.event.id,
                "exhibitor_id": ex.id,
                "table_id": table.id,
                "starts_at": start,
                "ends_at": start + length,
                "format": "jobbdating",
                "status": "open",
            }
            for ex in self.exhibitors
            for table in ex.tables
            for start in starts
        ]
        ids = db.session.scalars(_insert(Slot, returning_ids=True), rows).all()
        for row, slot_id in zip(rows, ids):
            row["id"] = slot_id
        self.rng.shuffle(rows)
        return rows

    # ---- visitors ------------------------------------------------------------------------
    def _visitors(self) -> None:
        rng, e = self.rng, self.e
        kinds = (
            ["checked_in"] * e.preregistered_checked_in
            + ["no_show"] * (e.preregistered - e.preregistered_checked_in)
            + ["walk_in"] * e.walk_ins
            + ["cancelled"] * e.cancelled
        )
        people = [{"kind": kind, "anonymised": rng.random() < e.anonymised_share} for kind in kinds]
        users = [
            {
                "email": f"{e.email_prefix}-visitor{n}@example.demo",
                "name": f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}",
                "preferred_language": rng.choice(["sv", "sv", "en", "ar", "so", "fa", "ti", "da"]),
                "is_active_account": True,
                "created_at": e.starts_at - timedelta(days=rng.randint(5, 40)),
            }
            for n, person in enumerate(people)
            if not person["anonymised"]
        ]
        user_ids = iter(db.session.scalars(_insert(User, returning_ids=True), users).all())
        profiles = []
        for person in people:
            if person["anonymised"]:
                person["user_id"] = None
                continue
            person["user_id"] = next(user_ids)
            profiles.append(self._profile(person["user_id"], MUNICIPALITIES))
        db.session.execute(_insert(VisitorProfile), profiles)

        registrations = []
        for person in people:
            walk_in = person["kind"] == "walk_in"
            opens, closes = rng.choice(e.days)  # the day they came (or would have)
            open_minutes = int((closes - opens).total_seconds() // 60)
            created = (
                opens + timedelta(minutes=rng.randint(0, open_minutes - 60))
                if walk_in
                else e.starts_at - timedelta(days=rng.randint(1, 35), minutes=rng.randint(0, 1440))
            )
            checked_in = person["kind"] in ("checked_in", "walk_in")
            registrations.append(
                {
                    "event_id": self.event.id,
                    "user_id": person["user_id"],
                    "status": "cancelled" if person["kind"] == "cancelled" else "registered",
                    "ticket_code": secrets.token_urlsafe(16),
                    "walk_in": walk_in,
                    "created_at": created,
                    "checked_in_at": (
                        max(created, opens + timedelta(minutes=rng.randint(0, open_minutes - 30)))
                        if checked_in
                        else None
                    ),
                    "cancelled_at": e.starts_at - timedelta(days=rng.randint(1, 10))
                    if person["kind"] == "cancelled"
                    else None,
                }
            )
        ids = db.session.scalars(_insert(Registration, returning_ids=True), registrations).all()
        for person, registration_id in zip(people, ids):
            person["registration_id"] = registration_id
        self.people = people
        self._arrivals(ids, [r["checked_in_at"] for r in registrations])

    def _arrivals(self, registration_ids: list[int], first_arrivals: list) -> None:
        """One arrival per visitor and day: the first, and on a fair of several days a share of the
        visitors of an earlier day coming back on a later one."""
        e, rng = self.e, self.rng
        zone = ZoneInfo(self.event.timezone or "Europe/Stockholm")
        rows = []

        def arrival(registration_id, at):
            day = at.astimezone(zone).date()
            return {"event_id": self.event.id, "registration_id": registration_id, "day": day, "arrived_at": at}

        for registration_id, at in zip(registration_ids, first_arrivals):
            if at is None:
                continue
            rows.append(arrival(registration_id, at))
            for opens, closes in e.days:
                if opens > at and rng.random() < e.returning_share:
                    minutes = rng.randint(0, int((closes - opens).total_seconds() // 60) - 30)
                    rows.append(arrival(registration_id, opens + timedelta(minutes=minutes)))
        db.session.execute(_insert(Arrival), [row | {"door": None} for row in rows])

    def _profile(self, user_id: int, municipalities) -> dict:
        rng = self.rng
        sensitive = rng.random() < 0.4
        return {
            "user_id": user_id,
            "municipality": rng.choice(municipalities),
            "education_level": rng.choice(
                ["compulsory", "upper_secondary", "post_secondary_short", "university", None]
            ),
            "degree_origin": rng.choice(["swedish", "foreign", "foreign", None]),
            "employment_status": rng.choice(
                [
                    "unemployed",
                    "unemployed",
                    "establishment_programme",
                    "employed_below_qualifications",
                    "studying",
                    None,
                ]
            ),
            "occupations": rng.sample(list(OCCUPATIONS)[:-1], rng.randint(1, 3)),
            "languages": rng.sample(["ar", "so", "fa", "ti", "sv", "da", "en"], rng.randint(1, 3)),
            "years_in_sweden": rng.choice(["0-2", "3-5", "6-10", "10+", "born", None]),
            "gender": rng.choice(["woman", "man", "woman", "man", "other", None]),
            "age_band": rng.choice(["16-24", "25-34", "35-44", "45-54", "55+"]),
            "consent_share_profile_at": self.e.starts_at - timedelta(days=10) if rng.random() < 0.8 else None,
            "consent_followup_at": self.e.starts_at - timedelta(days=10) if rng.random() < 0.7 else None,
            "consent_sensitive_at": self.e.starts_at - timedelta(days=10) if sensitive else None,
            "foreign_background": rng.choice(["born_abroad", "born_abroad", "parents_abroad", "neither", "prefer_not"])
            if sensitive
            else None,
            "foreign_background_definition": "scb_mis_2002_3" if sensitive else None,
        }

    # ---- interviews ----------------------------------------------------------------------
    def _interviews(self) -> None:
        rng, e = self.rng, self.e
        preregistered = [p for p in self.people if p["kind"] in ("checked_in", "no_show")]
        came = [p for p in preregistered if p["kind"] == "checked_in"]
        present = [p for p in self.people if p["kind"] in ("checked_in", "walk_in")]
        taken_times: set = set()
        taken_pairs: set = set()
        bookings = []

        def pick(pool, exhibitor_id, starts_at):
            while True:
                person = rng.choice(pool)
                reg = person["registration_id"]
                if (reg, starts_at) not in taken_times and (reg, exhibitor_id) not in taken_pairs:
                    taken_times.add((reg, starts_at))
                    taken_pairs.add((reg, exhibitor_id))
                    return reg

        slots = iter(self.slots)
        plan = ["attended"] * e.bookings_held + ["no_show"] * e.bookings_no_show + ["cancelled"] * e.bookings_cancelled
        for attendance in plan:
            slot = next(slots)
            pool = came if attendance == "attended" else preregistered
            bookings.append(
                self._booking(
                    slot["exhibitor_id"],
                    pick(pool, slot["exhibitor_id"], slot["starts_at"]),
                    slot["starts_at"],
                    slot["id"],
                    attendance,
                )
            )
        for _ in range(e.walk_in_interviews):
            exhibitor = rng.choice(self.exhibitors)
            opens, closes = rng.choice(e.days)
            latest = int((closes - opens).total_seconds() // 60) - e.slot_minutes
            starts_at = opens + timedelta(minutes=5 * rng.randint(0, latest // 5))
            bookings.append(
                self._booking(
                    exhibitor.id, pick(present, exhibitor.id, starts_at), starts_at, None, "attended", walk_in=True
                )
            )
        self._outcomes([b for b in bookings if b["attendance"] == "attended" and b["status"] == "confirmed"])
        db.session.execute(_insert(Booking), bookings)

    def _booking(self, exhibitor_id, registration_id, starts_at, slot_id, attendance, walk_in=False) -> dict:
        cancelled = attendance == "cancelled"
        return {
            "event_id": self.event.id,
            "exhibitor_id": exhibitor_id,
            "registration_id": registration_id,
            "slot_id": slot_id,
            "starts_at": starts_at,
            "ends_at": starts_at + timedelta(minutes=self.e.slot_minutes),
            "status": "cancelled" if cancelled else "confirmed",
            "walk_in": walk_in,
            "attendance": "unknown" if cancelled else attendance,
            "outcome": None,
            "outcome_employment_type": None,
            "outcome_recorded_at": None,
            "created_at": starts_at if walk_in else self.e.starts_at - timedelta(days=self.rng.randint(1, 20)),
            "cancelled_at": self.e.starts_at - timedelta(days=1) if cancelled else None,
        }

    def _outcomes(self, held: list[dict]) -> None:
        """Exhibitor-reported outcomes; every hire is a different visitor."""
        rng, e = self.rng, self.e
        rng.shuffle(held)
        hired_people: set = set()
        plan = (
            ["hired"] * e.hired_by_exhibitors
            + ["offer"] * e.offers_not_hired
            + ["second_interview"] * e.second_interviews
            + ["internship"] * e.internships
        )
        queue = list(held)
        for outcome in plan:
            booking = next(b for b in queue if outcome != "hired" or b["registration_id"] not in hired_people)
            queue.remove(booking)
            if outcome == "hired":
                hired_people.add(booking["registration_id"])
            booking["outcome"] = outcome
            booking["outcome_employment_type"] = (
                rng.choice(["permanent", "temporary", "probationary", "seasonal"]) if outcome == "hired" else None
            )
            booking["outcome_recorded_at"] = e.ends_at + timedelta(days=rng.randint(1, 30))
        for booking in queue:
            booking["outcome"] = "none"
        self.hires = [b for b in held if b["outcome"] == "hired"]
        self.offers = [b for b in held if b["outcome"] == "offer" and b["registration_id"] not in hired_people]

    # ---- follow-up survey ----------------------------------------------------------------
    def _survey(self) -> None:
        rng, e = self.rng, self.e
        answers = []
        used: set = set()

        def answer(registration_id, result, exhibitor_id=None):
            used.add(registration_id)
            job = result == "job"
            answers.append(
                {
                    "event_id": self.event.id,
                    "registration_id": registration_id,
                    "wave": rng.choice([1, 2, 2]),
                    "result": result,
                    "exhibitor_id": exhibitor_id,
                    "employment_type": rng.choice(["permanent", "temporary", "probationary"]) if job else None,
                    "fair_contributed": (rng.random() < 0.8) if job else rng.choice([True, False, None]),
                    "started_on": _month_after(e.ends_at, rng.randint(0, 5)) if job else None,
                    "missing": rng.choice(
                        [None, None, None, "Fler arbetsgivare inom vården.", "Mer tid per intervju."]
                    ),
                    "answered_at": e.ends_at + timedelta(days=rng.randint(30, 110)),
                }
            )

        hires = list(self.hires)
        for booking in hires[: e.jobs_confirming_hire]:
            answer(booking["registration_id"], "job", booking["exhibitor_id"])
        for booking in hires[e.jobs_confirming_hire : e.jobs_confirming_hire + e.jobs_hired_unnamed]:
            answer(booking["registration_id"], "job")
        hired_people = {b["registration_id"] for b in hires}
        offered = {b["registration_id"]: b["exhibitor_id"] for b in self.offers}
        for registration_id, exhibitor_id in list(offered.items())[: e.jobs_new_pair]:
            answer(registration_id, "job", exhibitor_id)
        others = [
            p["registration_id"]
            for p in self.people
            if p["kind"] in ("checked_in", "walk_in") and p["registration_id"] not in hired_people | used
        ]
        rng.shuffle(others)
        for registration_id in others[: e.jobs_unnamed]:
            answer(registration_id, "job")
        rest = others[e.jobs_unnamed : e.jobs_unnamed + e.survey_respondents - len(answers)]
        for registration_id in rest:
            answer(
                registration_id,
                rng.choice(
                    ["internship"] * 2 + ["education"] * 6 + ["business"] + ["interview"] * 12 + ["nothing"] * 40
                ),
            )
        db.session.execute(_insert(SurveyResponse), answers)


def _month_after(at: datetime, months: int) -> datetime:
    """The first of the month ``months`` after ``at``'s (jobs are reported by the month they began)."""
    index = at.year * 12 + at.month - 1 + months
    return datetime(index // 12, index % 12 + 1, 1, tzinfo=ZoneInfo("UTC"))


def _insert(model, returning_ids: bool = False):
    """A Core INSERT for executemany: rows are sent in large batches whatever their NULLs
    (the ORM's bulk insert would split them into small groups by which columns are NULL)."""
    statement = model.__table__.insert()
    if returning_ids:
        statement = statement.returning(model.__table__.c.id, sort_by_parameter_order=True)
    return statement


def _org_number(i: int) -> str:
    """A distinct Swedish organisation number (NNNNNN-NNNC) with a correct Luhn check digit."""
    digits = [5, 5, 6] + [int(d) for d in f"{100000 + i * 7919:06d}"[-6:]]
    total = 0
    for n, d in enumerate(digits):
        v = d * (2 if n % 2 == 0 else 1)
        total += v - 9 if v > 9 else v
    s = "".join(map(str, digits)) + str((10 - total % 10) % 10)
    return f"{s[:6]}-{s[6:]}"
