// Hosts ODK Web Forms on a console page (templates/web_form.html): loads the form and its
// media from this server, translates the engine's own interface texts into the console's
// language, keeps the answers being entered in this browser across a reload, and sends a
// finished submission through an outbox kept in IndexedDB: it leaves the outbox only
// when the server has answered 201, and one submission (one instanceID) is never in
// flight twice. In a preview, nothing is sent at all.

const config = JSON.parse(document.getElementById("web-form-config").textContent);
const texts = config.texts;
const host = document.getElementById("web-form");
const statusBox = document.getElementById("web-form-status");
const discardButton = document.getElementById("web-form-discard");

function say(message, kind = "info") {
  const line = document.createElement("p");
  line.className = `web-form-message ${kind}`;
  line.textContent = message;
  statusBox.replaceChildren(line);
}

function fill(template, values) {
  return template.replace(/\{(\w+)\}/g, (whole, key) => (key in values ? String(values[key]) : whole));
}

// --- The engine's interface in the console's language ---------------------------------

const patterns = Object.entries(texts.patterns).map(([english, translated]) => {
  const escaped = english.replace(/[.*+?^$()|[\]\\]/g, "\\$&").replace("\\{n\\}", "{n}");
  return [new RegExp(`^${escaped.replace("{n}", "(\\d+)")}$`), translated];
});

function translated(text) {
  const trimmed = text.trim();
  if (!trimmed) return null;
  const exact = texts.engine[trimmed];
  if (exact !== undefined && exact !== trimmed) return text.replace(trimmed, exact);
  for (const [pattern, target] of patterns) {
    const match = trimmed.match(pattern);
    if (match) return text.replace(trimmed, fill(target, { n: match[1] }));
  }
  return null;
}

const ATTRIBUTES = ["aria-label", "title", "placeholder", "alt"];

function translateTree(node) {
  if (node.nodeType === Node.TEXT_NODE) {
    const better = translated(node.nodeValue);
    if (better !== null) node.nodeValue = better;
    return;
  }
  if (node.nodeType !== Node.ELEMENT_NODE) return;
  for (const name of ATTRIBUTES) {
    const value = node.getAttribute(name);
    if (value) {
      const better = translated(value);
      if (better !== null) node.setAttribute(name, better);
    }
  }
  // PrimeVue buttons keep their label in an attribute-free span; walk every child.
  for (const child of node.childNodes) translateTree(child);
}

function translateInterface() {
  const observer = new MutationObserver((records) => {
    for (const record of records) {
      if (record.type === "characterData") translateTree(record.target);
      else if (record.type === "attributes") translateTree(record.target);
      else record.addedNodes.forEach(translateTree);
    }
  });
  // Dialogs and menus are put at the end of <body>, outside the form.
  observer.observe(document.body, {
    subtree: true,
    childList: true,
    characterData: true,
    attributes: true,
    attributeFilter: ATTRIBUTES,
  });
  translateTree(document.body);
}

// --- Storage in this browser -----------------------------------------------------------

const DATABASE = "jaring-web-forms";

