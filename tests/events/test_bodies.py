"""Issue 15: an event's organising bodies, with their logos on the event's page and their names in the funder report."""

import io

import pytest
from sqlalchemy import select

from bazaar.accounts.models import Organisation
from bazaar.events.models import EventOrganiser
from bazaar.extensions import db
from bazaar.funding.services import cost_report
from bazaar.images import LOGO_MAX_BYTES
from bazaar.stats.services import compile_snapshot, latest_snapshot
from tests import factories as f
from tests.support import login

pytestmark = pytest.mark.usefixtures("english")

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def _add(client, event, name, website="", logo=None, filename="logo.png"):
    data = {"name": name, "website": website}
    if logo is not None:
        data["logo"] = (io.BytesIO(logo), filename)
    return client.post(f"/organiser/events/{event.id}/bodies", data=data, content_type="multipart/form-data")


def _bodies(event):
    db.session.expire_all()
    return {
        b.organisation.name: b
        for b in db.session.scalars(select(EventOrganiser).where(EventOrganiser.event_id == event.id))
    }


def test_organiser_adds_bodies_with_logos_shown_on_the_event_page(ctx, client, app):
    org = f.organisation("Länsstyrelsen")
    event = f.event(org=org)
    login(client, f.organiser(org))
    assert _add(client, event, "Malmö stad", "https://malmo.se", PNG).status_code == 302
    assert _add(client, event, "Region Skåne").status_code == 302
    bodies = _bodies(event)
    assert set(bodies) == {"Länsstyrelsen", "Malmö stad", "Region Skåne"}
    assert bodies["Malmö stad"].logo == PNG and bodies["Malmö stad"].website == "https://malmo.se"

    page = app.test_client().get(f"/events/{event.slug}").get_data(as_text=True)
    org_id = bodies["Malmö stad"].organisation_id
    logo_url = f"/events/{event.slug}/bodies/{org_id}/logo"
    assert f'<img src="{logo_url}" alt="Malmö stad" height="64" loading="lazy">' in page
    assert 'href="https://malmo.se"' in page and "Region Skåne" in page and "Organised by" in page
    served = app.test_client().get(logo_url)
    assert served.status_code == 200 and served.mimetype == "image/png" and served.data == PNG
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    no_logo = bodies["Region Skåne"].organisation_id
    assert app.test_client().get(f"/events/{event.slug}/bodies/{no_logo}/logo").status_code == 404


def test_logos_and_websites_are_checked_like_exhibitors_logos(ctx, client):
    org = f.organisation()
    event = f.event(org=org)
    login(client, f.organiser(org))
    fake = _add(client, event, "Fake logo", logo=b"<svg onload=alert(1)>", filename="logo.png")
    assert "That file is not a PNG, JPEG or WebP image." in fake.get_data(as_text=True)
    big = _add(client, event, "Big logo", logo=b"\xff\xd8\xff" + b"\x00" * LOGO_MAX_BYTES, filename="big.jpg")
    page = big.get_data(as_text=True)
    assert "The logo may be at most 1 MB." in page and 'value="Big logo"' in page  # the name stays typed
    script = _add(client, event, "Script site", website="javascript:alert(1)")
    assert "Start the address with https://" in script.get_data(as_text=True)
    assert set(_bodies(event)) == {org.name}

    assert _add(client, event, "Later logo").status_code == 302
    body = _bodies(event)["Later logo"]
    url = f"/organiser/events/{event.id}/bodies/{body.organisation_id}/logo"
    webp = b"RIFF\x00\x00\x00\x00WEBPVP8 " + b"\x00" * 16
    client.post(url, data={"logo": (io.BytesIO(webp), "x.webp")}, content_type="multipart/form-data")
    assert _bodies(event)["Later logo"].logo_mimetype == "image/webp"
    refused = client.post(url, data={"logo": (io.BytesIO(b"GIF89a"), "x.gif")}, content_type="multipart/form-data")
    assert "That file is not a PNG, JPEG or WebP image." in client.get(refused.headers["Location"]).get_data(
        as_text=True
    )
    assert _bodies(event)["Later logo"].logo_mimetype == "image/webp"


def test_removing_bodies_never_locks_the_organisers_out(ctx, client):
    org = f.organisation()
    event = f.event(org=org)
    organiser = f.organiser(org)
    login(client, organiser)
    own = f"/organiser/events/{event.id}/bodies/{org.id}/delete"
    assert "An event needs at least one organising body." in client.get(client.post(own).headers["Location"]).get_data(
        as_text=True
    )
    _add(client, event, "Partner body")
    assert "already" in _add(client, event, "partner BODY").get_data(as_text=True)  # the same body, whatever the case
    assert "You cannot remove your own organising body" in client.get(client.post(own).headers["Location"]).get_data(
        as_text=True
    )
    partner = _bodies(event)["Partner body"]
    client.post(f"/organiser/events/{event.id}/bodies/{partner.organisation_id}/delete")
    assert set(_bodies(event)) == {org.name}
    assert db.session.get(Organisation, partner.organisation_id) is not None  # the body stays, for its other events


def test_a_co_organiser_cannot_add_a_body(ctx, client):
    event = f.event()
    login(client, f.event_staff(event, "coorganiser"))
    assert _add(client, event, "My own body").status_code == 403
    assert "My own body" not in _bodies(event)


def test_an_existing_body_added_makes_its_members_organisers(ctx, client):
    org, partner = f.organisation(), f.organisation("Arbetsförmedlingen")
    event = f.event(org=org)
    member = f.organiser(partner)
    login(client, member)
    assert client.get(f"/organiser/events/{event.id}").status_code == 403
    login(client, f.organiser(org))
    _add(client, event, "Arbetsförmedlingen")
    login(client, member)
    assert client.get(f"/organiser/events/{event.id}").status_code == 200


def test_the_funder_report_names_the_bodies(ctx, client):
    org = f.organisation("Länsstyrelsen Skåne")
    event = f.event(org=org)
    organiser = f.organiser(org)
    login(client, organiser)
    _add(client, event, "Helsingborgs stad", logo=PNG)
    compile_snapshot(event.id, "on_demand")
    report = cost_report(event, latest_snapshot(event.id), organiser)
    assert report["organisers"] == ["Helsingborgs stad", "Länsstyrelsen Skåne"]
    client.post("/language", data={"lang": "en"})
    page = client.get(f"/organiser/events/{event.id}/stats/report").get_data(as_text=True)
    section = page[page.index('id="organising-bodies"') :]
    assert section.index("Helsingborgs stad") < section.index("Länsstyrelsen Skåne") < section.index("</ul>")
