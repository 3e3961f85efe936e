"""Employer-need-first matching: the scoring rules and their explanation, who is a candidate,
invitations holding a time, accepting through the booking rules, declining, expiry, withdrawing
the consent, what the employer sees, and who may see candidates."""

import re
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from bazaar.accounts.models import VisitorProfile
from bazaar.booking import services as booking
from bazaar.booking.models import Booking, Slot
from bazaar.clock import utcnow
from bazaar.extensions import db
from bazaar.matching import services
from bazaar.matching.models import Invitation, Need
from bazaar.notifications.models import OutboxMessage
from tests import factories as f
from tests.conftest import counted_statements, login


@pytest.fixture(autouse=True)
def english(app, monkeypatch):
    monkeypatch.setattr(app.extensions["babel"], "locale_selector", lambda: "en")


def _profile(**kw):
    base = dict(
        user_id=1,
        name="A",
        registration_id=1,
        occupations=frozenset(),
        languages=frozenset(),
        swedish_level=None,
        education_level=None,
        driving_licence=False,
        available_from=None,
        municipality=None,
    )
    base.update(kw)
    return services.Profile(**base)


def _spec(**kw):
    base = dict(
        occupations=(),
        languages=(),
        education_rank=0,
        driving_licence=False,
        starts_on=None,
        location="",
        swedish_developing_ok=False,
    )
    base.update(kw)
    return services.Spec(**base)


def test_score_lists_every_stated_criterion_met_or_not_and_weighs_them():
    need = _spec(
        occupations=("assistant_nurse", "nurse"),
        languages=("ar", "sv"),
        education_rank=2,
        driving_licence=True,
        starts_on=date(2027, 1, 1),
        location="solna",
        swedish_developing_ok=True,
    )
    visitor = _profile(
        occupations=frozenset({"assistant_nurse", "cook"}),
        languages=frozenset({"ar"}),
        swedish_level="basic",
        education_level="compulsory",
        driving_licence=True,
        available_from=date(2027, 2, 1),
        municipality=" Solna ",
    )
    match = services.score(need, visitor)
    by_key = {c.key: c for c in match.criteria}
    assert [c.key for c in match.criteria] == [
        "occupation",
        "languages",
        "education",
        "driving_licence",
        "start",
        "location",
    ]
    assert by_key["occupation"].met and by_key["occupation"].matched == ("assistant_nurse",)
    # Arabic spoken, Swedish still being learned is fine for this need
    assert by_key["languages"].met and by_key["languages"].matched == ("ar", "sv") and by_key["languages"].learning
    assert not by_key["education"].met and not by_key["start"].met
    assert by_key["driving_licence"].met and by_key["location"].met
    assert match.score == 75  # (35 + 25 + 10 + 5) of 100

    strict = services.score(_spec(languages=("sv",)), _profile(swedish_level="basic"))
    assert strict.score == 0 and not strict.criteria[0].met  # learning Swedish is not enough here
    fluent = services.score(_spec(languages=("sv",)), _profile(swedish_level="fluent"))
    assert fluent.score == 100 and not fluent.criteria[0].learning
    # criteria the need does not state are not scored at all
    only_occupation = services.score(_spec(occupations=("cook",)), visitor)
    assert [c.key for c in only_occupation.criteria] == ["occupation"] and only_occupation.score == 100


def test_the_compact_row_has_no_room_for_the_background_question():
    names = set(services.Profile._fields)
    assert not names & {"foreign_background", "foreign_background_definition", "consent_sensitive_at"}


@pytest.fixture
def fair(ctx):
    org = f.organisation()
    event = f.event(org=org)
    exhibitor = f.exhibitor(event, name="Vårdbolaget", tables=1, booth_number="B7")
    f.slots_for(exhibitor, count=3)
    need = Need(
        exhibitor_id=exhibitor.id,
        title="Undersköterskor",
        occupations=["assistant_nurse"],
        languages=["ar"],
        positions=2,
        swedish_developing_ok=True,
    )
    db.session.add(need)
    db.session.commit()
    return event, exhibitor, need, org


