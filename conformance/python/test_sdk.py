"""Conformance: the official Python SDK (alibabacloud-aiworkspace20210204, pinned) against a
live codeport. Runs all 18 operations and the denials a user relies on, exactly as a user's
script would: real signing, real HTTP, real errors as ClientException, RAM denials with the
SDK's `access_denied_detail`.

Every test runs twice: signed with the SDK's default ACS3-HMAC-SHA256 (`SdkConformance`) and
with `signature_algorithm="v2"`, the legacy ROA signature `acs AK:base64(HMAC-SHA1)` that
alipai uses (`SdkConformanceLegacyRoa`).

Environment: CODEPORT_ENDPOINT (host:port), CODEPORT_DATA_DIR (to read bootstrap.json),
CODEPORT_BIN (to create users and manage RAM policies with `codeport admin`).
"""

import json
import os
import subprocess
import tempfile
import time
import unittest
import uuid
from unittest import mock

from alibabacloud_aiworkspace20210204.client import Client
from alibabacloud_aiworkspace20210204 import models as m
from alibabacloud_tea_openapi import models as open_api_models
from alibabacloud_tea_openapi import utils_models as open_api_util_models
from darabonba.core import DaraCore
from darabonba.runtime import RuntimeOptions
from Tea.exceptions import TeaException

ENDPOINT = os.environ["CODEPORT_ENDPOINT"]
DATA_DIR = os.environ["CODEPORT_DATA_DIR"]
BIN = os.environ["CODEPORT_BIN"]


def client(ak, secret, signature_algorithm=None):
    cfg = open_api_models.Config(access_key_id=ak, access_key_secret=secret, endpoint=ENDPOINT, protocol="http",
                                 signature_algorithm=signature_algorithm)
    return Client(cfg)


def admin(*args):
    out = subprocess.run([BIN, "admin", "--data-dir", DATA_DIR, *args], check=True, capture_output=True, text=True)
    return json.loads(out.stdout)


def admin_text(*args):
    return subprocess.run([BIN, "admin", "--data-dir", DATA_DIR, *args], check=True, capture_output=True, text=True).stdout


def create_policy(document):
    """Creates a custom RAM policy with `codeport admin policy create`; returns its name."""
    name = unique("ram-")
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump(document, f)
    try:
        admin_text("policy", "create", "--name", name, "--document", f.name)
    finally:
        os.unlink(f.name)
    return name


def attach(user, policy):
    admin_text("policy", "attach", "--user", user, "--policy", policy)


def detach(user, policy):
    admin_text("policy", "detach", "--user", user, "--policy", policy)


def unique(prefix):
    return prefix + uuid.uuid4().hex[:8]


