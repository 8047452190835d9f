// fs web UI: sortable tables, instant search, run comparison, reproduce.
"use strict";

function sortTable(th) {
  const table = th.closest("table");
  const col = Array.from(th.parentNode.children).indexOf(th);
  const dir = th.getAttribute("aria-sort") === "ascending" ? "descending" : "ascending";
  table.querySelectorAll("th").forEach((h) => h.removeAttribute("aria-sort"));
  th.setAttribute("aria-sort", dir);
  const body = table.tBodies[0];
  const rows = Array.from(body.rows);
  const key = (r) => {
    const t = (r.cells[col] ? r.cells[col].textContent : "").trim();
    const n = parseFloat(t);
    return isNaN(n) || !/^[-+0-9.e]+$/i.test(t) ? t.toLowerCase() : n;
  };
  rows.sort((a, b) => {
    const x = key(a), y = key(b);
    const c = typeof x === typeof y ? (x < y ? -1 : x > y ? 1 : 0) : typeof x === "number" ? -1 : 1;
    return dir === "ascending" ? c : -c;
  });
  rows.forEach((r) => body.appendChild(r));
}

function filterRows(input) {
  const q = input.value.trim().toLowerCase();
  document.querySelectorAll("#features tbody tr[data-search]").forEach((r) => {
    r.hidden = q !== "" && !r.dataset.search.toLowerCase().includes(q);
  });
}

function pickedRuns(button) {
  const box = button.closest("main");
  return Array.from(box.querySelectorAll("input.pick:checked")).map((c) => c.value);
}

async function reproduce(button) {
  const verdict = document.getElementById("verdict");
  button.disabled = true;
  verdict.textContent = "rebuilding…";
  try {
    const start = await fetch("/api/v1/reproduce", {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-Requested-With": "fs-ui" },
      body: JSON.stringify({ run: button.dataset.run }),
    });
    let job = await start.json();
    while (job.state === "queued" || job.state === "running") {
      const r = await fetch("/api/v1/jobs/" + job.id + "?wait=10", { credentials: "same-origin" });
      job = await r.json();
    }
    if (job.error) {
      verdict.textContent = "error: " + job.error.message;
    } else if (job.result && job.result.identical) {
      verdict.textContent = "reproduced: identical";
    } else {
      verdict.textContent = "not reproduced: " + ((job.result && job.result.differences) || []).join("; ");
    }
  } catch (e) {
    verdict.textContent = "could not reach the server: " + e.message;
  } finally {
    button.disabled = false;
  }
}

document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("table.sortable th").forEach((th) => th.addEventListener("click", () => sortTable(th)));
  const q = document.getElementById("q");
  if (q) {
    q.addEventListener("input", () => filterRows(q));
    filterRows(q);
  }
  document.querySelectorAll("button.compare").forEach((b) => {
    const update = () => { b.disabled = pickedRuns(b).length < 2; };
    b.closest("main").addEventListener("change", update);
    b.addEventListener("click", () => {
      const ids = pickedRuns(b);
      location.href = "/compare?" + ids.map((id) => "run=" + encodeURIComponent(id)).join("&");
    });
    update();
  });
  const rep = document.getElementById("reproduce");
  if (rep) rep.addEventListener("click", () => reproduce(rep));
});
