"""Matching rules as plain functions: who may be suggested, how a candidate is scored and why,
invitations with a held interview time, and recommendations for visitors.

The rules are written once (:data:`RULES`, one judge per criterion): each criterion the need
states is met or not, met criteria add their weight, and the score is the share of the stated
criteria's weight (0-100). :func:`rank` orders every candidate by them over compact tuples (one
statement, :func:`rank_rows`); :func:`score` explains one candidate with the same judges, for the
page shown only. Ties are broken by the number of criteria met, then by the visitor's id, so the
order never changes between two runs over the same data. Only the columns in
:data:`RANK_COLUMNS` and :class:`Profile` are read: the self-declared background is never loaded,
used or shown.
"""

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from operator import itemgetter
from typing import NamedTuple

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import Text, and_, cast, select, update

from bazaar.accounts import services as accounts
from bazaar.accounts.models import User, VisitorProfile
from bazaar.accounts.signals import consent_withdrawn
from bazaar.activitylog.models import Action
from bazaar.activitylog.services import log_action
from bazaar.booking.errors import BookingError
from bazaar.booking.models import Booking, Slot
from bazaar.booking.rules import bookable_for, check_rules, live_booking_on
from bazaar.booking.services import book_slot
from bazaar.booking.waitlist import WAITLIST_MIN_NOTICE, release_held_slot
from bazaar.clock import utcnow
from bazaar.exhibitors.models import ApplicationStatus, Exhibitor
from bazaar.extensions import db
from bazaar.matching.models import Invitation, InvitationStatus, Need
from bazaar.notifications.models import Channel
from bazaar.notifications.services import queue
from bazaar.registrations.models import Registration, RegistrationStatus
from bazaar.tokens import SignedLink

WEIGHTS = {"occupation": 35, "languages": 25, "education": 15, "driving_licence": 10, "start": 10, "location": 5}
EDUCATION_RANK = {"compulsory": 1, "upper_secondary": 2, "post_secondary_short": 3, "university": 4}
# Swedish good enough for a job that asks for Swedish; lower levels pass where learning is fine.
SWEDISH_SPOKEN = ("intermediate", "fluent")
SWEDISH_LEARNING = ("none", "basic")
INVITATION_HOLD = timedelta(hours=24)
# The link in an invitation; it outlives the hold by a week so a late click hears "too late".
INVITATION_LINK = SignedLink(
    "matching.invitation", Invitation, {"i": "id", "r": "registration_id"}, INVITATION_HOLD + timedelta(days=7)
)
RECOMMENDATIONS = 5
CANDIDATES_PER_PAGE = 50


