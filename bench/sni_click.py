#!/usr/bin/env python3
"""Drive a tray app under Xvfb the way a user would, for scripts/bench-memory.

A headless session has no panel, so nothing hosts a StatusNotifierItem and
libayatana-appindicator would fall back to an invisible legacy icon. `watch` plays the
panel's StatusNotifierWatcher so the app's tray registers as on a real desktop; the
other commands find that item by the app's PID and click its menu entries over the
com.canonical.dbusmenu interface, or close a window with WM_DELETE_WINDOW like a
window manager's close button (not a kill, so the app's own close handling runs).

  sni_click.py watch                      serve org.kde.StatusNotifierWatcher until killed
  sni_click.py wait-item PID TIMEOUT_S    wait until PID's tray item registered; print it
  sni_click.py click PID LABEL            click the menu entry LABEL of PID's tray item
  sni_click.py wait-window TITLE TIMEOUT_S  wait for a viewable top-level window; print its id
  sni_click.py wait-window-gone WID TIMEOUT_S
  sni_click.py close-window WID           send WM_DELETE_WINDOW to WID

Needs the PyPI packages dbus-next (D-Bus) and python-xlib (window commands).
Exit status 0 on success, 1 with a message on stderr otherwise.
"""
import asyncio
import sys
import time

WATCHER_NAME = "org.kde.StatusNotifierWatcher"
WATCHER_PATH = "/StatusNotifierWatcher"


def fail(message):
    print(f"sni_click: {message}", file=sys.stderr)
    sys.exit(1)


# ---------------------------------------------------------------- D-Bus side

def plain(value):
    from dbus_next import Variant
    if isinstance(value, Variant):
        return plain(value.value)
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    return value


def split_item(item):
    """Items are recorded as KDE does: a bus name, or a bus name followed by an
    object path when the item registered with a path only."""
    if "/" in item:
        i = item.index("/")
        return item[:i], item[i:]
    return item, "/StatusNotifierItem"


async def call(bus, dest, path, iface, member, sig="", body=()):
    from dbus_next import Message, MessageType
    reply = await bus.call(Message(destination=dest, path=path, interface=iface,
                                   member=member, signature=sig, body=list(body)))
    if reply.message_type == MessageType.ERROR:
        raise RuntimeError(f"{member} on {dest}{path}: {reply.error_name} {reply.body}")
    return reply.body


async def watch():
    from dbus_next.aio import MessageBus
    from dbus_next.service import ServiceInterface, method, dbus_property, signal
    from dbus_next import MessageType, PropertyAccess

    class Watcher(ServiceInterface):
        def __init__(self):
            super().__init__(WATCHER_NAME)
            self.items = []
            self.last_sender = None

        @method()
        def RegisterStatusNotifierItem(self, service: "s"):
            # The sender is taken from the raw message (see `remember_sender`): an item
            # that registers with an object path only is addressed by its unique name.
            sender = self.last_sender
            item = f"{sender}{service}" if service.startswith("/") else service
            if item not in self.items:
                self.items.append(item)
            print(f"[watcher] registered {item}", flush=True)
            self.StatusNotifierItemRegistered(item)

        @method()
        def RegisterStatusNotifierHost(self, service: "s"):
            pass

        @dbus_property(access=PropertyAccess.READ)
        def RegisteredStatusNotifierItems(self) -> "as":
            return self.items

        @dbus_property(access=PropertyAccess.READ)
        def IsStatusNotifierHostRegistered(self) -> "b":
            # Claim a host, or appindicator decides nobody shows icons and falls back.
            return True

        @dbus_property(access=PropertyAccess.READ)
        def ProtocolVersion(self) -> "i":
            return 0

        @signal()
        def StatusNotifierItemRegistered(self, item) -> "s":
            return item

        @signal()
        def StatusNotifierItemUnregistered(self, item) -> "s":
            return item

        @signal()
        def StatusNotifierHostRegistered(self):
            return None

    bus = await MessageBus().connect()
    watcher = Watcher()

    def remember_sender(msg):
        if msg.message_type == MessageType.METHOD_CALL and msg.member == "RegisterStatusNotifierItem":
            watcher.last_sender = msg.sender
        # An app that quit leaves the bus: forget its item like a panel would.
        if msg.message_type == MessageType.SIGNAL and msg.member == "NameOwnerChanged":
            name, _old, new = msg.body
            if not new:
                gone = [i for i in watcher.items if split_item(i)[0] == name]
                for item in gone:
                    watcher.items.remove(item)
                    print(f"[watcher] unregistered {item}", flush=True)
                    watcher.StatusNotifierItemUnregistered(item)
        return None

    bus.add_message_handler(remember_sender)
    await call(bus, "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
               "AddMatch", "s",
               ["type='signal',sender='org.freedesktop.DBus',member='NameOwnerChanged'"])
    bus.export(WATCHER_PATH, watcher)
    await bus.request_name(WATCHER_NAME)
    print("[watcher] ready", flush=True)
    await asyncio.get_running_loop().create_future()


