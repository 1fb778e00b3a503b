"""The pages without a browser: each is served, its assets exist, its scripts parse, and
every text it shows exists in both Simplified Chinese and English.

The browser tests (Playwright) drive the same pages; these catch the cheap mistakes fast.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import textwrap
from datetime import datetime
from pathlib import Path
from typing import get_args
from zoneinfo import ZoneInfo

import httpx
import pytest
from fastapi import FastAPI

from api.routers import pages
from hub import absences, texts
from hub.alerts import OUTCOMES

STATIC = pages.STATIC
NODE = shutil.which("node")
PAGES = ("/login", "/console", "/family", "/admin")
SCRIPTS = [*sorted((STATIC / "js").glob("*.js")), STATIC / "sw.js"]
MARKUP = sorted(STATIC.glob("*.html"))
STRINGS = json.loads((STATIC / "i18n" / "strings.json").read_text(encoding="utf-8"))
LANGS = ("zh", "en")


@pytest.fixture
async def client():
    app = FastAPI()
    app.include_router(pages.router)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://hub.test") as http:
        yield http


def sources() -> dict[Path, str]:
    return {path: path.read_text(encoding="utf-8") for path in [*SCRIPTS, *MARKUP]}


def local_assets(html: str) -> list[str]:
    return re.findall(r'(?:src|href)="(/[^"]*)"', html)


# -- served ----------------------------------------------------------------------------------


async def test_the_app_serves_the_pages():
    from api.app import create_app
    from hub.settings import HubSettings

    # The pages need no hub, so the app is called without its lifespan.
    transport = httpx.ASGITransport(app=create_app(HubSettings()))
    async with httpx.AsyncClient(transport=transport, base_url="http://hub.test") as http:
        for path in ("/login", "/console", "/family", "/family/sw.js"):
            response = await http.get(path)
            assert response.status_code == 200, path
        assert (await http.get("/")).headers["location"].endswith("/login")


@pytest.mark.parametrize("path", PAGES)
async def test_each_page_is_html_with_all_its_assets_served(client, path):
    response = await client.get(path)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    html = response.text
    assert '<script type="module"' in html and "<script>" not in html  # CSP: no inline script
    assert " style=" not in html
    for asset in local_assets(html):
        served = await client.get(asset)
        assert served.status_code == 200, asset
        if asset.endswith(".js"):
            assert "javascript" in served.headers["content-type"], asset


async def test_the_root_sends_to_the_login_page(client):
    response = await client.get("/", follow_redirects=False)
    assert response.status_code in (302, 303, 307)
    assert response.headers["location"] == "/login"


async def test_static_files_stay_inside_the_static_folder(client):
    for path in (
        "/static/../routers/pages.py",
        "/static/%2e%2e/routers/pages.py",
        "/static/..%2frouters%2fpages.py",
        "/static/nothing-here.js",
    ):
        assert (await client.get(path)).status_code == 404, path


async def test_the_family_app_is_installable(client):
    response = await client.get("/family/manifest.webmanifest")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/manifest+json")
    manifest = response.json()
    assert manifest["start_url"] == "/family" and manifest["scope"] == "/family"
    assert manifest["display"] == "standalone" and manifest["name"] and manifest["short_name"]
    sizes = set()
    for icon in manifest["icons"]:
        served = await client.get(icon["src"])
        assert served.status_code == 200, icon["src"]
        if icon["type"] == "image/png":
            body = served.content
            assert body[:8] == b"\x89PNG\r\n\x1a\n", icon["src"]
            width, height = int.from_bytes(body[16:20]), int.from_bytes(body[20:24])
            assert icon["sizes"] == f"{width}x{height}", icon["src"]
            sizes.add(width)
    assert {192, 512} <= sizes


async def test_the_service_worker_controls_the_family_page_and_caches_its_whole_shell(client):
    response = await client.get("/family/sw.js")
    assert response.status_code == 200
    assert "javascript" in response.headers["content-type"]
    # The worker lives under /family/ and must also control /family itself.
    assert response.headers["service-worker-allowed"] == "/family"
    family_js = (STATIC / "js" / "family.js").read_text(encoding="utf-8")
    assert 'register("/family/sw.js", { scope: "/family" })' in family_js

    shell = set(re.findall(r'"(/[^"]+)"', response.text.split("];")[0]))
    for path in shell:
        assert (await client.get(path)).status_code == 200, path
    # Everything the family page loads, down to the last imported module, works offline.
    needed = {"/family", *local_assets((await client.get("/family")).text)}
    pending = ["family.js"]
    while pending:
        module = pending.pop()
        needed.add(f"/static/js/{module}")
        code = (STATIC / "js" / module).read_text(encoding="utf-8")
        for imported in re.findall(r'from "\./([\w-]+\.js)"', code):
            if f"/static/js/{imported}" not in needed:
                pending.append(imported)
    needed.add("/static/i18n/strings.json")
    assert needed - shell == set()


# -- scripts ---------------------------------------------------------------------------------


@pytest.mark.skipif(NODE is None, reason="node is not installed")
@pytest.mark.parametrize("script", SCRIPTS, ids=lambda path: path.name)
def test_each_script_parses(script):
    result = subprocess.run([NODE, "--check", str(script)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_modules_import_only_files_that_exist():
    for script in (STATIC / "js").glob("*.js"):
        for imported in re.findall(r'from "(\./[^"]+)"', script.read_text(encoding="utf-8")):
            assert (script.parent / imported).is_file(), f"{script.name} imports {imported}"


# -- texts -----------------------------------------------------------------------------------


def placeholders(text: str) -> set[str]:
    return set(re.findall(r"\{(\w+)\}", text))


def test_both_languages_have_the_same_keys_and_placeholders():
    assert set(STRINGS) == set(LANGS)
    assert STRINGS["zh"].keys() == STRINGS["en"].keys()
    for key, zh in STRINGS["zh"].items():
        en = STRINGS["en"][key]
        assert zh.strip() and en.strip(), key
        assert placeholders(zh) == placeholders(en), key


def used_keys() -> set[tuple[Path, str]]:
    """Keys named in the markup and the scripts: i18n attributes, and any string literal
    that starts with one of the dictionary's groups ("login.failed", "card.call", ...)."""
    groups = {key.split(".")[0] for key in STRINGS["zh"]}
    used = set()
    for path, text in sources().items():
        for key in re.findall(r'data-i18n(?:-[a-z-]+)?"?\s*[=:]\s*"([^"]+)"', text):
            used.add((path, key))
        for key in re.findall(r'\.dataset\.i18n\s*=\s*"([^"]+)"', text):
            used.add((path, key))
        for literal in re.findall(r'"([a-z_]+\.[a-z0-9_.]+)"', text):
            if literal.split(".")[0] in groups and not literal.endswith((".js", ".json")):
                used.add((path, literal))
    return used


