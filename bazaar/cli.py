"""``flask bazaar ...`` commands."""
import click
from flask import current_app

from bazaar.extensions import db


def init_app(app) -> None:
    group = click.Group("bazaar", help="Bazaar administration.")

    @group.command("demo")
    @click.option("--visitors", default=4700, show_default=True, help="How many demo visitors.")
    def demo_command(visitors: int):
        """Load the demo fair (idempotent: running it again adds nothing)."""
        from bazaar import demo

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
        from sqlalchemy import select

        from bazaar.accounts.models import Organisation
        from bazaar.accounts.services import create_user
        from bazaar.clock import utcnow

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
        from bazaar.accounts.services import set_site_operator

        if not set_site_operator(email, not revoke):
            raise click.ClickException(f"No account with the email {email}.")
        click.echo(f"{email} is {'no longer ' if revoke else ''}a site operator.")

    @group.command("ping-worker")
    @click.option("--timeout", default=10.0, show_default=True)
    def ping_worker(timeout: float):
        """Send a task and wait for a worker to answer it."""
        from worker.tasks import ping

        if not current_app.config["CELERY"].get("result_backend"):
            raise click.ClickException("No result backend configured (set REDIS_URL).")
        click.echo(ping.delay().get(timeout=timeout))

    app.cli.add_command(group)
