"""Brazilian Portuguese is complete: the catalogue covers every string in the code, and the
main pages rendered in pt-br contain no English string from the project's own catalogue."""

import html
import re
import shutil
import subprocess
import sys
from pathlib import Path

import polib
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.factories import file_ticket
from tickets import services

ROOT = Path(__file__).resolve().parent.parent
PO = ROOT / "locale" / "pt_BR" / "LC_MESSAGES" / "django.po"


def catalogue() -> polib.POFile:
    return polib.pofile(str(PO))


def test_every_entry_is_translated_and_none_is_fuzzy():
    po = catalogue()
    untranslated = [e.msgid for e in po.untranslated_entries()]
    fuzzy = [e.msgid for e in po.fuzzy_entries()]
    assert not untranslated, untranslated[:20]
    assert not fuzzy, fuzzy[:20]


def test_the_catalogue_has_every_string_of_the_code(tmp_path):
    """makemessages on a copy of the sources finds no message the catalogue lacks."""
    copy = tmp_path / "src"
    shutil.copytree(ROOT, copy, ignore=shutil.ignore_patterns(
        ".venv", ".git", "var", "staticfiles", "node_modules", "__pycache__", "bench"))
    result = subprocess.run(
        [sys.executable, "manage.py", "makemessages", "-l", "pt_BR", "--ignore=tests",
         "--ignore=bench", "--no-location", "-v", "0"],
        cwd=copy, capture_output=True, text=True, timeout=120, check=False,
        env={"PATH": "/usr/bin:/bin", "DEBUG": "true", "PORTAL_VAR_DIR": str(tmp_path / "var")},
    )
    assert result.returncode == 0, result.stderr
    fresh = polib.pofile(str(copy / "locale" / "pt_BR" / "LC_MESSAGES" / "django.po"))
    committed = {(e.msgctxt, e.msgid) for e in catalogue() if not e.obsolete}
    missing = sorted(e.msgid for e in fresh if not e.obsolete
                     and (e.msgctxt, e.msgid) not in committed)
    assert not missing, missing[:20]


def _english_phrases() -> list[str]:
    """Catalogue sentences worth looking for: long enough to be unambiguous, no
    placeholders or markup, and actually different in Portuguese."""
    phrases = []
    for entry in catalogue():
        text = entry.msgid
        if (len(text) >= 14 and " " in text and "%" not in text and "<" not in text
                and "{" not in text and entry.msgstr and entry.msgstr != text):
            phrases.append(text)
    return phrases


def _visible_text(page: str) -> str:
    page = re.sub(r"(?s)<(script|style)\b.*?</\1>", " ", page)
    page = re.sub(r"<[^>]+>", " ", page)
    return " ".join(html.unescape(page).split())


@pytest.fixture
def pages(db, client, contact_a, engineer, tam, expert, company_a, settings, tmp_path):
    settings.PRIVATE_MEDIA_ROOT = tmp_path
    ticket = file_ticket(contact_a, severity=1)
    services.comment_add(ticket=ticket, author=engineer, body="Olá", files=[
        SimpleUploadedFile("log.txt", b"log")])
    return {
        contact_a: ["/tickets/", "/tickets/new/", f"/tickets/{ticket.pk}/", "/notifications/",
                    "/signature-requests/", "/signature-requests/new/"],
        engineer: ["/queue/", "/tickets/phone/", f"/tickets/{ticket.pk}/",
                   "/signature-requests/"],
        tam: ["/tam/", f"/tam/accounts/{company_a.pk}/"],
        expert: ["/signature-requests/"],
    }


def test_the_main_pages_in_pt_br_show_no_english_from_the_catalogue(client, pages):
    phrases = _english_phrases()
    assert len(phrases) > 100  # the check has teeth
    leaks: list[tuple[str, str]] = []
    for user, urls in pages.items():
        client.force_login(user)
        for url in urls:
            response = client.get(url, headers={"accept-language": "pt-BR,pt;q=0.9"})
            assert response.status_code == 200, (url, response.status_code)
            text = _visible_text(response.content.decode())
            assert 'lang="pt-br"' in response.content.decode()
            leaks += [(url, p) for p in phrases if p in text]
    assert not leaks, leaks[:20]


def test_the_login_page_in_pt_br(client):
    text = _visible_text(client.get("/accounts/login/",
                                    headers={"accept-language": "pt-BR"}).content.decode())
    assert "Entrar no Suporte Premium" in text
    assert not [p for p in _english_phrases() if p in text]
