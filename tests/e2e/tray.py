"""The desktop panel's side of the system tray, for tests on a private session bus.

Under Xvfb nothing hosts StatusNotifierItems, and libayatana-appindicator (Tauri's tray
on Linux) silently falls back to an invisible legacy icon when no
org.kde.StatusNotifierWatcher is on the bus. `TrayWatcher` plays that watcher (and claims
a host) in a background thread with its own asyncio loop, records the items that
register, and lets a test read an item's properties, read its com.canonical.dbusmenu
layout and "click" a menu entry, as a panel does when the user clicks.
"""
from __future__ import annotations

import asyncio
import os
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from dbus_next import Message, MessageType, PropertyAccess, Variant
from dbus_next.aio import MessageBus
from dbus_next.service import ServiceInterface, dbus_property, method, signal

WATCHER_NAME = "org.kde.StatusNotifierWatcher"
WATCHER_PATH = "/StatusNotifierWatcher"
ITEM_IFACE = "org.kde.StatusNotifierItem"
MENU_IFACE = "com.canonical.dbusmenu"


def plain(value):
    """dbus-next values (Variants, nested) as plain Python values."""
    if isinstance(value, Variant):
        return plain(value.value)
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    return value


def menu_text(label: str) -> str:
    """A GTK menu label as shown: mnemonic underscores removed, "__" is a literal "_"."""
    return label.replace("__", "\0").replace("_", "").replace("\0", "_")


@dataclass
class MenuEntry:
    id: int
    label: str  # as shown, without mnemonic underscores
    props: dict
    depth: int

    @property
    def visible(self) -> bool:
        return self.props.get("visible", True)

    @property
    def enabled(self) -> bool:
        return self.props.get("enabled", True)


@dataclass
class TrayItem:
    bus_name: str  # the item's owner (unique or well-known name)
    path: str  # the item's object path
    registered_at: float
    pid: int | None = None
    log: list = field(default_factory=list)

    def __str__(self) -> str:
        return f"{self.bus_name}{self.path} (pid {self.pid})"


class _Watcher(ServiceInterface):
    def __init__(self, owner: "TrayWatcher"):
        super().__init__(WATCHER_NAME)
        self._owner = owner
        self.last_sender: str | None = None

    @method()
    def RegisterStatusNotifierItem(self, service: "s"):  # noqa: N802, F821
        # An item may register with its object path only: then its unique name (the
        # sender, remembered from the raw message) addresses it.
        sender = self.last_sender
        if service.startswith("/"):
            name, path = sender, service
        else:
            name, path = service, "/StatusNotifierItem"
        self._owner._registered(name, path)
        self.StatusNotifierItemRegistered(f"{name}{path}")

    @method()
    def RegisterStatusNotifierHost(self, service: "s"):  # noqa: N802, F821
        pass

    @dbus_property(access=PropertyAccess.READ)
    def RegisteredStatusNotifierItems(self) -> "as":  # noqa: N802, F821
        return [f"{i.bus_name}{i.path}" for i in self._owner.items() if i.bus_name]

    @dbus_property(access=PropertyAccess.READ)
    def IsStatusNotifierHostRegistered(self) -> "b":  # noqa: N802, F821
        # Claim a host, or appindicator decides nobody shows icons and falls back.
        return True

    @dbus_property(access=PropertyAccess.READ)
    def ProtocolVersion(self) -> "i":  # noqa: N802, F821
        return 0

    @signal()
    def StatusNotifierItemRegistered(self, item) -> "s":  # noqa: N802, F821
        return item

    @signal()
    def StatusNotifierItemUnregistered(self, item) -> "s":  # noqa: N802, F821
        return item

    @signal()
    def StatusNotifierHostRegistered(self):  # noqa: N802
        return None