def test_every_text_used_on_a_page_exists_in_both_languages():
    used = used_keys()
    assert len(used) > 100  # the extraction itself works
    for path, key in used:
        for lang in LANGS:
            assert key in STRINGS[lang], f"{path.name} uses {key!r}, missing in {lang}"


def test_names_built_from_codes_exist_for_every_code():
    """Keys made at run time (named("kind", code), ...) cover every code."""
    codes = {
        "kind": texts.KIND_NAMES,
        "severity": texts.SEVERITY_NAMES,
        "outcome": [*OUTCOMES, "recovered"],
        "change": texts.CHANGE_NAMES,
        "state": [
            "active_unacknowledged",
            "active_acknowledged",
            "cleared_unacknowledged",
            "cleared_acknowledged",
            "resolved",
        ],
        "conn": ["connecting", "live", "reconnecting"],
        "devices": ["online", "offline", "never"],
        "home": ["online", "offline", "unknown"],
        "audience": ["station", "family", "caregiver", "head_nurse"],
        "what": ["door_open", "door_closed", "motion", "presence", "absent", "got_up", "alert"],
        "away_state": get_args(absences.State),
    }
    for group, names in codes.items():
        for name in names:
            assert f"{group}.{name}" in STRINGS["zh"], f"{group}.{name}"


def test_alert_names_mirror_the_notification_texts():
    for group, names in (("kind", texts.KIND_NAMES), ("severity", texts.SEVERITY_NAMES)):
        for code, by_lang in names.items():
            for lang in LANGS:
                assert STRINGS[lang][f"{group}.{code}"] == by_lang[lang], (group, code, lang)
    for code, by_lang in texts.OUTCOME_NAMES.items():
        assert STRINGS["zh"][f"outcome.{code}"] == by_lang["zh"]
        assert STRINGS["en"][f"outcome.{code}"].lower() == by_lang["en"].lower()