def _candidate(event, name, consent=True, registered=True, phone=None, lang="en", **profile):
    person = f.user(name=name, preferred_language=lang)
    db.session.add(
        VisitorProfile(
            user_id=person.id,
            consent_matching_at=utcnow() if consent else None,
            consent_sensitive_at=utcnow(),
            foreign_background="born_abroad",
            phone=phone,
            **profile,
        )
    )
    db.session.commit()
    return f.registration(event, person) if registered else person


def test_candidates_are_consenting_visitors_of_the_fair_ranked_deterministically(fair):
    event, exhibitor, need, _ = fair
    both = _candidate(event, "Both", occupations=["assistant_nurse"], languages=["ar"])
    tie = _candidate(event, "Tie", occupations=["assistant_nurse"], languages=["ar"])
    one = _candidate(event, "One", occupations=["assistant_nurse"], languages=["so"])
    _candidate(event, "None", occupations=["cook"], languages=["so"])
    _candidate(event, "No consent", consent=False, occupations=["assistant_nurse"], languages=["ar"])
    elsewhere = _candidate(f.event(), "Other fair", occupations=["assistant_nurse"], languages=["ar"])
    ranked = services.candidates(need).matches
    assert [m.profile.name for m in ranked] == ["Both", "Tie", "One"]
    assert [m.score for m in ranked] == [100, 100, 58]
    assert ranked[0].profile.registration_id == both.id and ranked[1].profile.registration_id == tie.id
    assert services.candidates(need).matches == ranked
    need.standing = True
    db.session.commit()
    standing = services.candidates(need).matches
    assert "Other fair" in [m.profile.name for m in standing]
    assert next(m for m in standing if m.profile.name == "Other fair").profile.registration_id is None
    assert elsewhere.event_id != event.id and one.event_id == event.id


def test_ranking_statements_do_not_grow_with_the_visitors_and_pages_go_on(fair, client):
    event, exhibitor, need, org = fair
    for i in range(3):
        _candidate(event, f"Early {i}", occupations=["assistant_nurse"], languages=["ar"])
    need = db.session.get(Need, need.id)
    need.exhibitor  # noqa: B018  (loaded, as the page has it)
    with counted_statements() as few:
        small = services.candidates(need, per_page=2)
    for i in range(12):
        _candidate(event, f"Late {i}", occupations=["assistant_nurse"], languages=["so" if i % 2 else "ar"])
    need = db.session.get(Need, need.id)
    need.exhibitor  # noqa: B018
    with counted_statements() as many:
        big = services.candidates(need, per_page=2)
    assert len(few) == len(many) == 2  # the compact rows, then the page's profiles
    assert small.total == 3 and big.total == 15 and len(big.matches) == 2 and big.has_next
    names = [m.profile.name for p in range(1, 9) for m in services.candidates(need, page=p, per_page=2).matches]
    assert names == ["Early 0", "Early 1", "Early 2"] + [f"Late {i}" for i in range(0, 12, 2)] + [
        f"Late {i}" for i in range(1, 12, 2)
    ]
    assert services.candidates(need, page=99, per_page=2).page == 8  # past the end: the last page
    assert services.candidates(need, page=-3, per_page=2).page == 1
    login(client, f.organiser(org, preferred_language="en"))
    first = client.get(f"/needs/{need.id}/candidates").text
    assert "Candidates 1-15 of 15" in first and "More candidates" not in first
    for bad in ("x", "-1", "99999999999999999999"):
        assert client.get(f"/needs/{need.id}/candidates?page={bad}").status_code == 200


