/* Optional: times in the reader's zone. Without it, the page shows the site's zone. */
(function () {
  var zone = Intl.DateTimeFormat().resolvedOptions().timeZone, root = document.documentElement;
  if (!zone || zone === root.dataset.timezone) return;
  var format = new Intl.DateTimeFormat(root.lang || "en", {year: "numeric", month: "short", day: "numeric",
    hour: "2-digit", minute: "2-digit", hourCycle: "h23", timeZoneName: "short"});
  document.querySelectorAll("time[datetime*='T']").forEach(function (time) {
    time.textContent = format.format(new Date(time.dateTime));
  });
  var note = document.getElementById("timezone-note");
  if (note) note.textContent = "Times are shown in your time zone (" + zone + ").";
})();
