"""The web console in a real browser (Debian's chromium driven by playwright): sign-in, a walk
from the organization to a README, a file and a commit diff, the 404 a non-member gets for a
private group, escaping, CSRF, and a code source created from the form and read back through
the official PAI SDK.

Environment: CODEPORT_ENDPOINT (host:port), CODEPORT_DATA_DIR (bootstrap.json), CODEPORT_BIN
(`codeport admin` to create a user), CODEPORT_CHROMIUM, CODEPORT_TEST_OUTPUT (screenshots of a
failing test's page), CODEPORT_SCREENSHOT_DIR (optional: a screenshot of every page of the
walk, for the README).
"""

import functools
import http.server
import json
import os
import pathlib
import re
import subprocess
import tempfile
import threading
import unittest
import urllib.request

from alibabacloud_aiworkspace20210204 import models as m
from alibabacloud_aiworkspace20210204.client import Client
from alibabacloud_tea_openapi import models as open_api_models
from playwright.sync_api import expect, sync_playwright

ENDPOINT = os.environ["CODEPORT_ENDPOINT"]
BASE = f"http://{ENDPOINT}"
DATA_DIR = pathlib.Path(os.environ["CODEPORT_DATA_DIR"])
BIN = os.environ["CODEPORT_BIN"]
OUT = pathlib.Path(os.environ.get("CODEPORT_TEST_OUTPUT", "."))
SHOTS = os.environ.get("CODEPORT_SCREENSHOT_DIR")
BOOT = json.loads((DATA_DIR / "bootstrap.json").read_text())
ORG = BOOT["organizationId"]
TOKEN = BOOT["personalAccessToken"]
BOB_PASSWORD = "bob-has-a-long-password"
XSS = "<img src=x onerror=alert(1)>"


def codeup(method, path, body=None):
    """A Codeup API call as the bootstrap admin (the seed data is made through the API)."""
    req = urllib.request.Request(
        f"{BASE}/oapi/v1/codeup/organizations/{ORG}{path}",
        method=method,
        data=None if body is None else json.dumps(body).encode(),
        headers={"x-yunxiao-token": TOKEN, "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(req) as resp:
        return json.loads(resp.read() or b"null")


def git(cwd, *args):
    env = dict(os.environ, GIT_TERMINAL_PROMPT="0", GIT_CONFIG_NOSYSTEM="1", HOME=str(cwd))
    return subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True, text=True).stdout.strip()


def pai_client():
    cfg = open_api_models.Config(access_key_id=BOOT["accessKeyId"], access_key_secret=BOOT["accessKeySecret"], endpoint=ENDPOINT, protocol="http")
    return Client(cfg)


class Seed:
    """What the tests browse: a group with a pushed repository, a private group whose
    description is an XSS probe, a second user, and a workspace."""

    def __init__(self):
        self.group = codeup("POST", "/groups", {"name": "Machine Learning", "path": "ml", "visibility": "internal", "description": "Models and training"})
        self.repo = codeup("POST", "/repositories?createParentPath=true", {"name": "trainer", "path": "ml/trainer", "visibility": "internal", "description": "Trains models"})
        self.vault = codeup("POST", "/groups", {"name": "Vault", "path": "vault", "visibility": "private", "description": XSS})
        self.branch = self.repo.get("defaultBranch") or "master"
        work = pathlib.Path(tempfile.mkdtemp())
        git(work, "init", "-q", "-b", self.branch)
        git(work, "config", "user.name", "Ada")
        git(work, "config", "user.email", "ada@example.com")
        (work / "README.md").write_text("# Trainer\n\nTrains **models** on the cluster.\n\n| a | b |\n|---|---|\n| 1 | 2 |\n")
        (work / "src").mkdir()
        (work / "src" / "train.py").write_text("def train(epochs):\n    for e in range(epochs):\n        step(e)\n")
        git(work, "add", ".")
        git(work, "commit", "-q", "-m", "First version")
        (work / "src" / "train.py").write_text("def train(epochs, lr=0.1):\n    for e in range(epochs):\n        step(e, lr)\n")
        git(work, "commit", "-q", "-am", "Add a learning rate")
        self.head = git(work, "rev-parse", "HEAD")
        url = f"http://x:{TOKEN}@{ENDPOINT}/{ORG}/ml/trainer.git"
        git(work, "push", "-q", url, f"HEAD:refs/heads/{self.branch}")
        self.clone_url = f"{BASE}/{ORG}/ml/trainer.git"
        subprocess.run([BIN, "admin", "--data-dir", str(DATA_DIR), "user", "create", "bob", "--password-stdin"], input=BOB_PASSWORD + "\n", text=True, check=True, capture_output=True)
        self.workspace = pai_client().create_workspace(m.CreateWorkspaceRequest(workspace_name="vision", description="Vision team", env_types=["prod"])).body.workspace_id


SEED = None
BROWSER = None


def setUpModule():
    global SEED, BROWSER, _pw
    SEED = Seed()
    _pw = sync_playwright().start()
    BROWSER = _pw.chromium.launch(executable_path=os.environ.get("CODEPORT_CHROMIUM", "/usr/bin/chromium"), args=["--no-sandbox"])


def tearDownModule():
    BROWSER.close()
    _pw.stop()


def shot(page, name):
    """A screenshot for the README (only when CODEPORT_SCREENSHOT_DIR is set)."""
    if SHOTS:
        pathlib.Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(pathlib.Path(SHOTS) / f"{name}.png"), full_page=True)


