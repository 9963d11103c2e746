/* Kiosk tablet at the desk (surveys/views/public.py, templates/surveys/survey.html).
   After data-kiosk-idle seconds with no touch, key or scroll, ask "Tiếp tục?"; without an
   answer within data-kiosk-prompt seconds, go to data-kiosk-reset (the empty form, in
   Vietnamese), so nothing one citizen typed is shown to the next. Any activity while the
   citizen is rating starts the wait again. The delays are read each time the wait starts,
   so a test can shorten them on a loaded page. Without this script nothing resets on a
   timer: the thank-you page is the reset. */
(function () {
  "use strict";
  var form = document.querySelector("form[data-kiosk-reset]");
  var prompt = document.getElementById("kiosk-prompt");
  if (!form || !prompt) { return; }
  var timer = null;
  var ACTIVITY = ["pointerdown", "keydown", "input", "change", "touchstart", "wheel", "scroll"];

  function seconds(name, fallback) {
    var value = parseFloat(form.getAttribute(name));
    return value > 0 ? value : fallback;
  }

  function reset() {
    window.location.replace(form.getAttribute("data-kiosk-reset"));
  }

  function ask() {
    prompt.hidden = false;
    document.body.classList.add("kiosk-asking");
    prompt.querySelector("[data-kiosk-continue]").focus();
    clearTimeout(timer);
    timer = setTimeout(reset, seconds("data-kiosk-prompt", 15) * 1000);
  }

  function wait() {
    clearTimeout(timer);
    timer = setTimeout(ask, seconds("data-kiosk-idle", 90) * 1000);
  }

  function carryOn() {
    prompt.hidden = true;
    document.body.classList.remove("kiosk-asking");
    wait();
  }

  function active(event) {
    // While the question is on screen only its buttons answer it.
    if (prompt.hidden) { wait(); return; }
    if (event.type === "keydown" && event.key === "Escape") { carryOn(); }
  }

  prompt.querySelector("[data-kiosk-continue]").addEventListener("click", carryOn);
  ACTIVITY.forEach(function (type) {
    window.addEventListener(type, active, {capture: true, passive: true});
  });
  wait();
}());
