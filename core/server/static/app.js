// The memory browser: plain DOM code over the REST API. Memory text is untrusted input, so it is
// only ever inserted with textContent, never as HTML.
"use strict";

const $ = (id) => document.getElementById(id);
const state = { key: sessionStorage.getItem("memspan-key") || "", offset: 0, nextOffset: null };

function setStatus(text, isError = false) {
  $("status").textContent = text;
  $("status").className = isError ? "error" : "";
}

async function api(method, path, body) {
  const options = { method, headers: { Authorization: "Bearer " + state.key } };
  if (body !== undefined) {
    options.headers["Content-Type"] = "application/json";
    options.body = JSON.stringify(body);
  }
  const response = await fetch(path, options);
  if (response.status === 204) return null;
  const data = await response.json().catch(() => ({}));
  if (!response.ok) {
    const message = data.error ? data.error.message : response.statusText;
    throw new Error(`${response.status}: ${message}`);
  }
  return data;
}

function scopeParams() {
  const params = new URLSearchParams();
  for (const [name, id] of [["user_id", "user-id"], ["agent_id", "agent-id"], ["run_id", "run-id"]]) {
    const value = $(id).value.trim();
    if (value) params.set(name, value);
  }
  return params;
}

function cell(row, text, className) {
  const td = document.createElement("td");
  td.textContent = text;
  if (className) td.className = className;
  row.appendChild(td);
  return td;
}

function button(label, className, onClick) {
  const b = document.createElement("button");
  b.type = "button";
  b.textContent = label;
  b.className = className;
  b.addEventListener("click", onClick);
  return b;
}

function owner(m) {
  return ["user_id", "agent_id", "run_id"].filter((k) => m[k]).map((k) => `${k}=${m[k]}`).join(", ");
}

function renderMemories(items, append) {
  const body = $("memories").querySelector("tbody");
  if (!append) body.replaceChildren();
  for (const m of items) {
    const row = document.createElement("tr");
    row.dataset.id = m.id;
    if (m.deleted_at) row.classList.add("deleted");
    const text = cell(row, m.memory, "memory");
    cell(row, owner(m));
    cell(row, m.memory_type);
    cell(row, m.updated_at);
    cell(row, m.score === undefined || m.score === null ? "" : m.score.toFixed(3));
    const actions = cell(row, "");
    actions.appendChild(button("History", "history", () => showHistory(m.id)));
    if (!m.deleted_at) {
      actions.appendChild(button("Edit", "edit", () => editMemory(m, text)));
      actions.appendChild(button("Delete", "delete", () => deleteMemory(m)));
    }
    body.appendChild(row);
  }
}

async function listMemories(append = false) {
  const params = scopeParams();
  params.set("limit", "50");
  params.set("offset", String(append ? state.nextOffset : 0));
  if ($("include-deleted").checked) params.set("include_deleted", "true");
  try {
    const page = await api("GET", "/v1/memories?" + params);
    renderMemories(page.results, append);
    state.nextOffset = page.next_offset;
    $("more").hidden = page.next_offset === null;
    const shown = $("memories").querySelectorAll("tbody tr").length;
    setStatus(`${shown} memories`);
  } catch (error) {
    setStatus(error.message, true);
  }
}

async function searchMemories() {
  const body = Object.fromEntries(scopeParams());
  body.query = $("query").value;
  body.limit = 20;
  try {
    const result = await api("POST", "/v1/memories/search", body);
    renderMemories(result.results, false);
    $("more").hidden = true;
    setStatus(`${result.results.length} results for “${body.query}”`);
  } catch (error) {
    setStatus(error.message, true);
  }
}

async function showHistory(id) {
  try {
    const result = await api("GET", `/v1/memories/${encodeURIComponent(id)}/history`);
    $("history-id").textContent = id;
    const list = $("history-events");
    list.replaceChildren();
    for (const e of result.results) {
      const item = document.createElement("li");
      const change = e.event === "ADD" ? e.new_memory : e.event === "UPDATE" ? `${e.old_memory} → ${e.new_memory}` : e.old_memory;
      item.textContent = `${e.created_at}  ${e.event}  ${change ?? ""}`;
      list.appendChild(item);
    }
    $("history").hidden = false;
  } catch (error) {
    setStatus(error.message, true);
  }
}

