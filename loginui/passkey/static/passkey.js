// gatehouse passkeys: runs the WebAuthn ceremonies of the portal's pages
// (docs/design.md "Passkeys"). The pages work without it except for the
// ceremonies; it talks only to the portal (same origin).
"use strict";
(function () {
  if (!window.PublicKeyCredential || !navigator.credentials) {
    return;
  }

  function b64uToBuf(s) {
    s = s.replace(/-/g, "+").replace(/_/g, "/");
    while (s.length % 4) { s += "="; }
    var bin = atob(s), out = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) { out[i] = bin.charCodeAt(i); }
    return out.buffer;
  }

  function bufToB64u(b) {
    var bytes = new Uint8Array(b), bin = "";
    for (var i = 0; i < bytes.length; i++) { bin += String.fromCharCode(bytes[i]); }
    return btoa(bin).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function decodeList(list) {
    return (list || []).map(function (c) {
      var o = { type: c.type, id: b64uToBuf(c.id) };
      if (c.transports) { o.transports = c.transports; }
      return o;
    });
  }

  // creationOptions and requestOptions turn the portal's JSON options
  // ({publicKey: ...}, binary fields base64url) into the browser's.
  function creationOptions(o) {
    var pk = Object.assign({}, o.publicKey);
    pk.challenge = b64uToBuf(pk.challenge);
    pk.user = Object.assign({}, pk.user, { id: b64uToBuf(pk.user.id) });
    pk.excludeCredentials = decodeList(pk.excludeCredentials);
    return { publicKey: pk };
  }

  function requestOptions(o) {
    var pk = Object.assign({}, o.publicKey);
    pk.challenge = b64uToBuf(pk.challenge);
    pk.allowCredentials = decodeList(pk.allowCredentials);
    return { publicKey: pk };
  }

  // credentialJSON is the answer as the portal reads it.
  function credentialJSON(c) {
    var r = c.response, out = {
      id: c.id, rawId: bufToB64u(c.rawId), type: c.type,
      clientExtensionResults: c.getClientExtensionResults ? c.getClientExtensionResults() : {},
      response: { clientDataJSON: bufToB64u(r.clientDataJSON) }
    };
    if (c.authenticatorAttachment) { out.authenticatorAttachment = c.authenticatorAttachment; }
    if (r.attestationObject) {
      out.response.attestationObject = bufToB64u(r.attestationObject);
      if (r.getTransports) { out.response.transports = r.getTransports(); }
    } else {
      out.response.authenticatorData = bufToB64u(r.authenticatorData);
      out.response.signature = bufToB64u(r.signature);
      if (r.userHandle) { out.response.userHandle = bufToB64u(r.userHandle); }
    }
    return JSON.stringify(out);
  }

  function postJSON(path, csrf, body) {
    return fetch(path, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
      body: JSON.stringify(body)
    }).then(function (res) {
      return res.json().catch(function () { return {}; }).then(function (j) {
        if (!res.ok) { throw new Error(j.detail || "The request failed."); }
        return j;
      });
    });
  }

  // say writes text to the status line statusId (default: /account's).
  function say(text, statusId) {
    var s = document.getElementById(statusId || "passkey-status");
    if (s) { s.textContent = text; }
  }

  function show(el) { if (el) { el.hidden = false; } }

  // A login form (the login page, /2fa): the options are in the form,
  // the answer is posted with it. When the browser's ceremony of the
  // button fails (cancelled, timed out, no passkey on this device) the
  // status line says so: the portal never saw an answer to refuse.
  function loginForm(formId, buttonId, statusId, conditional) {
    var form = document.getElementById(formId), button = document.getElementById(buttonId);
    if (!form || !button) { return; }
    var options = JSON.parse(form.getAttribute("data-options"));
    var pending = null, submitted = false;
    function finish(cred) {
      if (!cred || submitted) { return; }
      submitted = true;
      form.elements.credential.value = credentialJSON(cred);
      form.submit();
    }
    function get(mediation) {
      var o = requestOptions(options);
      if (mediation) {
        pending = new AbortController();
        o.mediation = mediation;
        o.signal = pending.signal;
      }
      return navigator.credentials.get(o).then(finish);
    }
    show(button);
    button.addEventListener("click", function () {
      if (pending) { pending.abort(); pending = null; }
      say("", statusId);
      get("").catch(function () {
        say("No passkey was used: the browser found none for this site, or the request was cancelled.", statusId);
        button.focus();
      });
    });
    if (conditional && PublicKeyCredential.isConditionalMediationAvailable) {
      PublicKeyCredential.isConditionalMediationAvailable().then(function (ok) {
        if (ok) { get("conditional").catch(function () {}); }
      });
    }
  }

  function addForm() {
    var form = document.getElementById("passkey-add-form"), button = document.getElementById("passkey-add");
    if (!form || !button) { return; }
    var csrf = form.getAttribute("data-csrf");
    show(button);
    button.addEventListener("click", function () {
      var name = document.getElementById("passkey-name").value;
      button.disabled = true;
      say("Follow your browser's prompt to create the passkey.");
      postJSON("/api/auth/webauthn/register/begin", csrf, { name: name }).then(function (b) {
        return navigator.credentials.create(creationOptions(b.options)).then(function (cred) {
          return postJSON("/api/auth/webauthn/register/finish", csrf, { state: b.state, credential: JSON.parse(credentialJSON(cred)), name: name });
        });
      }).then(function () {
        window.location.assign("/account");
      }).catch(function (err) {
        button.disabled = false;
        say(err && err.message ? err.message : "The passkey was not added.");
      });
    });
  }

  function stepUp() {
    var button = document.getElementById("passkey-stepup");
    if (!button) { return; }
    var csrf = button.getAttribute("data-csrf");
    show(button);
    button.addEventListener("click", function () {
      button.disabled = true;
      postJSON("/api/auth/webauthn/step-up/begin", csrf, {}).then(function (b) {
        return navigator.credentials.get(requestOptions(b.options)).then(function (cred) {
          return postJSON("/api/auth/webauthn/step-up/finish", csrf, { state: b.state, credential: JSON.parse(credentialJSON(cred)) });
        });
      }).then(function () {
        say("Confirmed. Sensitive changes are allowed for a few minutes.");
        button.disabled = false;
      }).catch(function (err) {
        button.disabled = false;
        say(err && err.message ? err.message : "The confirmation failed.");
      });
    });
  }

  function start() {
    loginForm("passkey-login-form", "passkey-login", "passkey-login-status", true);
    loginForm("passkey-second-form", "passkey-second", "passkey-second-status", false);
    addForm();
    stepUp();
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
