/* Event-day pages: camera QR scanning (door and booth), printing badges, self-refreshing counters.
   No inline script anywhere (CSP); every page works without this file too. */
(function () {
  "use strict";

  var CAMERA_KEY = "bazaar-camera-on";

  function autoRefresh() {
    var el = document.querySelector("[data-auto-refresh]");
    if (!el) { return; }
    var seconds = parseInt(el.getAttribute("data-auto-refresh"), 10) || 15;
    window.setTimeout(function () { window.location.reload(); }, seconds * 1000);
  }

  function scanFieldReady() {
    // A hand scanner types into whatever has focus: after each scan the page comes back with the
    // code field focused even where the browser skipped its autofocus (a page restored, a late load).
    var input = document.querySelector(".scan-input[autofocus]");
    if (input && (!document.activeElement || document.activeElement === document.body)) { input.focus(); }
  }

  function printButtons() {
    document.querySelectorAll("[data-print]").forEach(function (button) {
      button.addEventListener("click", function () { window.print(); });
    });
  }

  function cameraScanner(box) {
    var input = document.getElementById(box.getAttribute("data-qr-camera"));
    if (!input || !input.form || typeof window.jsQR !== "function" ||
        !navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      return;  // no camera support (or not a secure origin): typing and hand scanners still work
    }
    var start = box.querySelector(".camera-start");
    var stop = box.querySelector(".camera-stop");
    var video = box.querySelector("video");
    var status = box.querySelector(".camera-status");
    var canvas = document.createElement("canvas");
    var context = canvas.getContext("2d", { willReadFrequently: true });
    var stream = null;
    var lastFrame = 0;

    function release() {
      if (stream) { stream.getTracks().forEach(function (track) { track.stop(); }); }
      stream = null;
      video.hidden = true;
      stop.hidden = true;
      start.hidden = false;
    }

    function found(text) {
      release();
      input.value = text;
      if (input.form.requestSubmit) { input.form.requestSubmit(); } else { input.form.submit(); }
    }

    function frame(now) {
      if (!stream) { return; }
      if (video.readyState >= video.HAVE_ENOUGH_DATA && now - lastFrame > 120) {
        lastFrame = now;
        canvas.width = video.videoWidth;
        canvas.height = video.videoHeight;
        context.drawImage(video, 0, 0, canvas.width, canvas.height);
        var image = context.getImageData(0, 0, canvas.width, canvas.height);
        var code = window.jsQR(image.data, image.width, image.height, { inversionAttempts: "dontInvert" });
        if (code && code.data) { found(code.data); return; }
      }
      window.requestAnimationFrame(frame);
    }

    start.addEventListener("click", function () {
      status.textContent = "";
      navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false })
        .then(function (s) {
          stream = s;
          video.srcObject = s;
          video.hidden = false;
          start.hidden = true;
          stop.hidden = false;
          window.sessionStorage.setItem(CAMERA_KEY, "1");
          return video.play();
        })
        .then(function () { window.requestAnimationFrame(frame); })
        .catch(function () {
          release();
          window.sessionStorage.removeItem(CAMERA_KEY);
          status.textContent = box.getAttribute("data-denied");
        });
    });
    stop.addEventListener("click", function () {
      window.sessionStorage.removeItem(CAMERA_KEY);
      release();
      input.focus();
    });
    box.hidden = false;
    // After a scan the page reloads with the result; keep the camera going for the next person.
    if (window.sessionStorage.getItem(CAMERA_KEY)) { start.click(); }
  }

  autoRefresh();
  printButtons();
  scanFieldReady();
  document.querySelectorAll("[data-qr-camera]").forEach(cameraScanner);
}());
