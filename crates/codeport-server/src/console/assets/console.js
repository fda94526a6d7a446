// codeport console: progressive enhancement only; every page works without this file.
// The "New code source" form (form[data-picker]): when a repository hosted here is chosen,
// offer its branches and recent commits in the Branch and Commit datalists, fetched from the
// console's own JSON endpoint (same session, same authorization as the API). Any other
// value can still be typed.
(function () {
  "use strict";
  const form = document.querySelector("form[data-picker]");
  if (!form) return;
  const repo = form.querySelector("input[data-branches]");
  if (!repo) return;
  const branchList = document.getElementById(repo.getAttribute("data-branches"));
  const commitList = document.getElementById(repo.getAttribute("data-commits"));
  const branch = form.querySelector("input[list='" + branchList.id + "']");
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
    try {
      const resp = await fetch(url, { credentials: "same-origin", redirect: "error", headers: { Accept: "application/json" } });
      if (!resp.ok) return [];
      const items = await resp.json();
      return Array.isArray(items) ? items : [];
    } catch (e) {
      return [];
    }
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
    if (!repo.value) return;
    // No branch yet: the default branch's commits.
    fill(commitList, await load("commits", { repository: repo.value, branch: branch ? branch.value : "" }));
  }

  repo.addEventListener("change", onRepo);
  if (branch) branch.addEventListener("change", onBranch);
  // A form shown again after an error keeps its repository: offer its lists at once.
  if (repo.value) onRepo();
})();