function openDatabase() {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(DATABASE, 1);
    request.onupgradeneeded = () => {
      const db = request.result;
      db.createObjectStore("drafts"); // the answers being entered, by page
      db.createObjectStore("outbox", { keyPath: "instanceID" }); // finished, not yet received
    };
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

const database = openDatabase();

async function stored(storeName, action) {
  const db = await database;
  return new Promise((resolve, reject) => {
    const transaction = db.transaction(storeName, "readwrite");
    const request = action(transaction.objectStore(storeName));
    transaction.oncomplete = () => resolve(request?.result);
    transaction.onerror = () => reject(transaction.error);
  });
}

const draftKey = config.scope;
const saveDraft = (draft) => stored("drafts", (store) => store.put(draft, draftKey));
const loadDraft = () => stored("drafts", (store) => store.get(draftKey));
const dropDraft = () => stored("drafts", (store) => store.delete(draftKey));

// --- A payload from the engine: the instance XML and its files ------------------------

async function filesOf(payload) {
  const data = payload.data[0];
  const files = [];
  for (const [name, value] of data.entries()) {
    if (value instanceof Blob) files.push({ name, type: value.type, blob: value });
  }
  return files;
}

function instanceIdOf(xmlText) {
  const doc = new DOMParser().parseFromString(xmlText, "text/xml");
  const node = [...doc.getElementsByTagName("*")].find((el) => el.localName === "instanceID");
  return node ? node.textContent.trim() : null;
}

// A form restored from this browser's copy is loaded by the engine as an edit; what it
// produces is still a new submission, so the edit's deprecatedID is taken out.
function withoutDeprecatedId(xmlText) {
  if (!xmlText.includes("deprecatedID")) return xmlText;
  const doc = new DOMParser().parseFromString(xmlText, "text/xml");
  for (const el of [...doc.getElementsByTagName("*")]) {
    if (el.localName === "deprecatedID") el.remove();
  }
  return new XMLSerializer().serializeToString(doc);
}

// --- The outbox ------------------------------------------------------------------------

const inFlight = new Set();

function browserName() {
  const agent = navigator.userAgent;
  for (const [needle, name] of [["Edg/", "edge"], ["Firefox/", "firefox"], ["Chrome/", "chrome"], ["Safari/", "safari"]]) {
    if (agent.includes(needle)) return name;
  }
  return "browser";
}

function deviceId() {
  const key = "jaring-web-forms-device";
  let id = localStorage.getItem(key);
  if (!id) {
    id = `web:${browserName()}:${crypto.randomUUID()}`;
    localStorage.setItem(key, id);
  }
  return id;
}

async function pending() {
  const all = (await stored("outbox", (store) => store.getAll())) || [];
  return all.filter((entry) => entry.submitUrl === config.submitUrl && (entry.owner ?? "") === config.owner);
}

async function showPending() {
  const count = (await pending()).length;
  if (count > 0) say(fill(texts.waiting, { count }), "warning");
}

async function send(entry) {
  if (inFlight.has(entry.instanceID)) return;
  inFlight.add(entry.instanceID);
  try {
    const body = new FormData();
    body.append("xml_submission_file", new File([entry.xml], "submission.xml", { type: "text/xml" }));
    for (const file of entry.files) body.append(file.name, new File([file.blob], file.name, { type: file.type }));
    const headers = { "X-OpenRosa-Version": "1.0" };
    if (config.csrf) headers["X-CSRF-Token"] = config.csrf;
    const address = `${entry.submitUrl}?deviceID=${encodeURIComponent(entry.deviceID)}`;
    let response;
    try {
      response = await fetch(address, { method: "POST", body, headers, credentials: "same-origin" });
    } catch {
      await showPending(); // offline: it stays in the outbox and is tried again
      return;
    }
    if (response.status === 201) {
      await stored("outbox", (store) => store.delete(entry.instanceID));
      say(fill(texts.sent, { instance: entry.instanceID }), "success");
      if (config.edit) {
        window.location.assign(config.edit.done);
        return;
      }
      await showPending();
      return;
    }
    if (response.status >= 500 || response.status === 408 || response.status === 429) {
      await showPending(); // the server could not take it now: tried again later
      return;
    }
    // Refused for what it is: kept, and shown, as a phone keeps a refused form.
    let message = `HTTP ${response.status}`;
    try {
      const text = await response.text();
      try {
        message = JSON.parse(text).message || message;
      } catch {
        const doc = new DOMParser().parseFromString(text, "text/xml");
        const node = doc.getElementsByTagName("text")[0];
        if (node) message = node.textContent;
      }
    } catch {}
    await stored("outbox", (store) => store.put({ ...entry, refused: message }));
    say(fill(texts.refused, { instance: entry.instanceID, message }), "error");
  } finally {
    inFlight.delete(entry.instanceID);
  }
}

async function sendPending() {
  for (const entry of await pending()) {
    if (!entry.refused) await send(entry);
  }
}

// --- The form --------------------------------------------------------------------------

async function fetchText(url) {
  let response;
  try {
    response = await fetch(url, { credentials: "same-origin" });
  } catch (error) {
    throw new Error(String(error));
  }
  if (!response.ok) throw new Error(`HTTP ${response.status}`);
  return response.text();
}

function loadFailed(reason) {
  say(fill(texts.load_failed, { form: config.formId, reason }), "error");
  host.dataset.state = "failed";
}

async function start() {
  translateInterface();
  const engine = await import(config.engine);
  let formXml;
  try {
    formXml = await fetchText(config.formUrl);
  } catch (error) {
    loadFailed(error.message);
    return;
  }
  // An edit starts from the submission as stored; anything else from this browser's copy.
  const draft = config.edit ? null : await loadDraft();
  let restored = false;
  let stateRef = null;
  let saveTimer = null;

  // Only what a person typed or chose is kept: a form just opened is not a draft.
  let touched = false;
  for (const type of ["input", "change", "click"]) {
    host.addEventListener(type, () => {
      touched = true;
    }, { capture: true });
  }

  async function keepAnswers() {
    const state = stateRef?.value;
    if (!touched) return;
    if (!state || state.status !== "FORM_STATE_SUCCESS") return;
    const payload = await state.root.prepareInstancePayload({ payloadType: "monolithic" });
    const xmlFile = payload.data[0].get("xml_submission_file");
    const files = (await filesOf(payload)).filter((file) => file.name !== "xml_submission_file");
    await saveDraft({ xml: await xmlFile.text(), files, savedAt: Date.now() });
  }

  globalThis.__jaringOnFormState = (state) => {
    stateRef = state;
    engine.watch(
      () => state.value.status,
      (status) => {
        if (status === "FORM_STATE_FAILURE") {
          const error = state.value.error;
          loadFailed(error?.message || String(error));
        } else if (status === "FORM_STATE_SUCCESS") {
          host.dataset.state = "ready";
          if (restored) say(texts.restored, "info");
        }
      },
      { immediate: true },
    );
    engine.watch(
      () => state.value.root?.instanceState?.instanceXML,
      () => {
        clearTimeout(saveTimer);
        saveTimer = setTimeout(() => keepAnswers().catch(() => {}), 400);
      },
    );
  };

  const props = {
    formXml,
    fetchFormAttachment: (url) => {
      const name = decodeURIComponent(String(url.pathname ?? url).split("/").pop());
      return fetch(config.mediaUrl + encodeURIComponent(name), { credentials: "same-origin" });
    },
    missingResourceBehavior: config.mode === "entry" || config.mode === "public" ? "ERROR" : "BLANK",
    preloadProperties: { deviceID: deviceId(), username: config.username || undefined, email: config.username || undefined },
    onSubmit: async (payload, callback) => {
      clearTimeout(saveTimer);
      if (config.mode === "preview") {
        touched = false;
        await dropDraft();
        discardButton.hidden = true;
        say(texts.preview_sent, "success");
        callback({ next: engine.POST_SUBMIT__NEW_INSTANCE });
        return;
      }
      const xmlFile = payload.data[0].get("xml_submission_file");
      const text = await xmlFile.text();
      const xml = config.edit ? text : withoutDeprecatedId(text);
      const files = (await filesOf(payload)).filter((file) => file.name !== "xml_submission_file");
      const entry = {
        instanceID: instanceIdOf(xml) || payload.submissionMeta?.instanceID || crypto.randomUUID(),
        xml,
        files,
        submitUrl: config.submitUrl,
        owner: config.owner,
        deviceID: deviceId(),
        savedAt: Date.now(),
      };
      // Into the outbox first; only then is the form emptied for the next interview.
      await stored("outbox", (store) => store.put(entry));
      touched = false;
      await dropDraft();
      discardButton.hidden = true;
      say(texts.kept, "info");
      callback({ next: engine.POST_SUBMIT__NEW_INSTANCE });
      await send(entry);
    },
  };
  if (draft && draft.xml) {
    restored = true;
    const byName = new Map(draft.files.map((file) => [file.name, file]));
    props.editInstance = {
      resolveInstance: async () => draft.xml,
      attachmentFileNames: [...byName.keys()],
      resolveAttachment: async (name) =>
        new Response(byName.get(name).blob, { headers: { "Content-Type": byName.get(name).type } }),
    };
    discardButton.hidden = false;
  }
  if (config.edit) {
    const stored = await fetchText(config.edit.instanceUrl);
    props.editInstance = {
      resolveInstance: async () => stored,
      attachmentFileNames: Object.keys(config.edit.attachments),
      resolveAttachment: (name) => fetch(config.edit.attachments[name], { credentials: "same-origin" }),
    };
  }
  if (config.mode === "preview") props.missingResourceBehavior = "BLANK";
  const dateTexts = { ...config.dateTexts, today: texts.engine.Today, clear: texts.engine.Clear };
  engine.mountWebForm(host, props, dateTexts);
}

discardButton.addEventListener("click", async () => {
  await dropDraft();
  window.location.reload();
});
window.addEventListener("online", () => sendPending());
setInterval(() => sendPending(), 30000);

start()
  .then(async () => {
    if (config.submitUrl) {
      await showPending();
      await sendPending();
    }
  })
  .catch((error) => loadFailed(error.message || String(error)));
