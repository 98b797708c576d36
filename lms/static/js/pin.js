/* A PIN opens the number keypad; «Mi clave tiene letras» switches the secret fields to the full keyboard
   (without JavaScript the same link reloads the page with ?letras=1). */
(function () {
  "use strict";
  var toggle = document.querySelector("[data-letters]");
  if (!toggle) { return; }
  toggle.addEventListener("click", function (event) {
    event.preventDefault();
    document.querySelectorAll("input[data-pin]").forEach(function (input) {
      input.removeAttribute("inputmode");
      input.blur();
      input.focus();
    });
    toggle.hidden = true;
  });
}());