class SdkConformance(unittest.TestCase):
    # The SDK's Config.signature_algorithm, and how its Authorization header then starts.
    signature_algorithm = None
    authorization_scheme = "ACS3-HMAC-SHA256 "

    @classmethod
    def client(cls, ak, secret):
        return client(ak, secret, cls.signature_algorithm)

    @classmethod
    def setUpClass(cls):
        with open(os.path.join(DATA_DIR, "bootstrap.json")) as f:
            boot = json.load(f)
        cls.admin_id = boot["userId"]
        cls.owner_ak = boot["accessKeyId"]
        cls.owner = cls.client(boot["accessKeyId"], boot["accessKeySecret"])
        name = unique("dev")
        cls.dev_id = admin("user", "create", name, "--json")["userId"]
        key = admin("access-key", "create", "--user", name, "--json")
        cls.dev = cls.client(key["accessKeyId"], key["accessKeySecret"])
        outsider = unique("out")
        admin("user", "create", outsider, "--json")
        okey = admin("access-key", "create", "--user", outsider, "--json")
        cls.outsider = cls.client(okey["accessKeyId"], okey["accessKeySecret"])

    def assert_client_error(self, fn, status, code):
        with self.assertRaises(TeaException) as cm:
            fn()
        e = cm.exception
        self.assertEqual(e.code, code, str(e))
        self.assertEqual(e.data.get("statusCode"), status, str(e))
        self.assertTrue(e.data.get("RequestId"), "error carries a request id")
        return e

    def test_requests_carry_the_configured_signature(self):
        # Watch the SDK's own transport: the request it sends is signed with the scheme this
        # class configures, so the runs really cover both verifiers.
        sent = []
        real = DaraCore.do_action

        def spy(request, runtime_option=None):
            sent.append({k.lower(): v for k, v in request.headers.items()})
            return real(request, runtime_option)

        with mock.patch.object(DaraCore, "do_action", spy):
            self.owner.list_workspaces(m.ListWorkspacesRequest())
        self.assertEqual(len(sent), 1)
        self.assertTrue(sent[0]["authorization"].startswith(self.authorization_scheme), sent[0]["authorization"])

    def test_all_eighteen_operations(self):
        o = self.owner
        # Workspaces: Create, Get, List, Update, GetDefault.
        name = unique("ws_")
        ws_id = o.create_workspace(m.CreateWorkspaceRequest(workspace_name=name, description="conformance", env_types=["prod"])).body.workspace_id
        self.assertTrue(ws_id.isdigit())
        ws = o.get_workspace(ws_id, m.GetWorkspaceRequest(verbose=True)).body
        self.assertEqual(ws.workspace_name, name)
        self.assertEqual(ws.display_name, name)
        self.assertEqual(ws.env_types, ["prod"])
        self.assertEqual(ws.owner.user_id, self.admin_id)
        self.assertEqual(ws.status, "ENABLED")
        self.assertRegex(ws.gmt_create_time, r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
        o.update_workspace(ws_id, m.UpdateWorkspaceRequest(display_name="Conformance WS", description="updated"))
        listed = o.list_workspaces(m.ListWorkspacesRequest(workspace_name=name, verbose=True)).body
        self.assertEqual(listed.total_count, 1)
        self.assertEqual(listed.workspaces[0].display_name, "Conformance WS")
        default = o.get_default_workspace(m.GetDefaultWorkspaceRequest(verbose=True)).body
        self.assertTrue(default.workspace_id.isdigit())

        # Members: Create, List, Get, AddMemberRole, RemoveMemberRole, DeleteMembers.
        created = o.create_member(ws_id, m.CreateMemberRequest(members=[m.CreateMemberRequestMembers(user_id=self.dev_id, roles=["PAI.AlgoDeveloper"])])).body
        member_id = created.members[0].member_id
        self.assertEqual(member_id, f"{ws_id}-{self.dev_id}")
        members = o.list_members(ws_id, m.ListMembersRequest(roles="PAI.AlgoDeveloper")).body
        self.assertEqual(members.total_count, 1)
        self.assertEqual(members.members[0].user_id, self.dev_id)
        got = o.get_member(ws_id, m.GetMemberRequest(user_id=self.dev_id)).body
        self.assertEqual(got.roles, ["PAI.AlgoDeveloper"])
        o.add_member_role(ws_id, member_id, "PAI.AlgoOperator", m.AddMemberRoleRequest())
        self.assertEqual(sorted(o.get_member(ws_id, m.GetMemberRequest(member_id=member_id)).body.roles), ["PAI.AlgoDeveloper", "PAI.AlgoOperator"])
        o.remove_member_role(ws_id, member_id, "PAI.AlgoOperator", m.RemoveMemberRoleRequest())
        self.assertEqual(o.get_member(ws_id, m.GetMemberRequest(member_id=member_id)).body.roles, ["PAI.AlgoDeveloper"])

        # Code sources: Create, Get, List, Update, Publish, Delete.
        cs_id = self.dev.create_code_source(m.CreateCodeSourceRequest(
            workspace_id=ws_id, display_name="my code", code_repo="https://example.com/team/repo.git",
            code_branch="main", code_repo_user_name="bot", code_repo_access_token="s3cr3t-token", clone_type=1)).body.code_source_id
        self.assertRegex(cs_id, r"^code-[a-z0-9]+$")
        cs = self.dev.get_code_source(cs_id, m.GetCodeSourceRequest()).body
        self.assertEqual(cs.code_repo_access_token, "s3cr3t-token")
        self.assertEqual(cs.accessibility, "PRIVATE")
        self.assertEqual(cs.mount_path, "/root/code/")
        self.assertEqual(cs.clone_type, 1)
        self.assertEqual(cs.user_id, self.dev_id)
        self.assertEqual(o.get_code_source(cs_id, m.GetCodeSourceRequest()).body.code_repo_access_token, "", "only the creator sees the token")
        self.dev.update_code_source(cs_id, m.UpdateCodeSourceRequest(code_commit="0123abcd", description="pinned"))
        lst = self.dev.list_code_sources(m.ListCodeSourcesRequest(workspace_id=ws_id, display_name="MY CODE", sort_by="GmtModifyTime", order="desc")).body
        self.assertEqual(lst.total_count, 1)
        self.assertEqual(lst.code_sources[0].code_commit, "0123abcd")
        self.assertFalse(lst.code_sources[0].code_repo_access_token)
        self.dev.publish_code_source(cs_id, m.PublishCodeSourceRequest())
        self.assertEqual(self.dev.get_code_source(cs_id, m.GetCodeSourceRequest()).body.accessibility, "PUBLIC")
        self.dev.delete_code_source(cs_id, m.DeleteCodeSourceRequest())
        self.assert_client_error(lambda: self.dev.get_code_source(cs_id, m.GetCodeSourceRequest()), 404, "CodeSourceNotFound")

        o.delete_members(ws_id, m.DeleteMembersRequest(member_ids=member_id))
        self.assert_client_error(lambda: o.get_member(ws_id, m.GetMemberRequest(member_id=member_id)), 404, "MemberNotFound")
        # A second workspace, so the one under test is not the default and can be deleted.
        other = o.create_workspace(m.CreateWorkspaceRequest(workspace_name=unique("ws_"), description="x", env_types=["dev", "prod"])).body.workspace_id
        for w in (ws_id, other):
            if w != default.workspace_id:
                o.delete_workspace(w, m.DeleteWorkspaceRequest())
                self.assert_client_error(lambda: o.get_workspace(w, m.GetWorkspaceRequest()), 404, "WorkspaceNotFound")

    def test_denials(self):
        ws_id = self.owner.create_workspace(m.CreateWorkspaceRequest(workspace_name=unique("ws_"), description="d", env_types=["prod"])).body.workspace_id
        # A non-member sees nothing of the workspace.
        self.assert_client_error(lambda: self.outsider.get_workspace(ws_id, m.GetWorkspaceRequest()), 404, "WorkspaceNotFound")
        self.assert_client_error(lambda: self.outsider.list_code_sources(m.ListCodeSourcesRequest(workspace_id=ws_id)), 404, "WorkspaceNotFound")
        ids = [w.workspace_id for w in self.outsider.list_workspaces(m.ListWorkspacesRequest(page_size=100)).body.workspaces or []]
        self.assertNotIn(ws_id, ids)
        # A wrong secret, an unknown key, bad input.
        self.assert_client_error(lambda: self.client(self.owner_ak, "wrong").list_workspaces(m.ListWorkspacesRequest()), 400, "SignatureDoesNotMatch")
        self.assert_client_error(lambda: self.client("LTAIdoesnotexist000000", "x").list_workspaces(m.ListWorkspacesRequest()), 404, "InvalidAccessKeyId.NotFound")
        e = self.assert_client_error(lambda: self.owner.create_code_source(m.CreateCodeSourceRequest(workspace_id=ws_id, display_name="x", mount_path="relative/path")), 400, "InvalidParameter")
        self.assertIn("MountPath", e.message)
        self.assert_client_error(lambda: self.owner.create_code_source(m.CreateCodeSourceRequest(workspace_id=ws_id)), 400, "MissingParameter")
        self.assert_client_error(lambda: self.owner.list_code_sources(m.ListCodeSourcesRequest(workspace_id=ws_id, page_size=101)), 400, "InvalidParameter")
        # A private code source is invisible to a plain member who did not create it.
        cs = self.owner.create_code_source(m.CreateCodeSourceRequest(workspace_id=ws_id, display_name="private one")).body.code_source_id
        self.owner.create_member(ws_id, m.CreateMemberRequest(members=[m.CreateMemberRequestMembers(user_id=self.dev_id, roles=["PAI.AlgoDeveloper"])]))
        self.assert_client_error(lambda: self.dev.get_code_source(cs, m.GetCodeSourceRequest()), 404, "CodeSourceNotFound")
        self.assertEqual(self.dev.list_code_sources(m.ListCodeSourcesRequest(workspace_id=ws_id)).body.total_count, 0)
        self.owner.publish_code_source(cs, m.PublishCodeSourceRequest())
        self.assertEqual(self.dev.get_code_source(cs, m.GetCodeSourceRequest()).body.display_name, "private one")
        self.assert_client_error(lambda: self.dev.delete_code_source(cs, m.DeleteCodeSourceRequest()), 403, "NoPermission")


    # --- RAM ---------------------------------------------------------------------------
    # Policy changes made by the admin CLI (another process) reach the server at its next
    # identity poll (every 250 ms): each test waits, with a harmless probe, until the change
    # shows, then asserts.

    def new_member(self, ws_id, prefix, roles=("PAI.AlgoDeveloper",)):
        name = unique(prefix)
        user_id = admin("user", "create", name, "--json")["userId"]
        key = admin("access-key", "create", "--user", name, "--json")
        self.owner.create_member(ws_id, m.CreateMemberRequest(members=[m.CreateMemberRequestMembers(user_id=user_id, roles=list(roles))]))
        return name, user_id, self.client(key["accessKeyId"], key["accessKeySecret"])

    def new_workspace(self):
        return self.owner.create_workspace(m.CreateWorkspaceRequest(workspace_name=unique("ws_"), description="ram", env_types=["prod"])).body.workspace_id

    def wait_until(self, probe, what, timeout=5.0):
        deadline = time.monotonic() + timeout
        while not probe():
            if time.monotonic() > deadline:
                self.fail(f"the server did not see the policy change within {timeout}s: {what}")
            time.sleep(0.05)

    @staticmethod
    def ram_denial(fn):
        """The RAM denial fn raises (AccessDeniedDetail present), else None."""
        try:
            fn()
        except TeaException as e:
            if e.code == "NoPermission" and getattr(e, "access_denied_detail", None):
                return e
        return None

    @staticmethod
    def succeeds(fn):
        try:
            fn()
            return True
        except TeaException:
            return False

    def assert_ram_denied(self, fn, action, kind):
        e = self.assert_client_error(fn, 403, "NoPermission")
        self.assertIsNotNone(e.access_denied_detail, str(e))
        self.assertEqual(e.access_denied_detail["AuthAction"], action)
        self.assertEqual(e.access_denied_detail["NoPermissionType"], kind)
        self.assertEqual(e.access_denied_detail["PolicyType"], "AccountLevelIdentityBasedPolicy")
        self.assertTrue(e.access_denied_detail["EncodedDiagnosticMessage"])
        return e

    def test_ram_read_only_user(self):
        ws_id = self.new_workspace()
        name, _, ro = self.new_member(ws_id, "ro")
        shared = self.owner.create_code_source(m.CreateCodeSourceRequest(workspace_id=ws_id, display_name="shared", accessibility="PUBLIC")).body.code_source_id
        attach(name, "AliyunPAIReadOnlyAccess")
        detach(name, "AdministratorAccess")
        # Probe: publishing someone else's source is refused by RAM once read-only applies
        # (before, by the role rules, without AccessDeniedDetail).
        publish = lambda: ro.publish_code_source(shared, m.PublishCodeSourceRequest())
        self.wait_until(lambda: self.ram_denial(publish), "AliyunPAIReadOnlyAccess instead of AdministratorAccess")

        self.assertEqual(ro.get_code_source(shared, m.GetCodeSourceRequest()).body.display_name, "shared")
        listed = ro.list_code_sources(m.ListCodeSourcesRequest(workspace_id=ws_id)).body
        self.assertEqual((listed.total_count, listed.code_sources[0].code_source_id), (1, shared))
        self.assertEqual(ro.get_workspace(ws_id, m.GetWorkspaceRequest()).body.workspace_id, ws_id)
        e = self.assert_ram_denied(lambda: ro.create_code_source(m.CreateCodeSourceRequest(workspace_id=ws_id, display_name="mine")), "paicodesource:CreateCodeSource", "ImplicitDeny")
        self.assertEqual(e.access_denied_detail["AuthPrincipalType"], "SubUser")
        self.assertEqual(self.owner.list_code_sources(m.ListCodeSourcesRequest(workspace_id=ws_id)).body.total_count, 1, "nothing was created")
        self.assert_ram_denied(lambda: ro.create_workspace(m.CreateWorkspaceRequest(workspace_name=unique("ws_"), description="x", env_types=["prod"])), "paiworkspace:CreateWorkspace", "ImplicitDeny")

    def test_ram_explicit_deny_on_one_code_source(self):
        ws_id = self.new_workspace()
        name, _, dev = self.new_member(ws_id, "deny")
        blocked = dev.create_code_source(m.CreateCodeSourceRequest(workspace_id=ws_id, display_name="blocked")).body.code_source_id
        open_one = dev.create_code_source(m.CreateCodeSourceRequest(workspace_id=ws_id, display_name="open")).body.code_source_id
        policy = create_policy({"Version": "1", "Statement": [
            {"Effect": "Deny", "Action": "paicodesource:*", "Resource": f"acs:paicodesource:*:*:workspace/{ws_id}/codesource/{blocked}"}]})
        attach(name, policy)  # AdministratorAccess (Allow *) stays attached.
        get_blocked = lambda: dev.get_code_source(blocked, m.GetCodeSourceRequest())
        self.wait_until(lambda: self.ram_denial(get_blocked), "the Deny on one code source")

        self.assert_ram_denied(get_blocked, "paicodesource:GetCodeSource", "ExplicitDeny")
        self.assert_ram_denied(lambda: dev.update_code_source(blocked, m.UpdateCodeSourceRequest(description="x")), "paicodesource:UpdateCodeSource", "ExplicitDeny")
        self.assertEqual(dev.get_code_source(open_one, m.GetCodeSourceRequest()).body.display_name, "open")
        dev.update_code_source(open_one, m.UpdateCodeSourceRequest(description="still mine"))
        self.assertEqual(dev.list_code_sources(m.ListCodeSourcesRequest(workspace_id=ws_id)).body.total_count, 2)

    def test_ram_source_ip_condition(self):
        ws_id = self.new_workspace()
        name, _, dev = self.new_member(ws_id, "ip")
        cs = dev.create_code_source(m.CreateCodeSourceRequest(workspace_id=ws_id, display_name="by ip")).body.code_source_id

        def allow_from(cidr):
            return create_policy({"Version": "1", "Statement": [
                {"Effect": "Allow", "Action": ["paicodesource:*", "paiworkspace:*"], "Resource": "*",
                 "Condition": {"IpAddress": {"acs:SourceIp": [cidr]}}}]})

        office, loopback = allow_from("10.0.0.0/8"), allow_from("127.0.0.0/8")
        get = lambda: dev.get_code_source(cs, m.GetCodeSourceRequest())
        attach(name, office)
        detach(name, "AdministratorAccess")
        self.wait_until(lambda: self.ram_denial(get), "an IpAddress range that excludes 127.0.0.1")
        self.assert_ram_denied(get, "paicodesource:GetCodeSource", "ImplicitDeny")
        self.assert_ram_denied(lambda: dev.list_code_sources(m.ListCodeSourcesRequest(workspace_id=ws_id)), "paicodesource:ListCodeSources", "ImplicitDeny")

        attach(name, loopback)
        detach(name, office)
        self.wait_until(lambda: self.succeeds(get), "an IpAddress range that includes 127.0.0.1")
        self.assertEqual(get().body.display_name, "by ip")
        self.assertEqual(dev.list_code_sources(m.ListCodeSourcesRequest(workspace_id=ws_id)).body.total_count, 1)

    def test_checkout_credential_through_the_official_signer(self):
        # GetCodeSourceCheckoutCredential is codeport's operation (not in the SDK's models),
        # called the way the SDK calls every ROA operation: call_api with the same signer.
        ws_id = self.new_workspace()
        _, _, dev = self.new_member(ws_id, "co")
        cs = self.owner.create_code_source(m.CreateCodeSourceRequest(
            workspace_id=ws_id, display_name="ext", code_repo="https://example.com/ml/trainer.git",
            code_branch="main", code_repo_user_name="bot", code_repo_access_token="ext-secret")).body.code_source_id

        def credential(c):
            params = open_api_util_models.Params(
                action="GetCodeSourceCheckoutCredential", version="2021-02-04", protocol="HTTP",
                pathname=f"/api/v1/codesources/{cs}/checkoutcredential", method="POST",
                auth_type="AK", style="ROA", req_body_type="json", body_type="json")
            return c.call_api(params, open_api_util_models.OpenApiRequest(body={}), RuntimeOptions())["body"]

        # A private code source of someone else is not found for the member, then readable once public.
        self.assert_client_error(lambda: credential(dev), 404, "CodeSourceNotFound")
        self.owner.publish_code_source(cs, m.PublishCodeSourceRequest())
        body = credential(dev)
        self.assertEqual((body["CodeRepo"], body["CodeBranch"]), ("https://example.com/ml/trainer.git", "main"))
        self.assertEqual((body["UserName"], body["Password"]), ("bot", "ext-secret"))
        self.assertTrue(body["RequestId"])
        self.assert_client_error(lambda: credential(self.outsider), 404, "CodeSourceNotFound")


class SdkConformanceLegacyRoa(SdkConformance):
    """The same tests, signed as alipai signs: Config(signature_algorithm="v2") makes the SDK
    sign every ROA call with the legacy scheme (`do_roarequest`)."""

    signature_algorithm = "v2"
    authorization_scheme = "acs "


if __name__ == "__main__":
    unittest.main(verbosity=2)
