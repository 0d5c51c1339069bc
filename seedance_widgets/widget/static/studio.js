// Seedance Studio front end: one plain ES module, no bundler, no imports.
//
// The contract with the kernel (`Studio` in studio.py) is docs/widget-protocol.md:
// synced traits model, model_display_name, fields, params, jobs, backend, error, gallery,
// compare; custom messages generate / cancel / video / new_take / export (front end ->
// kernel) and video / video_error / code (kernel -> front end). Controls are built only
// from `fields`.
//
// The default export is a factory: anywidget calls it once per widget model, so the
// closure below is per-model state (Blob URL cache, last exported code) shared by every
// view of that model, and a page reload (new model) starts from scratch.

const RUNNING = new Set(["submitting", "queued", "processing"]);
const FLAVOURS = [
  ["toolkit", "Toolkit"],
  ["httpx", "httpx"],
  ["curl", "cURL"],
];
const PROMPT_DEBOUNCE_MS = 150;
const TICK_MS = 200;
const REVOKE_GRACE_MS = 1500;
const RATIO = /^(\d+(?:\.\d+)?):(\d+(?:\.\d+)?)$/;
const IS_MAC = typeof navigator !== "undefined" && /Mac|iPhone|iPad/.test(navigator.platform || "");

// ---------------------------------------------------------------------------------------
// small DOM helpers

function h(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "class") node.className = value;
    else if (key === "text") node.textContent = value;
    else if (key.startsWith("on") && typeof value === "function") {
      node.addEventListener(key.slice(2), value);
    } else if (key === "dataset") Object.assign(node.dataset, value);
    else node.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

