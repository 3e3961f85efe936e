"""A try-a-job day end to end in real Chromium on a phone against gunicorn and a real Celery worker:
the employer offers it after the fair and invites the visitors it met, a visitor who had an
interview signs up from the email's link in her own language, the host records her attendance
and a hire, and the organiser's statistics count the job once although the hire was also recorded
on the interview."""

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from flask_babel import force_locale, gettext
from sqlalchemy import select

from bazaar.activities.models import Activity, Participant
from bazaar.extensions import db
from bazaar.notifications.models import OutboxMessage
from tests import factories as f
from tests.support import browser_login, release_database, wait_for


def _figure(page, name: str) -> str:
    return page.locator(f"#figure-{name} td.num").inner_text().strip()


@pytest.mark.browser
def test_an_invited_visitor_takes_a_try_a_job_day_and_the_hire_counts_once(
    ctx, app, live_server, page, processes, tmp_path
):
    org = f.organisation()
    event = f.event(org=org, name="Jobbdating Rinkeby", starts_in=timedelta(hours=-10), hours=8)
    exhibitor = f.exhibitor(event, name="Omsorg Nord AB")
    recruiter = f.exhibitor_staff(exhibitor, role="admin", email="rekrytering@omsorgnord.se", preferred_language="en")
    organiser = f.organiser(org, email="org@example.org", preferred_language="en")
    olena = f.visitor(name="Olena Kovalenko", email="olena@example.org", preferred_language="uk")
    registration = f.registration(event, olena, checked_in_at=event.starts_at)
    f.interview(registration, exhibitor, outcome="hired")  # hired on the day, as the interview's record says
    event_id, exhibitor_id, registration_id, olena_id = event.id, exhibitor.id, registration.id, olena.id
    day = (event.ends_at + timedelta(days=7)).astimezone(ZoneInfo(event.timezone)).strftime("%Y-%m-%d")
    recruiter, organiser = recruiter.email, organiser.email
    db.session.commit()
    processes.start_worker(tmp_path / "worker.log")
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("response", lambda r: errors.append(r.url) if r.status >= 400 and "favicon" not in r.url else None)

    # The employer offers a try-a-job day after the fair and invites the visitors it met.
    browser_login(page, live_server, recruiter)
    page.goto(f"{live_server}/exhibitor/{exhibitor_id}/activities")
    page.click("text=Offer an activity")
    page.select_option("#kind", "try_a_job_day")
    page.select_option("#audience", "invited")
    page.fill("#title_sv", "Prova på en dag i hemtjänsten")
    page.fill("#title_en", "Try a day in home care")
    page.fill("#starts_at", f"{day}T09:00")
    page.fill("#ends_at", f"{day}T15:00")
    page.fill("#place", "Storgatan 1, Umeå")
    page.fill("#capacity", "8")
    page.check("input[name=languages][value=uk]")
    page.check("#interpreter")
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(f"{live_server}/activities/*")
    activity_id = int(page.url.rsplit("/", 1)[1])
    assert "Saved." in page.locator("main").inner_text()
    page.click("text=Invite the visitors we met")
    page.wait_for_url(f"{live_server}/activities/{activity_id}")
    assert "1 invited." in page.locator("main").inner_text()
    activity = db.session.get(Activity, activity_id)
    assert (activity.capacity, activity.languages, activity.interpreter) == (8, ["uk"], True)
    release_database()
    page.context.clear_cookies()

    # The visitor signs up from the email, in Ukrainian, on her phone.
    email = db.session.scalar(select(OutboxMessage).where(OutboxMessage.kind == "activity_invitation"))
    assert email.language == "uk" and email.user_id == olena_id
    link = email.payload["url"]
    release_database()
    page.goto(link)
    assert page.evaluate("document.documentElement.lang") == "uk"
    main = page.locator("main").inner_text()
    with app.test_request_context(), force_locale("uk"):
        try_a_job_day, have_a_place = gettext("Try-a-job day"), gettext("You have a place")
    assert try_a_job_day in main and "Omsorg Nord AB" in main and "Українська" in main
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    join = page.locator("button[name=action][value=join]")
    assert join.bounding_box()["height"] >= 44
    join.click()
    page.wait_for_load_state()
    assert have_a_place in page.locator("main").inner_text()
    participant = db.session.scalar(select(Participant).where(Participant.registration_id == registration_id))
    assert participant.holds_place
    participant_id = participant.id
    release_database()
    page.context.clear_cookies()

    # The host records that she came and was hired.
    browser_login(page, live_server, recruiter)
    page.goto(f"{live_server}/activities/{activity_id}")
    row = page.locator(f"#participant-{participant_id}")
    assert "Olena Kovalenko" in row.inner_text()
    row.locator(f"select[name='p{participant_id}-attendance']").select_option("attended")
    row.locator(f"select[name='p{participant_id}-outcome']").select_option("hired")
    row.locator("button[type=submit]").click()
    page.wait_for_url(f"{live_server}/activities/{activity_id}*")
    db.session.expire_all()
    participant = db.session.get(Participant, participant_id)
    assert (participant.attendance, participant.outcome) == ("attended", "hired")
    release_database()
    page.context.clear_cookies()

    # The organiser compiles the figures on the worker: one job, after a try-a-job day.
    browser_login(page, live_server, organiser)
    page.goto(f"{live_server}/organiser/events/{event_id}/stats")
    page.locator("main form.actions button[type=submit]").first.click()
    page.wait_for_url(f"{live_server}/organiser/events/{event_id}/stats")

    def compiled():
        page.reload()
        return page.locator("#figure-jobs_after_try_a_job_day").count() == 1

    wait_for(compiled, timeout=60, interval=1, message="the worker to compile the figures")
    jobs = {(registration_id, exhibitor_id)}  # the interview's hire and the activity's: one pair
    assert _figure(page, "jobs_after_try_a_job_day") == str(len(jobs))
    assert _figure(page, "jobs_total") == str(len(jobs))
    assert _figure(page, "visitors_hired") == str(len({person for person, _ in jobs}))
    assert errors == []
