"""Conformance: the official Python SDK (alibabacloud-aiworkspace20210204, pinned) against a
live codeport. Runs all 18 operations and the denials a user relies on, exactly as a user's
script would: real signing, real HTTP, real errors as ClientException.

Environment: CODEPORT_ENDPOINT (host:port), CODEPORT_DATA_DIR (to read bootstrap.json),
CODEPORT_BIN (to create a second user with `codeport admin`).
"""

import json
import os
import subprocess
import time
import unittest
import uuid

from alibabacloud_aiworkspace20210204.client import Client
from alibabacloud_aiworkspace20210204 import models as m
from alibabacloud_tea_openapi import models as open_api_models
from Tea.exceptions import TeaException

ENDPOINT = os.environ["CODEPORT_ENDPOINT"]
DATA_DIR = os.environ["CODEPORT_DATA_DIR"]
BIN = os.environ["CODEPORT_BIN"]


def client(ak, secret):
    cfg = open_api_models.Config(access_key_id=ak, access_key_secret=secret, endpoint=ENDPOINT, protocol="http")
    return Client(cfg)


def admin(*args):
    out = subprocess.run([BIN, "admin", "--data-dir", DATA_DIR, *args], check=True, capture_output=True, text=True)
    return json.loads(out.stdout)


def unique(prefix):
    return prefix + uuid.uuid4().hex[:8]


class SdkConformance(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        with open(os.path.join(DATA_DIR, "bootstrap.json")) as f:
            boot = json.load(f)
        cls.admin_id = boot["userId"]
        cls.owner_ak = boot["accessKeyId"]
        cls.owner = client(boot["accessKeyId"], boot["accessKeySecret"])
        name = unique("dev")
        cls.dev_id = admin("user", "create", name, "--json")["userId"]
        key = admin("access-key", "create", "--user", name, "--json")
        cls.dev = client(key["accessKeyId"], key["accessKeySecret"])
        outsider = unique("out")
        admin("user", "create", outsider, "--json")
        okey = admin("access-key", "create", "--user", outsider, "--json")
        cls.outsider = client(okey["accessKeyId"], okey["accessKeySecret"])

    def assert_client_error(self, fn, status, code):
        with self.assertRaises(TeaException) as cm:
            fn()
        e = cm.exception
        self.assertEqual(e.code, code, str(e))
        self.assertEqual(e.data.get("statusCode"), status, str(e))
        self.assertTrue(e.data.get("RequestId"), "error carries a request id")
        return e

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
        self.assert_client_error(lambda: client(self.owner_ak, "wrong").list_workspaces(m.ListWorkspacesRequest()), 400, "SignatureDoesNotMatch")
        self.assert_client_error(lambda: client("LTAIdoesnotexist000000", "x").list_workspaces(m.ListWorkspacesRequest()), 404, "InvalidAccessKeyId.NotFound")
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


if __name__ == "__main__":
    unittest.main(verbosity=2)
