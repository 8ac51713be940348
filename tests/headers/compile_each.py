#!/usr/bin/env python3
"""Every public header compiles on its own: for each include/duet/**/*.hpp, a
translation unit holding only `#include <duet/...>` is compiled (-fsyntax-only) with
the project's compiler and warning flags. A header that leans on an include its user
happened to make first fails here. Usage: compile_each.py ROOT JOBS -- COMPILER ARGS..."""
import concurrent.futures
import pathlib
import subprocess
import sys


def main() -> int:
    root = pathlib.Path(sys.argv[1])
    jobs = int(sys.argv[2])
    sep = sys.argv.index("--")
    command = sys.argv[sep + 1:]
    base = root / "include"
    headers = sorted(p.relative_to(base).as_posix() for p in (base / "duet").rglob("*.hpp"))

    def compile_one(h: str):
        src = f"#include <{h}>\n"
        r = subprocess.run(command + ["-fsyntax-only", "-x", "c++", "-", f"-I{base}"],
                           input=src, capture_output=True, text=True)
        return h, r.returncode, r.stderr

    failed = 0
    with concurrent.futures.ThreadPoolExecutor(max_workers=jobs) as pool:
        for h, rc, err in pool.map(compile_one, headers):
            if rc != 0:
                failed += 1
                print(f"FAIL {h}\n{err[:4000]}")
    print(f"{len(headers)} headers, {failed} do not compile alone")
    return 1 if failed or not headers else 0


if __name__ == "__main__":
    sys.exit(main())
