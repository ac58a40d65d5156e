#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The fixed interface (config/dbus/org.berth.Berth1.xml) for berthd's test.

  dbus-iface.py compare SHIPPED LIVE IFACE
      compares one interface of the shipped XML with a live introspection (methods with their
      arguments' names, types and directions in order, signals, properties with type, access
      and EmitsChangedSignal); prints each difference, exits 1 when there is one
  dbus-iface.py methods SHIPPED
      prints "IFACE MEMBER AUTHORIZATION IN-SIGNATURE" per method; exits 1 when a method has no
      org.berth.Berth1.Authorization annotation
"""
import sys
import xml.etree.ElementTree as ET

AUTH = "org.berth.Berth1.Authorization"
EMITS = "org.freedesktop.DBus.Property.EmitsChangedSignal"


def interface(path, name):
    root = ET.parse(path).getroot()
    for i in root.iter("interface"):
        if i.get("name") == name:
            return i
    return None


def annotation(elem, name, default=None):
    for a in elem.findall("annotation"):
        if a.get("name") == name:
            return a.get("value")
    return default


def describe(iface):
    out = {}
    for m in iface.findall("method"):
        args = [(a.get("direction", "in"), a.get("name"), a.get("type")) for a in m.findall("arg")]
        out["method " + m.get("name")] = args
    for s in iface.findall("signal"):
        out["signal " + s.get("name")] = [(a.get("name"), a.get("type")) for a in s.findall("arg")]
    for p in iface.findall("property"):
        out["property " + p.get("name")] = (p.get("type"), p.get("access"),
                                            annotation(p, EMITS, "true"))
    return out


def compare(shipped, live, name):
    a, b = interface(shipped, name), interface(live, name)
    if a is None or b is None:
        print("interface %s: %s" % (name, "not in the shipped XML" if a is None else "not live"))
        return 1
    da, db = describe(a), describe(b)
    bad = 0
    for key in sorted(set(da) | set(db)):
        if key not in db:
            print("%s %s: shipped, not live" % (name, key))
        elif key not in da:
            print("%s %s: live, not shipped" % (name, key))
        elif da[key] != db[key]:
            print("%s %s: shipped %s, live %s" % (name, key, da[key], db[key]))
        else:
            continue
        bad = 1
    return bad


def methods(shipped):
    root = ET.parse(shipped).getroot()
    bad = 0
    for i in root.iter("interface"):
        for m in i.findall("method"):
            auth = annotation(m, AUTH)
            if auth is None:
                print("%s.%s: no %s annotation" % (i.get("name"), m.get("name"), AUTH),
                      file=sys.stderr)
                bad = 1
                continue
            sig = "".join(a.get("type") for a in m.findall("arg")
                          if a.get("direction", "in") == "in")
            print(i.get("name"), m.get("name"), auth, sig or "-")
    return bad


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "compare":
        sys.exit(compare(sys.argv[2], sys.argv[3], sys.argv[4]))
    if len(sys.argv) == 3 and sys.argv[1] == "methods":
        sys.exit(methods(sys.argv[2]))
    print(__doc__, file=sys.stderr)
    sys.exit(2)
