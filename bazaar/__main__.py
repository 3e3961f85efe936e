"""``bazaar ...`` or ``python -m bazaar ...``: the ``flask`` command line bound to Bazaar's app factory
(``bazaar run``, ``bazaar db upgrade``, ``bazaar bazaar demo`` ...), no FLASK_APP needed."""

from flask.cli import FlaskGroup

from bazaar import create_app

cli = FlaskGroup(create_app=create_app, help="Bazaar's command line (the flask CLI with the app preset).")

if __name__ == "__main__":
    cli()
