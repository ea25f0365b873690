"""What the app shows, read the way a person (or a script) would: the tray icon and menu
(StatusNotifierItem), the window's DOM (WebDriver) and the CLI's JSON."""
from __future__ import annotations

import json

from PIL import Image
from selenium.webdriver.common.by import By

from tray import TrayWatcher, icon_file
from util import DESKTOP, ICONS, AppHome, processes_of, run, wait_until


def cli_incidents(home: AppHome) -> list[dict]:
    r = run(home.cli() + ["incidents", "--json"], timeout=30)
    assert r.returncode == 0, f"flatline incidents --json exited {r.returncode}: {r.stderr}"
    try:
        return json.loads(r.stdout)
    except json.JSONDecodeError as e:
        raise AssertionError(f"flatline incidents --json printed no JSON ({e}): {r.stdout!r}")


def premultiplied(img: Image.Image) -> list[tuple[int, int, int, int]]:
    px = img.convert("RGBA").getdata()
    return [(r * a // 255, g * a // 255, b * a // 255, a) for r, g, b, a in px]


def icon_distance(shown: Image.Image, reference_path) -> float:
    """Mean absolute difference per channel (0 = identical, 255 = opposite) of two
    icons, transparent pixels counting as transparent whatever their colour."""
    ref = Image.open(reference_path).convert("RGBA")
    if ref.size != shown.size:
        ref = ref.resize(shown.size, Image.LANCZOS)
    a, b = premultiplied(shown), premultiplied(ref)
    return sum(abs(x - y) for p, q in zip(a, b) for x, y in zip(p, q)) / (4 * len(a))


def shown_icon(tray: TrayWatcher, item) -> tuple[str, dict]:
    """Which of icons/tray-*.png the tray item shows now: (best name, distances)."""
    props = tray.properties(item)
    path = icon_file(props)
    if path is None:
        raise AssertionError(f"no icon file for IconName={props.get('IconName')!r} "
                             f"IconThemePath={props.get('IconThemePath')!r}")
    shown = Image.open(path)
    shown.load()
    distances = {p.stem: round(icon_distance(shown, p), 2) for p in sorted(ICONS.glob("tray-*.png"))}
    best = min(distances, key=distances.get)
    return best, distances


def wait_tray_icon(tray: TrayWatcher, item, expected: str, timeout: float):
    """Wait until the item shows icons/<expected>.png, pixel for pixel (a distance of
    at most 1/255 per channel on average, and closer to it than to any other state)."""
    seen = {}

    def shows():
        best, distances = shown_icon(tray, item)
        seen["last"] = (best, distances)
        return best == expected and distances[expected] <= 1.0

    wait_until(shows, timeout, f"the tray icon to be icons/{expected}.png",
               describe=lambda: f"closest icon and distances: {seen.get('last')}")


def menu_labels(tray: TrayWatcher, item) -> list[str]:
    return [e.label for e in tray.menu(item) if e.visible]


def one(driver, css: str):
    found = driver.find_elements(By.CSS_SELECTOR, css)
    return found[0] if found else None


def click(driver, css: str) -> bool:
    el = one(driver, css)
    if el is None or not el.is_displayed() or not el.is_enabled():
        return False
    el.click()
    return True


def window_state(driver) -> str:
    """What the window shows, for failure messages."""
    return driver.execute_script("""
        const q = (s) => [...document.querySelectorAll(s)];
        return JSON.stringify({
          title: document.title,
          overall: document.querySelector('#overall')?.innerText,
          alerts: document.querySelector('#alerts')?.innerText,
          monitors: q('li.monitor').map(m => [m.dataset.monitorId, m.dataset.state, m.innerText]),
          open: q('#open-incidents li.incident').map(i => [i.dataset.incidentId,
                  i.dataset.monitorId, i.dataset.kind, i.dataset.acknowledged,
                  i.innerText.slice(0, 600)]),
          history: q('#history li.incident').map(i => [i.dataset.incidentId, i.dataset.open]),
        });""")


def app_pids(home: AppHome) -> list[int]:
    return processes_of(DESKTOP, str(home.data_dir))
