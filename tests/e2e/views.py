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


def volume_rows(driver, monitor_id: str) -> dict:
    """A volume monitor's rows in the window's monitor list: event -> (state, text)."""
    return json.loads(driver.execute_script("""
        const rows = document.querySelectorAll(
            `li.monitor[data-monitor-id="${arguments[0]}"] .volume-stream[data-event]`);
        return JSON.stringify(Object.fromEntries([...rows].map(
            r => [r.dataset.event, [r.dataset.state, r.textContent]])));""", monitor_id))


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


def data_attribute(driver, css: str, key: str):
    """`data-<key>` of the first element matching `css`, read in one call: the window
    re-renders an incident whenever its estimate grows, so an element found first and
    read afterwards may be gone."""
    return driver.execute_script(
        "return document.querySelector(arguments[0])?.dataset[arguments[1]] ?? null", css, key)


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


def incident_view(driver, monitor_id: str) -> dict | None:
    """The open incident of `monitor_id` as the window shows it, read in one call."""
    return json.loads(driver.execute_script("""
        const li = document.querySelector(
            `#open-incidents li.incident[data-monitor-id="${arguments[0]}"]`);
        if (!li) return "null";
        const text = (s) => li.querySelector(s)?.textContent ?? null;
        const link = li.querySelector('.likely-cause a');
        return JSON.stringify({
          id: li.dataset.incidentId,
          kind: li.dataset.kind,
          kindTag: text('.kind-tag'),
          title: text('.incident-title'),
          summary: text('.incident-summary'),
          drops: [...li.querySelectorAll('.event-drop')].map(tr => ({
            event: tr.dataset.event,
            cells: [...tr.cells].map(c => c.textContent.trim()),
          })),
          cause: link && {text: link.textContent, target: link.dataset.incidentLink,
                          href: link.getAttribute('href'),
                          line: li.querySelector('.likely-cause').textContent},
          checklist: [...li.querySelectorAll('.checklist li')].map(i => i.textContent),
          clock: {label: text('.incident-clock .muted')?.trim(), text: text('.incident-duration'),
                  running: li.querySelector('.incident-duration')?.dataset.startedAt ?? null},
        });""", monitor_id))


def viewable_window(title: str):
    """The id of a viewable top-level X window titled `title`, or None."""
    from Xlib import X, display
    d = display.Display()
    try:
        net_wm_name, utf8 = d.intern_atom("_NET_WM_NAME"), d.intern_atom("UTF8_STRING")
        for win in d.screen().root.query_tree().children:
            try:
                if win.get_attributes().map_state != X.IsViewable:
                    continue
                prop = win.get_full_property(net_wm_name, utf8)
                name = prop.value if prop else win.get_wm_name()
            except Exception:
                continue  # the window went away while we looked
            if isinstance(name, bytes):
                name = name.decode("utf-8", "replace")
            if name == title:
                return win.id
        return None
    finally:
        d.close()


# ---------------------------------------------------------------------- detail windows
def open_window_from(driver, css: str, what: str, timeout: float = 20) -> str:
    """Clicks `css` in the current window, waits for a new webview window and switches
    WebDriver to it; returns its handle."""
    before = set(driver.window_handles)
    wait_until(lambda: click(driver, css), 10, f"to click {css}")
    handle = wait_until(lambda: next(iter(set(driver.window_handles) - before), None), timeout,
                        f"a new window: {what}", describe=lambda: str(driver.window_handles))
    driver.switch_to.window(handle)
    wait_until(lambda: driver.execute_script(
        "return document.querySelector('#detail')?.getAttribute('aria-busy') === 'false'"),
        20, f"{what} to finish loading", describe=lambda: detail_state(driver))
    return handle


def detail_view(driver) -> dict:
    """What an incident's detail window shows, read in one call. For each chart panel:
    its canvas size, how many pixels are painted, and the canvas pixels (RGBA) sampled
    inside the shaded incident window and just left of it, near the top of the plot."""
    return json.loads(driver.execute_script("""
        const q = (s, root = document) => [...root.querySelectorAll(s)];
        const text = (s) => document.querySelector(s)?.textContent ?? null;
        const chart = document.querySelector('#chart');
        const figure = document.querySelector('#impact-figure');
        const panels = q('.chart-panel').map(p => {
          const canvas = p.querySelector('canvas');
          const out = {event: p.dataset.event, canvases: q('canvas', p).length,
                       shade: p.dataset.shade ?? null};
          if (!canvas) return out;
          const ctx = canvas.getContext('2d');
          const img = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
          let painted = 0;
          for (let i = 3; i < img.length; i += 4) if (img[i] > 0) painted++;
          Object.assign(out, {width: canvas.width, height: canvas.height, painted});
          if (out.shade) {
            const [x0, x1, top, bottom] = out.shade.split(',').map(Number);
            const ys = [0.02, 0.04, 0.06, 0.08, 0.1].map(f => Math.round(top + 2 + f * (bottom - top)));
            const px = (x, y) => [...ctx.getImageData(x, y, 1, 1).data];
            out.inside = ys.map(y => px(Math.round((x0 + x1) / 2), y));
            out.outside = x0 > 30 ? ys.map(y => px(x0 - 17, y)) : [];
          }
          return out;
        });
        return JSON.stringify({
          title: document.title,
          heading: text('#detail-title'),
          alerts: text('#alerts'),
          facts: Object.fromEntries(q('#facts [data-fact]').map(f =>
                   [f.dataset.fact, f.querySelector('dd').textContent])),
          drops: q('#facts .event-drop').map(tr => tr.dataset.event),
          impact: figure && {state: figure.dataset.impact, figure: figure.textContent,
                             inputs: text('#impact-body .impact-inputs'),
                             meta: text('#impact-body .impact-meta')},
          chartShown: !document.querySelector('#chart-section').hidden,
          chart: chart && {role: chart.getAttribute('role'), label: chart.getAttribute('aria-label'),
                           xMin: Number(chart.dataset.xMin), xMax: Number(chart.dataset.xMax),
                           panels,
                           zoom: Object.fromEntries(q('[data-zoom]').map(b =>
                                   [b.textContent, b.getAttribute('aria-pressed')])),
                           totals: q('#chart-totals tbody tr').map(tr =>
                                   [tr.dataset.event, ...[...tr.cells].map(c => c.textContent)])},
          cause: q('#linked [data-role="cause"]').map(li => li.dataset.incidentId),
          effects: q('#linked [data-role="effect"]').map(li => li.dataset.incidentId),
          updates: q('#updates .update-body').map(p => p.textContent),
          updateElements: q('#updates .update-body *').map(e => e.tagName),
          updatesFrom: text('#updates .updates-source'),
          ack: text('#ack .ack-info'),
        });"""))


def detail_state(driver) -> str:
    """A detail window's state for failure messages (without the pixels)."""
    try:
        view = detail_view(driver)
    except Exception as e:
        return f"cannot read the detail window: {e}"
    for panel in (view.get("chart") or {}).get("panels", []):
        panel.pop("inside", None)
        panel.pop("outside", None)
    return json.dumps(view, indent=1)
