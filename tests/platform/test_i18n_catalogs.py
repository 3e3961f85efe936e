"""Message catalogs: complete where they must be, compiled, and every template string marked.

Scope (kept explicit here, the one place that defines it):
- Swedish and English must translate every message used anywhere (templates and Python).
- Arabic, Persian, Somali, Tigrinya, Ukrainian, Turkish and Danish must translate every message used
  on a visitor-facing page or in a visitor email: the templates and Python modules in
  :data:`VISITOR_PATHS`, except the staff pages and staff emails in :data:`STAFF_PATHS`.

Refresh the catalogs with ``bin/i18n`` (extract, update, compile); then translate the gaps it lists.
"""

import html.parser
import re
from io import BytesIO
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import read_po, write_po
from jinja2 import Environment
from jinja2.lexer import TOKEN_BLOCK_BEGIN, TOKEN_BLOCK_END, TOKEN_DATA, TOKEN_NAME

from config import LANGUAGES
from tests.support import ROOT

TRANSLATIONS = ROOT / "bazaar" / "translations"
TEMPLATES = ROOT / "templates"
COMPLETE_LANGUAGES = ("sv", "en")
VISITOR_LANGUAGES = tuple(code for code in LANGUAGES if code not in COMPLETE_LANGUAGES)

# Where visitors read text: page templates, their emails, and the Python modules whose forms,
# flash messages, errors and calendar entries they see.
VISITOR_PATHS = (
    "templates/base.html",
    "templates/about/",
    "templates/macros/",
    "templates/errors/",
    "templates/events/home.html",
    "templates/events/event.html",
    "templates/accounts/",
    "templates/registrations/",
    "templates/booking/",
    "templates/checkin/ticket",
    "templates/checkin/badge",
    "templates/stats/survey",
    "templates/emails/",
    "templates/matching/invitation",
    "templates/matching/_recommendations",
    "templates/activities/",
    "templates/coaching/member_",
    "templates/coaching/_member_ticket",
    "bazaar/accounts/",
    "bazaar/registrations/",
    "bazaar/booking/",
    "bazaar/stats/forms.py",
    "bazaar/errors.py",
    "bazaar/forms.py",
    "bazaar/occupations.py",
    "bazaar/matching/services.py",
    "bazaar/matching/views.py",
    "bazaar/activities/labels.py",
    "bazaar/activities/services.py",
    "bazaar/activities/views.py",
    "bazaar/coaching/member_forms.py",
    "bazaar/coaching/members.py",
)
# Pages and emails within those folders that only staff (exhibitors, organisers, door volunteers) see.
STAFF_PATHS = (
    "templates/activities/staff/",
    "templates/registrations/organiser",
    "bazaar/registrations/organiser_questions.py",
    "templates/accounts/invitation",
    "bazaar/accounts/invitations.py",
    "templates/emails/event_staff",
    "templates/emails/application_",
    "templates/emails/exhibitor",
    "templates/emails/outcome_nudge",
    "templates/emails/staff",
)
# Visitor-facing names inside staff modules: the survey's answer labels live with the statistics,
# the employment types (job cards, the directory's filter) with the exhibitors' models.
VISITOR_NAMES = {
    "bazaar/stats/labels.py": ("SURVEY_RESULTS",),
    "bazaar/exhibitors/models.py": ("EMPLOYMENT_TYPE_LABELS",),
}


def _line_ranges(path: str, names) -> list[range]:
    import ast

    tree = ast.parse((ROOT / path).read_text(encoding="utf-8"))
    return [
        range(node.lineno, node.end_lineno + 1)
        for node in tree.body
        if isinstance(node, (ast.Assign, ast.AnnAssign))
        and any(getattr(t, "id", None) in names for t in getattr(node, "targets", [getattr(node, "target", None)]))
    ]


VISITOR_LINES = {path: _line_ranges(path, names) for path, names in VISITOR_NAMES.items() if (ROOT / path).exists()}

# Words a template may show without translation: names and abbreviations that are the same in every language.
UNTRANSLATED_ALLOWED = {"Bazaar", "QR", "ICS", "XLSX", "CSV", "URL", "ID", "E-mail", "SMS"}
HUMAN_ATTRIBUTES = ("alt", "title", "placeholder", "aria-label", "aria-description", "aria-roledescription")
LETTERS = re.compile(r"[^\W\d_]{2,}")


