// MuraPipeline console: the live overview and the study viewer's controls. Shipped inside the build; no libraries.
"use strict";

(function () {
  const $ = (selector, root) => (root || document).querySelector(selector);
  const $$ = (selector, root) => Array.from((root || document).querySelectorAll(selector));
  const text = (v) => (v === null || v === undefined ? "" : String(v));
  const cell = (v, cls) => { const td = document.createElement("td"); td.textContent = text(v); if (cls) td.className = cls; return td; };
  const utc = (t) => (t ? new Date(t).toISOString().replace("T", " ").slice(0, 19) : "–");
  const path = (obj, dotted) => dotted.split(".").reduce((o, k) => (o === null || o === undefined ? undefined : o[k]), obj);

  // The overview: every element with data-field shows that field of /api/overview; the tables and the chart are redrawn.
  const overview = $("#overview");
  if (overview) {
    const source = overview.dataset.source;
    const draw = (data) => {
      for (const el of $$("[data-field]", overview)) {
        if (el.dataset.field === "updated") { el.textContent = "updated " + new Date().toLocaleTimeString(); continue; }
        const v = path(data, el.dataset.field);
        el.textContent = v === undefined || v === null ? (el.dataset.empty !== undefined ? el.dataset.empty : "–") : text(v);
      }

      const queues = $("#queues tbody"); queues.replaceChildren();
      for (const q of data.status.queues) {
        const tr = document.createElement("tr");
        if (q.name.endsWith("_error") && q.ready > 0) tr.className = "alert";
        tr.append(cell(q.name), cell(q.ready, "num"), cell(q.unacked, "num"), cell(q.consumers, "num"));
        queues.append(tr);
      }
      if (data.status.queues.length === 0) { const tr = document.createElement("tr"); const td = cell(data.status.broker); td.colSpan = 4; tr.append(td); queues.append(tr); }

      const replicas = $("#replicas tbody"); replicas.replaceChildren();
      for (const r of data.replicas) {
        const tr = document.createElement("tr");
        if (r.stale) tr.className = "alert";
        tr.append(cell(r.id), cell(r.roles), cell(r.model ? r.model.slice(0, 12) : "–"), cell(utc(r.last_batch_at)), cell(r.batches, "num"), cell(utc(r.last_seen_at)));
        replicas.append(tr);
      }

      const exports = $("#exports tbody"); exports.replaceChildren();
      for (const e of data.status.exports) {
        const tr = document.createElement("tr");
        if (e.status === "failed") tr.className = "alert";
        tr.append(cell(e.run, "num"), cell(e.status), cell(e.trigger), cell(utc(e.started)), cell(e.studies, "num"), cell(e.training || "–"));
        exports.append(tr);
      }

      // Bars of views scored per minute; the tallest bar fills the chart.
      const chart = $("#rate-chart"), counts = data.scored_per_minute_last_hour, max = Math.max(1, ...counts);
      chart.replaceChildren();
      const ns = "http://www.w3.org/2000/svg", w = 600 / counts.length;
      counts.forEach((n, i) => {
        const bar = document.createElementNS(ns, "rect");
        const h = (n / max) * 110;
        bar.setAttribute("x", String(i * w + 1)); bar.setAttribute("width", String(Math.max(1, w - 2)));
        bar.setAttribute("y", String(115 - h)); bar.setAttribute("height", String(h));
        const title = document.createElementNS(ns, "title"); title.textContent = `${60 - i} min ago: ${n} views`; bar.append(title);
        chart.append(bar);
      });
      overview.dataset.loaded = "true";
    };
    const refresh = async () => {
      try {
        const response = await fetch(source, { headers: { Accept: "application/json" }, credentials: "same-origin" });
        if (response.status === 401) { location.href = "/login?returnUrl=" + encodeURIComponent(location.pathname); return; }
        if (response.ok) draw(await response.json());
      } finally {
        setTimeout(refresh, 3000);
      }
    };
    refresh();
  }

  // The study viewer: heatmap toggle and opacity, zoom, and the verdict keys (A abnormal, N normal, J next study, H heatmap).
  const verdict = $("#verdict");
  if (verdict) {
    const toggle = $("#heat-toggle"), opacity = $("#heat-opacity"), zoom = $("#zoom"), thenNext = $("#then-next");
    const apply = () => {
      for (const img of $$(".picture .heat")) { img.style.opacity = toggle.checked ? String(opacity.value / 100) : "0"; }
      for (const pic of $$(".picture")) { pic.style.width = zoom.value + "%"; }
    };
    toggle.addEventListener("change", apply); opacity.addEventListener("input", apply); zoom.addEventListener("input", apply); apply();
    const submit = (value) => {
      verdict.querySelector("input[name=next]").value = thenNext.checked ? "1" : "0";
      const button = verdict.querySelector(`button[value=${value}]`);
      verdict.requestSubmit(button);
    };
    document.addEventListener("keydown", (e) => {
      if (e.ctrlKey || e.metaKey || e.altKey || /^(INPUT|SELECT|TEXTAREA)$/.test(e.target.tagName) && e.target.type !== "checkbox" && e.target.type !== "range") return;
      const key = e.key.toLowerCase();
      if (key === "a") { e.preventDefault(); submit("abnormal"); }
      else if (key === "n") { e.preventDefault(); submit("normal"); }
      else if (key === "j") { const next = $("#next-study"); if (next) { e.preventDefault(); location.href = next.href; } }
      else if (key === "h") { e.preventDefault(); toggle.checked = !toggle.checked; apply(); }
    });
    verdict.addEventListener("submit", () => { verdict.querySelector("input[name=next]").value = thenNext.checked ? "1" : "0"; });
  }
})();