function humanise(name) {
  const words = String(name).replace(/[_-]+/g, " ").trim();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

// A short label for chips: "generate_audio" -> "Audio", "aspect_ratio" -> "Aspect ratio".
function chipLabel(name) {
  return humanise(String(name).replace(/^(generate|enable|use|add)_/, ""));
}

function isAutoDuration(field) {
  return field.type === "integer" && Array.isArray(field.enum) && field.enum.includes(-1);
}

function hasRatios(field) {
  return Array.isArray(field.enum) && field.enum.some((v) => typeof v === "string" && RATIO.test(v));
}

function formatValue(field, value) {
  if (value === null || value === undefined) return "—";
  if (field && isAutoDuration(field)) return value === -1 ? "Auto" : `${value} s`;
  if (typeof value === "boolean") return value ? "On" : "Off";
  return String(value);
}

function optionLabel(field, value) {
  if (isAutoDuration(field)) return value === -1 ? "Auto" : `${value}s`;
  if (typeof value === "string" && value.length && !RATIO.test(value) && /^[a-z]+$/.test(value)) {
    // "adaptive" -> "Adaptive"; "480p" / "4k" stay as they are.
    return value.charAt(0).toUpperCase() + value.slice(1);
  }
  return String(value);
}

// A small rectangle with the shape of a "W:H" value; a dashed square for the others.
function ratioShape(value) {
  const box = 16;
  const match = RATIO.exec(String(value));
  let width = box;
  let height = box;
  let dashed = !match;
  if (match) {
    const w = Number(match[1]);
    const hgt = Number(match[2]);
    if (w > 0 && hgt > 0) {
      const scale = box / Math.max(w, hgt);
      width = Math.max(4, Math.round(w * scale));
      height = Math.max(4, Math.round(hgt * scale));
    } else dashed = true;
  } else {
    width = height = 12;
  }
  const shape = h("span", { class: `sdw-shape${dashed ? " sdw-shape-free" : ""}`, "aria-hidden": "true" });
  shape.style.width = `${width}px`;
  shape.style.height = `${height}px`;
  return h("span", { class: "sdw-shape-box", "aria-hidden": "true" }, shape);
}

// Before the video's metadata is known, guess its shape from a "W:H" parameter.
function guessOrientation(params) {
  for (const value of Object.values(params)) {
    const match = RATIO.exec(String(value));
    if (match) {
      const w = Number(match[1]);
      const hgt = Number(match[2]);
      return w > hgt ? "landscape" : (hgt > w ? "portrait" : "square");
    }
  }
  return "landscape";
}

function formatElapsed(seconds) {
  if (!Number.isFinite(seconds) || seconds < 0) seconds = 0;
  if (seconds < 60) return `${seconds.toFixed(1)} s`;
  const minutes = Math.floor(seconds / 60);
  const rest = Math.floor(seconds % 60);
  if (minutes < 60) return `${minutes}m ${String(rest).padStart(2, "0")}s`;
  return `${Math.floor(minutes / 60)}h ${String(minutes % 60).padStart(2, "0")}m`;
}

function cartesian(lists) {
  return lists.reduce((acc, list) => acc.flatMap((prefix) => list.map((v) => [...prefix, v])), [[]]);
}

function shorten(text, max) {
  const str = String(text);
  return str.length > max ? `${str.slice(0, max - 1)}…` : str;
}

function stableJson(value) {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(",")}]`;
  if (value && typeof value === "object") {
    return `{${Object.keys(value).sort().map((k) => `${JSON.stringify(k)}:${stableJson(value[k])}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

async function copyText(text) {
  try {
    if (navigator.clipboard && window.isSecureContext) {
      await navigator.clipboard.writeText(text);
      return true;
    }
  } catch (_err) {
    // fall through to the textarea fallback
  }
  const area = h("textarea", { class: "sdw-offscreen", readonly: true, "aria-hidden": "true" });
  area.value = text;
  document.body.append(area);
  const previous = document.activeElement;
  area.select();
  let ok = false;
  try {
    ok = document.execCommand("copy");
  } catch (_err) {
    ok = false;
  }
  area.remove();
  if (previous && typeof previous.focus === "function") previous.focus({ preventScroll: true });
  return ok;
}

// ---------------------------------------------------------------------------------------

export default function createStudio() {
  // Per-model state, shared by all views of one widget model.
  const videos = new Map(); // job_id -> {state: "pending"|"ready"|"error", url, name, error}
  const listeners = new Set(); // views' handlers for kernel messages
  let lastCode = null; // last {flavour, text, inserted} reply
  let viewCount = 0;
  let revokeTimer = null;

  function notify(event) {
    for (const listener of listeners) {
      try {
        listener(event);
      } catch (err) {
        console.error("[seedance-studio]", err);
      }
    }
  }

  function revokeAll() {
    for (const entry of videos.values()) if (entry.url) URL.revokeObjectURL(entry.url);
    videos.clear();
  }

  function onMessage(content, buffers) {
    if (!content || typeof content !== "object") return;
    if (content.type === "video") {
      const id = String(content.job_id);
      const data = buffers && buffers[0];
      if (viewCount === 0) {
        videos.delete(id); // nobody to show it; the next view asks again
        return;
      }
      if (!data || !data.byteLength) {
        videos.set(id, { state: "error", error: "the kernel sent no video bytes" });
      } else {
        const old = videos.get(id);
        if (old && old.url) URL.revokeObjectURL(old.url);
        const blob = new Blob([data], { type: content.mime || "video/mp4" });
        videos.set(id, { state: "ready", url: URL.createObjectURL(blob), name: content.name || `${id}.mp4` });
      }
      notify({ type: "video", job_id: id });
    } else if (content.type === "video_error") {
      const id = String(content.job_id);
      videos.set(id, { state: "error", error: String(content.error || "unknown error") });
      notify({ type: "video", job_id: id });
    } else if (content.type === "code") {
      lastCode = { flavour: content.flavour, text: String(content.text ?? ""), inserted: !!content.inserted };
      notify({ type: "code", code: lastCode });
    }
  }

  function requestVideo(model, jobId) {
    if (videos.has(jobId)) return; // asked once; answered or still pending
    videos.set(jobId, { state: "pending" });
    model.send({ type: "video", job_id: jobId });
  }

  return {
    initialize({ model }) {
      model.on("msg:custom", onMessage);
      return () => {
        model.off("msg:custom", onMessage);
        revokeAll();
      };
    },

    render({ model, el }) {
      viewCount += 1;
      if (revokeTimer) {
        clearTimeout(revokeTimer);
        revokeTimer = null;
      }
      const view = renderView(model, el, { videos, requestVideo, listeners, getLastCode: () => lastCode });
      return () => {
        view.dispose();
        viewCount -= 1;
        if (viewCount === 0) {
          // Revoke once the last view is gone; a short grace lets an immediate re-render
          // (e.g. a hot reload of this module) reuse the URLs instead of refetching.
          revokeTimer = setTimeout(() => {
            revokeTimer = null;
            if (viewCount === 0) revokeAll();
          }, REVOKE_GRACE_MS);
        }
      };
    },
  };
}

// ---------------------------------------------------------------------------------------

function renderView(model, el, shared) {
  const disposers = [];
  const on = (event, handler) => {
    model.on(event, handler);
    disposers.push(() => model.off(event, handler));
  };

  const root = h("div", { class: "sdw-studio", "data-testid": "studio" });
  el.replaceChildren(root);

  // ---- header -------------------------------------------------------------------------
  const titleName = h("span", { class: "sdw-title-name" });
  const titleId = h("span", { class: "sdw-title-id" });
  const badge = h("span", { class: "sdw-badge sdw-badge-sim", "data-testid": "simulated-badge", role: "status" },
    h("span", { class: "sdw-badge-dot", "aria-hidden": "true" }), "Simulated");
  const header = h("header", { class: "sdw-header" },
    h("div", { class: "sdw-title" },
      h("span", { class: "sdw-logo", "aria-hidden": "true" }),
      h("div", { class: "sdw-title-text" }, titleName, titleId)),
    badge);

  // ---- form ---------------------------------------------------------------------------
  const basicBox = h("div", { class: "sdw-fields" });
  const moreBox = h("div", { class: "sdw-fields sdw-more-fields", id: `sdw-more-${Math.random().toString(36).slice(2)}` });
  const moreToggle = h("button", {
    type: "button", class: "sdw-more-toggle", "data-testid": "more-toggle",
    "aria-expanded": "false", "aria-controls": moreBox.id,
  }, h("span", { class: "sdw-caret", "aria-hidden": "true" }), h("span", { class: "sdw-more-label", text: "More options" }));
  const moreSection = h("div", { class: "sdw-more" }, moreToggle, moreBox);
  let moreOpen = false;
  moreBox.hidden = true;
  moreToggle.addEventListener("click", () => {
    moreOpen = !moreOpen;
    moreBox.hidden = !moreOpen;
    moreToggle.setAttribute("aria-expanded", String(moreOpen));
    moreSection.classList.toggle("sdw-open", moreOpen);
  });

  const generateBtn = h("button", { type: "button", class: "sdw-btn sdw-btn-primary sdw-generate", "data-testid": "generate" },
    h("span", { class: "sdw-generate-icon", "aria-hidden": "true" }), "Generate");
  const shortcut = h("span", { class: "sdw-hint", text: `${IS_MAC ? "⌘" : "Ctrl"}+Enter` });
  const formError = h("div", { class: "sdw-form-error", "data-testid": "form-error", role: "alert" });
  formError.hidden = true;

  // ---- export -------------------------------------------------------------------------
  let flavour = "toolkit";
  const flavourButtons = FLAVOURS.map(([value, label]) => h("button", {
    type: "button", class: "sdw-seg-btn", "data-testid": `export-flavour-${value}`, "data-value": value,
    "aria-pressed": String(value === flavour), text: label,
    onclick: () => {
      flavour = value;
      for (const b of flavourButtons) b.setAttribute("aria-pressed", String(b.dataset.value === flavour));
      if (!codePanel.hidden) requestCode(false); // keep the visible code in the chosen flavour
    },
  }));
  const insertBtn = h("button", { type: "button", class: "sdw-btn", "data-testid": "insert-code", text: "Insert code" });
  const showBtn = h("button", { type: "button", class: "sdw-btn sdw-btn-quiet", "data-testid": "show-code", text: "Show code" });
  const codeNote = h("span", { class: "sdw-code-note" });
  const copyBtn = h("button", { type: "button", class: "sdw-btn sdw-btn-small", "data-testid": "copy-code", text: "Copy" });
  const codeText = h("code");
  const codePre = h("pre", { class: "sdw-code", "data-testid": "export-code" }, codeText);
  const codePanel = h("div", { class: "sdw-code-panel" },
    h("div", { class: "sdw-code-bar" }, codeNote, copyBtn), codePre);
  codePanel.hidden = true;
  let shownCode = null;
  let codeParams = null;

  const exportSection = h("section", { class: "sdw-export", "aria-label": "Export as code" },
    h("div", { class: "sdw-section-title", text: "Export as code" }),
    h("div", { class: "sdw-export-row" },
      h("div", { class: "sdw-seg", role: "group", "aria-label": "Code flavour" }, flavourButtons),
      h("div", { class: "sdw-export-actions" }, showBtn, insertBtn)),
    codePanel);

  const form = h("section", { class: "sdw-form", "aria-label": "Request" },
    basicBox, moreSection,
    h("div", { class: "sdw-actions" }, generateBtn, shortcut),
    formError,
    exportSection);

  // ---- jobs ---------------------------------------------------------------------------
  const jobsCount = h("span", { class: "sdw-count" });
  const jobsList = h("div", { class: "sdw-job-list", role: "list" });
  const emptyState = h("div", { class: "sdw-empty" },
    h("div", { class: "sdw-empty-icon", "aria-hidden": "true" }),
    h("div", { text: "No jobs yet. Describe a shot and press Generate." }));
  const jobsSection = h("section", { class: "sdw-jobs", "aria-label": "Jobs" },
    h("div", { class: "sdw-section-title" }, "Jobs", jobsCount), emptyState, jobsList);

  // ---- compare panel and sweep gallery (full width, above the form) -------------------
  const compareSection = h("section", { class: "sdw-compare", "data-testid": "compare-panel", "aria-label": "Compare" });
  compareSection.hidden = true;
  const gallerySection = h("section", { class: "sdw-gallery", "data-testid": "gallery", "aria-label": "Sweep gallery" });
  gallerySection.hidden = true;

  root.append(header, compareSection, gallerySection, h("div", { class: "sdw-body" }, form, jobsSection));

  // ---- controls from `fields` ---------------------------------------------------------
  let fields = [];
  let fieldsKey = "";
  const controls = new Map(); // name -> {field, sync(value)}
  let pendingText = []; // flush() of every free-text control (the prompt first)

  function currentParams() {
    const value = model.get("params");
    return value && typeof value === "object" ? value : {};
  }

  function setParam(name, value) {
    const next = { ...currentParams() };
    if (value === undefined) delete next[name];
    else next[name] = value;
    model.set("params", next);
    model.save_changes();
  }

  function buildTextField(field, isPrompt) {
    const area = h("textarea", {
      class: `sdw-textarea${isPrompt ? " sdw-prompt" : ""}`,
      rows: isPrompt ? 4 : 2,
      placeholder: typeof field.default === "string" && field.default ? `e.g. ${field.default}` : field.description || "",
      "aria-label": humanise(field.name),
      spellcheck: "true",
    });
    if (isPrompt) area.dataset.testid = "prompt";
    const count = h("span", { class: "sdw-char-count" });
    if (isPrompt) count.dataset.testid = "char-count";
    else count.dataset.testid = `char-count-${field.name}`;
    const max = Number.isFinite(field.maximum) ? field.maximum : null;
    const updateCount = () => {
      const n = area.value.length;
      count.textContent = max ? `${n} / ${max}` : `${n} character${n === 1 ? "" : "s"}`;
      count.classList.toggle("sdw-over", max !== null && n > max);
    };
    let timer = null;
    const flush = () => {
      if (timer === null) return;
      clearTimeout(timer);
      timer = null;
      if (currentParams()[field.name] !== area.value) setParam(field.name, area.value);
    };
    area.addEventListener("input", () => {
      updateCount();
      if (timer !== null) clearTimeout(timer);
      timer = setTimeout(() => {
        timer = null;
        if (currentParams()[field.name] !== area.value) setParam(field.name, area.value);
      }, PROMPT_DEBOUNCE_MS);
    });
    area.addEventListener("blur", flush);
    // Shift/Ctrl/Alt+Enter typed here must not reach the notebook ("run cell" would re-run
    // the widget's own cell). JupyterLab and Notebook 7 look at keys on `document` (in the
    // capture phase in some versions), so the guard sits on `window`, capture phase, which
    // runs first; it only acts on events aimed at this textarea. Other keys pass through.
    const guard = (event) => {
      if (event.target !== area || event.key !== "Enter" || event.isComposing) return;
      if (!(event.shiftKey || event.ctrlKey || event.metaKey || event.altKey)) return;
      event.stopPropagation();
      if ((event.ctrlKey || event.metaKey) && !event.altKey && !event.shiftKey) {
        event.preventDefault();
        generate();
      }
    };
    // JupyterLab also cancels line breaks typed anywhere inside a cell (a `beforeinput`
    // listener it puts on the focused element when a key such as Shift goes down): let
    // this textarea keep its Shift+Enter newline.
    const keepNewline = (event) => {
      if (event.target !== area) return;
      if (event.inputType === "insertLineBreak" || event.inputType === "insertParagraph") {
        event.stopPropagation();
      }
    };
    window.addEventListener("keydown", guard, true);
    window.addEventListener("beforeinput", keepNewline, true);
    disposers.push(() => {
      window.removeEventListener("keydown", guard, true);
      window.removeEventListener("beforeinput", keepNewline, true);
    });
    disposers.push(() => {
      if (timer !== null) flush();
    });
    const sync = (value) => {
      const text = typeof value === "string" ? value : "";
      // Do not overwrite what the user is typing before it has been sent.
      if (timer !== null) return;
      if (area.value !== text) {
        area.value = text;
        updateCount();
      }
    };
    updateCount();
    pendingText.push(flush);
    return { node: h("div", { class: "sdw-text-wrap" }, area, h("div", { class: "sdw-text-foot" }, count)), sync, flush };
  }

  function buildSegmented(field) {
    const ratios = hasRatios(field);
    const buttons = field.enum.map((value) => {
      const btn = h("button", {
        type: "button", class: `sdw-seg-btn${ratios ? " sdw-seg-ratio" : ""}`,
        "data-value": String(value), "aria-pressed": "false", title: String(value),
      }, ratios ? ratioShape(value) : null, h("span", { text: optionLabel(field, value) }));
      btn.addEventListener("click", () => {
        if (currentParams()[field.name] === value) return;
        setParam(field.name, value);
        sync(value);
      });
      return btn;
    });
    const sync = (value) => {
      field.enum.forEach((option, i) => buttons[i].setAttribute("aria-pressed", String(option === value)));
    };
    const group = h("div", {
      class: `sdw-seg sdw-seg-wrap${isAutoDuration(field) ? " sdw-seg-compact" : ""}`,
      role: "group", "aria-label": humanise(field.name),
    }, buttons);
    return { node: group, sync };
  }

  function buildToggle(field) {
    const btn = h("button", {
      type: "button", class: "sdw-switch", role: "switch", "aria-checked": "false",
      "aria-label": humanise(field.name), "data-value": "false",
    }, h("span", { class: "sdw-switch-knob", "aria-hidden": "true" }));
    const state = h("span", { class: "sdw-switch-state" });
    btn.addEventListener("click", () => {
      const next = !(currentParams()[field.name] === true);
      setParam(field.name, next);
      sync(next);
    });
    const sync = (value) => {
      btn.setAttribute("aria-checked", String(value === true));
      btn.setAttribute("aria-pressed", String(value === true));
      btn.dataset.value = String(value === true);
      state.textContent = value === true ? "On" : "Off";
    };
    return { node: h("div", { class: "sdw-switch-row" }, btn, state), sync, inline: true };
  }

  function buildNumber(field) {
    const input = h("input", {
      type: "number", class: "sdw-number", "aria-label": humanise(field.name),
      min: Number.isFinite(field.minimum) ? field.minimum : null,
      max: Number.isFinite(field.maximum) ? field.maximum : null,
      step: field.type === "integer" ? 1 : "any",
      placeholder: field.default !== null && field.default !== undefined ? String(field.default) : "",
    });
    input.addEventListener("change", () => {
      if (input.value === "") {
        setParam(field.name, undefined);
        return;
      }
      const value = field.type === "integer" ? Math.round(Number(input.value)) : Number(input.value);
      if (Number.isFinite(value)) setParam(field.name, value);
    });
    const sync = (value) => {
      const text = value === null || value === undefined ? "" : String(value);
      if (document.activeElement !== input && input.value !== text) input.value = text;
    };
    return { node: input, sync };
  }

  function buildField(field) {
    let control;
    if (Array.isArray(field.enum) && field.enum.length) control = buildSegmented(field);
    else if (field.type === "boolean") control = buildToggle(field);
    else if (field.type === "integer" || field.type === "number") control = buildNumber(field);
    else control = buildTextField(field, field.name === "prompt");

    const label = h("span", { class: "sdw-label", text: humanise(field.name) });
    if (field.required && field.name !== "prompt") label.append(h("span", { class: "sdw-req", text: " *" }));
    const group = h("div", {
      class: `sdw-field${control.inline ? " sdw-field-inline" : ""}`,
      "data-testid": `field-${field.name}`, "data-field": field.name, title: field.description || null,
    }, label, control.node);
    controls.set(field.name, { field, sync: control.sync });
    return group;
  }

  function buildControls() {
    controls.clear();
    pendingText = [];
    basicBox.replaceChildren();
    moreBox.replaceChildren();
    // The prompt (or first free text) leads; otherwise the schema's order.
    const ordered = [...fields].sort((a, b) => (b.name === "prompt") - (a.name === "prompt"));
    let advanced = 0;
    for (const field of ordered) {
      if (!field || typeof field.name !== "string") continue;
      const node = buildField(field);
      if (field.basic) basicBox.append(node);
      else {
        moreBox.append(node);
        advanced += 1;
      }
    }
    moreSection.hidden = advanced === 0;
    syncControls();
  }

  function syncControls() {
    const params = currentParams();
    for (const [name, control] of controls) control.sync(params[name]);
    if (shownCode !== null) markCodeStale();
  }

  // Send any text still waiting for its debounce (before generate / export / rebuild).
  function promptFlush() {
    for (const flush of pendingText) flush();
  }

  function generate() {
    promptFlush();
    model.send({ type: "generate" });
    generateBtn.classList.add("sdw-pulse");
    setTimeout(() => generateBtn.classList.remove("sdw-pulse"), 600);
  }
  generateBtn.addEventListener("click", generate);

  // ---- export handlers ----------------------------------------------------------------
  function requestCode(insert) {
    promptFlush();
    codeParams = stableJson(currentParams());
    model.send({ type: "export", flavour, insert: !!insert });
  }
  insertBtn.addEventListener("click", () => requestCode(true));
  showBtn.addEventListener("click", () => requestCode(false));

  function showCode(code) {
    if (!code) return;
    shownCode = code;
    codeText.textContent = code.text;
    codePanel.hidden = false;
    codePanel.dataset.flavour = code.flavour || "";
    const name = (FLAVOURS.find(([v]) => v === code.flavour) || [null, code.flavour])[1];
    codeNote.textContent = code.inserted ? `${name} · inserted in a new cell below` : `${name} · copy it into a cell`;
    codeNote.classList.toggle("sdw-ok", !!code.inserted);
    codePanel.classList.remove("sdw-stale");
  }

  function markCodeStale() {
    const stale = codeParams !== null && codeParams !== stableJson(currentParams());
    codePanel.classList.toggle("sdw-stale", stale);
    codePanel.title = stale ? "The form changed since this code was exported" : "";
  }

  copyBtn.addEventListener("click", async () => {
    if (!shownCode) return;
    const ok = await copyText(shownCode.text);
    copyBtn.textContent = ok ? "Copied" : "Select & copy";
    if (!ok) {
      const range = document.createRange();
      range.selectNodeContents(codeText);
      const selection = window.getSelection();
      selection.removeAllRanges();
      selection.addRange(range);
    }
    setTimeout(() => {
      copyBtn.textContent = "Copy";
    }, 1500);
  });

  // ---- job cards ----------------------------------------------------------------------
  const cards = new Map(); // job id -> card
  const fieldByName = () => new Map(fields.map((f) => [f.name, f]));

  function chipFor(field, name, value) {
    if (typeof value === "boolean") {
      return h("span", { class: `sdw-chip${value ? " sdw-chip-on" : " sdw-chip-off"}`, title: `${humanise(name)}: ${value ? "on" : "off"}` },
        value ? chipLabel(name) : `No ${chipLabel(name).toLowerCase()}`);
    }
    const ratio = field && hasRatios(field);
    return h("span", { class: "sdw-chip", title: `${humanise(name)}: ${formatValue(field, value)}` },
      ratio ? ratioShape(value) : null, formatValue(field, value));
  }

  function createCard(job) {
    const card = {
      id: job.id,
      status: null,
      job: null,
      node: h("article", { class: "sdw-job", "data-testid": "job", "data-job-id": job.id, role: "listitem" }),
      pill: h("span", { class: "sdw-pill", "data-testid": "job-status" }),
      elapsed: h("span", { class: "sdw-elapsed", "data-testid": "job-elapsed" }),
      eta: h("span", { class: "sdw-eta", "data-testid": "job-eta" }),
      meta: h("span", { class: "sdw-job-meta" }),
      cancel: h("button", { type: "button", class: "sdw-btn sdw-btn-small sdw-btn-danger", "data-testid": "job-cancel", text: "Cancel" }),
      compare: compareToggle(job.id),
      newTake: h("button", {
        type: "button", class: "sdw-btn sdw-btn-small", "data-testid": "job-new-take", text: "New take",
        title: "Generate this request again as a new take (a new video)",
      }),
      reuse: h("button", { type: "button", class: "sdw-btn sdw-btn-small sdw-btn-quiet", "data-testid": "job-reuse", text: "Reuse", title: "Put these settings back into the form" }),
      actions: h("div", { class: "sdw-job-actions" }),
      prompt: h("p", { class: "sdw-job-prompt" }),
      chips: h("div", { class: "sdw-chips" }),
      error: h("div", { class: "sdw-job-error", "data-testid": "job-error", role: "alert" }),
      media: h("div", { class: "sdw-media" }),
      mediaKey: null,
    };
    card.error.hidden = true;
    card.media.hidden = true;
    card.eta.hidden = true;
    card.newTake.addEventListener("click", () => {
      card.newTake.disabled = true;
      model.send({ type: "new_take", job_id: card.id });
      setTimeout(() => {
        card.newTake.disabled = false;
      }, 800);
    });
    card.cancel.addEventListener("click", () => {
      card.cancel.disabled = true;
      card.cancel.textContent = "Cancelling…";
      model.send({ type: "cancel", job_id: card.id });
    });
    card.reuse.addEventListener("click", () => {
      const known = fieldByName();
      const next = { ...currentParams() };
      for (const [name, value] of Object.entries(card.job.params || {})) if (known.has(name)) next[name] = value;
      model.set("params", next);
      model.save_changes();
      syncControls();
    });
    card.actions.append(card.compare, card.newTake, card.reuse);
    card.node.append(
      h("div", { class: "sdw-job-head" }, card.pill, card.elapsed, card.eta, card.meta,
        h("span", { class: "sdw-spacer" }), card.cancel),
      card.prompt, card.chips, card.error, card.media, card.actions);
    return card;
  }

  function elapsedOf(job) {
    const start = Number(job.created_at);
    if (!Number.isFinite(start)) return null;
    const end = job.finished_at !== null && job.finished_at !== undefined ? Number(job.finished_at) : Date.now() / 1000;
    return Math.max(0, end - start);
  }

  function updateElapsed(card) {
    const seconds = elapsedOf(card.job);
    card.elapsed.textContent = seconds === null ? "" : formatElapsed(seconds);
    card.elapsed.title = card.job.finished_at ? "Total time" : "Elapsed";
    updateEta(card);
  }

  // While processing, the kernel's `eta_seconds` (median of past runs) as time left.
  function updateEta(card) {
    const job = card.job;
    const eta = Number(job.eta_seconds);
    if (job.status !== "processing" || job.eta_seconds === null || job.eta_seconds === undefined || !Number.isFinite(eta)) {
      card.eta.hidden = true;
      return;
    }
    const start = Number(job.started_at ?? job.created_at);
    const left = Number.isFinite(start) ? eta - (Date.now() / 1000 - start) : eta;
    card.eta.hidden = false;
    card.eta.textContent = left > 0.5 ? `ETA ~${Math.ceil(left)} s` : "ETA any moment";
    card.eta.title = `Typical processing time here: ${eta.toFixed(1)} s`;
  }

  function updateCard(card, job) {
    const known = fieldByName();
    const paramsKey = stableJson(job.params || {});
    const firstTime = card.job === null;
    const oldParamsKey = card.job ? stableJson(card.job.params || {}) : null;
    card.job = job;
    const status = String(job.status || "");
    if (card.status !== status) {
      card.status = status;
      card.node.dataset.status = status;
      card.pill.dataset.status = status;
      card.pill.textContent = status || "unknown";
      card.node.classList.toggle("sdw-running", RUNNING.has(status));
    }
    const running = RUNNING.has(status);
    card.cancel.hidden = !running;
    if (!running) {
      card.cancel.disabled = false;
      card.cancel.textContent = "Cancel";
    }
    card.reuse.hidden = running;
    card.newTake.hidden = running;
    const metaBits = [];
    if (job.take && job.take > 1) metaBits.push(`take ${job.take}`);
    if (job.cached) metaBits.push("cached");
    card.meta.textContent = metaBits.join(" · ");
    card.meta.hidden = metaBits.length === 0;
    updateElapsed(card);

    if (firstTime || card.redraw || oldParamsKey !== paramsKey) {
      card.redraw = false;
      card.node.dataset.params = paramsKey;
      const params = job.params || {};
      card.prompt.textContent = typeof params.prompt === "string" ? params.prompt : "";
      card.prompt.title = card.prompt.textContent;
      const chips = [];
      const names = [...fields.map((f) => f.name).filter((n) => n in params),
        ...Object.keys(params).filter((n) => !known.has(n))];
      for (const name of names) {
        if (name === "prompt") continue;
        chips.push(chipFor(known.get(name), name, params[name]));
      }
      card.chips.replaceChildren(...chips);
    }

    const errorText = job.error ? String(job.error) : "";
    card.error.hidden = !errorText;
    card.error.textContent = errorText;

    updateMedia(card);
  }

  function requestPanel(job) {
    const known = fieldByName();
    const params = job.params || {};
    const rows = [];
    const add = (label, value, mono) => rows.push(
      h("dt", { text: label }), h("dd", { class: mono ? "sdw-mono" : null, text: value }));
    for (const name of Object.keys(params)) {
      if (name === "prompt") continue;
      add(humanise(name), formatValue(known.get(name), params[name]));
    }
    if (job.model) add("Model", job.model, true);
    if (job.generation_id) add("Generation", job.generation_id, true);
    return h("dl", { class: "sdw-request", "data-testid": "job-request" }, rows);
  }

  // The video entry for a finished job (asking the kernel for it once), else null.
  function videoEntry(job) {
    if (!job || job.status !== "succeeded" || !job.video) return null;
    shared.requestVideo(model, String(job.id));
    return shared.videos.get(String(job.id)) || { state: "pending" };
  }

  function mediaKeyOf(job, entry) {
    if (!entry) return `none|${job ? job.status : ""}`;
    return `${entry.state}|${entry.url || ""}|${entry.error || ""}`;
  }

  // A <video> (or a placeholder) for `job`; `testid` only on the job cards' players.
  function buildPlayer(job, entry, { testid = null, onOrient = null, compact = false } = {}) {
    if (!entry) {
      const status = job ? String(job.status || "") : "missing";
      return h("div", { class: `sdw-video-placeholder${compact ? " sdw-compact" : ""}`, "data-status": status },
        RUNNING.has(status) ? h("span", { class: "sdw-spinner", "aria-hidden": "true" }) : null,
        h("span", { text: job ? (job.error ? shorten(job.error, 90) : status) : "not in this studio" }));
    }
    if (entry.state === "ready") {
      const video = h("video", {
        class: "sdw-video", "data-testid": testid, controls: true, playsinline: true,
        preload: "auto", src: entry.url, "data-job-id": job.id,
      });
      if (onOrient) {
        video.addEventListener("loadedmetadata", () => {
          const { videoWidth: w, videoHeight: hgt } = video;
          if (w && hgt) onOrient(w > hgt * 1.05 ? "landscape" : (hgt > w * 1.05 ? "portrait" : "square"));
        });
      }
      return video;
    }
    if (entry.state === "error") {
      const retry = h("button", { type: "button", class: "sdw-btn sdw-btn-small", text: "Retry" });
      retry.addEventListener("click", () => {
        shared.videos.delete(String(job.id));
        refreshVideo(String(job.id));
      });
      return h("div", { class: `sdw-video-placeholder sdw-video-failed${compact ? " sdw-compact" : ""}` },
        h("span", { text: `Video unavailable: ${entry.error}` }), retry);
    }
    return h("div", { class: `sdw-video-placeholder${compact ? " sdw-compact" : ""}` },
      h("span", { class: "sdw-spinner", "aria-hidden": "true" }), h("span", { text: "Loading video…" }));
  }

  function updateMedia(card) {
    const job = card.job;
    const entry = videoEntry(job);
    if (!entry) {
      if (card.mediaKey !== null) {
        card.media.replaceChildren();
        card.mediaKey = null;
      }
      card.media.hidden = true;
      return;
    }
    const key = `${mediaKeyOf(job, entry)}|${job.generation_id || ""}`;
    if (card.mediaKey === key) return;
    card.mediaKey = key;
    card.media.hidden = false;
    card.media.dataset.orientation = guessOrientation(job.params || {});
    const player = buildPlayer(job, entry, {
      testid: "job-video",
      onOrient: (o) => {
        card.media.dataset.orientation = o;
      },
    });
    const actions = h("div", { class: "sdw-media-actions" });
    if (entry.state === "ready") {
      actions.append(h("a", {
        class: "sdw-btn sdw-btn-small", "data-testid": "job-download", href: entry.url,
        download: entry.name, title: `Download ${entry.name}`,
      }, h("span", { class: "sdw-dl-icon", "aria-hidden": "true" }), "Download"));
      actions.append(h("span", { class: "sdw-file", text: entry.name, title: entry.name }));
    }
    card.media.replaceChildren(
      h("div", { class: "sdw-player" }, player),
      h("div", { class: "sdw-media-side" }, h("div", { class: "sdw-side-title", text: "Request" }), requestPanel(job), actions));
  }

  // ---- compare toggles and panel ------------------------------------------------------
  function compareIds() {
    const value = model.get("compare");
    return Array.isArray(value) ? value.map(String) : [];
  }

  const compareToggles = new Set();
  function compareToggle(jobId) {
    const btn = h("button", {
      type: "button", class: "sdw-btn sdw-btn-small sdw-toggle", "data-testid": "job-compare",
      "data-job-id": jobId, "aria-pressed": String(compareIds().includes(String(jobId))),
      title: "Show this job in the compare panel",
    }, h("span", { class: "sdw-check", "aria-hidden": "true" }), "Compare");
    btn.addEventListener("click", () => {
      const id = String(jobId);
      const current = compareIds();
      const next = current.includes(id) ? current.filter((x) => x !== id) : [...current, id];
      model.set("compare", next);
      model.save_changes();
      renderCompare();
    });
    compareToggles.add(btn);
    return btn;
  }

  function syncCompareToggles() {
    const ids = new Set(compareIds());
    for (const btn of compareToggles) btn.setAttribute("aria-pressed", String(ids.has(btn.dataset.jobId)));
  }

  let compareKey = "";
  let compareCols = new Map(); // job id -> {node, media, mediaKey, video}
  const comparePlay = h("button", { type: "button", class: "sdw-btn sdw-btn-small sdw-btn-primary-soft", "data-testid": "compare-play", text: "Play all" });
  const compareClear = h("button", { type: "button", class: "sdw-btn sdw-btn-small sdw-btn-quiet", "data-testid": "compare-clear", text: "Clear" });
  const compareGrid = h("div", { class: "sdw-compare-grid" });
  const compareNote = h("span", { class: "sdw-count" });
  compareSection.append(
    h("div", { class: "sdw-panel-head" },
      h("div", { class: "sdw-section-title" }, "Compare", compareNote),
      h("span", { class: "sdw-spacer" }), comparePlay, compareClear),
    compareGrid);
  compareClear.addEventListener("click", () => {
    model.set("compare", []);
    model.save_changes();
    renderCompare();
  });

  function compareVideos() {
    return [...compareCols.values()].map((c) => c.video).filter(Boolean);
  }

  function updateComparePlay() {
    const videos = compareVideos();
    const playing = videos.some((v) => !v.paused && !v.ended);
    comparePlay.textContent = playing ? "Pause all" : "Play all";
    comparePlay.disabled = videos.length === 0;
    comparePlay.setAttribute("aria-pressed", String(playing));
  }

  comparePlay.addEventListener("click", () => {
    const videos = compareVideos();
    if (!videos.length) return;
    if (videos.some((v) => !v.paused && !v.ended)) {
      for (const v of videos) v.pause();
    } else {
      const restart = videos.every((v) => v.ended) ? 0 : Math.min(...videos.map((v) => v.currentTime));
      for (const v of videos) {
        v.currentTime = restart;
        const played = v.play();
        if (played && played.catch) played.catch(() => {});
      }
    }
    updateComparePlay();
  });

  // Keep the compared videos together: play, pause and seek on one reach the others.
  function linkVideo(video) {
    const others = () => compareVideos().filter((v) => v !== video);
    video.addEventListener("play", () => {
      for (const v of others()) {
        if (Math.abs(v.currentTime - video.currentTime) > 0.15) v.currentTime = video.currentTime;
        if (v.paused) {
          const played = v.play();
          if (played && played.catch) played.catch(() => {});
        }
      }
      updateComparePlay();
    });
    video.addEventListener("pause", () => {
      for (const v of others()) if (!v.paused) v.pause();
      updateComparePlay();
    });
    video.addEventListener("seeked", () => {
      for (const v of others()) {
        if (Math.abs(v.currentTime - video.currentTime) > 0.15) v.currentTime = video.currentTime;
      }
    });
    video.addEventListener("ended", updateComparePlay);
  }

  function renderCompare() {
    syncCompareToggles();
    const jobs = jobsById();
    const ids = compareIds().filter((id) => jobs.has(id));
    if (!ids.length) {
      compareSection.hidden = true;
      for (const col of compareCols.values()) if (col.video) col.video.pause();
      compareCols = new Map();
      compareGrid.replaceChildren();
      compareKey = "";
      return;
    }
    compareSection.hidden = false;
    const key = ids.join(",");
    if (key !== compareKey) {
      compareKey = key;
      const old = compareCols;
      compareCols = new Map();
      const selected = ids.map((id) => jobs.get(id));
      const names = [];
      for (const job of selected) for (const name of Object.keys(job.params || {})) if (!names.includes(name)) names.push(name);
      const differs = new Set(names.filter((name) => new Set(selected.map((j) => stableJson((j.params || {})[name]))).size > 1));
      const takesDiffer = new Set(selected.map((j) => j.take)).size > 1;
      const known = fieldByName();
      for (const job of selected) {
        const previous = old.get(job.id);
        const media = previous ? previous.media : h("div", { class: "sdw-compare-media" });
        const params = job.params || {};
        const chips = names.filter((n) => n !== "prompt" && n in params).map((n) => {
          const chip = chipFor(known.get(n), n, params[n]);
          if (differs.has(n)) chip.classList.add("sdw-diff");
          return chip;
        });
        if (job.take > 1 || takesDiffer) {
          chips.push(h("span", { class: `sdw-chip${takesDiffer ? " sdw-diff" : ""}`, text: `take ${job.take}` }));
        }
        const remove = h("button", {
          type: "button", class: "sdw-icon-btn", title: "Remove from compare", "aria-label": "Remove from compare",
          text: "×",
        });
        remove.addEventListener("click", () => {
          model.set("compare", compareIds().filter((x) => x !== job.id));
          model.save_changes();
          renderCompare();
        });
        const node = h("div", { class: "sdw-compare-col", "data-job-id": job.id },
          media,
          h("div", { class: "sdw-compare-caption" },
            h("p", { class: `sdw-compare-prompt${differs.has("prompt") ? " sdw-diff" : ""}`, text: params.prompt || "", title: params.prompt || "" }),
            h("div", { class: "sdw-chips" }, chips)),
          remove);
        compareCols.set(job.id, { node, media, mediaKey: previous ? previous.mediaKey : null, video: previous ? previous.video : null });
      }
      for (const [id, col] of old) if (!compareCols.has(id) && col.video) col.video.pause();
      compareGrid.replaceChildren(...[...compareCols.values()].map((c) => c.node));
      compareGrid.style.setProperty("--sdw-cols", String(Math.min(ids.length, 4)));
      compareNote.textContent = ids.length === 1 ? "pick another job to compare with" : `${ids.length} jobs · differences highlighted`;
    }
    for (const [id, col] of compareCols) {
      const job = jobs.get(id);
      const entry = videoEntry(job);
      const mk = mediaKeyOf(job, entry);
      if (col.mediaKey === mk) continue;
      col.mediaKey = mk;
      const player = buildPlayer(job, entry, { compact: true });
      col.video = player.tagName === "VIDEO" ? player : null;
      if (col.video) linkVideo(col.video);
      col.media.replaceChildren(player);
    }
    updateComparePlay();
  }

  // ---- sweep gallery ------------------------------------------------------------------
  let galleryKey = "";
  let galleryCells = new Map(); // job id -> {node, pill, media, mediaKey}
  let galleryOpen = true;
  const galleryBody = h("div", { class: "sdw-gallery-body" });
  const galleryInfo = h("span", { class: "sdw-count" });
  const galleryToggle = h("button", { type: "button", class: "sdw-btn sdw-btn-small sdw-btn-quiet", "aria-expanded": "true", text: "Hide" });
  galleryToggle.addEventListener("click", () => {
    galleryOpen = !galleryOpen;
    galleryBody.hidden = !galleryOpen;
    galleryToggle.textContent = galleryOpen ? "Hide" : "Show";
    galleryToggle.setAttribute("aria-expanded", String(galleryOpen));
  });
  gallerySection.append(
    h("div", { class: "sdw-panel-head" },
      h("div", { class: "sdw-section-title" }, "Sweep", galleryInfo),
      h("span", { class: "sdw-spacer" }), galleryToggle),
    galleryBody);

  function axisLabel(name, value) {
    const field = fieldByName().get(name);
    if (name === "prompt") return h("span", { class: "sdw-axis-prompt", title: String(value), text: shorten(value, 80) });
    return h("span", { class: "sdw-axis-value" }, field && hasRatios(field) ? ratioShape(value) : null, formatValue(field, value));
  }

  function buildGallery(gallery) {
    galleryCells = new Map();
    const items = gallery.items.filter((it) => it && it.job_id !== undefined && it.job_id !== null);
    const axes = gallery.axes && typeof gallery.axes === "object" ? gallery.axes : {};
    const names = Object.keys(axes).filter((n) => Array.isArray(axes[n]) && axes[n].length);
    const byValues = new Map(items.map((it) => [stableJson(it.values || {}), it]));
    const cellFor = (item) => {
      const id = String(item.job_id);
      const pill = h("span", { class: "sdw-pill sdw-pill-small" });
      const media = h("div", { class: "sdw-gallery-media" });
      const node = h("div", { class: "sdw-gallery-cell", "data-testid": "gallery-cell", "data-job-id": id },
        media, h("div", { class: "sdw-gallery-foot" }, pill, h("span", { class: "sdw-spacer" }), compareToggle(id)));
      galleryCells.set(id, { node, pill, media, mediaKey: null });
      return node;
    };
    const grid = h("div", { class: "sdw-gallery-grid", role: "table" });
    if (!names.length) {
      grid.style.gridTemplateColumns = "repeat(auto-fill, minmax(170px, 1fr))";
      grid.append(...items.map(cellFor));
      return grid;
    }
    const colName = names[names.length - 1];
    const rowNames = names.slice(0, -1);
    const colValues = axes[colName];
    const rows = cartesian(rowNames.map((n) => axes[n]));
    grid.style.gridTemplateColumns = `${rowNames.length ? "minmax(90px, max-content) " : ""}repeat(${colValues.length}, minmax(150px, 1fr))`;
    if (rowNames.length) grid.append(h("div", { class: "sdw-gallery-corner", role: "columnheader", text: rowNames.map(humanise).join(" / ") }));
    for (const value of colValues) {
      grid.append(h("div", { class: "sdw-gallery-colhead", role: "columnheader" },
        h("span", { class: "sdw-axis-name", text: humanise(colName) }), axisLabel(colName, value)));
    }
    for (const combo of rows) {
      if (rowNames.length) {
        grid.append(h("div", { class: "sdw-gallery-rowhead", role: "rowheader" },
          ...rowNames.map((n, i) => h("div", {},
            rowNames.length > 1 ? h("span", { class: "sdw-axis-name", text: humanise(n) }) : null,
            axisLabel(n, combo[i])))));
      }
      for (const value of colValues) {
        const values = {};
        rowNames.forEach((n, i) => {
          values[n] = combo[i];
        });
        values[colName] = value;
        const item = byValues.get(stableJson(values));
        grid.append(item ? cellFor(item) : h("div", { class: "sdw-gallery-cell sdw-gallery-empty", text: "—" }));
      }
    }
    return grid;
  }

  function renderGallery() {
    const gallery = model.get("gallery");
    const items = gallery && Array.isArray(gallery.items) ? gallery.items : [];
    if (!items.length) {
      gallerySection.hidden = true;
      galleryBody.replaceChildren();
      galleryCells = new Map();
      galleryKey = "";
      return;
    }
    gallerySection.hidden = false;
    const key = stableJson({ id: gallery.id, axes: gallery.axes, items });
    if (key !== galleryKey) {
      galleryKey = key;
      galleryBody.replaceChildren(buildGallery(gallery));
      syncCompareToggles();
    }
    const jobs = jobsById();
    let done = 0;
    for (const [id, cell] of galleryCells) {
      const job = jobs.get(id);
      const status = job ? String(job.status || "") : "missing";
      if (job && !RUNNING.has(status)) done += 1;
      cell.pill.dataset.status = status;
      cell.pill.textContent = status;
      cell.node.dataset.status = status;
      const entry = videoEntry(job);
      const mk = mediaKeyOf(job, entry);
      if (cell.mediaKey === mk) continue;
      cell.mediaKey = mk;
      cell.media.replaceChildren(buildPlayer(job, entry, { compact: true }));
    }
    const shape = Object.values(gallery.axes || {}).map((v) => (Array.isArray(v) ? v.length : 1)).join(" × ");
    const cost = Number(gallery.estimated_cost);
    const bits = [`${shape ? `${shape} = ` : ""}${items.length} generation${items.length === 1 ? "" : "s"}`];
    if (gallery.estimated_cost !== null && gallery.estimated_cost !== undefined && Number.isFinite(cost)) {
      bits.push(`≈ $${cost.toFixed(2)} estimated`);
    }
    bits.push(`${done}/${galleryCells.size} done`);
    galleryInfo.textContent = bits.join(" · ");
  }

  function jobsById() {
    const jobs = Array.isArray(model.get("jobs")) ? model.get("jobs") : [];
    return new Map(jobs.filter((j) => j && j.id !== undefined && j.id !== null).map((j) => [String(j.id), { ...j, id: String(j.id) }]));
  }

  // A video arrived (or failed): redraw whatever shows that job.
  function refreshVideo(jobId) {
    const card = cards.get(jobId);
    if (card) updateMedia(card);
    const cell = galleryCells.get(jobId);
    if (cell) {
      cell.mediaKey = null;
      renderGallery();
    }
    const col = compareCols.get(jobId);
    if (col) {
      col.mediaKey = null;
      renderCompare();
    }
  }

  function renderJobs() {
    const jobs = Array.isArray(model.get("jobs")) ? model.get("jobs") : [];
    const seen = new Set();
    let previous = null;
    for (const job of jobs) {
      if (!job || job.id === undefined || job.id === null) continue;
      const id = String(job.id);
      seen.add(id);
      let card = cards.get(id);
      if (!card) {
        card = createCard({ ...job, id });
        cards.set(id, card);
      }
      updateCard(card, { ...job, id });
      // Keep the kernel's order (newest first) without re-creating nodes.
      const expected = previous ? previous.nextSibling : jobsList.firstChild;
      if (expected !== card.node) {
        if (previous) previous.after(card.node);
        else jobsList.prepend(card.node);
      }
      previous = card.node;
    }
    for (const [id, card] of cards) {
      if (!seen.has(id)) {
        card.node.remove();
        cards.delete(id);
      }
    }
    for (const btn of [...compareToggles]) if (!root.contains(btn)) compareToggles.delete(btn);
    renderGallery();
    renderCompare();
    emptyState.hidden = cards.size > 0;
    const running = [...cards.values()].filter((c) => RUNNING.has(c.status)).length;
    jobsCount.textContent = cards.size ? (running ? `${cards.size} · ${running} running` : String(cards.size)) : "";
    ensureTicking();
  }

  let ticker = null;
  function ensureTicking() {
    const anyRunning = [...cards.values()].some((c) => c.job && (c.job.finished_at === null || c.job.finished_at === undefined) && RUNNING.has(c.status));
    if (anyRunning && ticker === null) {
      ticker = setInterval(() => {
        let still = false;
        for (const card of cards.values()) {
          if (card.job && (card.job.finished_at === null || card.job.finished_at === undefined)) {
            updateElapsed(card);
            if (RUNNING.has(card.status)) still = true;
          }
        }
        if (!still) {
          clearInterval(ticker);
          ticker = null;
        }
      }, TICK_MS);
    }
  }
  disposers.push(() => {
    if (ticker !== null) clearInterval(ticker);
    ticker = null;
  });

  // ---- trait reflection ---------------------------------------------------------------
  function renderHeader() {
    const id = model.get("model") || "";
    const name = model.get("model_display_name") || "";
    titleName.textContent = name || id || "Seedance Studio";
    titleId.textContent = name ? id : "";
    const backend = model.get("backend") || {};
    badge.hidden = !backend.simulated;
    badge.title = backend.label || "Simulated backend: no API key is used and nothing is billed";
    root.classList.toggle("sdw-simulated", !!backend.simulated);
  }

  function renderFields() {
    const next = Array.isArray(model.get("fields")) ? model.get("fields") : [];
    const key = stableJson(next);
    if (key === fieldsKey) return;
    promptFlush();
    fields = next;
    fieldsKey = key;
    buildControls();
    // Chips and request panels use the field metadata: redraw them.
    for (const card of cards.values()) {
      card.redraw = true;
      card.mediaKey = null;
    }
    renderJobs();
  }

  function renderError() {
    const text = model.get("error") || "";
    formError.textContent = text;
    formError.hidden = !text;
  }

  on("change:model", renderHeader);
  on("change:model_display_name", renderHeader);
  on("change:backend", renderHeader);
  on("change:fields", renderFields);
  on("change:params", syncControls);
  on("change:jobs", renderJobs);
  on("change:error", renderError);
  on("change:gallery", renderGallery);
  on("change:compare", renderCompare);

  const listener = (event) => {
    if (event.type === "video") {
      refreshVideo(String(event.job_id));
    } else if (event.type === "code") {
      showCode(event.code);
    }
  };
  shared.listeners.add(listener);
  disposers.push(() => shared.listeners.delete(listener));

  renderHeader();
  renderFields();
  renderJobs();
  renderError();
  if (shared.getLastCode()) {
    showCode(shared.getLastCode());
    codeNote.textContent = codeNote.textContent.replace(" · inserted in a new cell below", " · last export");
  }

  return {
    dispose() {
      for (const dispose of disposers.splice(0)) {
        try {
          dispose();
        } catch (err) {
          console.error("[seedance-studio]", err);
        }
      }
      for (const video of root.querySelectorAll("video")) video.pause();
    },
  };
}
