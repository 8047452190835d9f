"""What the benchmark scripts share: timing a command as its own process."""
import subprocess
import tempfile


def timed(cmd, **kw):
    """Runs cmd under GNU time; returns its wall seconds, CPU seconds and peak RSS (MiB)."""
    with tempfile.NamedTemporaryFile("r", suffix=".time") as out:
        subprocess.run(["/usr/bin/time", "-o", out.name, "-f", "%e %U %S %M", *cmd], check=True, **kw)
        wall, user, system, rss_kib = out.read().split()[-4:]
    return float(wall), float(user) + float(system), int(rss_kib) / 1024