def test_no_text_is_written_into_the_markup_or_the_scripts():
    """Every Chinese word comes from strings.json, so every one has its English twin."""
    han = re.compile(r"[\u3400-\u9fff\uff00-\uffef\u3000-\u303f]")
    for path, text in sources().items():
        code = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
        code = re.sub(r"<!--.*?-->", "", code, flags=re.S)
        for number, line in enumerate(code.splitlines(), 1):
            line = re.sub(r"(^|\s)//.*$", "", line)
            assert not han.search(line), f"{path.name}:{number}: {line.strip()}"


def test_the_outcomes_offered_are_the_hubs():
    console = (STATIC / "js" / "console.js").read_text(encoding="utf-8")
    offered = re.search(r"const OUTCOMES = \[([^\]]*)\]", console)
    assert offered is not None
    assert tuple(re.findall(r'"(\w+)"', offered.group(1))) == OUTCOMES


def test_the_elements_browser_tests_find_are_there():
    everything = "\n".join(sources().values())
    for testid in (
        "alert-item",
        "alert-state",
        "ack-button",
        "assign-input",
        "assign-button",
        "comment-input",
        "comment-button",
        "outcome-select",
        "resolve-button",
        "handled-by",
        "family-alert",
        "login-username",
        "login-password",
        "login-submit",
        "logout-button",
        "lang-toggle",
        "accel-window",
    ):
        assert re.search(rf'data-testid"?\s*[=:]\s*"{testid}"', everything), testid
    console = (STATIC / "js" / "console.js").read_text(encoding="utf-8")
    for attribute in ("data-alert-id", "data-kind", "data-state"):
        assert f'"{attribute}"' in console


# -- the evidence reads as in the notifications ----------------------------------------------

EVIDENCE_CASES = [
    ("fall", {"peak_g": 4.23, "still_s": 45.0}),
    ("fall", {"peak_g": 4.25, "still_s": 150}),
    ("fall", {"peak_g": 4.75, "still_s": 7300}),
    ("fall", {"peak_g": 0.15}),
    ("fall", {"peak_g": True, "still_s": ""}),
    ("fall", {"source": "radar"}),
    ("fall", {"source": "radar", "device": "radar_bath", "role": "bathroom"}),
    ("fall", {"source": "radar", "role": "bedroom", "suspected_for_s": 60}),
    ("fall", {"source": "device_flag", "device": "band", "role": "wrist"}),
    ("fall", {}),
    ("abnormal_heart_rate", {"heart_rate": 135.0, "duration_min": 20}),
    ("low_spo2", {"spo2": 86, "duration_min": 12.04}),
    ("no_activity", {"inactive_h": 3.5}),
    ("not_up", {"deadline": "09:00"}),
    ("night_wandering", {"door_opened": "23:40"}),
    ("long_bathroom_stay", {"minutes": 52.449}),
    ("not_returned_home", {"left_at": "14:05", "out_h": 5.75}),
    ("device_offline", {"device": "sos1", "silent_s": 3600}),
    ("battery_low", {"device": "band", "battery_pct": 12}),
    ("battery_low", {"battery_pct": 4.95}),
    ("gas_leak", {"ppm": 300}),
]