def test_ranking_scores_every_row_as_the_explanation_does(fair):
    """rank (over the compact rows) and score (the page's explanations) read the same rules."""
    import random

    event, exhibitor, need, _ = fair
    rng = random.Random(5)
    for i in range(60):
        _candidate(
            event,
            f"V{i}",
            occupations=rng.sample(["assistant_nurse", "cook", "nurse", "driver"], rng.randint(0, 2)),
            languages=rng.sample(["ar", "sv", "so", "en"], rng.randint(0, 2)),
            swedish_level=rng.choice([None, "none", "basic", "intermediate", "fluent"]),
            education_level=rng.choice([None, "compulsory", "upper_secondary", "university"]),
            driving_licence=rng.choice([None, True, False]),
            available_from=rng.choice([None, date(2027, 1, 1), date(2027, 6, 1)]),
            municipality=rng.choice([None, "Solna", " solna", "Nacka"]),
        )
    wanted = services.Spec(("assistant_nurse", "cook"), ("ar", "sv"), 2, True, date(2027, 3, 1), "solna", True)
    rows = services.rank_rows(event.id)
    by_id = {p.user_id: p for p in services.candidate_profiles(event.id)}
    explained = sorted(
        ((m.score, m.met, m.profile.user_id) for m in (services.score(wanted, p) for p in by_id.values())),
        key=lambda t: (-t[0], -t[1], t[2]),
    )
    assert services.rank(wanted, rows) == [t for t in explained if t[0] > 0]
    assert len({t[0] for t in explained}) > 4  # the data set really spreads the scores


def _invite(need, *registrations, actor=None):
    return services.invite(need, [r.id for r in registrations], actor or f.organiser())


def test_an_invitation_holds_a_time_and_messages_the_candidate_in_their_language(fair):
    event, exhibitor, need, _ = fair
    reg = _candidate(event, "Amal", phone="+46701234567", lang="ar", occupations=["assistant_nurse"])
    [invitation] = _invite(need, reg)
    slot = db.session.get(Slot, invitation.slot_id)
    assert slot.held_for_registration_id == reg.id and slot.held_until == invitation.expires_at
    assert invitation.expires_at - utcnow() <= services.INVITATION_HOLD
    messages = db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "match_invitation")).all()
    assert sorted(m.channel for m in messages) == ["email", "sms"]
    assert {m.language for m in messages} == {"ar"} and {m.expires_at for m in messages} == {invitation.expires_at}
    assert messages[0].payload["url"].startswith("http://127.0.0.1:5000/matching/invitations/")
    from bazaar.notifications.render import render

    email = render(next(m for m in messages if m.channel == "email"))
    assert "Vårdbolaget" in email.subject and "Undersköterskor" in email.text
    assert re.search("[\u0600-\u06ff]", email.text)  # written in Arabic
    sms = render(next(m for m in messages if m.channel == "sms"))
    assert messages[0].payload["url"] in sms.text
    # nobody else can book the held time; a second invitation gets the next time
    with pytest.raises(booking.SlotTaken):
        booking.book(f.registration(event), exhibitor, slot.starts_at)
    other = _candidate(event, "Other", occupations=["assistant_nurse"])
    [second] = _invite(need, other)
    assert second.slot_id != invitation.slot_id
    assert _invite(need, reg) == []  # already invited


def test_accepting_through_the_link_books_the_held_time(fair, client):
    event, exhibitor, need, _ = fair
    reg = _candidate(event, "Amal", occupations=["assistant_nurse"])
    [invitation] = _invite(need, reg)
    url = "/matching/invitations/" + services.INVITATION_LINK.token(invitation)
    page = client.get(url)
    assert page.status_code == 200 and b"Vardbolaget" not in page.data and "Vårdbolaget" in page.text
    assert db.session.scalar(select(Booking.id)) is None  # a GET changes nothing
    done = client.post(url, data={"action": "accept"}, follow_redirects=True)
    assert done.status_code == 200 and "Booked" in done.text
    db.session.expire_all()
    invitation = db.session.get(Invitation, invitation.id)
    made = db.session.get(Booking, invitation.booking_id)
    assert invitation.status == "accepted" and made.status == "confirmed" and made.slot_id == invitation.slot_id
    assert made.registration_id == reg.id
    assert db.session.scalar(select(OutboxMessage.id).where(OutboxMessage.kind == "booking_confirmed"))
    again = client.post(url, data={"action": "accept"})
    assert again.status_code == 409 and "This time is booked" in again.text
    assert client.get("/matching/invitations/forged").status_code == 404