class TrayWatcher:
    """Start with `start()` before the app; `stop()` at the end. Thread-safe: every
    public method may be called from the test's thread."""

    def __init__(self, log_path: Path | None = None):
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="tray-watcher",
                                        daemon=True)
        self._items: list[TrayItem] = []
        self._lock = threading.Lock()
        self._bus: MessageBus | None = None
        self._iface: _Watcher | None = None
        self._log_path = log_path
        self._log_file = open(log_path, "a", buffering=1) if log_path else None

    # ------------------------------------------------------------------ lifecycle
    def start(self, timeout: float = 10.0) -> None:
        self._thread.start()
        self._run(self._connect(), timeout)
        self.log(f"watcher ready as {WATCHER_NAME} on {os.environ.get('DBUS_SESSION_BUS_ADDRESS')}")

    def stop(self) -> None:
        if self._thread.is_alive():
            try:
                self._run(self._disconnect(), 5)
            except Exception as e:  # the bus may already be gone at the end of a session
                self.log(f"disconnect: {e}")
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=5)
        if self._log_file:
            self._log_file.close()
            self._log_file = None

    def log(self, text: str) -> None:
        if self._log_file:
            self._log_file.write(f"{time.strftime('%H:%M:%S')} {text}\n")

    def _run(self, coro, timeout: float):
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(timeout)

    async def _connect(self):
        self._bus = await MessageBus().connect()
        self._iface = _Watcher(self)

        def on_message(msg: Message):
            if msg.message_type == MessageType.METHOD_CALL and msg.member == "RegisterStatusNotifierItem":
                self._iface.last_sender = msg.sender
            if (msg.message_type == MessageType.SIGNAL and msg.member == "NameOwnerChanged"
                    and msg.sender == "org.freedesktop.DBus"):
                name, _old, new = msg.body
                if not new:
                    self._unregistered(name)
            return None

        self._bus.add_message_handler(on_message)
        await self._call("org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
                         "AddMatch", "s",
                         ["type='signal',sender='org.freedesktop.DBus',member='NameOwnerChanged'"])
        self._bus.export(WATCHER_PATH, self._iface)
        from dbus_next.constants import RequestNameReply
        reply = await self._bus.request_name(WATCHER_NAME)
        if reply != RequestNameReply.PRIMARY_OWNER:
            raise RuntimeError(f"could not own {WATCHER_NAME} on the session bus: {reply}")

    async def _disconnect(self):
        if self._bus:
            self._bus.disconnect()

    async def _call(self, dest, path, iface, member, sig="", body=()):
        reply = await self._bus.call(Message(destination=dest, path=path, interface=iface,
                                             member=member, signature=sig, body=list(body)))
        if reply.message_type == MessageType.ERROR:
            raise RuntimeError(f"{iface}.{member} on {dest}{path}: {reply.error_name}: "
                               f"{' '.join(map(str, reply.body))}")
        return reply.body

    def _registered(self, name: str, path: str) -> None:
        # appindicator registers again whenever its menu is replaced: one item per
        # (owner, path), as a panel keeps it.
        with self._lock:
            if any(i.bus_name == name and i.path == path for i in self._items):
                return
            item = TrayItem(name, path, time.monotonic())
            self._items.append(item)
        self.log(f"RegisterStatusNotifierItem: {name}{path}")

        async def find_pid():
            try:
                (pid,) = await self._call("org.freedesktop.DBus", "/org/freedesktop/DBus",
                                          "org.freedesktop.DBus", "GetConnectionUnixProcessID",
                                          "s", [name])
                item.pid = pid
                self.log(f"item {name}{path} belongs to pid {pid}")
            except RuntimeError as e:
                self.log(f"item {name}{path}: no pid: {e}")

        self._loop.create_task(find_pid())

    def _unregistered(self, name: str) -> None:
        with self._lock:
            gone = [i for i in self._items if i.bus_name == name]
            self._items = [i for i in self._items if i.bus_name != name]
        for item in gone:
            self.log(f"item left the bus: {item}")
            self._iface.StatusNotifierItemUnregistered(f"{item.bus_name}{item.path}")

    # ------------------------------------------------------------------ queries
    def items(self) -> list[TrayItem]:
        with self._lock:
            return list(self._items)

    def item_of(self, pids) -> TrayItem | None:
        """The registered item of one of `pids` (the app's processes), if any."""
        pids = set(pids)
        for item in reversed(self.items()):
            if item.pid in pids:
                return item
        return None

    def properties(self, item: TrayItem, timeout: float = 5.0) -> dict:
        """All org.kde.StatusNotifierItem properties of `item`, read now."""
        (props,) = self._run(self._call(item.bus_name, item.path, "org.freedesktop.DBus.Properties",
                                        "GetAll", "s", [ITEM_IFACE]), timeout)
        return plain(props)

    def menu(self, item: TrayItem, timeout: float = 5.0) -> list[MenuEntry]:
        """The item's menu entries, read now from its dbusmenu layout (depth-first)."""
        menu_path = self.properties(item, timeout).get("Menu")
        if not menu_path:
            raise RuntimeError(f"tray item {item} exports no Menu")
        _rev, layout = self._run(self._call(item.bus_name, menu_path, MENU_IFACE, "GetLayout",
                                            "iias", [0, -1, []]), timeout)
        entries: list[MenuEntry] = []

        def walk(node, depth):
            node_id, node_props, children = plain(node)
            label = node_props.get("label")
            if node_id != 0 and label is not None:
                entries.append(MenuEntry(node_id, menu_text(label), node_props, depth))
            for child in children:
                walk(child, depth + 1)

        walk(layout, 0)
        return entries

    def click(self, item: TrayItem, label: str, timeout: float = 5.0) -> MenuEntry:
        """Click the visible, enabled menu entry shown as `label`, as a panel does."""
        menu_path = self.properties(item, timeout).get("Menu")
        entries = [e for e in self.menu(item, timeout) if e.label == label and e.visible]
        if not entries:
            raise AssertionError(f"tray menu of {item} has no entry {label!r}; it has "
                                 f"{[e.label for e in self.menu(item, timeout)]}")
        entry = entries[0]
        if not entry.enabled:
            raise AssertionError(f"tray menu entry {label!r} is disabled")
        self.log(f"clicking {label!r} (id {entry.id}) of {item}")
        # A panel first tells the menu it is about to show, then sends the click.
        self._run(self._call(item.bus_name, menu_path, MENU_IFACE, "AboutToShow", "i", [0]), timeout)
        self._run(self._call(item.bus_name, menu_path, MENU_IFACE, "Event", "isvu",
                             [entry.id, "clicked", Variant("i", 0), int(time.time()) & 0xFFFFFFFF]),
                  timeout)
        return entry

    def name_has_owner(self, name: str, timeout: float = 5.0) -> bool:
        (has,) = self._run(self._call("org.freedesktop.DBus", "/org/freedesktop/DBus",
                                      "org.freedesktop.DBus", "NameHasOwner", "s", [name]), timeout)
        return bool(has)


def icon_file(props: dict) -> Path | None:
    """The PNG an item currently shows, from its IconName and IconThemePath.

    tray-icon (Tauri's tray on Linux) writes each icon it is given to
    `$XDG_RUNTIME_DIR/tray-icon/tray-icon-<id>-<n>.png`, a new file per change, and calls
    app_indicator_set_icon_full() with that path: IconName is then the absolute path (or
    the file's stem, with IconThemePath the directory)."""
    name = props.get("IconName") or ""
    theme = props.get("IconThemePath") or ""
    candidates = []
    if name.startswith("/"):
        candidates.append(Path(name))
    elif name:
        for base in [theme] if theme else []:
            candidates += [Path(base) / name, Path(base) / f"{name}.png"]
    for c in candidates:
        if c.is_file():
            return c
    return None
