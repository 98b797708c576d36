/* «Grabar audio»: record from the microphone in the browser, show time and size while recording, listen back,
   redo, and upload it with the form (its CSRF token and chosen language). Opus in WebM or Ogg where the browser
   records it, else AAC in MP4 (iPhones). Without MediaRecorder the plain file upload stays. */
(function () {
  "use strict";
  var TYPES = ["audio/webm;codecs=opus", "audio/ogg;codecs=opus", "audio/mp4;codecs=mp4a.40.2", "audio/mp4"];
  if (!window.MediaRecorder || !navigator.mediaDevices || !navigator.mediaDevices.getUserMedia || !window.fetch) {
    return;
  }
  function pick() {
    for (var i = 0; i < TYPES.length; i++) { if (MediaRecorder.isTypeSupported(TYPES[i])) { return TYPES[i]; } }
    return "";
  }
  function size(n) {
    var lang = document.documentElement.lang || "es";
    if (n < 1000 * 1024) { return Math.max(1, Math.round(n / 1024)) + " KB"; }
    return (n / 1048576).toLocaleString(lang, {maximumFractionDigits: 1}) + " MB";
  }
  function clock(ms) {
    var s = Math.round(ms / 1000);
    return Math.floor(s / 60) + ":" + ("0" + (s % 60)).slice(-2);
  }
  function setup(form) {
    var ui = form.querySelector("[data-recorder-ui]"), status = ui.querySelector("[data-status]");
    var record = ui.querySelector("[data-record]"), stop = ui.querySelector("[data-stop]");
    var playback = ui.querySelector("[data-playback]"), review = ui.querySelector("[data-review]");
    var upload = ui.querySelector("[data-upload]"), file = form.querySelector("input[type=file]");
    var rate = +form.getAttribute("data-budget-rate"), base = +form.getAttribute("data-budget-base");
    var recorder, chunks, bytes, started, timer, blob, url;
    function text(name) { return form.getAttribute("data-text-" + name); }
    function say(message) { status.textContent = message; }
    function over(ms) { return bytes > base + rate * ms / 1000; }
    function tick() {
      var ms = Date.now() - started;
      say(text("recording") + " " + clock(ms) + " · " + size(bytes));
    }
    function finished() {
      var ms = Date.now() - started;
      clearInterval(timer);
      recorder.stream.getTracks().forEach(function (track) { track.stop(); });
      blob = new Blob(chunks, {type: recorder.mimeType || chunks[0].type});
      url = URL.createObjectURL(blob);
      playback.src = url;
      playback.hidden = review.hidden = false;
      stop.hidden = true;
      upload.hidden = over(ms);
      say(clock(ms) + " · " + size(blob.size) + ". " + (over(ms) ? text("over") : text("ready")));
    }
    function start() {
      var type = pick();
      navigator.mediaDevices.getUserMedia({audio: {channelCount: 1, echoCancellation: true, noiseSuppression: true}})
        .then(function (stream) {
          recorder = new MediaRecorder(stream, type ? {mimeType: type, audioBitsPerSecond: 24000}
                                                    : {audioBitsPerSecond: 24000});
          chunks = [];
          bytes = 0;
          recorder.ondataavailable = function (event) {
            if (event.data.size) { chunks.push(event.data); bytes += event.data.size; }
          };
          recorder.onstop = finished;
          recorder.start(1000);  // a slice a second: the size shown is the real one
          started = Date.now();
          timer = setInterval(tick, 500);
          record.hidden = true;
          stop.hidden = false;
          tick();
        }, function () { say(text("denied")); });
    }
    function redo() {
      if (url) { URL.revokeObjectURL(url); }
      playback.removeAttribute("src");
      playback.hidden = review.hidden = true;
      record.hidden = false;
      say("");
    }
    function send() {
      var data = new FormData(form), type = blob.type, language = form.querySelector("select").value;
      var extension = type.indexOf("ogg") >= 0 ? ".ogg" : type.indexOf("mp4") >= 0 ? ".m4a" : ".webm";
      data.set(file.name, blob, form.getAttribute("data-filename") + "-" + language + extension);
      upload.disabled = true;
      say(text("uploading"));
      fetch(form.action, {method: "POST", body: data, credentials: "same-origin",
                          headers: {"Accept": "application/json"}})
        .then(function (response) {
          return response.json().catch(function () { return {error: text("failed") + " (" + response.status + ")"}; });
        })
        .then(function (answer) {
          if (answer.redirect) { window.location.assign(answer.redirect); return; }
          upload.disabled = false;
          say(answer.error || text("failed"));
        }, function () { upload.disabled = false; say(text("failed")); });
    }
    record.addEventListener("click", start);
    stop.addEventListener("click", function () { recorder.stop(); });
    ui.querySelector("[data-redo]").addEventListener("click", redo);
    upload.addEventListener("click", send);
    ui.hidden = false;
  }
  var forms = document.querySelectorAll("form[data-recorder]"), i;
  for (i = 0; i < forms.length; i++) { setup(forms[i]); }
}());
