/* The one «Escuchar» control. A recording: one big button plays and pauses it (the audio is fetched on the first
   tap only). No recording: the phone's own voice reads the text, shown only where the phone has a voice in the
   text's language. Without JavaScript the page keeps a plain player and a download link. */
(function () {
  "use strict";
  function recording(button) {
    var audio = document.getElementById(button.getAttribute("data-audio"));
    var icon = button.firstElementChild, label = button.lastElementChild, start = label.textContent;
    function show(symbol, text) { icon.textContent = symbol; label.textContent = text; }
    audio.removeAttribute("controls");
    audio.hidden = true;
    audio.previousElementSibling.hidden = true;  // the label of the plain player
    button.addEventListener("click", function () { if (audio.paused) { audio.play(); } else { audio.pause(); } });
    audio.addEventListener("play", function () { show("❚❚", button.getAttribute("data-pause")); });
    audio.addEventListener("pause", function () { if (!audio.ended) { show("▶", button.getAttribute("data-resume")); } });
    audio.addEventListener("ended", function () { show("▶", start); });
    button.hidden = false;
  }
  var synth = window.speechSynthesis;
  function voiceFor(lang) {
    var voices = synth.getVoices(), i, l, fallback = null;
    for (i = 0; i < voices.length; i++) {
      l = voices[i].lang.replace("_", "-").toLowerCase();
      if (l === lang + "-pe") { return voices[i]; }
      if (!fallback && l.split("-")[0] === lang) { fallback = voices[i]; }
    }
    return fallback;
  }
  function speech(button) {
    if (!synth || !window.SpeechSynthesisUtterance) { return; }
    var text = document.getElementById(button.getAttribute("data-target")), lang = button.getAttribute("data-lang");
    var label = button.lastElementChild, start = label.textContent, stop = button.getAttribute("data-stop");
    function reset() { label.textContent = start; }
    function offer() { if (voiceFor(lang)) { button.hidden = false; } }
    button.addEventListener("click", function () {
      if (synth.speaking) { synth.cancel(); reset(); return; }
      var parts = text.querySelectorAll("h2,h3,h4,p,li,td"), chunks = [], i, u;
      for (i = 0; i < parts.length; i++) { if (parts[i].textContent.trim() && !parts[i].querySelector("p")) { chunks.push(parts[i].textContent); } }
      if (!chunks.length) { chunks.push(text.textContent); }
      for (i = 0; i < chunks.length; i++) {  // one utterance per paragraph: long ones stop early on some phones
        u = new SpeechSynthesisUtterance(chunks[i]);
        u.voice = voiceFor(lang);
        u.lang = u.voice.lang;
        if (i === chunks.length - 1) { u.onend = reset; }
        synth.speak(u);
      }
      label.textContent = stop;
    });
    offer();
    if (synth.addEventListener) { synth.addEventListener("voiceschanged", offer); }  // voices load late on Chrome
    window.addEventListener("pagehide", function () { synth.cancel(); });
  }
  var buttons = document.querySelectorAll("[data-listen]"), i;
  for (i = 0; i < buttons.length; i++) {
    if (buttons[i].hasAttribute("data-audio")) { recording(buttons[i]); } else { speech(buttons[i]); }
  }
}());
