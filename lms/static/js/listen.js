/* "Escuchar": read the lesson aloud with the phone's own voice (Spanish when it has one). Works without it too. */
(function () {
  "use strict";
  var synth = window.speechSynthesis;
  if (!synth || !window.SpeechSynthesisUtterance) { return; }
  function voiceFor(lang) {
    var voices = synth.getVoices(), base = lang.split("-")[0], i, l, fallback = null;
    for (i = 0; i < voices.length; i++) {
      l = voices[i].lang.replace("_", "-").toLowerCase();
      if (l === base + "-pe") { return voices[i]; }
      if (!fallback && l.split("-")[0] === base) { fallback = voices[i]; }
    }
    return fallback;
  }
  function setup(button) {
    var text = document.getElementById(button.getAttribute("data-target"));
    var label = button.lastElementChild, start = label.textContent, stop = button.getAttribute("data-stop");
    var lang = (button.closest("[lang]") || document.documentElement).lang || "es";
    function reset() { label.textContent = start; }
    button.addEventListener("click", function () {
      if (synth.speaking) { synth.cancel(); reset(); return; }
      var parts = text.querySelectorAll("h2,h3,h4,p,li,td"), chunks = [], i, u;
      for (i = 0; i < parts.length; i++) { if (parts[i].textContent.trim() && !parts[i].querySelector("p")) { chunks.push(parts[i].textContent); } }
      if (!chunks.length) { chunks.push(text.textContent); }
      for (i = 0; i < chunks.length; i++) {  // one utterance per paragraph: long ones stop early on some phones
        u = new SpeechSynthesisUtterance(chunks[i]);
        u.lang = lang === "es" ? "es-PE" : lang;
        u.voice = voiceFor(lang);
        if (i === chunks.length - 1) { u.onend = reset; }
        synth.speak(u);
      }
      label.textContent = stop;
    });
    button.hidden = false;
  }
  var buttons = document.querySelectorAll("[data-listen]"), i;
  for (i = 0; i < buttons.length; i++) { setup(buttons[i]); }
  window.addEventListener("pagehide", function () { synth.cancel(); });
}());
