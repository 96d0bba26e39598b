// Passkeys (WebAuthn): the ceremony of the login's second step and of adding a passkey.
// The server sends the options as JSON with binary values in base64url and reads the
// browser's answer in the same form; the words shown come from the page, in its language.
(function () {
  "use strict";

  var texts = document.querySelector("[data-passkey-texts]");
  var containers = document.querySelectorAll("[data-passkey]");
  if (!containers.length) { return; }

  function text(name) { return texts ? texts.getAttribute("data-" + name) : ""; }

  var supported = !!(window.PublicKeyCredential && navigator.credentials && window.fetch);
  if (!supported) {
    document.querySelectorAll("[data-passkey-unsupported]").forEach(function (note) { note.hidden = false; });
    return;
  }

  // --- base64url <-> ArrayBuffer -------------------------------------------------------------
  function toBuffer(base64url) {
    var base64 = base64url.replace(/-/g, "+").replace(/_/g, "/");
    while (base64.length % 4) { base64 += "="; }
    var binary = atob(base64);
    var bytes = new Uint8Array(binary.length);
    for (var i = 0; i < binary.length; i++) { bytes[i] = binary.charCodeAt(i); }
    return bytes.buffer;
  }

  function toBase64url(buffer) {
    var bytes = new Uint8Array(buffer);
    var binary = "";
    for (var i = 0; i < bytes.length; i++) { binary += String.fromCharCode(bytes[i]); }
    return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  // --- options in, credentials out -----------------------------------------------------------
  function creationOptions(options) {
    options.challenge = toBuffer(options.challenge);
    options.user.id = toBuffer(options.user.id);
    (options.excludeCredentials || []).forEach(function (item) { item.id = toBuffer(item.id); });
    return options;
  }

  function requestOptions(options) {
    options.challenge = toBuffer(options.challenge);
    (options.allowCredentials || []).forEach(function (item) { item.id = toBuffer(item.id); });
    return options;
  }

  function common(credential) {
    return {
      id: credential.id,
      rawId: toBase64url(credential.rawId),
      type: credential.type,
      clientExtensionResults: credential.getClientExtensionResults ? credential.getClientExtensionResults() : {},
      authenticatorAttachment: credential.authenticatorAttachment || undefined
    };
  }

  function registrationJSON(credential) {
    var answer = common(credential);
    var response = credential.response;
    answer.response = {
      clientDataJSON: toBase64url(response.clientDataJSON),
      attestationObject: toBase64url(response.attestationObject),
      transports: response.getTransports ? response.getTransports() : []
    };
    return answer;
  }

  function authenticationJSON(credential) {
    var answer = common(credential);
    var response = credential.response;
    answer.response = {
      clientDataJSON: toBase64url(response.clientDataJSON),
      authenticatorData: toBase64url(response.authenticatorData),
      signature: toBase64url(response.signature),
      userHandle: response.userHandle ? toBase64url(response.userHandle) : null
    };
    return answer;
  }

  // --- talking to the server -----------------------------------------------------------------
  function Refusal(message, redirect) { this.message = message; this.redirect = redirect; }

  function post(container, url, body) {
    var token = container.querySelector("input[name=csrf_token]");
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: {
        "Content-Type": "application/json",
        "Accept": "application/json",
        "X-CSRFToken": token ? token.value : ""
      },
      body: JSON.stringify(body)
    }).then(function (response) {
      if (response.status === 429) { throw new Refusal(text("too-many")); }
      return response.json().catch(function () { return {}; }).then(function (data) {
        if (!response.ok) { throw new Refusal(data.error || text("failed"), data.redirect); }
        return data;
      });
    });
  }

  function explain(error) {
    if (error instanceof Refusal) { return error.message; }
    if (error && error.name === "NotAllowedError") { return text("cancelled"); }
    if (error && error.name === "AbortError") { return text("cancelled"); }
    if (error && error.name === "InvalidStateError") { return text("duplicate"); }
    return text("failed");
  }

  function run(container, ceremony) {
    var button = container.querySelector("[data-passkey-start]");
    var message = container.querySelector("[data-passkey-message]");
    button.disabled = true;
    container.setAttribute("aria-busy", "true");
    message.classList.add("is-working");
    message.textContent = text("working");
    ceremony().then(function (data) {
      window.location.assign(data.redirect);
    }).catch(function (error) {
      button.disabled = false;
      container.removeAttribute("aria-busy");
      message.classList.remove("is-working");
      message.textContent = explain(error);
      if (error instanceof Refusal && error.redirect) {
        window.setTimeout(function () { window.location.assign(error.redirect); }, 2500);
      }
    });
  }

  // --- the two ceremonies --------------------------------------------------------------------
  function logIn(container) {
    return post(container, container.getAttribute("data-options-url"), {})
      .then(function (options) {
        return navigator.credentials.get({ publicKey: requestOptions(options) });
      })
      .then(function (credential) {
        return post(container, container.getAttribute("data-verify-url"), {
          credential: authenticationJSON(credential)
        });
      });
  }

  function register(container) {
    var name = container.querySelector("input[name=name]").value;
    return post(container, container.getAttribute("data-options-url"), { name: name })
      .then(function (options) {
        return navigator.credentials.create({ publicKey: creationOptions(options) });
      })
      .then(function (credential) {
        return post(container, container.getAttribute("data-verify-url"), {
          name: name,
          credential: registrationJSON(credential)
        });
      });
  }

  containers.forEach(function (container) {
    container.hidden = false;
    if (container.getAttribute("data-passkey") === "login") {
      container.querySelector("[data-passkey-start]").addEventListener("click", function () {
        run(container, function () { return logIn(container); });
      });
    } else {
      container.addEventListener("submit", function (event) {
        event.preventDefault();
        run(container, function () { return register(container); });
      });
    }
  });
}());