function editMemory(m, td) {
  const area = document.createElement("textarea");
  area.value = m.memory;
  area.className = "edit-text";
  const save = button("Save", "save", async () => {
    try {
      await api("PATCH", `/v1/memories/${encodeURIComponent(m.id)}`, { text: area.value });
      setStatus("saved");
      await listMemories();
    } catch (error) {
      setStatus(error.message, true);
    }
  });
  const cancel = button("Cancel", "cancel", () => listMemories());
  td.replaceChildren(area, save, cancel);
  area.focus();
}

async function deleteMemory(m) {
  if (!window.confirm(`Delete this memory?\n\n${m.memory}`)) return;
  try {
    await api("DELETE", `/v1/memories/${encodeURIComponent(m.id)}`);
    setStatus("deleted");
    const row = $("memories").querySelector(`tr[data-id="${CSS.escape(m.id)}"]`);
    if (row) row.remove();
  } catch (error) {
    setStatus(error.message, true);
  }
}

function logParams() {
  const params = new URLSearchParams();
  for (const [name, id] of [["memory_id", "log-memory"], ["key_id", "log-key"], ["user_id", "log-user"]]) {
    const value = $(id).value.trim();
    if (value) params.set(name, value);
  }
  return params;
}

async function showLog() {
  const params = logParams();
  params.set("limit", "200");
  try {
    const page = await api("GET", "/v1/access-log?" + params);
    const body = $("log").querySelector("tbody");
    body.replaceChildren();
    for (const r of page.results) {
      const row = document.createElement("tr");
      for (const text of [r.at, r.key_name, r.action, r.operation, r.memory_id ?? (r.memory_ids.length ? r.memory_ids.length + " memories" : "(whole scope)"), owner(r)]) cell(row, text);
      body.appendChild(row);
    }
  } catch (error) {
    setStatus(error.message, true);
  }
}

async function exportLog() {
  const params = logParams();
  params.set("format", "csv");
  const response = await fetch("/v1/access-log/export?" + params, { headers: { Authorization: "Bearer " + state.key } });
  const link = document.createElement("a");
  link.href = URL.createObjectURL(await response.blob());
  link.download = "memspan-access-log.csv";
  link.click();
}

function showTab(name) {
  $("memories-view").hidden = name !== "memories";
  $("log-view").hidden = name !== "log";
  $("tab-memories").classList.toggle("active", name === "memories");
  $("tab-log").classList.toggle("active", name === "log");
  if (name === "log") showLog();
}

async function connect() {
  try {
    const me = await api("GET", "/v1/whoami");
    sessionStorage.setItem("memspan-key", state.key);
    $("whoami").textContent = `${me.name}${me.admin ? " (admin)" : ""}`;
    $("app").hidden = false;
    $("tab-log").hidden = !me.admin;
    const grant = me.grants[0];
    if (grant) {
      $("user-id").value = grant.user_id || "";
      $("agent-id").value = grant.agent_id || "";
      $("run-id").value = grant.run_id || "";
    }
    setStatus("connected");
  } catch (error) {
    $("app").hidden = true;
    $("whoami").textContent = error.message;
  }
}

document.addEventListener("DOMContentLoaded", () => {
  $("login").addEventListener("submit", (event) => {
    event.preventDefault();
    state.key = $("api-key").value.trim();
    connect();
  });
  $("scope").addEventListener("submit", (event) => { event.preventDefault(); listMemories(); });
  $("search").addEventListener("submit", (event) => { event.preventDefault(); searchMemories(); });
  $("more").addEventListener("click", () => listMemories(true));
  $("tab-memories").addEventListener("click", () => showTab("memories"));
  $("tab-log").addEventListener("click", () => showTab("log"));
  $("log-filter").addEventListener("submit", (event) => { event.preventDefault(); showLog(); });
  $("log-export").addEventListener("click", exportLog);
  if (state.key) { $("api-key").value = state.key; connect(); }
});