def test_accepting_is_refused_by_the_booking_rules_and_then_nothing_changes(fair):
    event, exhibitor, need, _ = fair
    reg = _candidate(event, "Amal", occupations=["assistant_nurse"])
    [invitation] = _invite(need, reg)
    slot = db.session.get(Slot, invitation.slot_id)
    # meanwhile the candidate booked another employer at the same time
    rival = f.exhibitor(event, name="Rival")
    [rival_slot] = f.slots_for(rival, start=slot.starts_at, count=1)
    booking.book(reg, rival, rival_slot.starts_at)
    with pytest.raises(booking.Overlap):
        services.accept(invitation)
    db.session.expire_all()
    assert db.session.get(Invitation, invitation.id).status == "offered"
    assert db.session.get(Invitation, invitation.id).booking_id is None


def test_declining_releases_the_time_and_the_hold_expires(fair, clock):
    event, exhibitor, need, _ = fair
    first = _candidate(event, "First", occupations=["assistant_nurse"])
    second = _candidate(event, "Second", occupations=["assistant_nurse"])
    one, two = _invite(need, first, second)
    services.decline(one)
    assert one.status == "declined" and db.session.get(Slot, one.slot_id).held_for_registration_id is None
    with pytest.raises(services.MatchingError):
        services.accept(one)
    clock.advance(hours=25)
    with pytest.raises(services.MatchingError):
        services.accept(two)
    assert services.expire_invitations() == 1
    db.session.expire_all()
    assert db.session.get(Invitation, two.id).status == "expired"
    assert db.session.get(Slot, two.slot_id).held_for_registration_id is None
    # the released time can be booked by someone else now
    booking.book_slot(f.registration(event), db.session.get(Slot, two.slot_id))


def test_withdrawing_the_consent_removes_the_candidate_and_their_invitations(fair, client):
    event, exhibitor, need, _ = fair
    reg = _candidate(event, "Amal", occupations=["assistant_nurse"])
    [invitation] = _invite(need, reg)
    login(client, reg.user)
    page = client.get("/my")
    assert "Stop suggesting me" in page.text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    assert client.post("/my/matching/withdraw", data={"csrf_token": token}).status_code == 303
    db.session.expire_all()
    assert db.session.get(VisitorProfile, reg.user.profile.id).consent_matching_at is None
    assert db.session.get(Invitation, invitation.id).status == "withdrawn"
    assert db.session.get(Slot, invitation.slot_id).held_for_registration_id is None
    assert services.candidates(need).matches == []


def test_unticking_the_consent_on_the_profile_withdraws_invitations_as_the_button_does(fair, client):
    event, exhibitor, need, _ = fair
    reg = _candidate(event, "Amal", occupations=["assistant_nurse"], languages=["ar"])
    stays = _candidate(event, "Stays", occupations=["assistant_nurse"], languages=["ar"])
    mine, theirs = _invite(need, reg, stays)
    login(client, reg.user)
    form = client.get("/my/profile").text
    box = next(tag for tag in re.findall(r"<input[^>]*>", form) if 'name="consent_matching"' in tag)
    assert " checked" in box
    # the same answers as before, the matching box unticked (an unticked box is not sent)
    data = {"name": "Amal", "preferred_language": "en", "occupations": ["assistant_nurse"], "languages": ["ar"]}
    assert client.post("/my/profile", data=data).status_code == 302
    db.session.expire_all()
    assert db.session.get(VisitorProfile, reg.user.profile.id).consent_matching_at is None
    assert db.session.get(Invitation, mine.id).status == "withdrawn"
    assert db.session.get(Slot, mine.slot_id).held_for_registration_id is None
    assert db.session.get(Invitation, theirs.id).status == "offered"  # only theirs own
    assert [m.profile.name for m in services.candidates(need).matches] == ["Stays"]
    # the invitation's link now says it is no longer open
    url = "/matching/invitations/" + services.INVITATION_LINK.token(mine)
    assert client.post(url, data={"action": "accept"}).status_code == 409
    # ticking it again starts matching afresh; the withdrawn invitation stays withdrawn
    assert client.post("/my/profile", data={**data, "consent_matching": "y"}).status_code == 302
    db.session.expire_all()
    assert db.session.get(VisitorProfile, reg.user.profile.id).consent_matching_at is not None
    assert db.session.get(Invitation, mine.id).status == "withdrawn"


