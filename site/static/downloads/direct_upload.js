// Sends a program file from the author's browser straight to the private bucket with a
// presigned POST, showing progress; the CMS form then carries only a signed token.
"use strict";

document.addEventListener("change", async (event) => {
  const input = event.target.closest("input[data-direct-upload]");
  if (!input || !input.files.length) return;
  const box = input.closest(".direct-upload");
  const bar = box.querySelector("progress");
  const status = box.querySelector(".direct-upload-status");
  const token = box.querySelector("input[type=hidden]");
  const submits = input.form.querySelectorAll("[type=submit]");
  const file = input.files[0];
  const finish = (message) => {
    status.textContent = message;
    submits.forEach((button) => { button.disabled = false; });
  };

  token.value = "";
  submits.forEach((button) => { button.disabled = true; });
  status.textContent = "Preparing the upload…";
  const request = new FormData();
  request.append("filename", file.name);
  request.append("size", String(file.size));
  let started;
  try {
    const response = await fetch(input.dataset.startUrl, {
      method: "POST",
      body: request,
      credentials: "same-origin",
      headers: { "X-CSRFToken": input.form.querySelector("[name=csrfmiddlewaretoken]").value },
    });
    started = await response.json();
    if (!response.ok) return finish(started.error || "The upload could not be started.");
  } catch (error) {
    return finish("The upload could not be started: " + error);
  }

  const upload = new FormData();
  Object.entries(started.fields).forEach(([key, value]) => upload.append(key, value));
  upload.append("file", file);  // S3 reads every field after the file as part of it: last
  const xhr = new XMLHttpRequest();
  xhr.open("POST", started.url);
  bar.hidden = false;
  xhr.upload.addEventListener("progress", (progress) => {
    if (!progress.lengthComputable) return;
    bar.max = progress.total;
    bar.value = progress.loaded;
    status.textContent = `${Math.floor((progress.loaded * 100) / progress.total)} % uploaded`;
  });
  xhr.addEventListener("load", () => {
    if (xhr.status >= 200 && xhr.status < 300) {
      token.value = started.token;
      // Told like a typed change, so the CMS warns before leaving with the upload unsaved.
      token.dispatchEvent(new Event("change", { bubbles: true }));
      bar.value = bar.max;
      finish(`Uploaded ${file.name}. Save to keep it.`);
    } else {
      finish(`The storage refused the upload (HTTP ${xhr.status}). Please try again.`);
    }
  });
  xhr.addEventListener("error", () => finish("The upload was interrupted. Please try again."));
  xhr.send(upload);
});