def is_human_text(text: str) -> bool:
    """True when ``text`` has a word (two letters or more) that is not on the allow-list."""
    return bool(LETTERS.search(" ".join(w for w in text.split() if w.strip(".,:;!?()") not in UNTRANSLATED_ALLOWED)))


def extract_messages() -> Catalog:
    """Extract every marked string the way ``bin/i18n`` does (same babel.cfg, same keywords)."""
    with (ROOT / "babel.cfg").open() as fh:
        method_map, options_map = parse_mapping_cfg(fh, "babel.cfg")
    keywords = {**DEFAULT_KEYWORDS, "_l": None, "lazy_gettext": None}
    catalog = Catalog(locale="en")
    for filename, lineno, message, comments, context in extract_from_dir(
        str(ROOT), method_map, options_map, keywords=keywords
    ):
        catalog.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
    return catalog


@pytest.fixture(scope="module")
def extracted(tmp_path_factory) -> Catalog:
    """The strings the code uses now, also written to a temporary .pot for inspection."""
    catalog = extract_messages()
    pot = tmp_path_factory.mktemp("i18n") / "messages.pot"
    with pot.open("wb") as fh:
        write_po(fh, catalog)
    return catalog


def load_po(lang: str) -> Catalog:
    with (TRANSLATIONS / lang / "LC_MESSAGES" / "messages.po").open("rb") as fh:
        return read_po(fh, locale=lang)


def is_visitor_facing(message) -> bool:
    def visitor(path: str, line: int) -> bool:
        if any(line in lines for lines in VISITOR_LINES.get(path, ())):
            return True
        return path.startswith(VISITOR_PATHS) and not path.startswith(STAFF_PATHS)

    return any(visitor(path, line) for path, line in message.locations)


def is_translated(message) -> bool:
    if message is None or message.fuzzy:
        return False
    strings = message.string if isinstance(message.string, (tuple, list)) else (message.string,)
    return bool(strings) and all(strings)


def describe(message) -> str:
    where = ", ".join(f"{p}:{n}" for p, n in message.locations[:2])
    return f"{message.id!r} ({where})"


@pytest.mark.parametrize("lang", list(LANGUAGES))
def test_catalog_translates_every_message_in_its_scope(extracted, lang):
    catalog = load_po(lang)
    needed = [m for m in extracted if m.id and (lang in COMPLETE_LANGUAGES or is_visitor_facing(m))]
    assert needed, "nothing was extracted: is babel.cfg right?"
    missing = [describe(m) for m in needed if not is_translated(catalog.get(m.id, m.context))]
    assert not missing, (
        f"{len(missing)} of {len(needed)} messages untranslated in {lang}; run bin/i18n "
        f"and translate them in bazaar/translations/{lang}/LC_MESSAGES/messages.po:\n" + "\n".join(missing)
    )


def test_visitor_scope_covers_the_visitor_pages(extracted):
    """The scope is not empty by mistake: the start page's and the login form's text are in it."""
    visitor_ids = {m.id for m in extracted if is_visitor_facing(m)}
    assert {"Upcoming fairs", "Log in", "Skip to content", "Email"} <= visitor_ids
    assert {"Subsidised entry job", "Permanent", "Seasonal"} <= visitor_ids  # on job cards and filters
    assert "Create an event" not in visitor_ids  # organiser-only


@pytest.mark.parametrize("lang", list(LANGUAGES))
def test_translations_keep_their_placeholders(lang):
    """A translation that drops or renames %(name)s would crash the page that formats it."""
    problems = []
    for message, errors in load_po(lang).check():
        problems += [f"{message.id!r}: {error}" for error in errors]
    assert not problems, "\n".join(problems)


def _hashable(value):
    return tuple(value) if isinstance(value, (list, tuple)) else value


