/// The console's stylesheet and its one script: plain files, no build chain.
enum ConsoleAssets {
    static let css = #"""
    :root { --fg: #1b1f24; --muted: #5a6270; --line: #d0d5dc; --accent: #0b5cad; --bad: #b3261e; --warn: #8a5a00; --ok: #1e6b34; }
    * { box-sizing: border-box; }
    body { margin: 0; font: 16px/1.45 system-ui, sans-serif; color: var(--fg); background: #f6f7f9; }
    header { display: flex; flex-wrap: wrap; gap: .5rem 1.5rem; align-items: center; padding: .6rem 1rem; background: #14212e; color: #fff; }
    header a, header button { color: #fff; }
    header nav { display: flex; flex-wrap: wrap; gap: 1rem; align-items: center; }
    .brand { font-weight: 700; font-size: 1.2rem; text-decoration: none; }
    main { padding: 1rem; max-width: 1200px; margin: 0 auto; }
    footer { padding: .5rem 1rem 1.5rem; color: var(--muted); font-size: .9rem; text-align: center; }
    a { color: var(--accent); }
    a:focus-visible, button:focus-visible, input:focus-visible, select:focus-visible, main:focus-visible {
      outline: 3px solid #f0b400; outline-offset: 2px; }
    .skip { position: absolute; left: -999px; }
    .skip:focus { left: .5rem; top: .5rem; background: #fff; color: var(--fg); padding: .3rem .6rem; z-index: 1; }
    .split { display: grid; grid-template-columns: 15rem 1fr; gap: 1.5rem; }
    .split > * { min-width: 0; } /* a wide table scrolls in its own box, not the page */
    @media (max-width: 700px) { .split { grid-template-columns: 1fr; } main { padding: .6rem; } }
    .tree ul { list-style: none; padding-left: 0; margin: 0; }
    .tree ul ul { padding-left: 1.1rem; color: var(--muted); font-size: .9rem; }
    .tree li { margin: .3rem 0; }
    .scroll { overflow-x: auto; }
    table { border-collapse: collapse; width: 100%; background: #fff; }
    th, td { text-align: left; padding: .4rem .6rem; border-bottom: 1px solid var(--line); }
    .facts { display: grid; grid-template-columns: max-content 1fr; gap: .3rem 1rem; background: #fff; padding: .8rem; border: 1px solid var(--line); }
    .facts dt { font-weight: 600; }
    .facts dd { margin: 0; }
    .badge { display: inline-block; padding: 0 .45rem; border-radius: .7rem; background: #e3e7ec; font-size: .85rem; }
    .badge.online, .badge.up, .badge.passed { background: #d4eddb; color: var(--ok); }
    .badge.aborted { background: #f6ead2; color: var(--warn); }
    .badge.failed, .badge.down, .badge.fenced, .badge.locked { background: #f6d5d2; color: var(--bad); }
    .badge.leader { background: #dbe7f6; color: var(--accent); }
    .actions { display: flex; flex-wrap: wrap; gap: .8rem; }
    .card { background: #fff; border: 1px solid var(--line); padding: .8rem; display: flex; flex-wrap: wrap; gap: .5rem; align-items: center; }
    form.card label { font-weight: 600; }
    form.inline { display: inline; }
    input, select, button { font: inherit; padding: .35rem .6rem; }
    input[name=xmlPath] { min-width: min(30rem, 100%); }
    button { border: 1px solid var(--accent); background: var(--accent); color: #fff; border-radius: .25rem; cursor: pointer; }
    header button { background: transparent; border-color: #fff; }
    button.danger { background: var(--bad); border-color: var(--bad); }
    .error { color: var(--bad); }
    .warning { color: var(--warn); }
    .ok { color: var(--ok); }
    .alerts li.critical, .alerts li.error { color: var(--bad); }
    .alerts li.warning { color: var(--warn); }
    .events { padding-left: 1.2rem; background: #fff; border: 1px solid var(--line); padding: .6rem .6rem .6rem 2rem; }
    .events li { margin: .25rem 0; }
    .hint { color: var(--muted); font-size: .9rem; }
    progress { width: 12rem; max-width: 100%; vertical-align: middle; }
    """#

    static let js = #"""
    // Vigil console: times in the viewer's zone, the live event feed, and in-flight progress.
    (function () {
      function localTimes(root) {
        root.querySelectorAll("time[datetime]").forEach(function (t) {
          var d = new Date(t.getAttribute("datetime"));
          if (!isNaN(d)) { t.textContent = d.toLocaleString(); t.title = t.getAttribute("datetime"); }
        });
      }
      localTimes(document);

      var feed = document.getElementById("feed");
      if (feed && window.EventSource) {
        var source = new EventSource(feed.getAttribute("data-stream"));
        source.onmessage = function (m) {
          var e = JSON.parse(m.data);
          var li = document.createElement("li");
          var when = document.createElement("time");
          when.setAttribute("datetime", e.time);
          li.appendChild(when);
          var what = document.createElement("strong");
          what.textContent = " " + e.action;
          li.appendChild(what);
          li.appendChild(document.createTextNode(
            (e.group ? " " + e.group : "") + (e.nodes && e.nodes.length ? " " + e.nodes.join(", ") : "") + " — " + e.reason));
          li.className = "live";
          feed.appendChild(li);
          localTimes(li);
        };
      }

      // While something moves or a verification runs, refresh those parts from the page itself every 2 s.
      function refresh() {
        var live = document.querySelectorAll("[data-live]");
        if (!live.length) return;
        fetch(location.href, { credentials: "same-origin" }).then(function (r) { return r.text(); }).then(function (html) {
          var page = new DOMParser().parseFromString(html, "text/html");
          live.forEach(function (old) {
            var fresh = page.getElementById(old.id);
            if (fresh) { fresh = document.importNode(fresh, true); old.replaceWith(fresh); localTimes(fresh); }
            else { old.removeAttribute("data-live"); old.innerHTML = "<li>Done.</li>"; }
          });
        }).catch(function () {});
      }
      setInterval(refresh, 2000);
    })();
    """#
}
