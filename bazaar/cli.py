"""``flask bazaar ...`` commands."""

import click
from flask import current_app
from sqlalchemy import select

from bazaar import demo
from bazaar.accounts.models import Organisation
from bazaar.accounts.services import create_user, find_user_by_email, set_site_operator
from bazaar.clock import utcnow
from bazaar.events.models import Event
from bazaar.events.services import CannotOrganise, make_organiser
from bazaar.extensions import db
from bazaar.health import check_configuration
from bazaar.notifications.mail import DeliveryError, send_test_email
from bazaar.notifications.services import resend_failed
from bazaar.privacy import retention
from worker.tasks import ping


def init_app(app) -> None:
    group = click.Group("bazaar", help="Bazaar administration.")

    @group.command("demo")
    @click.option("--visitors", default=4700, show_default=True, help="How many demo visitors.")
    def demo_command(visitors: int):
        """Load the demo fair (idempotent: running it again adds nothing)."""

        created = demo.load_demo(visitors=visitors)
        click.echo("Demo loaded." if created else "Demo already present; nothing added.")
        for role, email in demo.DEMO_LOGINS.items():
            click.echo(f"  {role:<22} {email:<34} password: {demo.DEMO_PASSWORD}")

    @group.command("create-organiser")
    @click.argument("email")
    @click.argument("organisation")
    @click.option("--name", default="Organiser")
    @click.password_option()
    def create_organiser(email, organisation, name, password):
        """Create an organiser account for an organising body (created if new)."""

        org = db.session.scalar(select(Organisation).where(Organisation.name == organisation))
        if org is None:
            org = Organisation(name=organisation)
            db.session.add(org)
        create_user(email, name, password, organisation=org, email_verified_at=utcnow())
        db.session.commit()
        click.echo(f"Organiser {email} created for {organisation}.")

    @group.command("site-operator")
    @click.argument("email")
    @click.option("--revoke", is_flag=True, help="Take the role away instead.")
    def site_operator(email, revoke):
        """Make an existing account a site operator (sees every failed message), or --revoke it."""

        if not set_site_operator(email, not revoke):
            raise click.ClickException(f"No account with the email {email}.")
        click.echo(f"{email} is {'no longer ' if revoke else ''}a site operator.")

    @group.command("ping-worker")
    @click.option("--timeout", default=10.0, show_default=True)
    def ping_worker(timeout: float):
        """Send a task and wait for a worker to answer it."""

        if not current_app.config["CELERY"].get("result_backend"):
            raise click.ClickException("No result backend configured (set REDIS_URL).")
        click.echo(ping.delay().get(timeout=timeout))

    add_operations_commands(group)
    app.cli.add_command(group)


def add_operations_commands(group: click.Group) -> None:
    """Commands for whoever runs Bazaar: check it, test mail, promote, resend."""

    @group.command("check")
    def check_command():
        """Check the configuration: secret key, database, broker, SMTP. Exits 1 if any fails."""

        results = check_configuration()
        for what, ok, detail in results:
            click.echo(f"{'ok  ' if ok else 'FAIL'} {what:<11} {detail}")
        if not all(ok for _, ok, _ in results):
            raise SystemExit(1)

    @group.command("send-test-email")
    @click.argument("address")
    def send_test_email_command(address: str):
        """Send a test email to ADDRESS through the configured mailer, now."""

        try:
            send_test_email(address)
        except DeliveryError as exc:
            raise click.ClickException(f"Not sent: {exc.__cause__ or exc}") from exc
        click.echo(f"Test email sent to {address}.")

    @group.command("promote-organiser")
    @click.argument("email")
    @click.argument("event_id", type=int)
    def promote_organiser_command(email: str, event_id: int):
        """Make the user EMAIL an organiser of event EVENT_ID (joins its organising body)."""

        user = find_user_by_email(email)
        event = db.session.get(Event, event_id)
        if user is None or event is None:
            raise click.ClickException("No such user." if user is None else "No such event.")
        try:
            make_organiser(user, event)
        except CannotOrganise as exc:
            raise click.ClickException(str(exc)) from exc
        click.echo(f"{user.email} organises {event.name}.")

    @group.command("resend-failed")
    @click.option("--event", "event_id", type=int, help="Only this event's messages.")
    def resend_failed_command(event_id: int | None):
        """Give every failed message another go (as the outbox page's Resend does)."""

        click.echo(f"{resend_failed(event_id)} failed message(s) queued again.")

    @group.command("purge-retention")
    @click.option("--event", "event_id", type=int, help="Only this event.")
    @click.option("--early", is_flag=True, help="With --event: purge even if its purge date has not come.")
    @click.option("--dry-run", is_flag=True, help="Say who would be purged; change nothing.")
    def purge_retention_command(event_id: int | None, early: bool, dry_run: bool):
        """Erase the personal data of visitors whose events' retention period has passed."""
        if early and event_id is None:
            raise click.ClickException("--early needs --event.")
        if event_id is not None:
            event = db.session.get(Event, event_id)
            if event is None:
                raise click.ClickException("No such event.")
            if not early and retention.purge_date(event) > utcnow():
                click.echo(
                    f"Event {event.id} is not due until {retention.purge_date(event):%Y-%m-%d} (--early runs it now)."
                )
                return
            events = [event]
        else:
            events = retention.due_events()
        if dry_run:
            everyone: set[int] = set()
            for event in events:
                people = set(db.session.scalars(retention.purgeable(event)))
                click.echo(f"event {event.id} ({event.name}): {len(people)} people would be purged")
                everyone |= people
            click.echo(f"{len(everyone)} people would be purged in {len(events)} event(s).")
            return
        total = 0
        for event in events:
            people = retention.purge_event(event, early=early)
            click.echo(f"event {event.id} ({event.name}): {people} people purged")
            total += people
        click.echo(f"{total} people purged in {len(events)} event(s).")