def test_the_employer_sees_a_candidate_only_as_far_as_they_consented(fair, client):
    event, exhibitor, need, org = fair
    admin = f.exhibitor_staff(exhibitor, role="admin", preferred_language="en")
    shy = _candidate(event, "Shy Person", occupations=["assistant_nurse"], languages=["ar"])
    open_ = _candidate(event, "Open Person", occupations=["assistant_nurse"], languages=["ar"])
    open_.user.profile.consent_share_profile_at = utcnow()
    db.session.commit()
    invitations = _invite(need, shy, open_)
    login(client, admin)
    page = client.get(f"/needs/{need.id}").text
    assert "Shy Person" not in page and "Open Person" not in page  # nobody accepted yet
    for invitation in invitations:
        services.accept(invitation)
    page = client.get(f"/needs/{need.id}").text
    assert "Shy Person" in page and "Open Person" in page
    assert page.count("Assistant nurse") == 1 + 1  # the need's facts and the one shared profile
    assert "born_abroad" not in page
    assert client.get(f"/needs/{need.id}/candidates").status_code == 403


@pytest.mark.parametrize(
    "who, candidates_status, need_status",
    [
        ("organiser", 200, 200),
        ("exhibitor admin", 403, 200),
        ("interviewer", 403, 403),
        ("organiser of another event", 403, 403),
        ("visitor", 403, 403),
    ],
)
def test_who_may_see_candidates_and_needs(fair, client, who, candidates_status, need_status):
    event, exhibitor, need, org = fair
    people = {
        "organiser": lambda: f.organiser(org),
        "exhibitor admin": lambda: f.exhibitor_staff(exhibitor, role="admin"),
        "interviewer": lambda: f.exhibitor_staff(exhibitor, role="interviewer"),
        "organiser of another event": lambda: f.organiser(),
        "visitor": lambda: _candidate(event, "V", occupations=["assistant_nurse"]).user,
    }
    login(client, people[who]())
    assert client.get(f"/needs/{need.id}/candidates").status_code == candidates_status
    assert client.get(f"/needs/{need.id}").status_code == need_status
    assert client.get(f"/exhibitor/{exhibitor.id}/needs/new").status_code == need_status


def test_an_organiser_records_a_need_finds_and_invites_candidates_through_the_pages(fair, client):
    event, exhibitor, _, org = fair
    reg = _candidate(event, "Amal", occupations=["cook"], languages=["ar"], driving_licence=True)
    login(client, f.organiser(org, preferred_language="en"))
    assert "Number of people" in client.get(f"/exhibitor/{exhibitor.id}/needs/new").text
    saved = client.post(
        f"/exhibitor/{exhibitor.id}/needs/new",
        data={
            "title": "Kockar",
            "opening_id": "0",
            "occupations": ["cook"],
            "positions": "3",
            "languages": ["ar"],
            "education_level": "",
            "driving_licence": "y",
            "location": "",
            "starts_on": "",
        },
    )
    assert saved.status_code == 303
    need = db.session.scalar(select(Need).where(Need.title == "Kockar"))
    assert need.occupations == ["cook"] and need.positions == 3 and need.driving_licence
    page = client.get(f"/needs/{need.id}/candidates").text
    assert "Amal" in page and "✓" in page
    invited = client.post(f"/needs/{need.id}/candidates", data={"chosen": [str(reg.id)]})
    assert invited.status_code == 303
    assert db.session.scalar(select(Invitation).where(Invitation.need_id == need.id)).registration_id == reg.id
    # hostile input answers 4xx, never 500
    assert client.post(f"/needs/{need.id}/candidates", data={"chosen": ["x"]}).status_code < 500
    bad = client.post(f"/exhibitor/{exhibitor.id}/needs/new", data={"opening_id": "99999"})
    assert bad.status_code == 200


