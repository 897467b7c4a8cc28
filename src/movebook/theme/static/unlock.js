// movebook's page loader. A private booklet's pages are sealed at build time with AES-256-GCM;
// this script opens one in the browser with the key from the link's fragment (#k=..., which
// browsers never send to the server) or with the patient's passphrase, then shows it in place.
// Nothing leaves the browser. Plain JavaScript and WebCrypto, no libraries.
(function () {
  "use strict";

  var sealed = document.getElementById("sealed");
  if (!sealed) return;
  var page = sealed.getAttribute("data-page");
  var wrapped = sealed.getAttribute("data-wrapped");
  var folder = location.pathname.replace(/[^/]*$/, "");
  var remembered = "movebook-key:" + folder;
  var encoder = new TextEncoder();

  // Messages live in the page (translated at build time); keep them for after the swap.
  var downloadFailed = text("download-failed");

  function text(id) {
    var element = document.getElementById(id);
    return element ? element.textContent.trim() : "";
  }

  function show(id) {
    var opening = document.getElementById("opening");
    if (opening) opening.hidden = true;
    var element = document.getElementById(id);
    if (element) element.hidden = false;
  }

  function fromBase64(value) {
    var plain = value.replace(/-/g, "+").replace(/_/g, "/").replace(/\s+/g, "");
    while (plain.length % 4) plain += "=";
    var binary = atob(plain);
    var bytes = new Uint8Array(binary.length);
    for (var i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
    return bytes;
  }

  function fragment() {
    var values = {};
    location.hash.slice(1).split("&").forEach(function (pair) {
      var at = pair.indexOf("=");
      if (at > 0) values[pair.slice(0, at)] = decodeURIComponent(pair.slice(at + 1));
    });
    return values;
  }

  function open(keyBytes, name, data) {
    return crypto.subtle
      .importKey("raw", keyBytes, "AES-GCM", false, ["decrypt"])
      .then(function (key) {
        return crypto.subtle.decrypt(
          { name: "AES-GCM", iv: data.slice(0, 12), additionalData: encoder.encode(name) },
          key,
          data.slice(12)
        );
      });
  }

  function normalize(passphrase) {
    return passphrase.normalize("NFC").trim().split(/\s+/).join(" ").toLowerCase();
  }

  function keyFromPassphrase(passphrase) {
    var parts = wrapped.split(".");
    return crypto.subtle
      .importKey("raw", encoder.encode(normalize(passphrase)), "PBKDF2", false, ["deriveBits"])
      .then(function (base) {
        return crypto.subtle.deriveBits(
          { name: "PBKDF2", hash: "SHA-256", salt: fromBase64(parts[1]), iterations: Number(parts[0]) },
          base,
          256
        );
      })
      .then(function (bits) {
        return open(new Uint8Array(bits), "movebook:key", fromBase64(parts[2]));
      });
  }

  function toBase64Url(bytes) {
    var binary = "";
    bytes.forEach(function (byte) { binary += String.fromCharCode(byte); });
    return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  // Show the booklet page in place of this loader, with links that carry the key along.
  function display(html, keyText, target) {
    var parsed = new DOMParser().parseFromString(html, "text/html");
    document.replaceChild(document.importNode(parsed.documentElement, true), document.documentElement);
    var links = document.querySelectorAll("a[href]");
    for (var i = 0; i < links.length; i++) carryKey(links[i], keyText);
    try { sessionStorage.setItem(remembered, keyText); } catch (error) { /* private mode */ }
    var anchor = target && document.getElementById(target);
    if (anchor) anchor.scrollIntoView();
  }

  function carryKey(link, keyText) {
    var href = link.getAttribute("href");
    var match = /^(?:\.\/)?([\w.-]+\.html)(?:#(.*))?$/.exec(href);
    if (match) {
      var to = match[2] ? "&to=" + encodeURIComponent(match[2]) : "";
      link.setAttribute("href", match[1] + "#k=" + keyText + to);
    } else if (/^[\w.-]+\.pdf$/.test(href)) {  // a handout, sealed as href + ".sealed"
      link.addEventListener("click", function (event) {
        event.preventDefault();
        download(link, href, keyText);
      });
    }
  }

  function download(link, name, keyText) {
    fetch(name + ".sealed", { credentials: "omit" })
      .then(function (response) {
        if (!response.ok) throw new Error(response.status);
        return response.arrayBuffer();
      })
      .then(function (data) {
        return open(fromBase64(keyText), name, new Uint8Array(data));
      })
      .then(function (pdf) {
        var url = URL.createObjectURL(new Blob([pdf], { type: "application/pdf" }));
        var save = document.createElement("a");
        save.href = url;
        save.download = link.getAttribute("download") || "exercise-handout.pdf";
        document.body.appendChild(save);
        save.click();
        save.remove();
        setTimeout(function () { URL.revokeObjectURL(url); }, 60000);
      })
      .catch(function () {
        var note = document.createElement("p");
        note.setAttribute("role", "alert");
        note.textContent = downloadFailed;
        link.parentNode.insertBefore(note, link.nextSibling);
      });
  }

  function unlock(keyBytes) {
    var data = fromBase64(sealed.textContent);
    return open(keyBytes, page, data).then(function (plain) {
      var target = fragment().to;
      display(new TextDecoder().decode(plain), toBase64Url(keyBytes), target);
    });
  }

  function offerPassphrase(wrong) {
    var form = document.getElementById("passphrase");
    if (!wrapped || !form) return;
    form.hidden = false;
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var input = document.getElementById("phrase");
      var button = form.querySelector("button");
      button.disabled = true;
      document.getElementById("wrong-phrase").hidden = true;
      keyFromPassphrase(input.value)
        .then(function (key) { return unlock(new Uint8Array(key)); })
        .catch(function () {
          button.disabled = false;
          show("wrong-phrase");
          input.focus();
        });
    });
    if (!wrong) document.getElementById("phrase").focus();
  }

  // A key typed or pasted into the address bar of a locked page changes only the fragment,
  // which does not reload the page: start again with the new key.
  window.addEventListener("hashchange", function () {
    if (document.getElementById("sealed")) location.reload();
  });

  if (!window.crypto || !crypto.subtle) {
    show("insecure");
    return;
  }
  var keyText = fragment().k;
  if (!keyText) {
    try { keyText = sessionStorage.getItem(remembered); } catch (error) { keyText = null; }
  }
  if (!keyText) {
    show("no-key");
    offerPassphrase(false);
    return;
  }
  var keyBytes;
  try {
    keyBytes = fromBase64(keyText);
  } catch (error) {
    keyBytes = new Uint8Array(0);
  }
  unlock(keyBytes).catch(function () {
    show("wrong-key");
    offerPassphrase(true);
  });
})();