@pytest.mark.parametrize("lang", list(LANGUAGES))
def test_compiled_catalog_matches_its_po_file(lang):
    """The committed .mo is what the app loads: it must hold exactly the .po's translations."""
    po = load_po(lang)
    expected = BytesIO()
    write_mo(expected, po)
    expected.seek(0)
    mo_path = TRANSLATIONS / lang / "LC_MESSAGES" / "messages.mo"
    assert mo_path.exists(), "run bin/i18n to compile the catalogs"
    with mo_path.open("rb") as fh:
        compiled = {_hashable(m.id): _hashable(m.string) for m in read_mo(fh) if m.id}
    wanted = {_hashable(m.id): _hashable(m.string) for m in read_mo(expected) if m.id}
    assert compiled == wanted, f"{mo_path} is stale: run bin/i18n"


class _TextFinder(html.parser.HTMLParser):
    """Collects text nodes and human-readable attributes of a template with Jinja code blanked out."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[int, str]] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self._skip += 1
        for name, value in attrs:
            if value and (
                name in HUMAN_ATTRIBUTES
                or (tag == "input" and name == "value" and dict(attrs).get("type") in ("submit", "button"))
            ):
                self._check(value)

    def handle_endtag(self, tag):
        if tag in ("script", "style") and self._skip:
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip:
            self._check(data)

    def _check(self, text):
        text = " ".join(text.split())
        if is_human_text(text):
            self.found.append((self.getpos()[0], text))


def template_text_outside_code(source: str) -> str:
    """The template with every ``{{ }}`` replaced by a neutral mark and every ``{% %}`` and
    ``{% trans %}...{% endtrans %}`` removed, so only literal text remains (line numbers kept)."""
    env = Environment(extensions=["jinja2.ext.i18n"])
    out: list[str] = []
    line = 1
    in_trans = 0
    in_block, block = False, []
    for lineno, token_type, value in env.lex(source):
        if token_type == TOKEN_BLOCK_BEGIN:
            in_block, block = True, []
        elif token_type == TOKEN_BLOCK_END:
            in_block = False
            if block[:1] == ["trans"]:
                in_trans += 1
            elif block[:1] == ["endtrans"]:
                in_trans -= 1
        elif in_block and token_type == TOKEN_NAME:
            block.append(value)
        text = value if token_type == TOKEN_DATA else "0" if token_type == "variable_begin" else ""
        if in_trans or not text:
            continue
        if lineno > line:
            out.append("\n" * (lineno - line))
            line = lineno
        out.append(text)
        line += text.count("\n")
    return "".join(out)


def unmarked_text(path: Path) -> list[str]:
    source = path.read_text(encoding="utf-8")
    literal = template_text_outside_code(source)
    rel = path.relative_to(ROOT)
    if path.suffix == ".html":
        finder = _TextFinder()
        finder.feed(literal)
        finder.close()
        return [f"{rel}:{line}: {text!r}" for line, text in finder.found]
    found = []
    for lineno, line in enumerate(literal.splitlines(), 1):
        words = [w for w in line.split() if not re.match(r"^(https?:|/|\{|\S*[@/=]\S*$)", w)]
        text = " ".join(words)
        if is_human_text(text):
            found.append(f"{rel}:{lineno}: {text!r}")
    return found


def test_template_scanner_finds_unmarked_text_and_accepts_marked_text(tmp_path):
    sample = tmp_path / "sample.html"
    sample.write_text(
        '<h1>{{ _("Hello") }}</h1>\n<p title="Plain title">Book now</p>\n'
        '<option value="{{ code }}" {% if on %}selected{% endif %}>{{ name }}</option>\n'
        '{% trans %}Marked block{% endtrans %} <b>Bazaar</b> <img alt="{{ _("Logo") }}">\n'
    )
    found = _TextFinder()
    found.feed(template_text_outside_code(sample.read_text()))
    assert [text for _line, text in found.found] == ["Plain title", "Book now"]


def test_templates_have_no_text_left_unmarked_for_translation():
    templates = sorted(p for p in TEMPLATES.rglob("*") if p.suffix in (".html", ".txt"))
    assert templates
    problems = [problem for path in templates for problem in unmarked_text(path)]
    assert not problems, 'Wrap these in {{ _("...") }} (or add a name to UNTRANSLATED_ALLOWED):\n' + "\n".join(problems)
