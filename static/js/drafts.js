// Offline drafts and outbox in IndexedDB, keyed by the account's tag: no other account's are read.
(() => {
  const meta = (name) => document.querySelector(`meta[name="${name}"]`)?.content;
  const tag = meta("account-tag"), kv = window.idbKeyval;
  if (!tag || !kv) return;
  const DRAFT = `draft:${tag}:`, OUTBOX = `outbox:${tag}:`;
  const SKIP = ["csrf_token", "submission_key", "base_version", "base_values"];
  const $ = (id) => document.getElementById(id);
  let broken = false, timer, busy;

  const say = (kind, link) => {
    const line = $("draft-line");
    line.textContent = line.dataset[kind];
    if (link) line.append(" ", link);
    line.hidden = false;
    $("step-form")?.before(line);
  };
  // IndexedDB closed or full: said once, then as without us
  const unavailable = (error) => {
    console.warn("drafts:", error);
    if (!broken) say("unavailable");
    broken = true;
  };
  const corrupt = (key) => {
    console.warn("drafts: left out", key);
    say("corrupt");
    return kv.del(key);
  };
  const pairs = (form, skip = SKIP) => [...new FormData(form)].filter(([name]) => !skip.includes(name));
  const hidden = (form, name) => form[name] || {};
  const draftKey = (application, step) => DRAFT + application + ":" + step;
  const stepKey = (form) => draftKey(form.dataset.application, form.dataset.step);
  const queued = (yes) => {
    $("offline-text").hidden = yes;
    $("queued-text").hidden = !yes;
  };
  const stuckIn = (v) => v.state === "conflict" || v.state === "invalid";
  const textPairs = (values) => values?.every?.((p) => p?.length === 2 && p.every((x) => typeof x === "string"));

  const keep = (form) => {
    clearTimeout(timer);
    timer = setTimeout(() => kv.set(stepKey(form), {
      values: pairs(form),
      base_version: hidden(form, "base_version").value,
      base_values: hidden(form, "base_values").value,
      saved_at: Date.now(),
    }).catch(unavailable), 400);
  };
  const fill = (form, values) => {
    for (const el of form.elements) {
      const mine = values.filter(([name]) => name === el.name).map(([, value]) => value);
      if (!mine.length) continue;
      if (/checkbox|radio/.test(el.type)) el.checked = mine.includes(el.value);
      else el.value = mine[0];
    }
  };
  const restore = async () => {
    const form = $("step-form");
    if (!form?.dataset.application || form.hasAttribute("data-conflict")) return;
    const key = stepKey(form), draft = await kv.get(key);
    if (draft !== undefined && !textPairs(draft?.values)) await corrupt(key);
    else if (draft && JSON.stringify(pairs(form)) !== JSON.stringify(draft.values)) {
      fill(form, draft.values);
      // on the base it was typed on, for the server's merge
      hidden(form, "base_version").value = draft.base_version;
      hidden(form, "base_values").value = draft.base_values;
      say("restored");
    }
    // A step refused (422) or in conflict (409) is sent again here, to show the server's answer.
    const stuck = (await items()).find(({ value: v }) => stuckIn(v) && draftKey(v.public_id, v.step) === key);
    if (!stuck) return;
    await kv.del(stuck.key);
    fill(form, stuck.value.fields);
    hidden(form, "submission_key").value = stuck.value.key;
    count();
    form.requestSubmit();
  };

  const items = async () => {
    const list = [];
    for (const [key, value] of await kv.entries()) {
      if (typeof key !== "string" || !key.startsWith(OUTBOX)) continue;
      if (value?.url?.[0] === "/" && Array.isArray(value.fields)) list.push({ key, value });
      else await corrupt(key);
    }
    return list;  // IndexedDB sorts keys: oldest first
  };
  const queue = async (form) => {
    const item = {
      url: form.getAttribute("action"), key: hidden(form, "submission_key").value || crypto.randomUUID(),
      fields: pairs(form, SKIP.slice(0, 2)),
      step: form.dataset.step, public_id: form.dataset.application, state: "queued",
    };
    // replaces the same step's copy that has not gone
    for (const { key, value } of await items()) {
      if (item.step && value.state === "queued" && value.step === item.step && value.public_id === item.public_id) await kv.del(key);
    }
    await kv.set(OUTBOX + Date.now() + ":" + item.key, item);
    hidden(form, "submission_key").value = crypto.randomUUID();  // a later submit from this page is another
    queued(true);
    count();
    await (await navigator.serviceWorker?.ready)?.sync?.register("outbox");
  };
  const count = async () => {
    const list = await items(), badge = $("outbox-count");
    badge.textContent = badge.dataset.label.replace("%s", list.length);
    badge.hidden = !list.length;
    if (!list.some(({ value }) => value.state === "queued") && !$("queued-text").hidden) $("offline-notice").hidden = true;
    return list;
  };
  // false: keep it for later (no signal, signed out, server fault)
  const send = async ({ key, value: item }) => {
    const mark = async (state, go) => (await kv.set(key, { ...item, state }), go);
    const data = item.fields.some(([, v]) => v instanceof Blob) ? new FormData() : new URLSearchParams();
    for (const [name, v] of item.fields) data.append(name, v);
    data.set("submission_key", item.key);
    await mark("sending");
    let response;
    try {
      response = await fetch(item.url, {
        method: "POST", body: data, redirect: "manual",
        headers: { "HX-Request": "true", "X-Outbox": "1", "X-CSRFToken": meta("csrf-token") },
      });
    } catch {
      return mark("queued", false);
    }
    const status = response.status;
    if (status === 409 || status === 422) await mark(status === 409 ? "conflict" : "invalid");
    else if (status === 410) {
      say("closed");
      await kv.del(key);
    } else if (/^2/.test(status)) {
      await kv.del(key);
      if (item.step) await kv.del(draftKey(item.public_id, item.step));
    } else return mark("queued", false);
    return true;
  };
  // one run at a time ("online" and Sync may coincide)
  const sendAll = () => (busy ||= sendEach().finally(() => (busy = null)));
  const sendEach = async () => {
    if (broken || !navigator.onLine) return;
    for (const entry of await items()) {
      if (!stuckIn(entry.value) && !(await send(entry))) break;
    }
    const stuck = (await count()).find(({ value }) => stuckIn(value));
    if (stuck?.value.url === $("step-form")?.getAttribute("action")) await restore();
    else if (stuck) {
      const link = document.createElement("a");
      link.href = stuck.value.url;
      link.textContent = $("draft-line").dataset.open;
      say("attention", link);
    }
  };

  // A photo goes as a JPEG, long side <= 2,000 px, upright; one not decoded goes as it is.
  const shrink = async (input) => {
    const file = input.files?.[0], button = input.form.querySelector("button");
    if (!file?.type.startsWith("image/")) return;
    button.disabled = true;
    try {
      const bitmap = await createImageBitmap(file, { imageOrientation: "from-image" });
      const scale = 2000 / Math.max(bitmap.width, bitmap.height);
      if (scale < 1) {
        const canvas = document.createElement("canvas");
        canvas.width = bitmap.width * scale;
        canvas.height = bitmap.height * scale;
        canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
        const blob = await new Promise((done) => canvas.toBlob(done, "image/jpeg", 0.8));
        const files = new DataTransfer();
        files.items.add(new File([blob], "photo.jpg", { type: "image/jpeg" }));
        input.files = files.files;
      }
    } catch (error) {
      console.warn("drafts: photo as it is", error);
    }
    button.disabled = false;
  };

  // Log out: send, ask before discarding the unsent, then clear drafts, outbox and kept pages.
  const logOut = async (form) => {
    try {
      await sendAll();
      if ((await items()).length && !confirm($("draft-line").dataset.discard)) return;
      await kv.delMany((await kv.keys()).filter((k) => typeof k === "string" && (k.startsWith(DRAFT) || k.startsWith(OUTBOX))));
      await window.caches?.delete("pages-" + tag);
    } catch (error) {
      console.warn("drafts:", error);
    }
    form.submit();
  };

  const on = (name, handler, target = document) => target.addEventListener(name, (event) => {
    Promise.resolve(handler(event.target, event.detail || {}, event)).catch(unavailable);
  });
  on("input", (el) => el.form?.id === "step-form" && !broken && keep(el.form));
  on("change", (el) => el.type === "file" && shrink(el));
  on("htmx:sendError", (form) => {
    queued(false);
    if (!broken && form.matches("#step-form, form:has([type=file])")) return queue(form);
  });
  on("htmx:afterRequest", (form, { xhr }) => form.id === "step-form" && /^2/.test(xhr?.status) && kv.del(stepKey(form)));
  on("htmx:afterSwap", (el, { target }) => target?.id === "wizard" && restore());
  on("submit", (form, detail, event) => form.id === "logout-form" && (event.preventDefault(), logOut(form)));
  on("online", sendAll, window);
  // Background Sync: the worker has no CSRF token, so it asks an open page to send.
  if (navigator.serviceWorker) on("message", sendAll, navigator.serviceWorker);
  document.addEventListener("DOMContentLoaded", async () => {
    navigator.storage?.persist?.().catch(() => {});
    try {
      await kv.get(DRAFT);  // probe
      await restore();
      await sendAll();
    } catch (error) {
      unavailable(error);
    }
  });
})();
