/* Offline check of a certificate's QR: the signed statement in the URL fragment (never sent to the server) is
   verified against the network's public keys embedded in the page; then, if there is signal, the server is asked
   whether the code was revoked. Ed25519 through WebCrypto, or the small verifier below where a phone lacks it. */
(function () {
  "use strict";
  var box = document.getElementById("offline-check");
  if (!box || !window.TextDecoder || !window.crypto || !crypto.subtle) { return; }
  if ("serviceWorker" in navigator) { navigator.serviceWorker.register("/sw.js").catch(function () {}); }
  var hash = location.hash.slice(1), match = /\/verify\/([^\/]+)\/?$/.exec(location.pathname);
  if (!hash || !match) { return; }
  var ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ$*+-.", DOMAIN = "RNM-MAPE certificate 1\n";
  var code = decodeURIComponent(match[1]).toUpperCase().replace(/[^0-9A-Z]/g, "");

  function decode(text) {  // 3 characters -> 2 bytes (2 -> 1), as lms/certificates/signing.py writes them
    var out = [], i, j, n, chunk;
    if (text.length % 3 === 1) { throw new Error("length"); }
    for (i = 0; i < text.length; i += 3) {
      chunk = text.slice(i, i + 3); n = 0;
      for (j = chunk.length - 1; j >= 0; j--) {
        if (ALPHABET.indexOf(chunk[j]) < 0) { throw new Error("symbol"); }
        n = n * 41 + ALPHABET.indexOf(chunk[j]);
      }
      if (n > (chunk.length === 3 ? 65535 : 255)) { throw new Error("chunk"); }
      if (chunk.length === 3) { out.push(n >> 8); }
      out.push(n & 255);
    }
    return new Uint8Array(out);
  }

  function parse() {
    var data = decode(decodeURIComponent(hash).toUpperCase()), f;
    if (data.length < 66 || data[0] !== 1) { throw new Error("version"); }
    f = new TextDecoder("utf-8", {fatal: true}).decode(data.subarray(65)).split("\x1f");
    if (f.length !== 5) { throw new Error("fields"); }
    return {kid: f[0], name: f[1], course: f[2], hours: f[3], completed: f[4], signature: data.subarray(1, 65)};
  }

  function hex(text) {
    var out = new Uint8Array(text.length / 2), i;
    for (i = 0; i < out.length; i++) { out[i] = parseInt(text.substr(i * 2, 2), 16); }
    return out;
  }

  /* Ed25519 verification (RFC 8032, section 5.1.7) with BigInt, for browsers without WebCrypto Ed25519. */
  var ed = (function () {
    if (typeof BigInt === "undefined") { return null; }
    var N = BigInt, ZERO = N(0), ONE = N(1), TWO = N(2), P = TWO ** N(255) - N(19);
    var L = TWO ** N(252) + N("27742317777372353535851937790883648493");
    function mod(a, m) { m = m || P; var r = a % m; return r < ZERO ? r + m : r; }
    function pow(b, e) { var r = ONE; b = mod(b); while (e > ZERO) { if (e & ONE) { r = mod(r * b); } b = mod(b * b); e >>= ONE; } return r; }
    function inv(a) { return pow(a, P - TWO); }
    var D = mod(N(-121665) * inv(N(121666))), SQRT_M1 = pow(TWO, (P - ONE) / N(4));
    function number(bytes) { var n = ZERO, i; for (i = bytes.length - 1; i >= 0; i--) { n = (n << N(8)) + N(bytes[i]); } return n; }
    function point(y, sign) {  // the point (x, y) with x of the given parity, extended coordinates
      if (y >= P) { return null; }
      var u = mod(y * y - ONE), v = mod(D * y * y + ONE);
      var x = mod(u * pow(v, N(3)) * pow(u * pow(v, N(7)), (P - N(5)) / N(8)));
      if (mod(v * x * x) !== u) { if (mod(v * x * x) === mod(-u)) { x = mod(x * SQRT_M1); } else { return null; } }
      if (x === ZERO && sign) { return null; }
      if (N(sign) !== (x & ONE)) { x = P - x; }
      return [x, y, ONE, mod(x * y)];
    }
    function add(p, q) {
      var a = mod((p[1] - p[0]) * (q[1] - q[0])), b = mod((p[1] + p[0]) * (q[1] + q[0]));
      var c = mod(TWO * D * p[3] * q[3]), d = mod(TWO * p[2] * q[2]), e = b - a, f = d - c, g = d + c, h = b + a;
      return [mod(e * f), mod(g * h), mod(f * g), mod(e * h)];
    }
    function times(p, n) { var r = [ZERO, ONE, ONE, ZERO]; while (n > ZERO) { if (n & ONE) { r = add(r, p); } p = add(p, p); n >>= ONE; } return r; }
    function encode(p) {
      var z = inv(p[2]), x = mod(p[0] * z), y = mod(p[1] * z), out = new Uint8Array(32), i;
      for (i = 0; i < 32; i++) { out[i] = Number(y & N(255)); y >>= N(8); }
      out[31] |= Number(x & ONE) << 7;
      return out;
    }
    function decodePoint(bytes) { var c = bytes.slice(); c[31] &= 127; return point(number(c), bytes[31] >> 7); }
    var BASE = point(mod(N(4) * inv(N(5))), 0);
    return function (publicKey, signature, message) {
      var A = decodePoint(publicKey), R = signature.subarray(0, 32), S = number(signature.subarray(32));
      if (!A || S >= L) { return Promise.resolve(false); }
      var all = new Uint8Array(64 + message.length);
      all.set(R); all.set(publicKey, 32); all.set(message, 64);
      return crypto.subtle.digest("SHA-512", all).then(function (digest) {
        var k = mod(number(new Uint8Array(digest)), L), negA = [P - A[0], A[1], A[2], P - A[3]];
        var check = encode(add(times(BASE, S), times(negA, k))), i, same = 0;
        for (i = 0; i < 32; i++) { same |= check[i] ^ R[i]; }
        return same === 0;
      });
    };
  }());

  function verify(publicKey, signature, message) {
    return crypto.subtle.importKey("raw", publicKey, {name: "Ed25519"}, false, ["verify"]).then(function (key) {
      return crypto.subtle.verify({name: "Ed25519"}, key, signature, message);
    }, function () {
      if (!ed) { throw new Error("no Ed25519"); }
      box.setAttribute("data-verifier", "fallback");
      return ed(publicKey, signature, message);
    });
  }

  function show(id) { document.getElementById(id).hidden = false; }
  function put(id, text) { document.getElementById(id).textContent = text; }

  function longDate(iso) {
    var p = iso.split("-");
    try {
      return new Date(Date.UTC(+p[0], +p[1] - 1, +p[2])).toLocaleDateString(document.documentElement.lang,
        {year: "numeric", month: "long", day: "numeric", timeZone: "UTC"});
    } catch (e) { return iso; }
  }

  function askServer() {
    var url = "/verify/" + encodeURIComponent(code) + "/status.json";
    fetch(url, {credentials: "omit", cache: "no-store"}).then(function (response) {
      if (response.status === 404) { return {status: "missing"}; }
      if (!response.ok) { throw new Error(response.status); }
      return response.json();
    }).then(function (answer) {
      if (answer.status === "valid") { show("status-valid"); return; }
      // The signature is genuine but the certificate no longer counts: say so, and stop showing her data.
      var ok = document.getElementById("offline-ok"), cells = ok.querySelectorAll("dd"), i;
      for (i = 0; i < cells.length; i++) { cells[i].textContent = ""; }
      ok.hidden = true;
      show("offline-revoked");
      show(answer.status === "missing" ? "status-missing" : "status-revoked");
    }, function () { show("status-offline"); });
  }

  function invalid(unknownKey) { show("offline-bad"); if (unknownKey) { show("offline-unknown-key"); } box.hidden = false; }

  var statement, keys = JSON.parse(box.getAttribute("data-keys") || "{}");
  try { statement = parse(); } catch (e) { invalid(false); return; }
  if (!keys[statement.kid]) { invalid(true); return; }
  var message = new TextEncoder().encode(DOMAIN + [statement.kid, code, statement.name, statement.course,
    statement.hours, statement.completed].join("\x1f"));
  verify(hex(keys[statement.kid]), statement.signature, message).then(function (ok) {
    if (!ok) { invalid(false); return; }
    put("offline-name", statement.name);
    put("offline-course", statement.course);
    put("offline-hours", statement.hours);
    put("offline-completed", longDate(statement.completed));
    put("offline-code", code.replace(/(.{4})(?=.)/g, "$1-"));
    show("offline-ok");
    box.hidden = false;
    askServer();
  }, function () { invalid(false); });
}());
