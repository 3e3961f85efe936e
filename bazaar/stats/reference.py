"""The reference edition: Jobbdating 07 (Helsingborg, 9 May 2007), rebuilt as rows.

40 exhibitors of which 10 Danish, 4,700 visitors, 300 interviews held, 85 people hired (reported
by exhibitors and/or visitors, de-duplicated). The rows are generated deterministically with a
seeded random generator and bulk inserts; the headline figures are what compiling them gives,
never typed into a snapshot. The demo loads it so the dashboard compares a past edition with the
current fair.
"""

import random
import secrets
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bazaar.accounts.models import Organisation, User, VisitorProfile
from bazaar.booking.models import Booking, Slot
from bazaar.checkin.models import Arrival
from bazaar.demo_names import DANISH_EXHIBITORS, FIRST_NAMES, LAST_NAMES, MUNICIPALITIES, SWEDISH_EXHIBITORS
from bazaar.events.models import Event, EventDay, EventOrganiser
from bazaar.exhibitors.models import Exhibitor, InterviewTable
from bazaar.extensions import db
from bazaar.occupations import OCCUPATIONS
from bazaar.registrations.models import Registration
from bazaar.stats.models import SurveyResponse
from bazaar.stats.services import compile_snapshot

REFERENCE_SLUG = "jobbdating-07"
STOCKHOLM = ZoneInfo("Europe/Stockholm")
FAIR_START = datetime(2007, 5, 9, 10, 0, tzinfo=STOCKHOLM)
FAIR_END = datetime(2007, 5, 9, 16, 0, tzinfo=STOCKHOLM)
SLOT_MINUTES = 20
TABLES_PER_EXHIBITOR = 3

# The shape of the edition. Headline figures follow from these counts through the definitions.
PREREGISTERED = 4600
PREREGISTERED_CHECKED_IN = 4050  # the other 550 are no-shows
WALK_INS = 650  # registered and checked in at the door: 4,050 + 650 = 4,700 visitors
CANCELLED = 180
ANONYMISED_SHARE = 0.25  # visitors who have deleted their account since 2007
BOOKINGS_HELD = 240
BOOKINGS_NO_SHOW = 60
BOOKINGS_CANCELLED = 30
WALK_IN_INTERVIEWS = 60  # 240 + 60 = 300 interviews held
HIRED_BY_EXHIBITORS = 70
OFFERS_NOT_HIRED = 15
SECOND_INTERVIEWS = 40
INTERNSHIPS = 12
SURVEY_RESPONDENTS = 900
# Visitor-reported jobs: confirming an exhibitor's hire (same pair), a hired visitor naming no
# exhibitor (same job), a new pair, and jobs naming no exhibitor: 70 + 5 + 10 = 85 in total.
JOBS_CONFIRMING_HIRE = 30
JOBS_HIRED_UNNAMED = 5
JOBS_NEW_PAIR = 5
JOBS_UNNAMED = 10


def reference_present() -> bool:
    return db.session.scalar(select(Event.id).where(Event.slug == REFERENCE_SLUG)) is not None


def load_reference_edition(organisations: list[Organisation], seed: int = 2007) -> Event | None:
    """Build the finished edition co-organised by ``organisations``; None if it exists already."""
    if reference_present():
        return None
    return _Builder(random.Random(seed), organisations).build()


def add_to_demo(organisations: list[Organisation], current_event: Event) -> None:
    """Load the reference edition next to the demo fair and compile both, so the organiser's
    dashboard and comparison show figures at once."""

    reference = load_reference_edition(organisations)
    db.session.commit()
    if reference is not None:
        compile_snapshot(reference.id, "demo")
    compile_snapshot(current_event.id, "demo")