def test_invitations_end_on_the_exhibitors_timeline(fair):
    """A time is held no later than shortly before the interview starts."""
    event, exhibitor, need, _ = fair
    reg = _candidate(event, "Amal", occupations=["assistant_nurse"])
    [invitation] = _invite(need, reg)
    slot = db.session.get(Slot, invitation.slot_id)
    assert invitation.expires_at <= slot.starts_at - timedelta(minutes=5)


def test_matched_interviews_and_hires_from_matching_are_counted_apart_with_definitions(fair, client):
    """Two hires at the fair, one through a matching invitation: the statistics count that one as
    a hire from matching, next to (and inside) the fair's figures."""
    from bazaar.exhibitors.services import record_interview
    from bazaar.stats import services as stats
    from bazaar.stats.compile import DEFINITIONS

    event, exhibitor, need, org = fair
    admin = f.exhibitor_staff(exhibitor, role="admin")
    matched = _candidate(event, "Matched", occupations=["assistant_nurse"])
    declined = _candidate(event, "Declined", occupations=["assistant_nurse"])
    first, second = _invite(need, matched, declined)
    services.decline(second)
    via_matching = services.accept(first)
    walk_up = f.registration(event, checked_in_at=event.starts_at)
    direct = booking.book(walk_up, exhibitor, db.session.get(Slot, second.slot_id).starts_at)
    for made in (via_matching, direct):
        record_interview(made, admin, "attended", "hired", "permanent")
    unattended_reg = _candidate(event, "No show", occupations=["assistant_nurse"])
    [third] = _invite(need, unattended_reg)
    record_interview(services.accept(third), admin, "no_show")

    from bazaar.stats.models import StatsSnapshot

    snapshot = db.session.get(StatsSnapshot, stats.compile_snapshot(event.id, "on_demand"))
    headline = snapshot.figures["headline"]
    assert headline["matched_interviews"] == 1 and headline["hires_from_matching"] == 1
    assert headline["interviews_held"] == 2 and headline["outcome_hired"] == 2
    assert "invitation" in str(DEFINITIONS["matched_interviews"]) and "hire" in str(DEFINITIONS["hires_from_matching"])
    login(client, f.organiser(org, preferred_language="en"))
    page = client.get(f"/organiser/events/{event.id}/stats").text
    assert 'id="figure-hires_from_matching"' in page and "Hires from matching" in page


def test_a_consenting_visitor_sees_fitting_employers_with_the_reason_and_where_to_book(fair, client):
    event, exhibitor, need, _ = fair
    reg = _candidate(event, "Amal", occupations=["assistant_nurse"], languages=["ar"])
    login(client, reg.user)
    for url in ("/my", f"/events/{event.slug}/exhibitors"):
        page = client.get(url).text
        assert "Employers that fit you" in page, url
        assert "They look for Assistant nurse, which you are looking for." in page
        assert "You speak العربية; they look for people who do." in page
        assert f"/events/{event.slug}/exhibitors/{exhibitor.id}" in page
    services.withdraw_consent(reg.user)
    assert "Employers that fit you" not in client.get("/my").text
    other = _candidate(event, "Cook", occupations=["cook"], languages=["so"])
    login(client, other.user)
    assert "Employers that fit you" not in client.get(f"/events/{event.slug}/exhibitors").text
