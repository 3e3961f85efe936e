"""Bazaar: a platform for recruitment fairs."""


def create_app(config=None):
    """Build the app (see :func:`bazaar.app.create_app`)."""
    from bazaar.app import create_app as build  # lazily: `import bazaar.clock` must not load every domain

    return build(config)
