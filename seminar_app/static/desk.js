// The check-in desk: keep the scanner field focused, count live, scan with the camera.
(function () {
  "use strict";

  var code = document.querySelector("[data-keep-focus]");
  if (code) {
    // A USB or Bluetooth scanner types into whatever has focus: keep it on the code field
    // unless the person is using another control.
    document.addEventListener("click", function (event) {
      var target = event.target;
      if (!target.closest("input, select, textarea, button, a, video")) { code.focus(); }
    });
    code.addEventListener("blur", function () {
      setTimeout(function () {
        var active = document.activeElement;
        if (!active || active === document.body) { code.focus(); }
      }, 150);
    });
  }

  var counter = document.querySelector("[data-count-url]");
  if (counter && window.fetch) {
    setInterval(function () {
      // desk-offline.js counts from the roster it keeps (data-local): it knows the
      // check-ins not sent yet, which the server does not.
      if (counter.hasAttribute("data-local")) { return; }
      fetch(counter.getAttribute("data-count-url"), { credentials: "same-origin" })
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (data) {
          if (!data) { return; }
          counter.querySelector("[data-checked-in]").textContent = data.checked_in;
          counter.querySelector("[data-confirmed]").textContent = data.confirmed;
        })
        .catch(function () {});
    }, 5000);
  }

  // Live scanning where the browser has BarcodeDetector (Chrome on Android);
  // elsewhere the photo form beside it does the work on the server.
  var button = document.getElementById("live-scan");
  var video = document.getElementById("camera");
  if (button && video && code && "BarcodeDetector" in window && navigator.mediaDevices) {
    button.hidden = false;
    button.addEventListener("click", function () {
      var detector = new window.BarcodeDetector({ formats: ["qr_code"] });
      navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } })
        .then(function (stream) {
          video.srcObject = stream;
          video.hidden = false;
          return video.play().then(function () {
            var timer = setInterval(function () {
              detector.detect(video).then(function (codes) {
                if (!codes.length) { return; }
                clearInterval(timer);
                stream.getTracks().forEach(function (track) { track.stop(); });
                code.value = codes[0].rawValue;
                // requestSubmit, unlike submit, lets desk-offline.js answer from its roster.
                var form = document.getElementById("scan-form");
                if (form.requestSubmit) { form.requestSubmit(); } else { form.submit(); }
              }).catch(function () {});
            }, 250);
          });
        })
        .catch(function () { button.hidden = true; });
    });
  }
})();