def screenshot_on_failure(test):
    """Saves every open page of a failing test to CODEPORT_TEST_OUTPUT."""

    @functools.wraps(test)
    def run(self):
        try:
            test(self)
        except BaseException:
            for i, page in enumerate(self.context.pages):
                page.screenshot(path=str(OUT / f"{test.__name__}-{i}.png"), full_page=True)
            raise

    return run


def sign_in(page, user, password):
    page.goto(f"{BASE}/login")
    page.get_by_label("User name").fill(user)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


class Console(unittest.TestCase):
    def setUp(self):
        self.context = BROWSER.new_context(viewport={"width": 1280, "height": 900})
        self.page = self.context.new_page()
        self.dialogs = []
        self.page.on("dialog", lambda d: (self.dialogs.append(d.message), d.dismiss()))

    def tearDown(self):
        self.context.close()

    def sign_in_as_admin(self):
        sign_in(self.page, "admin", BOOT["adminPassword"])
        expect(self.page).to_have_url(re.compile(re.escape(f"{BASE}/{ORG}") + r"$"))

    @screenshot_on_failure
    def test_sign_in_returns_to_the_page_asked_for_and_refuses_a_wrong_password(self):
        page = self.page
        page.goto(f"{BASE}/{ORG}/ml")
        expect(page).to_have_url(re.compile(r"/login\?next="))
        shot(page, "sign-in")
        page.get_by_label("User name").fill("admin")
        page.get_by_label("Password").fill("certainly-not-it")
        page.get_by_role("button", name="Sign in").click()
        expect(page.get_by_text("Invalid user name or password")).to_be_visible()
        page.get_by_label("Password").fill(BOOT["adminPassword"])
        page.get_by_role("button", name="Sign in").click()
        expect(page).to_have_url(f"{BASE}/{ORG}/ml")
        page.get_by_role("button", name="Sign out").click()
        expect(page).to_have_url(f"{BASE}/login")
        page.goto(f"{BASE}/{ORG}")
        expect(page).to_have_url(re.compile(r"/login\?next="))

    @screenshot_on_failure
    def test_walk_from_the_organization_to_a_readme_a_file_and_a_commit_diff(self):
        page = self.page
        self.sign_in_as_admin()
        shot(page, "organization")
        page.get_by_role("link", name="Machine Learning").first.click()
        expect(page).to_have_url(f"{BASE}/{ORG}/ml")
        expect(page.get_by_text("Models and training")).to_be_visible()
        shot(page, "group")
        page.get_by_role("link", name="trainer").first.click()
        expect(page).to_have_url(f"{BASE}/{ORG}/ml/trainer")
        expect(page.locator(".markdown").get_by_role("heading", name="Trainer", exact=True)).to_be_visible()
        expect(page.locator(".markdown table")).to_be_visible()
        expect(page.locator(f"input[value='{SEED.clone_url}']")).to_be_visible()
        shot(page, "repository")
        page.get_by_role("link", name="src", exact=True).click()
        page.get_by_role("link", name="train.py").click()
        expect(page).to_have_url(f"{BASE}/{ORG}/ml/trainer/-/blob/{SEED.branch}/src/train.py")
        expect(page.locator("table.code")).to_contain_text("def train(epochs, lr=0.1):")
        expect(page.locator("a[href='#L3']")).to_be_visible()
        shot(page, "file")
        page.get_by_role("link", name="Commits").first.click()
        expect(page.get_by_text("Add a learning rate")).to_be_visible()
        shot(page, "commits")
        page.get_by_role("link", name="Add a learning rate").first.click()
        expect(page).to_have_url(f"{BASE}/{ORG}/ml/trainer/-/commit/{SEED.head}")
        expect(page.locator("tr.add").first).to_contain_text("lr=0.1")
        expect(page.locator("tr.del").first).to_be_visible()
        shot(page, "commit")
        self.assertEqual(self.dialogs, [])

    @screenshot_on_failure
    def test_a_private_group_is_the_unknown_page_for_a_non_member(self):
        page = self.page
        sign_in(page, "bob", BOB_PASSWORD)
        expect(page).to_have_url(f"{BASE}/{ORG}")
        private = page.goto(f"{BASE}/{ORG}/vault")
        self.assertEqual(private.status, 404)
        private_body = page.locator("main").inner_html()
        unknown = page.goto(f"{BASE}/{ORG}/no-such-group-here")
        self.assertEqual(unknown.status, 404)
        self.assertEqual(page.locator("main").inner_html(), private_body, "the same page: no existence leak")
        page.goto(f"{BASE}/{ORG}")
        expect(page.get_by_text("Vault")).to_have_count(0)

    @screenshot_on_failure
    def test_a_description_with_markup_shows_as_text_and_runs_nothing(self):
        page = self.page
        self.sign_in_as_admin()
        page.goto(f"{BASE}/{ORG}/vault")
        expect(page.get_by_text(XSS)).to_be_visible()
        self.assertEqual(page.locator("main img").count(), 0)
        self.assertEqual(self.dialogs, [])

    @screenshot_on_failure
    def test_a_cross_site_form_post_is_refused(self):
        page = self.page
        self.sign_in_as_admin()
        # An attacker's page on another origin posts a form to the console (its own script
        # submits it; the attacker's page has no CSP of ours).
        attack = f"""<!doctype html><form id=f method=post action="{BASE}/{ORG}/-/new-group">
            <input name=name value=Pwned><input name=path value=pwned><input name=visibility value=private></form>
            <script>document.getElementById('f').submit()</script>"""

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                self.send_response(200)
                self.send_header("Content-Type", "text/html")
                self.end_headers()
                self.wfile.write(attack.encode())

            def log_message(self, *a):
                pass

        evil = http.server.HTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=evil.serve_forever, daemon=True).start()
        try:
            with page.expect_response(lambda r: r.url.endswith("/-/new-group")) as posted:
                page.goto(f"http://localhost:{evil.server_address[1]}/")
            self.assertEqual(posted.value.status, 403)
        finally:
            evil.shutdown()
        groups = codeup("GET", "/namespaces?search=pwned")
        self.assertEqual([g for g in groups if g.get("path") == "pwned"], [])

    @screenshot_on_failure
    def test_a_code_source_created_from_the_form_reads_back_through_the_sdk(self):
        page = self.page
        self.sign_in_as_admin()
        page.goto(f"{BASE}/pai/workspaces")
        page.get_by_role("link", name="vision").click()
        expect(page).to_have_url(re.compile(f"/pai/workspaces/{SEED.workspace}"))
        shot(page, "workspace")
        if page.get_by_label("Display name").count() == 0:
            page.get_by_role("link", name="New code source").click()
        page.get_by_label("Display name").fill("trainer-pinned")
        page.get_by_label("Repository").fill(SEED.clone_url)
        page.get_by_label("Branch").fill(SEED.branch)
        page.get_by_label("Commit").fill(SEED.head)
        page.get_by_label("Mount path").fill("/root/code/trainer/")
        shot(page, "new-code-source")
        page.get_by_role("button", name="Create").click()
        expect(page).to_have_url(re.compile(f"/pai/workspaces/{SEED.workspace}/codesources/[^/]+$"))
        cs_id = page.url.rsplit("/", 1)[1]
        expect(page.get_by_text(f"codeport checkout {cs_id}")).to_be_visible()
        shot(page, "code-source")
        cs = pai_client().get_code_source(cs_id, m.GetCodeSourceRequest()).body
        self.assertEqual(cs.display_name, "trainer-pinned")
        self.assertEqual(cs.code_repo, SEED.clone_url)
        self.assertEqual(cs.code_branch, SEED.branch)
        self.assertEqual(cs.code_commit, SEED.head)
        self.assertEqual(cs.mount_path, "/root/code/trainer/")
        self.assertEqual(cs.workspace_id, SEED.workspace)


if __name__ == "__main__":
    unittest.main(verbosity=2)