class MatchingError(Exception):
    """A matching action is not possible; ``message`` says why."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


# ---- the candidate's side: compact rows ----------------------------------------------------------


class Profile(NamedTuple):
    """What matching may read about one consenting visitor (nothing else is loaded)."""

    user_id: int
    name: str
    registration_id: int | None  # live registration for the need's fair, if any
    occupations: frozenset
    languages: frozenset
    swedish_level: str | None
    education_level: str | None
    driving_licence: bool
    available_from: date | None
    municipality: str | None


def consents(profile: VisitorProfile | None) -> bool:
    return profile is not None and profile.consent_matching_at is not None


def _candidate_query(columns, event_id: int, registration: str | None):
    """Consenting, active visitors; ``registration``: ``"join"`` keeps only those registered for
    ``event_id``, ``"outer"`` adds their registration where there is one (a standing need also reaches
    consenting visitors of other fairs), ``None`` leaves it out."""
    q = (
        select(*columns)
        .select_from(User)
        .join(VisitorProfile, VisitorProfile.user_id == User.id)
        .where(
            VisitorProfile.consent_matching_at.isnot(None),
            User.is_active_account.is_(True),
            User.deleted_at.is_(None),
        )
    )
    if registration is None:
        return q
    on = and_(
        Registration.user_id == User.id,
        Registration.event_id == event_id,
        Registration.status == RegistrationStatus.REGISTERED,
    )
    return q.join(Registration, on) if registration == "join" else q.outerjoin(Registration, on)


def candidate_profiles(
    event_id: int, fair_only: bool = True, user_id: int | None = None, user_ids: list[int] | None = None
) -> list[Profile]:
    """Consenting, active visitors as :class:`Profile` rows; ``fair_only``: only those registered
    for ``event_id``; ``user_id`` / ``user_ids``: only those visitors."""
    columns = (
        User.id,
        User.name,
        Registration.id,
        VisitorProfile.occupations,
        VisitorProfile.languages,
        VisitorProfile.swedish_level,
        VisitorProfile.education_level,
        VisitorProfile.driving_licence,
        VisitorProfile.available_from,
        VisitorProfile.municipality,
    )
    q = _candidate_query(columns, event_id, "join" if fair_only else "outer")
    if user_id is not None:
        q = q.where(User.id == user_id)
    if user_ids is not None:
        q = q.where(User.id.in_(user_ids))
    return [
        Profile(uid, name, reg, frozenset(occ or ()), frozenset(lang or ()), sv, edu, bool(dl), avail, muni)
        for uid, name, reg, occ, lang, sv, edu, dl, avail, muni in db.session.execute(q)
    ]


# The columns ranking reads, one tuple per visitor: the id, then what the rules compare, the two
# lists as their stored JSON text (decoded once per distinct value, not once per visitor).
RANK_COLUMNS = (
    "user_id",
    "occupations",
    "languages",
    "swedish_level",
    "education_level",
    "driving_licence",
    "available_from",
    "municipality",
)


def rank_rows(event_id: int, fair_only: bool = True) -> list[tuple]:
    """The compact rows of every candidate, in :data:`RANK_COLUMNS` order: one statement, no ORM
    objects (a Core execute on the session's connection), no name, no background."""
    return (
        db.session.connection()
        .execute(
            _candidate_query(
                (
                    User.id,
                    cast(VisitorProfile.occupations, Text),
                    cast(VisitorProfile.languages, Text),
                    VisitorProfile.swedish_level,
                    VisitorProfile.education_level,
                    VisitorProfile.driving_licence,
                    VisitorProfile.available_from,
                    VisitorProfile.municipality,
                ),
                event_id,
                "join" if fair_only else None,
            )
        )
        .all()
    )


# ---- the need's side and the score ------------------------------------------------------------


class Spec(NamedTuple):
    """A need reduced to what scoring compares."""

    occupations: tuple  # sorted
    languages: tuple  # sorted
    education_rank: int
    driving_licence: bool
    starts_on: date | None
    location: str
    swedish_developing_ok: bool


def spec(need: Need) -> Spec:
    return Spec(
        tuple(sorted(set(need.occupations or ()))),
        tuple(sorted(set(need.languages or ()))),
        EDUCATION_RANK.get(need.education_level or "", 0),
        bool(need.driving_licence),
        need.starts_on,
        (need.location or "").strip().casefold(),
        bool(need.swedish_developing_ok),
    )


class Criterion(NamedTuple):
    """One thing the need asks for: ``key`` (a WEIGHTS key), met or not, and what matched
    (occupation or language codes; ``learning`` when Swedish still being learned counted)."""

    key: str
    met: bool
    matched: tuple = ()
    learning: bool = False


class Match(NamedTuple):
    profile: Profile
    score: int
    criteria: tuple
    met: int  # how many criteria are met


def _speaks(languages: frozenset, swedish_level: str | None, language: str, learning_ok: bool) -> tuple[bool, bool]:
    """(counts as speaking ``language``, only because Swedish still being learned is fine)."""
    if language in languages:
        return True, False
    if language == "sv":
        if swedish_level in SWEDISH_SPOKEN:
            return True, False
        if learning_ok and swedish_level in SWEDISH_LEARNING:
            return True, True
    return False, False


# ---- the rules: written once, read by the explanation (score) and by ranking (rank) -------------
# Each judge answers (met, what matched, Swedish still being learned counted) from the profile
# fields its rule reads.


def _occupation(need: Spec, occupations: frozenset) -> tuple:
    common = tuple(code for code in need.occupations if code in occupations)
    return bool(common), common, False


def _languages(need: Spec, languages: frozenset, swedish_level: str | None) -> tuple:
    spoken, learning = [], False
    for code in need.languages:
        ok, by_learning = _speaks(languages, swedish_level, code, need.swedish_developing_ok)
        if ok:
            spoken.append(code)
            learning = learning or by_learning
    return len(spoken) == len(need.languages), tuple(spoken), learning


def _education(need: Spec, education_level: str | None) -> tuple:
    return EDUCATION_RANK.get(education_level or "", 0) >= need.education_rank, (), False


def _driving_licence(need: Spec, driving_licence: bool | None) -> tuple:
    return bool(driving_licence), (), False


def _start(need: Spec, available_from: date | None) -> tuple:
    return available_from is not None and available_from <= need.starts_on, (), False


def _location(need: Spec, municipality: str | None) -> tuple:
    return (municipality or "").strip().casefold() == need.location, (), False


class Rule(NamedTuple):
    key: str  # a WEIGHTS key
    stated: Callable[[Spec], bool]  # whether the need asks for it (an unstated one is not scored)
    fields: tuple  # the Profile fields the judge reads, in order
    judge: Callable


RULES = (
    Rule("occupation", lambda n: bool(n.occupations), ("occupations",), _occupation),
    Rule("languages", lambda n: bool(n.languages), ("languages", "swedish_level"), _languages),
    Rule("education", lambda n: bool(n.education_rank), ("education_level",), _education),
    Rule("driving_licence", lambda n: n.driving_licence, ("driving_licence",), _driving_licence),
    Rule("start", lambda n: n.starts_on is not None, ("available_from",), _start),
    Rule("location", lambda n: bool(n.location), ("municipality",), _location),
)
_LISTS = frozenset({"occupations", "languages"})  # JSON lists: a frozenset in Profile, text in a rank row


def _share(got: int, stated: int) -> int:
    """The score: the met criteria's share of the stated criteria's weight, 0-100."""
    return round(100 * got / stated) if stated else 0


def score(need: Spec, profile: Profile) -> Match:
    """How well ``profile`` fits ``need``, with every criterion the need states, met or not."""
    criteria = tuple(
        Criterion(rule.key, *rule.judge(need, *(getattr(profile, name) for name in rule.fields)))
        for rule in RULES
        if rule.stated(need)
    )
    stated = sum(WEIGHTS[c.key] for c in criteria)
    got = sum(WEIGHTS[c.key] for c in criteria if c.met)
    return Match(profile, _share(got, stated), criteria, sum(c.met for c in criteria))


@lru_cache(maxsize=1 << 16)
def _codes(text: str | None) -> frozenset:
    """A stored JSON list of codes as a set, decoded once per distinct text (visitors repeat)."""
    return frozenset(json.loads(text) or ()) if text else frozenset()


def rank(need: Spec, rows: list[tuple]) -> list[tuple[int, int, int]]:
    """``(score, criteria met, user id)`` of every row (:func:`rank_rows`) meeting at least one
    criterion, best first (score, criteria met, then the older account). Each stated rule is
    judged once per distinct value of the fields it reads, so a visitor costs a few dict look-ups."""
    plan, stated = [], 0
    for rule in RULES:
        if not rule.stated(need):
            continue
        weight = WEIGHTS[rule.key]
        stated += weight
        where = [RANK_COLUMNS.index(name) for name in rule.fields]
        lists = [name in _LISTS for name in rule.fields]

        def verdict(*values, judge=rule.judge, lists=lists):
            return judge(need, *(_codes(v) if is_list else v for is_list, v in zip(lists, values, strict=True)))[0]

        plan.append((itemgetter(*where), weight, {}, verdict, len(where) > 1))
    ranked = []
    for row in rows:
        got = met = 0
        for key_of, weight, seen, verdict, several in plan:
            key = key_of(row)
            ok = seen.get(key)
            if ok is None:
                ok = seen[key] = verdict(*key) if several else verdict(key)
            if ok:
                got += weight
                met += 1
        share = _share(got, stated)
        if share > 0:
            ranked.append((-share, -met, row[0]))
    ranked.sort()
    return [(-s, -m, uid) for s, m, uid in ranked]


@dataclass(frozen=True)
class CandidatePage:
    """One page of the ranked candidates: ``matches`` (with their explanations) and where it is."""

    matches: list[Match]
    total: int
    page: int
    per_page: int

    @property
    def first(self) -> int:
        return (self.page - 1) * self.per_page + 1 if self.total else 0

    @property
    def last(self) -> int:
        return min(self.page * self.per_page, self.total)

    @property
    def has_next(self) -> bool:
        return self.last < self.total

    @property
    def has_previous(self) -> bool:
        return self.page > 1


def candidates(need: Need, page: int = 1, per_page: int = CANDIDATES_PER_PAGE) -> CandidatePage:
    """The ranked candidates for ``need`` (its fair's consenting visitors, everyone's if standing),
    one page of them: two statements however many visitors there are (the compact rows, then the
    page's profiles), explanations only for the page. A page past the end shows the last one."""
    wanted = spec(need)
    event_id, fair_only = need.exhibitor.event_id, not need.standing
    ranked = rank(wanted, rank_rows(event_id, fair_only))
    pages = max(1, -(-len(ranked) // per_page))
    page = min(max(1, page), pages)
    shown = [uid for _s, _m, uid in ranked[(page - 1) * per_page : page * per_page]]
    profiles = {p.user_id: p for p in candidate_profiles(event_id, fair_only, user_ids=shown)} if shown else {}
    matches = [score(wanted, profiles[uid]) for uid in shown if uid in profiles]
    return CandidatePage(matches, len(ranked), page, per_page)


# ---- needs ------------------------------------------------------------------------------------

NEED_FIELDS = (
    "title",
    "opening_id",
    "occupations",
    "positions",
    "languages",
    "education_level",
    "driving_licence",
    "location",
    "starts_on",
    "swedish_developing_ok",
    "standing",
)


def save_need(exhibitor, data: dict, actor, need: Need | None = None) -> Need:
    """Record or change a need of ``exhibitor`` (commits); an opening must be the exhibitor's own."""
    opening_id = data.get("opening_id")
    if opening_id and opening_id not in {o.id for o in exhibitor.openings}:
        raise MatchingError(_("That opening is not this exhibitor's."))
    if need is None:
        need = Need(exhibitor_id=exhibitor.id, created_by_id=actor.id)
        db.session.add(need)
    for name in NEED_FIELDS:
        setattr(need, name, data.get(name))
    db.session.commit()
    return need


def close_need(need: Need, now: datetime | None = None) -> None:
    """The need is filled or dropped: open invitations are withdrawn and their times released."""
    now = now or utcnow()
    need.closed_at = now
    for invitation in need.invitations:
        if invitation.status == InvitationStatus.OFFERED:
            _end(invitation, InvitationStatus.WITHDRAWN, now)
    db.session.commit()


# ---- invitations ------------------------------------------------------------------------------


def invitation_url(invitation: Invitation, lang: str) -> str:
    """The link in the invitation; the page opens in the candidate's language (``?lang``)."""
    return f"{current_app.config['BASE_URL']}/matching/invitations/{INVITATION_LINK.token(invitation)}?lang={lang}"


def invitation_from_token(token: str) -> Invitation:
    """The invitation a link names; raises InvalidToken if forged, too old or unknown."""
    return INVITATION_LINK.load(token)


def free_slots(need: Need, now: datetime | None = None) -> list[Slot]:
    """The exhibitor's future slots that nobody holds or booked, in time order."""
    now = now or utcnow()
    return list(
        db.session.scalars(
            select(Slot)
            .where(
                Slot.exhibitor_id == need.exhibitor_id,
                Slot.starts_at > now + WAITLIST_MIN_NOTICE,
                bookable_for(None, now),
                ~live_booking_on(Slot.id, need.exhibitor_id),
            )
            .order_by(Slot.starts_at, Slot.table_id)
        )
    )


def _hold(slot: Slot, registration_id: int, until: datetime, now: datetime) -> bool:
    """Hold ``slot`` for the candidate, if nobody holds or booked it (the slot row stays locked)."""
    held = db.session.execute(
        update(Slot)
        .where(Slot.id == slot.id, bookable_for(None, now), ~live_booking_on(Slot.id))
        .values(held_for_registration_id=registration_id, held_until=until)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.expire(slot, ["held_for_registration_id", "held_until"])
    return held == 1


def invite(need: Need, registration_ids: list[int], actor, now: datetime | None = None) -> list[Invitation]:
    """Invite the chosen candidates, each to the next free time the booking rules let them book,
    held for them for :data:`INVITATION_HOLD`; each gets an email (and a text message with a phone).
    One transaction; candidates who no longer consent, are not registered for the fair, are
    already invited or fit no free time are skipped. Returns the invitations made."""
    now = now or utcnow()
    if need.closed_at is not None:
        raise MatchingError(_("This need is closed."))
    event = need.exhibitor.event
    registrations = db.session.scalars(
        select(Registration).where(
            Registration.id.in_(registration_ids),
            Registration.event_id == event.id,
            Registration.status == RegistrationStatus.REGISTERED,
        )
    ).all()
    already = {
        i.registration_id for i in need.invitations if i.status in (InvitationStatus.OFFERED, InvitationStatus.ACCEPTED)
    }
    slots = free_slots(need, now)
    made = []
    for registration in sorted(registrations, key=lambda r: registration_ids.index(r.id)):
        if registration.id in already or not consents(registration.user.profile):
            continue
        for slot in slots:
            try:
                check_rules(registration, slot, now=now)
            except BookingError:
                continue
            expires = min(now + INVITATION_HOLD, slot.starts_at - WAITLIST_MIN_NOTICE)
            if not _hold(slot, registration.id, expires, now):
                continue
            slots.remove(slot)
            invitation = Invitation(
                need=need,
                registration_id=registration.id,
                slot_id=slot.id,
                status=InvitationStatus.OFFERED,
                expires_at=expires,
                invited_by_id=actor.id,
            )
            db.session.add(invitation)
            db.session.flush()
            _queue_invitation(invitation, registration, slot)
            made.append(invitation)
            break
    if made:
        data = {"exhibitor": need.exhibitor.name, "need": need.title, "invitations": len(made)}
        log_action(event, Action.MATCHING_INVITED, actor, need, data)
    db.session.commit()
    return made


def _queue_invitation(invitation: Invitation, registration: Registration, slot: Slot) -> None:
    need, user = invitation.need, registration.user
    payload = {
        "need": need.title,
        "exhibitor": need.exhibitor.name,
        "booth": need.exhibitor.booth_number or "",
        "starts_at": slot.starts_at.isoformat(),
        "ends_at": slot.ends_at.isoformat(),
        "expires_at": invitation.expires_at.isoformat(),
        "url": invitation_url(invitation, user.preferred_language),
    }
    common = {"event": registration.event, "subject": invitation, "expires_at": invitation.expires_at}
    queue("match_invitation", user=user, payload=payload, **common)
    phone = user.profile.phone if user.profile is not None else None
    if phone:
        queue("match_invitation", user=user, to_address=phone, channel=Channel.SMS, payload=payload, **common)


def _respond(invitation: Invitation, status: str, now: datetime) -> None:
    """Move an open, unexpired invitation to ``status``, or raise (a conditional UPDATE)."""
    done = db.session.execute(
        update(Invitation)
        .where(
            Invitation.id == invitation.id, Invitation.status == InvitationStatus.OFFERED, Invitation.expires_at > now
        )
        .values(status=status, responded_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    if done != 1:
        raise MatchingError(_("This invitation is no longer open."))


def accept(invitation: Invitation, actor=None) -> Booking:
    """Book the held time under the normal booking rules; the invitation is accepted in the
    same transaction, or neither happens."""
    now = utcnow()
    if invitation.status != InvitationStatus.OFFERED or invitation.expires_at <= now or invitation.slot is None:
        raise MatchingError(_("This invitation is no longer open."))

    def accepted(made):
        _respond(invitation, InvitationStatus.ACCEPTED, now)
        db.session.execute(
            update(Invitation)
            .where(Invitation.id == invitation.id)
            .values(booking_id=made.id)
            .execution_options(synchronize_session=False)
        )

    made = book_slot(invitation.registration, invitation.slot, actor, then=accepted)
    db.session.refresh(invitation)
    return made


def _release(invitation: Invitation, now: datetime) -> None:
    """Free the time held for the invitation and pass it on to the exhibitor's waiting list."""
    release_held_slot(invitation.slot, invitation.registration_id, now)


def _end(invitation: Invitation, status: str, now: datetime) -> None:
    invitation.status, invitation.responded_at = status, now
    db.session.flush()
    _release(invitation, now)


def decline(invitation: Invitation) -> None:
    now = utcnow()
    _respond(invitation, InvitationStatus.DECLINED, now)
    db.session.refresh(invitation)
    _release(invitation, now)
    db.session.commit()


def expire_invitations(now: datetime | None = None) -> int:
    """Mark lapsed invitations expired and release their times (beat, every minute)."""
    now = now or utcnow()
    lapsed = db.session.scalars(
        select(Invitation).where(Invitation.status == InvitationStatus.OFFERED, Invitation.expires_at <= now)
    ).all()
    for invitation in lapsed:
        _end(invitation, InvitationStatus.EXPIRED, now)
    db.session.commit()
    return len(lapsed)


def shared_profile(invitation: Invitation) -> VisitorProfile | None:
    """What the employer may see of an invited candidate: nothing before they accept, their
    name after, and their profile answers only if they consented to share them."""
    profile = invitation.registration.user.profile
    if invitation.status != InvitationStatus.ACCEPTED or profile is None or profile.consent_share_profile_at is None:
        return None
    return profile


# ---- recommendations for visitors -------------------------------------------------------------


@dataclass(frozen=True)
class Recommendation:
    need: Need
    match: Match


def recommendations(user, event, limit: int = RECOMMENDATIONS) -> list[Recommendation]:
    """Open needs at ``event`` (of approved exhibitors) that fit a consenting visitor, best first."""
    if not consents(user.profile):
        return []
    mine = candidate_profiles(event.id, fair_only=False, user_id=user.id)
    if not mine:
        return []
    me = mine[0]
    needs = db.session.scalars(
        select(Need)
        .join(Exhibitor)
        .where(Exhibitor.event_id == event.id, Exhibitor.status == ApplicationStatus.APPROVED, Need.closed_at.is_(None))
        .order_by(Need.id)
    ).all()
    found = [Recommendation(n, score(spec(n), me)) for n in needs]
    found = [r for r in found if r.match.score > 0]
    found.sort(key=lambda r: (-r.match.score, r.need.id))
    return found[:limit]


def withdraw_consent(user, now: datetime | None = None) -> None:
    """Stop matching (My page's button): the consent is withdrawn as unticking it on the profile
    does, which withdraws open invitations (:func:`_end_invitations`); commits."""
    accounts.withdraw_consent(user, "matching", now)
    db.session.commit()


@consent_withdrawn.connect
def _end_invitations(user, consent: str, now: datetime) -> None:
    """The matching consent was withdrawn (anywhere): open invitations are withdrawn and their
    times released, in the same transaction."""
    if consent != "matching":
        return
    open_invitations = db.session.scalars(
        select(Invitation)
        .join(Registration, Registration.id == Invitation.registration_id)
        .where(Registration.user_id == user.id, Invitation.status == InvitationStatus.OFFERED)
    ).all()
    for invitation in open_invitations:
        _end(invitation, InvitationStatus.WITHDRAWN, now)
