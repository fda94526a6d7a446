// codeport console: progressive enhancement only; every page works without this file.
// The "New code source" form: when a hosted repository is chosen, offer its branches and
// recent commits (fetched from the console's own JSON endpoints, same session and rules).
(function () {
  "use strict";
  const form = document.querySelector("form[data-picker]");
  if (!form) return;
  const repo = form.querySelector("[name=repository]");
  const branchList = document.getElementById(repo.getAttribute("data-branches"));
  const commitList = document.getElementById(repo.getAttribute("data-commits"));
  const branch = form.querySelector("[name=branch]");
  const endpoint = form.getAttribute("data-picker");

  function fill(list, items) {
    while (list.firstChild) list.removeChild(list.firstChild);
    for (const item of items) {
      const opt = document.createElement("option");
      opt.value = item.value;
      opt.label = item.label;
      list.appendChild(opt);
    }
  }

  async function load(what, params) {
    const url = endpoint + "?" + new URLSearchParams(Object.assign({ what: what }, params)).toString();
    const resp = await fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } });
    if (!resp.ok) return [];
    return resp.json();
  }

  async function onRepo() {
    fill(branchList, []);
    fill(commitList, []);
    if (!repo.value) return;
    fill(branchList, await load("branches", { repository: repo.value }));
    await onBranch();
  }

  async function onBranch() {
    fill(commitList, []);
    if (!repo.value || !branch.value) return;
    fill(commitList, await load("commits", { repository: repo.value, branch: branch.value }));
  }

  repo.addEventListener("change", onRepo);
  branch.addEventListener("change", onBranch);
})();
