"""``flask bazaar`` operations commands, run with Flask's CLI runner against real services."""

from sqlalchemy import select

from bazaar.extensions import db
from bazaar.notifications.models import OutboxMessage
from bazaar.notifications.services import queue
from tests import factories as f


def _bazaar(app, *args):
    return app.test_cli_runner().invoke(args=["bazaar", *args])


def test_check_passes_with_every_service_answering(app, ctx, smtp):
    result = _bazaar(app, "check")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert [line.split()[0] for line in lines] == ["ok"] * 4
    assert any(line.split()[1] == "smtp" and str(smtp.port) in line for line in lines)


def test_check_fails_when_smtp_does_not_answer_or_the_secret_key_is_missing(app, ctx, smtp, monkeypatch):
    smtp.stop()
    result = _bazaar(app, "check")
    assert result.exit_code == 1
    assert any(line.startswith("FAIL smtp") for line in result.output.splitlines())
    smtp.start()
    monkeypatch.delenv("SECRET_KEY")
    result = _bazaar(app, "check")
    assert result.exit_code == 1
    assert any(line.startswith("FAIL secret key") for line in result.output.splitlines())


def test_send_test_email_reaches_the_smtp_server(app, ctx, smtp):
    result = _bazaar(app, "send-test-email", "ops@example.org")
    assert result.exit_code == 0, result.output
    mail = smtp.wait_for("ops@example.org", timeout=5)
    assert app.config["BASE_URL"] in smtp.text(mail)
    smtp.stop()
    result = _bazaar(app, "send-test-email", "ops@example.org")
    assert result.exit_code != 0 and "Not sent" in result.output


def test_promote_organiser_joins_the_events_body_and_refuses_another_bodys_member(app, ctx):
    ev = f.event()
    person = f.user()
    result = _bazaar(app, "promote-organiser", person.email.upper(), str(ev.id))
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    assert person.organisation_id == ev.organisers[0].organisation_id
    stranger = f.organiser()
    result = _bazaar(app, "promote-organiser", stranger.email, str(ev.id))
    assert result.exit_code != 0 and stranger.organisation.name in result.output
    db.session.expire_all()
    assert stranger.organisation_id != ev.organisers[0].organisation_id
    assert _bazaar(app, "promote-organiser", "nobody@example.org", str(ev.id)).exit_code != 0
    assert _bazaar(app, "promote-organiser", person.email, str(ev.id + 1000)).exit_code != 0


def test_resend_failed_hands_failed_messages_to_the_worker_again(app, ctx, smtp, processes, tmp_path):
    ev, other = f.event(), f.event()
    people = [f.user(email=f"failed{i}@example.org") for i in range(2)]
    rows = [
        queue("survey_invitation", user=p, event=e, payload={"days": 30, "token": "t"})
        for p, e in zip(people, (ev, other))
    ]
    db.session.flush()
    for row in rows:
        row.status, row.attempts, row.last_error = "failed", 5, "550 No such user"
    db.session.commit()
    ids = [row.id for row in rows]
    db.session.rollback()  # hold no transaction while the worker writes (SQLite)
    processes.start_worker(tmp_path / "worker.log")
    result = _bazaar(app, "resend-failed", "--event", str(ev.id))
    db.session.rollback()
    assert result.exit_code == 0 and result.output.startswith("1 "), result.output
    smtp.wait_for("failed0@example.org", timeout=60)
    assert db.session.scalar(select(OutboxMessage.status).where(OutboxMessage.id == ids[1])) == "failed"
    db.session.rollback()
    result = _bazaar(app, "resend-failed")
    db.session.rollback()
    assert result.output.startswith("1 "), result.output
    smtp.wait_for("failed1@example.org", timeout=60)
