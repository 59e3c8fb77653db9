// Video placeholders: the third-party player loads only after the visitor presses play.
document.addEventListener("click", function (event) {
  var button = event.target.closest("[data-video-embed]");
  if (!button) return;
  var frame = document.createElement("iframe");
  frame.src = button.getAttribute("data-video-embed");
  frame.title = button.getAttribute("data-video-title") || "Video";
  frame.allow = "autoplay; fullscreen; picture-in-picture";
  frame.allowFullscreen = true;
  frame.loading = "lazy";
  var holder = button.closest(".video");
  holder.querySelector(".video-frame").replaceChildren(frame);
  frame.focus();
});
