"""Measures the console's repository home page: its weight (HTML + CSS + JS, the README's own
rendered HTML subtracted) and the server time of a warm request, read from the page's
Server-Timing header (so network and client time are not counted). Prints figures; asserts
only the weight budget, never a time.

Run by hand against a release server (see README "Performance"), with the environment of
test_console.py: CODEPORT_ENDPOINT, CODEPORT_DATA_DIR, CODEPORT_BIN.
"""

import re
import statistics
import urllib.parse
import urllib.request

import test_console as t


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *a, **k):
        return None


def sign_in():
    opener = urllib.request.build_opener(NoRedirect)
    with opener.open(f"{t.BASE}/login") as resp:
        form = resp.read().decode()
        sign_in_cookie = resp.headers["Set-Cookie"].split(";")[0]
    csrf = re.search(r'name="csrf" value="([^"]+)"', form).group(1)
    body = urllib.parse.urlencode({"csrf": csrf, "next": "/", "user_name": "admin", "password": t.BOOT["adminPassword"]}).encode()
    req = urllib.request.Request(f"{t.BASE}/login", data=body, headers={"Cookie": sign_in_cookie})
    try:
        opener.open(req)
    except urllib.error.HTTPError as e:
        return [c.split(";")[0] for c in e.headers.get_all("Set-Cookie") if c.startswith("codeport_session=")][0]
    raise SystemExit("sign-in did not redirect")


def get(path, cookie):
    with urllib.request.urlopen(urllib.request.Request(f"{t.BASE}{path}", headers={"Cookie": cookie})) as resp:
        return resp.read(), resp.headers


def main():
    seed = t.Seed()
    cookie = sign_in()
    home = f"/{t.ORG}/ml/trainer"
    html, headers = get(home, cookie)
    page = html.decode()
    assets = re.findall(r'(?:href|src)="(/-/assets/[^"]+)"', page)
    asset_bytes = sum(len(get(a, cookie)[0]) for a in assets)
    readme = re.search(r'<div class="markdown">(.*?)</div>', page, re.S)
    readme_bytes = len(readme.group(1).encode()) if readme else 0
    weight = len(html) - readme_bytes + asset_bytes
    times = []
    for _ in range(200):
        _, h = get(home, cookie)
        times.append(float(re.search(r"dur=([0-9.]+)", h["Server-Timing"]).group(1)))
    times.sort()
    print(f"repository home {home}: HTML {len(html)} B (README {readme_bytes} B), CSS+JS {asset_bytes} B; weight without file content {weight} B")
    print(f"server time over 200 warm requests: median {statistics.median(times):.2f} ms, p90 {times[179]:.2f} ms, max {times[-1]:.2f} ms")
    assert weight < 100 * 1024, f"the home page weighs {weight} B, over the 100 KB budget"
    del seed


if __name__ == "__main__":
    main()