class _Builder:
    def __init__(self, rng: random.Random, organisations: list[Organisation]):
        self.rng = rng
        self.organisations = organisations

    def build(self) -> Event:
        event = Event(
            slug=REFERENCE_SLUG,
            name="Jobbdating 07",
            description={
                "sv": "Jobbdating i Helsingborg 2007: arbetsgivare från Skåne och Danmark.",
                "en": "Job dating in Helsingborg 2007: employers from Skåne and Denmark.",
            },
            venue_name="Helsingborg Arena",
            venue_address="Hälsovägen 10, 252 21 Helsingborg",
            starts_at=FAIR_START,
            ends_at=FAIR_END,
            capacity=6000,
            status="finished",
            registration_opens_at=FAIR_START - timedelta(days=40),
            booking_opens_at=FAIR_START - timedelta(days=21),
            followup_days=[30, 90],
            created_at=FAIR_START - timedelta(days=90),
        )
        event.days = [EventDay.spanning(FAIR_START, FAIR_END, event.timezone or "Europe/Stockholm")]
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
        for i, (name, org_type, sector) in enumerate(SWEDISH_EXHIBITORS + DANISH_EXHIBITORS):
            danish = i >= len(SWEDISH_EXHIBITORS)
            exhibitor = Exhibitor(
                event_id=self.event.id,
                name=name,
                org_type=org_type,
                sector=sector,
                country="DK" if danish else "SE",
                org_number=None if danish else _org_number(i),
                job_countries=["DK"] if danish else ["SE"],
                contact_name="Kontaktperson",
                contact_email=f"jd07-contact{i}@exhibitor.demo",
                status="approved",
                decided_at=FAIR_START - timedelta(days=30),
                recruits_abroad=danish,
                booth_number=f"{'D' if danish else 'S'}{i + 1:02d}",
                created_at=FAIR_START - timedelta(days=60),
            )
            for t in range(TABLES_PER_EXHIBITOR):
                exhibitor.tables.append(InterviewTable(name=f"Bord {t + 1}"))
            exhibitors.append(exhibitor)
        db.session.add_all(exhibitors)
        db.session.flush()
        return exhibitors

    def _slots(self) -> list[dict]:
        starts = []
        at = FAIR_START
        while at + timedelta(minutes=SLOT_MINUTES) <= FAIR_END:
            starts.append(at)
            at += timedelta(minutes=SLOT_MINUTES)
        rows = [
            {
                "event_id": self.event.id,
                "exhibitor_id": ex.id,
                "table_id": table.id,
                "starts_at": start,
                "ends_at": start + timedelta(minutes=SLOT_MINUTES),
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
        rng = self.rng
        kinds = (
            ["checked_in"] * PREREGISTERED_CHECKED_IN
            + ["no_show"] * (PREREGISTERED - PREREGISTERED_CHECKED_IN)
            + ["walk_in"] * WALK_INS
            + ["cancelled"] * CANCELLED
        )
        people = [{"kind": kind, "anonymised": rng.random() < ANONYMISED_SHARE} for kind in kinds]
        users = [
            {
                "email": f"jd07-visitor{n}@example.demo",
                "name": f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}",
                "preferred_language": rng.choice(["sv", "sv", "en", "ar", "so", "fa", "ti", "da"]),
                "is_active_account": True,
                "created_at": FAIR_START - timedelta(days=rng.randint(5, 40)),
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
            created = (
                FAIR_START + timedelta(minutes=rng.randint(0, 300))
                if walk_in
                else FAIR_START - timedelta(days=rng.randint(1, 35), minutes=rng.randint(0, 1440))
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
                        max(created, FAIR_START + timedelta(minutes=rng.randint(0, 330))) if checked_in else None
                    ),
                    "cancelled_at": FAIR_START - timedelta(days=rng.randint(1, 10))
                    if person["kind"] == "cancelled"
                    else None,
                }
            )
        ids = db.session.scalars(_insert(Registration, returning_ids=True), registrations).all()
        for person, registration_id in zip(people, ids):
            person["registration_id"] = registration_id
        day = self.event.days[0].date
        arrivals = [
            {"event_id": self.event.id, "registration_id": registration_id, "day": day, "arrived_at": at, "door": None}
            for registration_id, at in zip(ids, (r["checked_in_at"] for r in registrations))
            if at is not None
        ]
        db.session.execute(_insert(Arrival), arrivals)
        self.people = people

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
            "consent_share_profile_at": FAIR_START - timedelta(days=10) if rng.random() < 0.8 else None,
            "consent_followup_at": FAIR_START - timedelta(days=10) if rng.random() < 0.7 else None,
            "consent_sensitive_at": FAIR_START - timedelta(days=10) if sensitive else None,
            "foreign_background": rng.choice(["born_abroad", "born_abroad", "parents_abroad", "neither", "prefer_not"])
            if sensitive
            else None,
            "foreign_background_definition": "scb_mis_2002_3" if sensitive else None,
        }

    # ---- interviews ----------------------------------------------------------------------
    def _interviews(self) -> None:
        rng = self.rng
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
        plan = ["attended"] * BOOKINGS_HELD + ["no_show"] * BOOKINGS_NO_SHOW + ["cancelled"] * BOOKINGS_CANCELLED
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
        for _ in range(WALK_IN_INTERVIEWS):
            exhibitor = rng.choice(self.exhibitors)
            starts_at = FAIR_START + timedelta(minutes=5 * rng.randint(0, 69))
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
            "ends_at": starts_at + timedelta(minutes=SLOT_MINUTES),
            "status": "cancelled" if cancelled else "confirmed",
            "walk_in": walk_in,
            "attendance": "unknown" if cancelled else attendance,
            "outcome": None,
            "outcome_employment_type": None,
            "outcome_recorded_at": None,
            "created_at": starts_at if walk_in else FAIR_START - timedelta(days=self.rng.randint(1, 20)),
            "cancelled_at": FAIR_START - timedelta(days=1) if cancelled else None,
        }

    def _outcomes(self, held: list[dict]) -> None:
        """Exhibitor-reported outcomes; every hire is a different visitor."""
        rng = self.rng
        rng.shuffle(held)
        hired_people: set = set()
        plan = (
            ["hired"] * HIRED_BY_EXHIBITORS
            + ["offer"] * OFFERS_NOT_HIRED
            + ["second_interview"] * SECOND_INTERVIEWS
            + ["internship"] * INTERNSHIPS
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
            booking["outcome_recorded_at"] = FAIR_END + timedelta(days=rng.randint(1, 30))
        for booking in queue:
            booking["outcome"] = "none"
        self.hires = [b for b in held if b["outcome"] == "hired"]
        self.offers = [b for b in held if b["outcome"] == "offer" and b["registration_id"] not in hired_people]

    # ---- follow-up survey ----------------------------------------------------------------
    def _survey(self) -> None:
        rng = self.rng
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
                    "started_on": (datetime(2007, rng.randint(5, 10), 1, tzinfo=ZoneInfo("UTC")) if job else None),
                    "missing": rng.choice(
                        [None, None, None, "Fler arbetsgivare inom vården.", "Mer tid per intervju."]
                    ),
                    "answered_at": FAIR_END + timedelta(days=rng.randint(30, 110)),
                }
            )

        hires = list(self.hires)
        for booking in hires[:JOBS_CONFIRMING_HIRE]:
            answer(booking["registration_id"], "job", booking["exhibitor_id"])
        for booking in hires[JOBS_CONFIRMING_HIRE : JOBS_CONFIRMING_HIRE + JOBS_HIRED_UNNAMED]:
            answer(booking["registration_id"], "job")
        hired_people = {b["registration_id"] for b in hires}
        offered = {b["registration_id"]: b["exhibitor_id"] for b in self.offers}
        for registration_id, exhibitor_id in list(offered.items())[:JOBS_NEW_PAIR]:
            answer(registration_id, "job", exhibitor_id)
        others = [
            p["registration_id"]
            for p in self.people
            if p["kind"] in ("checked_in", "walk_in") and p["registration_id"] not in hired_people | used
        ]
        rng.shuffle(others)
        for registration_id in others[:JOBS_UNNAMED]:
            answer(registration_id, "job")
        rest = others[JOBS_UNNAMED : JOBS_UNNAMED + SURVEY_RESPONDENTS - len(answers)]
        for registration_id in rest:
            answer(
                registration_id,
                rng.choice(
                    ["internship"] * 2 + ["education"] * 6 + ["business"] + ["interview"] * 12 + ["nothing"] * 40
                ),
            )
        db.session.execute(_insert(SurveyResponse), answers)


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
