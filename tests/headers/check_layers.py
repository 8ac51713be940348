#!/usr/bin/env python3
"""The layer rule of include/duet, checked: a header includes only its own layer and
the layers below it (docs/ARCHITECTURE.md). Order, lowest first:
    core runtime http session ws eio sio cluster server
The application includes at the top (duet/duet.hpp, duet/http.hpp, duet/socketio.hpp)
may include anything. Prints every violation and exits 1 if there is one."""
import pathlib
import re
import sys

ORDER = ["core", "runtime", "http", "session", "ws", "eio", "sio", "cluster", "server"]
RANK = {name: i for i, name in enumerate(ORDER)}
INCLUDE = re.compile(r'^\s*#\s*include\s*[<"]duet/([a-z_]+)/([^>"]+)[>"]', re.M)


def main(root: pathlib.Path) -> int:
    base = root / "include" / "duet"
    bad = []
    checked = 0
    for header in sorted(base.rglob("*.hpp")) + sorted(base.rglob("*.ipp")):
        rel = header.relative_to(base)
        if len(rel.parts) == 1:
            continue  # application includes
        own = rel.parts[0]
        if own not in RANK:
            bad.append(f"{rel}: folder '{own}' is not a layer ({' '.join(ORDER)})")
            continue
        checked += 1
        for m in INCLUDE.finditer(header.read_text()):
            layer = m.group(1)
            if layer not in RANK:
                bad.append(f"{rel}: includes duet/{layer}/{m.group(2)}, which is not in a layer")
            elif RANK[layer] > RANK[own]:
                bad.append(f"{rel}: includes duet/{layer}/{m.group(2)} — layer '{layer}' is above '{own}'")
    for line in bad:
        print(line)
    print(f"{checked} headers checked, {len(bad)} layer violations")
    return 1 if bad or checked == 0 else 0


def self_test() -> int:
    """The check must be able to fail: a tree where http includes sio is refused, the
    same tree without that include passes."""
    import tempfile
    with tempfile.TemporaryDirectory() as tmp:
        root = pathlib.Path(tmp)
        (root / "include/duet/http").mkdir(parents=True)
        (root / "include/duet/sio").mkdir(parents=True)
        (root / "include/duet/sio/a.hpp").write_text("#include <duet/http/b.hpp>\n")
        (root / "include/duet/http/b.hpp").write_text("#include <duet/sio/a.hpp>\n")
        if main(root) != 1:
            print("self-test: a violation was not reported")
            return 1
        (root / "include/duet/http/b.hpp").write_text("#include <duet/http/c.hpp>\n")
        if main(root) != 0:
            print("self-test: a clean tree was refused")
            return 1
    return 0


if __name__ == "__main__":
    if self_test() != 0:
        sys.exit(1)
    sys.exit(main(pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else ".")))
