// Progress of an upload. With JavaScript on, htmx sends a boosted form by XHR and reports how much of the file has
// gone; a form that holds a <progress data-avanzamento> shows it there. Without JavaScript the browser shows its own.
document.addEventListener("htmx:xhr:progress", function (event) {
  var form = event.target && event.target.closest ? event.target.closest("form") : null;
  var bar = form ? form.querySelector("progress[data-avanzamento]") : null;
  if (!bar || !event.detail.lengthComputable || !event.detail.total) {
    return;
  }
  var row = bar.closest("[data-avanzamento-riga]");
  if (row) {
    row.hidden = false;
  }
  bar.max = event.detail.total;
  bar.value = event.detail.loaded;
  bar.textContent = Math.round(100 * event.detail.loaded / event.detail.total) + "%";
});