async def find_item(bus, pid):
    """The tray item owned by process `pid`, or None."""
    try:
        (items,) = await call(bus, WATCHER_NAME, WATCHER_PATH, "org.freedesktop.DBus.Properties",
                              "Get", "ss", [WATCHER_NAME, "RegisteredStatusNotifierItems"])
    except RuntimeError:
        return None  # the watcher is not up yet
    for item in plain(items):
        dest, path = split_item(item)
        try:
            (owner_pid,) = await call(bus, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                      "org.freedesktop.DBus", "GetConnectionUnixProcessID",
                                      "s", [dest])
        except RuntimeError:
            continue  # its owner left the bus
        if owner_pid == pid:
            return dest, path
    return None


async def wait_item(pid, timeout):
    from dbus_next.aio import MessageBus
    bus = await MessageBus().connect()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = await find_item(bus, pid)
        if found:
            print(f"{found[0]} {found[1]}")
            return
        await asyncio.sleep(0.2)
    fail(f"no tray item of pid {pid} registered within {timeout:g} s")


async def click(pid, label):
    from dbus_next.aio import MessageBus
    from dbus_next import Variant
    bus = await MessageBus().connect()
    found = await find_item(bus, pid)
    if not found:
        fail(f"pid {pid} has no registered tray item")
    dest, path = found
    (props,) = await call(bus, dest, path, "org.freedesktop.DBus.Properties", "GetAll", "s",
                          ["org.kde.StatusNotifierItem"])
    menu_path = plain(props).get("Menu")
    if not menu_path:
        fail(f"tray item {dest}{path} exports no menu")
    _rev, layout = await call(bus, dest, menu_path, "com.canonical.dbusmenu", "GetLayout",
                              "iias", [0, -1, []])
    entries = []

    def walk(node):
        node_id, node_props, children = plain(node)
        entries.append((node_id, node_props.get("label")))
        for child in children:
            walk(child)

    walk(layout)
    # Labels may carry GTK mnemonic underscores ("_Quit").
    matches = [nid for nid, text in entries if text and text.replace("_", "") == label]
    if not matches:
        fail(f"no menu entry {label!r}; the menu has {[t for _, t in entries if t]}")
    await call(bus, dest, menu_path, "com.canonical.dbusmenu", "Event", "isvu",
               [matches[0], "clicked", Variant("i", 0), 0])


# ---------------------------------------------------------------- X11 side

def x_display():
    from Xlib import display
    return display.Display()


def window_title(d, win):
    try:
        name = win.get_full_property(d.intern_atom("_NET_WM_NAME"), d.intern_atom("UTF8_STRING"))
        if name and name.value:
            value = name.value
            return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
        legacy = win.get_wm_name()
        return legacy.decode("latin-1") if isinstance(legacy, bytes) else legacy
    except Exception:
        return None  # the window went away while we looked


def viewable_windows(d, title):
    from Xlib import X
    found = []
    for win in d.screen().root.query_tree().children:
        try:
            if win.get_attributes().map_state != X.IsViewable:
                continue
        except Exception:
            continue
        if window_title(d, win) == title:
            found.append(win.id)
    return found


def wait_window(title, timeout):
    d = x_display()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ids = viewable_windows(d, title)
        if ids:
            print(hex(ids[0]))
            return
        time.sleep(0.2)
    fail(f"no viewable window titled {title!r} within {timeout:g} s")


def window_exists(d, wid):
    from Xlib import X
    win = d.create_resource_object("window", wid)
    try:
        return win.get_attributes().map_state == X.IsViewable
    except Exception:
        return False  # BadWindow: destroyed


def wait_window_gone(wid, timeout):
    d = x_display()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not window_exists(d, wid):
            return
        time.sleep(0.2)
    fail(f"window {hex(wid)} still there after {timeout:g} s")


def close_window(wid):
    """What a window manager's close button does (ICCCM 4.2.8.1)."""
    from Xlib import X
    from Xlib.protocol import event
    d = x_display()
    win = d.create_resource_object("window", wid)
    wm_protocols = d.intern_atom("WM_PROTOCOLS")
    wm_delete = d.intern_atom("WM_DELETE_WINDOW")
    if wm_delete not in (win.get_wm_protocols() or []):
        fail(f"window {hex(wid)} does not accept WM_DELETE_WINDOW")
    message = event.ClientMessage(window=win, client_type=wm_protocols,
                                  data=(32, [wm_delete, X.CurrentTime, 0, 0, 0]))
    win.send_event(message, event_mask=X.NoEventMask)
    d.flush()


def main(argv):
    if len(argv) < 2:
        fail(__doc__)
    cmd, args = argv[1], argv[2:]
    if cmd == "watch" and not args:
        asyncio.run(watch())
    elif cmd == "wait-item" and len(args) == 2:
        asyncio.run(wait_item(int(args[0]), float(args[1])))
    elif cmd == "click" and len(args) == 2:
        asyncio.run(click(int(args[0]), args[1]))
    elif cmd == "wait-window" and len(args) == 2:
        wait_window(args[0], float(args[1]))
    elif cmd == "wait-window-gone" and len(args) == 2:
        wait_window_gone(int(args[0], 0), float(args[1]))
    elif cmd == "close-window" and len(args) == 1:
        close_window(int(args[0], 0))
    else:
        fail(f"bad arguments {argv[1:]}\n{__doc__}")


if __name__ == "__main__":
    main(sys.argv)
