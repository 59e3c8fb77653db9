// The players in "My program": each audio or video starts where the customer stopped, on
// any device, and tells the server where they are (on pause, every 15 seconds while
// playing, and when the page goes away). On S3 the file's address is a presigned link that
// expires within minutes: a fresh one is fetched before then and swapped in at the same
// moment of the lesson.
(function () {
  "use strict";
  var SAVE_EVERY_MS = 15000;
  // Ask for a fresh link this long before the current one expires.
  var REFRESH_BEFORE_MS = 60000;

  function setUp(player) {
    var holder = player.closest("[data-csrf]");
    var token = holder ? holder.getAttribute("data-csrf") : "";
    var positionUrl = player.getAttribute("data-position-url");
    var linkUrl = player.getAttribute("data-link-url");
    var expiresIn = parseFloat(player.getAttribute("data-link-expires-in") || "0");
    var expiresAt = expiresIn > 0 ? Date.now() + expiresIn * 1000 : null;
    // Where to go once the file's metadata is known: the saved position at first, the
    // moment of the lesson after a fresh link is swapped in.
    var seekTo = parseFloat(player.getAttribute("data-resume-at") || "0");
    var playAfterSeek = false;
    var lastSaved = null;
    var refreshing = false;
    var failedRefreshes = 0;

    function positionForm(seconds) {
      var form = new FormData();
      form.append("seconds", seconds.toFixed(1));
      form.append("csrfmiddlewaretoken", token);
      return form;
    }

    function save(leaving) {
      var seconds = player.currentTime;
      if (!isFinite(seconds) || seconds === lastSaved) {
        return;
      }
      lastSaved = seconds;
      if (leaving && navigator.sendBeacon) {
        navigator.sendBeacon(positionUrl, positionForm(seconds));
        return;
      }
      fetch(positionUrl, {
        method: "POST",
        body: positionForm(seconds),
        credentials: "same-origin",
        headers: { "X-CSRFToken": token },
        keepalive: true,
      }).catch(function () {
        lastSaved = null; // try again at the next save
      });
    }

    function linkExpiring() {
      return expiresAt !== null && Date.now() > expiresAt - REFRESH_BEFORE_MS;
    }

    function refresh() {
      if (refreshing || !linkUrl) {
        return;
      }
      refreshing = true;
      fetch(linkUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) {
          if (!response.ok) {
            throw new Error("link " + response.status);
          }
          return response.json();
        })
        .then(function (link) {
          failedRefreshes = 0;
          expiresAt = link.expires_in ? Date.now() + link.expires_in * 1000 : null;
          seekTo = player.currentTime;
          playAfterSeek = !player.paused;
          player.src = link.url;
        })
        .catch(function () {
          failedRefreshes += 1;
        })
        .then(function () {
          refreshing = false;
        });
    }

    player.addEventListener("loadedmetadata", function () {
      if (seekTo > 0 && (!isFinite(player.duration) || seekTo < player.duration - 1)) {
        player.currentTime = seekTo;
      }
      seekTo = 0;
      if (playAfterSeek) {
        playAfterSeek = false;
        player.play().catch(function () {});
      }
    });
    player.addEventListener("play", function () {
      if (linkExpiring()) {
        refresh();
      }
    });
    player.addEventListener("pause", function () {
      if (!player.ended) {
        save(false);
      }
    });
    player.addEventListener("ended", function () {
      // Finished: the next time starts from the beginning.
      player.currentTime = 0;
      save(false);
    });
    player.addEventListener("error", function () {
      // An expired link answers 403: one fresh link, not a loop.
      if (expiresAt !== null && failedRefreshes < 2) {
        refresh();
      }
    });
    window.setInterval(function () {
      if (!player.paused) {
        save(false);
        if (linkExpiring()) {
          refresh();
        }
      }
    }, SAVE_EVERY_MS);
    window.addEventListener("pagehide", function () {
      if (player.currentTime > 0) {
        save(true);
      }
    });
  }

  var players = document.querySelectorAll("[data-player]");
  for (var i = 0; i < players.length; i += 1) {
    setUp(players[i]);
  }
})();