@pytest.mark.skipif(NODE is None, reason="node is not installed")
def test_pages_show_the_evidence_in_the_words_the_hub_gives_it(tmp_path):
    """The hub words an alert's evidence once (the API's ``evidence_text``, the SMS's
    words); a page shows it in its language, or the kind's name when there are no words."""
    script = tmp_path / "evidence.mjs"
    script.write_text(
        textwrap.dedent(
            f"""
            import {{ readFileSync }} from "node:fs";
            import {{ setLang, useStrings }} from "{(STATIC / "js" / "i18n.js").as_uri()}";
            import {{ evidenceText }} from "{(STATIC / "js" / "format.js").as_uri()}";
            useStrings(JSON.parse(readFileSync(process.argv[2], "utf8")));
            const alerts = JSON.parse(readFileSync(process.argv[3], "utf8"));
            const out = {{}};
            for (const lang of ["zh", "en"]) {{
              setLang(lang, {{ remember: false }});
              out[lang] = alerts.map((alert) => evidenceText(alert));
            }}
            console.log(JSON.stringify(out));
            """
        ),
        encoding="utf-8",
    )
    alerts = [
        {
            "kind": kind,
            "evidence_text": {lang: texts.evidence_text(kind, ev, lang=lang) for lang in LANGS},
        }
        for kind, ev in EVIDENCE_CASES
    ] + [{"kind": "fall"}]  # an alert from an older hub, without words
    cases = tmp_path / "alerts.json"
    cases.write_text(json.dumps(alerts), encoding="utf-8")
    strings = STATIC / "i18n" / "strings.json"
    result = subprocess.run(
        [NODE, str(script), str(strings), str(cases)], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    shown = json.loads(result.stdout)
    for lang in LANGS:
        expected = [texts.evidence_text(kind, ev, lang=lang) for kind, ev in EVIDENCE_CASES]
        assert shown[lang] == [*expected, texts.KIND_NAMES["fall"][lang]]


# A wall clock in a zone, as a form reads one: (zone, datetime-local value); the clocks
# skip Berlin's 02:30 on 2026-03-29 and repeat it on 2026-10-25, New York's likewise.
WALL_CLOCKS = [
    ("Asia/Shanghai", "2026-12-05T20:00"),
    ("Europe/Berlin", "2026-12-05T20:00"),
    ("Europe/Berlin", "2026-03-29T02:30"),
    ("Europe/Berlin", "2026-10-25T02:30"),
    ("America/New_York", "2026-03-08T02:30"),
    ("America/New_York", "2026-11-01T01:30"),
    ("Asia/Kolkata", "2026-07-01T23:45"),
]


@pytest.mark.skipif(NODE is None, reason="node is not installed")
def test_a_form_reads_a_time_as_the_places_wall_clock_whatever_the_browsers_zone(tmp_path):
    """The shift form reads its start in the institution's zone (format.js wallClockMs) and
    sends it with that zone's offset (zonedIso), as the hub's zoneinfo reads the same wall
    clock: from a browser whose own zone is Auckland's."""
    script = tmp_path / "wall.mjs"
    script.write_text(
        textwrap.dedent(
            f"""
            import {{ wallClockMs, zonedIso }} from "{(STATIC / "js" / "format.js").as_uri()}";
            const cases = JSON.parse(process.argv[2]);
            const out = cases.map(([zone, value]) => {{
              const at = wallClockMs(value, zone);
              return [at, zonedIso(at, zone)];
            }});
            console.log(JSON.stringify(out));
            """
        ),
        encoding="utf-8",
    )
    result = subprocess.run(
        [NODE, str(script), json.dumps(WALL_CLOCKS)],
        capture_output=True,
        text=True,
        env={**os.environ, "TZ": "Pacific/Auckland"},
    )
    assert result.returncode == 0, result.stderr
    expected = []
    for zone, value in WALL_CLOCKS:
        moment = datetime.fromisoformat(value).replace(tzinfo=ZoneInfo(zone))
        at = moment.timestamp()
        expected.append([at * 1000, datetime.fromtimestamp(at, ZoneInfo(zone)).isoformat()])
    assert json.loads(result.stdout) == expected


def test_every_line_the_hub_writes_in_an_alerts_history_has_words_on_the_pages():
    """An action the hub records (hub/*.py: ``record(session, alert, actor, "<action>",
    ...)``, and the channel problems of hub/notices.py) is told in plain words by
    format.js's historyText, not shown as its raw name."""
    hub_source = "\n".join(path.read_text() for path in (STATIC.parents[1] / "hub").glob("*.py"))
    recorded = set(
        re.findall(r"record\(\s*session,\s*alert,\s*(?:\"\w+\"|\w+),\s*\"(\w+)\"", hub_source)
    )
    recorded |= {"no_channel", "channel_failing"}
    assert {"acknowledged", "unacknowledged", "routed", "escalated"} <= recorded
    format_js = (STATIC / "js" / "format.js").read_text()
    assert sorted(a for a in recorded if f'case "{a}":' not in format_js) == []
