// Show the «Imprimir» button only where JavaScript runs, and print on tap.
document.querySelectorAll("[data-print]").forEach(function (button) {
  button.hidden = false;
  button.addEventListener("click", function () { window.print(); });
});
