// Fleet view: polls /console/fleet.json and redraws the table (text only, no HTML from data).
"use strict";
(function () {
  const table = document.getElementById("fleet");
  if (!table) return;
  const every = Number(table.dataset.pollMs) || 2000;
  const body = table.tBodies[0];
  const updated = document.getElementById("fleet-updated");

  function cell(row, text, cls) {
    const td = document.createElement("td");
    td.textContent = text;
    if (cls) td.className = cls;
    row.appendChild(td);
    return td;
  }
  function age(seconds) {
    if (seconds === null || seconds === undefined) return "";
    if (seconds < 90) return " (" + Math.round(seconds) + " s ago)";
    if (seconds < 5400) return " (" + Math.round(seconds / 60) + " min ago)";
    return " (" + Math.round(seconds / 3600) + " h ago)";
  }

  function draw(view) {
    document.getElementById("fleet-online").textContent = view.online + " / " + view.total;
    for (const kind of Object.keys(view.anomalies)) {
      const el = document.getElementById("total-" + kind);
      if (el) el.textContent = String(view.anomalies[kind]);
    }
    const rows = [];
    for (const st of view.stores) {
      const tr = document.createElement("tr");
      tr.dataset.store = st.store_id;
      const th = document.createElement("th");
      th.scope = "row";
      const link = document.createElement("a");
      link.href = "/console/stores/" + encodeURIComponent(st.store_id);
      link.textContent = st.store_id;
      const name = document.createElement("span");
      name.className = "muted";
      name.textContent = " " + st.name;
      th.append(link, name);
      tr.appendChild(th);
      const state = document.createElement("span");
      state.className = "badge " + st.state;
      state.textContent = st.state;
      cell(tr, "").appendChild(state);
      cell(tr, st.last_contact ? st.last_contact + age(st.last_contact_age_s) : "never");
      cell(tr, "seq " + st.uplink_applied_seq);
      cell(tr, st.shown.backlog);
      cell(tr, st.downlink_backlog + (st.downlink_backlog ? age(st.downlink_oldest_unacked_age_s).replace("ago", "oldest") : ""));
      cell(tr, st.shown.skew);
      cell(tr, st.op_schema_version === null ? "–" : String(st.op_schema_version));
      cell(tr, st.shown.versions);
      cell(tr, st.shown.bootstrap);
      const flags = cell(tr, "");
      const kinds = Object.keys(st.anomalies).filter((k) => st.anomalies[k] > 0);
      if (!kinds.length) flags.textContent = "none";
      for (const kind of kinds) {
        const a = document.createElement("a");
        a.href = "/console/anomalies/" + kind + "?store=" + encodeURIComponent(st.store_id);
        a.textContent = st.anomalies[kind] + " " + kind + " ";
        flags.appendChild(a);
      }
      rows.push(tr);
    }
    if (rows.length) body.replaceChildren(...rows);
    updated.textContent = "Updated " + new Date().toLocaleTimeString();
  }

  async function poll() {
    try {
      const response = await fetch("/console/fleet.json", { credentials: "same-origin", cache: "no-store" });
      if (response.status === 401) { window.location.assign("/console/sign-in?then=/console/fleet"); return; }
      if (response.ok) draw(await response.json());
      else updated.textContent = "Could not refresh (" + response.status + "); retrying.";
    } catch (err) {
      updated.textContent = "The hub did not answer; retrying.";
    }
    window.setTimeout(poll, every);
  }
  window.setTimeout(poll, every);
})();
