"""Runs `go test -json ARGS` and prints what `go test` prints (a line per package,
the output of every failing test) plus each skipped test with its reason, then one
closing line: "N passed, N failed, N skipped". In CI (CI set) a skip fails the run:
every test must run there. Exit code: 0 when nothing failed (and, in CI, nothing
was skipped), else 1."""
import json
import os
import subprocess
import sys


def main(args):
    proc = subprocess.Popen(["go", "test", "-json", *args], stdout=subprocess.PIPE, text=True)
    output, counts, skips, failed_pkgs = {}, {"pass": 0, "fail": 0, "skip": 0}, [], []
    for line in proc.stdout:
        try:
            ev = json.loads(line)
        except ValueError:
            print(line, end="")  # a build error
            continue
        pkg, test, action = ev.get("Package", ""), ev.get("Test"), ev.get("Action")
        key = (pkg, test)
        if action == "output":
            output.setdefault(key, []).append(ev.get("Output", ""))
            continue
        if test is None:
            if action in ("pass", "fail", "skip"):
                text = "".join(output.pop(key, []))
                status = {"pass": "ok  ", "fail": "FAIL", "skip": "?   "}[action]
                print(f"{status}\t{pkg}\t{ev.get('Elapsed', 0):.3f}s" if action != "skip" else f"?   \t{pkg}\t[no test files]")
                if action == "fail":
                    failed_pkgs.append(pkg)
                    print(text, end="")  # a package that failed outside its tests (a build error, a panic)
            continue
        if action in counts and "/" not in test:
            counts[action] += 1
        if action == "fail":
            print("".join(output.get(key, [])), end="")
        if action == "skip":
            why = [l.strip() for l in output.get(key, []) if l.strip() and not l.strip().startswith(("=== ", "--- "))]
            skips.append(f"{pkg} {test}: {why[-1] if why else 'no reason given'}")
        output.pop(key, None)
    code = proc.wait()
    for s in skips:
        print("SKIP", s)
    in_ci = bool(os.environ.get("CI"))
    if skips and in_ci:
        print(f"{len(skips)} tests skipped in CI, where every test must run")
    print(f"{counts['pass']} passed, {counts['fail']} failed, {counts['skip']} skipped")
    return 1 if code != 0 or counts["fail"] or (skips and in_ci) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
