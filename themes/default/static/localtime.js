/* Optional: times and days in the reader's zone, in the page's language (its lang); without it, the
   site's zone. Its words come from the page (data-quiet, data-yours). See README, Themes. */
(function () {
  var zone = Intl.DateTimeFormat().resolvedOptions().timeZone, d = document, root = d.documentElement;
  if (!zone || zone === root.dataset.timezone) return;
  var o = {year: "numeric", month: "short", day: "numeric"}, lang = root.lang || "en";
  var format = new Intl.DateTimeFormat(lang, Object.assign({hour: "2-digit", minute: "2-digit", hourCycle: "h23", timeZoneName: "short"}, o));
  var dayName = new Intl.DateTimeFormat(lang, Object.assign({weekday: "short", timeZone: "UTC"}, o));
  var ymd = function (t) { return new Date(t).toLocaleDateString("en-CA"); };
  var past = d.querySelector("[data-now]"), rows = [].slice.call(d.querySelectorAll(".day .item-row"));
  if (past) past.querySelectorAll(".day").forEach(function (block, n) {
    var day = new Date(new Date(ymd(past.dataset.now)) - n * 864e5), list = d.createElement("ul");
    block.querySelector("h3").textContent = dayName.format(day);
    rows.forEach(function (row) { if (ymd(row.querySelector("time").dateTime) === day.toISOString().slice(0, 10)) list.append(row); });
    if (!list.children.length) { list = d.createElement("p"); list.textContent = past.dataset.quiet; }
    list.className = list.children.length ? "items" : "quiet";
    block.lastElementChild.replaceWith(list);
  });
  d.querySelectorAll("time[datetime*='T']").forEach(function (time) {
    var moment = new Date(time.dateTime);
    if (!isNaN(moment)) time.textContent = format.format(moment);
  });
  var note = d.getElementById("timezone-note");
  if (note && note.dataset.yours) note.textContent = note.dataset.yours.replace("{zone}", zone);
})();
