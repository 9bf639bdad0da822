#!/usr/bin/env python3
"""Drives the Vigil web console in headless Chromium (WebDriver) against a running agent, and checks
every page and action against the agent's JSON API. Run by ConsoleBrowserTests (every page and
action) and, with --lab-drain, by the lab's ConsoleLabTests (a drain clicked, its moves in the live
feed); exits non-zero on the first failed check, naming it."""
import argparse, json, os, ssl, sys, time, urllib.error, urllib.request

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

p = argparse.ArgumentParser()
p.add_argument("--url", required=True)
p.add_argument("--secret")
p.add_argument("--secret-file")
p.add_argument("--group")
p.add_argument("--bad-xml")
p.add_argument("--big-xml")
p.add_argument("--good-xml")
p.add_argument("--good-vm")
p.add_argument("--lab-drain", help="only drain this node from its pane and watch the feed")
p.add_argument("--lab-vms", help="comma-separated guests the drain must move")
p.add_argument("--screenshots", required=True)
args = p.parse_args()
if args.secret_file:
    args.secret = open(args.secret_file).read().strip()
os.makedirs(args.screenshots, exist_ok=True)
insecure = ssl.create_default_context()
insecure.check_hostname = False
insecure.verify_mode = ssl.CERT_NONE


def api(path):
    req = urllib.request.Request(args.url + path, headers={"Authorization": "Bearer " + args.secret})
    with urllib.request.urlopen(req, context=insecure, timeout=20) as r:
        return json.load(r)


def api_post(path):
    """POSTs to the JSON API: (status, body) without raising on a refusal."""
    req = urllib.request.Request(args.url + path, method="POST", data=b"", headers={"Authorization": "Bearer " + args.secret})
    try:
        with urllib.request.urlopen(req, context=insecure, timeout=20) as r:
            return r.status, json.load(r)
    except urllib.error.HTTPError as e:
        return e.code, json.load(e)


def check(ok, what):
    if not ok:
        print("FAILED: " + what, flush=True)
        driver.save_screenshot(os.path.join(args.screenshots, "failure.png"))
        driver.quit()
        sys.exit(1)
    print("ok: " + what, flush=True)


def eventually(condition, what, timeout=20):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if condition():
            return check(True, what)
        time.sleep(0.3)
    check(False, what + " (timed out)")


def shoot(name):
    stamp = driver.find_elements(By.CSS_SELECTOR, "footer time[datetime]")
    check(len(stamp) == 1 and "Data read at" in text("footer"), "the %s page says when its data was read" % name)
    for w, h in ((1280, 800), (390, 844)):
        driver.set_window_size(w, h)
        overflow = driver.execute_script("return document.documentElement.scrollWidth - document.documentElement.clientWidth")
        check(overflow <= 0, "the %s page fits %d px wide without scrolling sideways (overflow %s px)" % (name, w, overflow))
        driver.set_window_size(w, h)
        driver.save_screenshot(os.path.join(args.screenshots, "%s-%dx%d.png" % (name, w, h)))
    driver.set_window_size(1280, 800)


def text(css):
    return driver.find_element(By.CSS_SELECTOR, css).text


def owner_rows():
    """The wizard report's rows: host -> (verdict, errors, warnings)."""
    rows = {}
    for tr in driver.find_elements(By.CSS_SELECTOR, "#owners tbody tr"):
        cells = [c.text for c in tr.find_elements(By.CSS_SELECTOR, "th, td")]
        rows[cells[0]] = tuple(cells[1:])
    return rows


def group():
    return next(g for g in api("/v1/status")["groups"] if g["name"] == args.group)


def node(name):
    return next(n for n in api("/v1/status")["nodes"] if n["name"] == name)


options = webdriver.ChromeOptions()
for a in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--ignore-certificate-errors",
          "--window-size=1280,800"):
    options.add_argument(a)
options.binary_location = "/usr/bin/chromium"
driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
driver.implicitly_wait(5)
def lab_drain(host, vms):
    driver.get(args.url + "/console/login")
    driver.find_element(By.ID, "secret").send_keys(args.secret)
    driver.find_element(By.CSS_SELECTOR, "form button").click()
    driver.find_element(By.LINK_TEXT, host).click()
    driver.find_element(By.XPATH, "//button[normalize-space()='Drain…']").click()
    driver.find_element(By.ID, "confirm").click()
    check("drain of %s requested" % host in text("#outcome"), "drain accepted: " + text("#outcome"))
    driver.get(args.url + "/console/")
    for vm in vms:
        eventually(lambda: any(vm in li.text for li in driver.find_elements(By.CSS_SELECTOR, "#feed li.live")),
                   "the feed shows %s's move live" % vm, timeout=120)
    eventually(lambda: node(host)["state"] == "paused" and all(host not in group_named(vm)["nodes"] for vm in vms),
               "the API shows %s drained" % host, timeout=120)
    shoot("lab-drain")


def group_named(name):
    return next(g for g in api("/v1/status")["groups"] if name in g["vms"])


if args.lab_drain:
    try:
        lab_drain(args.lab_drain, args.lab_vms.split(","))
    finally:
        driver.quit()
    sys.exit(0)

try:
    # Without a session every page leads to the login page.
    driver.get(args.url + "/console/")
    check(driver.current_url.endswith("/console/login"), "redirected to the login page without a session: " + driver.current_url)
    shoot("login")
    driver.find_element(By.ID, "secret").send_keys("wrong-secret-wrong-secret")
    driver.find_element(By.CSS_SELECTOR, "form button").click()
    # A click that submits a form returns before the next page has loaded: wait for it.
    eventually(lambda: "wrong cluster secret" in driver.page_source, "a wrong secret is refused")
    driver.find_element(By.ID, "secret").send_keys(args.secret)
    driver.find_element(By.CSS_SELECTOR, "form button").click()
    eventually(lambda: driver.current_url.endswith("/console/"), "signed in, on the cluster page")

    # The cluster page shows what the API shows.
    status = api("/v1/status")
    nodes = text("#nodes")
    for n in status["nodes"]:
        check(n["name"] in nodes and n["state"] in nodes, "node %s and its state %s shown" % (n["name"], n["state"]))
    check(text("#leader") == status["leader"], "leader shown: " + text("#leader"))
    check(args.group in text("nav.tree"), "group in the tree")
    stamp = driver.find_element(By.CSS_SELECTOR, "footer time")
    check(stamp.get_attribute("datetime") and "UTC" not in stamp.text, "read-at time shown in the viewer's zone: " + stamp.text)
    shoot("cluster")

    # The group's pane.
    driver.find_element(By.LINK_TEXT, args.group).click()
    g = group()
    check(text("#status") == g["status"], "group status %s shown" % g["status"])
    check(text("#owner") == ", ".join(g["nodes"]), "current owner %s shown" % ", ".join(g["nodes"]))
    kinds = [r.text for r in driver.find_elements(By.CSS_SELECTOR, "#resources tbody td:nth-child(2)")]
    check(kinds.index("configuration") < kinds.index("VM"), "resources in dependency order: %s" % kinds)
    shoot("group")
    group_url = driver.current_url

    # Stop asks first, then the group stops.
    driver.find_element(By.XPATH, "//button[normalize-space()='Stop…']").click()
    check("Stop group" in text(".question"), "stop asks for confirmation")
    shoot("confirm")
    driver.find_element(By.ID, "confirm").click()
    check("stop of %s requested" % args.group in text("#outcome"), "stop accepted: " + text("#outcome"))
    eventually(lambda: group()["status"] == "stopped", "the API shows the group stopped")

    # Start on the best node.
    driver.get(group_url)
    driver.find_element(By.XPATH, "//button[normalize-space()='Start']").click()
    check("start of %s" % args.group in text("#outcome"), "start accepted: " + text("#outcome"))
    eventually(lambda: group()["status"] == "online", "the API shows the group online again")

    # Move to a named node, confirmed.
    driver.get(group_url)
    target = status["nodes"][0]["name"]
    Select(driver.find_element(By.ID, "move-to")).select_by_value(target)
    driver.find_element(By.XPATH, "//button[normalize-space()='Move…']").click()
    check("Move group %s to %s" % (args.group, target) in text(".question"), "move asks for confirmation")
    before = len(api("/v1/events?group=%s&limit=2000" % args.group)["events"])
    driver.find_element(By.ID, "confirm").click()
    check("move of %s to %s requested" % (args.group, target) in text("#outcome"), "move accepted: " + text("#outcome"))
    eventually(lambda: len(api("/v1/events?group=%s&limit=2000" % args.group)["events"]) > before,
               "the leader recorded a decision on the move")

    # Verify asks first; with one node the leader refuses it, and the console says what the API says.
    driver.get(group_url)
    driver.find_element(By.XPATH, "//button[normalize-space()='Verify…']").click()
    check("Verify group %s" % args.group in text(".question"), "verify asks for confirmation")
    driver.find_element(By.ID, "confirm").click()
    shown = text("#outcome")
    code, answer = api_post("/v1/groups/%s/verify" % args.group)
    check(code == 400 and shown == answer["error"], "verify: the console shows the API's answer (%s): %s" % (code, shown))
    driver.get(group_url)
    driver.find_element(By.XPATH, "//button[normalize-space()='Abort verify']").click()
    shown = text("#outcome")
    code, answer = api_post("/v1/groups/%s/abort-verify" % args.group)
    check(code == 400 and shown == answer["error"], "abort verify: the console shows the API's answer: " + shown)

    # The node's pane, and drain / abort / resume.
    driver.get(args.url + "/console/nodes/" + target)
    check(text("#state") == node(target)["state"], "node state shown")
    shoot("node")
    driver.find_element(By.XPATH, "//button[normalize-space()='Drain…']").click()
    check("Drain node %s" % target in text(".question"), "drain asks for confirmation")
    driver.find_element(By.ID, "confirm").click()
    check("drain of %s requested" % target in text("#outcome"), "drain accepted: " + text("#outcome"))
    eventually(lambda: node(target).get("drain") is not None or node(target)["state"] != "up", "the API shows the drain")
    driver.get(args.url + "/console/nodes/" + target)
    driver.find_element(By.XPATH, "//button[normalize-space()='Abort drain']").click()
    check("abort-drain of %s requested" % target in text("#outcome"), "abort accepted: " + text("#outcome"))
    # One node: the drain ends at once, incomplete (nowhere to move); the lab test clicks one that moves guests.
    eventually(lambda: (node(target).get("drain") or {}).get("outcome") == "incomplete", "the API shows the drain ended incomplete")
    driver.get(args.url + "/console/nodes/" + target)
    driver.find_element(By.XPATH, "//button[normalize-space()='Resume']").click()
    check("resume of %s requested" % target in text("#outcome"), "resume accepted: " + text("#outcome"))
    eventually(lambda: node(target)["state"] == "up", "the API shows the node up after resume")

    # The wizard with a bad VM shows its report and stores nothing.
    groups_before = [x["name"] for x in api("/v1/status")["groups"]]
    driver.get(args.url + "/console/wizard")
    driver.find_element(By.ID, "xml").send_keys(args.bad_xml)
    driver.find_element(By.XPATH, "//button[normalize-space()='Check']").click()
    errors = [e.text for e in driver.find_elements(By.CSS_SELECTOR, "#vm-errors li")]
    check(any("is not on shared storage" in e for e in errors), "the wizard reports the disk off shared storage: %s" % errors)
    members = [n["name"] for n in api("/v1/status")["nodes"] if n["member"]]
    rows = owner_rows()
    check(sorted(rows) == sorted(members) and all(v.startswith("not checked") for v, _, _ in rows.values()),
          "one row per possible owner %s, not checked until the VM's own errors are fixed: %s" % (members, rows))
    check(not driver.find_elements(By.ID, "make-ha"), "a bad VM cannot be made highly available")
    check([x["name"] for x in api("/v1/status")["groups"]] == groups_before, "the wizard stored nothing")
    shoot("wizard")

    # A VM too big for every host: its errors per possible owner.
    driver.get(args.url + "/console/wizard")
    driver.find_element(By.ID, "xml").send_keys(args.big_xml)
    driver.find_element(By.XPATH, "//button[normalize-space()='Check']").click()
    rows = owner_rows()
    check(sorted(rows) == sorted(members), "the report has a row per possible owner: %s" % rows)
    check(all(v == "cannot host it" and "the VM needs 16777216 MiB" in errs for v, errs, _ in rows.values()),
          "each owner's row says it cannot host it, and why: %s" % rows)
    check(not driver.find_elements(By.ID, "vm-errors"), "no error of the VM itself")
    check(not driver.find_elements(By.ID, "make-ha"), "a VM no owner can host cannot be made highly available")
    shoot("wizard-owners")

    # A good VM: the report passes, and "Make highly available" stores its group.
    driver.get(args.url + "/console/wizard")
    driver.find_element(By.ID, "xml").send_keys(args.good_xml)
    driver.find_element(By.XPATH, "//button[normalize-space()='Check']").click()
    report = text("#report")
    check("passes every check" in report, "the wizard passes a good VM: " + report)
    rows = owner_rows()
    check(sorted(rows) == sorted(members) and all(v == "can host it" and errs == "none" for v, errs, _ in rows.values()),
          "every possible owner can host the good VM: %s" % rows)
    shoot("wizard-passes")
    check([x["name"] for x in api("/v1/status")["groups"]] == groups_before, "checking stored nothing")
    driver.find_element(By.ID, "make-ha").click()
    check("is highly available" in text("#outcome"), "made highly available: " + text("#outcome"))
    eventually(lambda: any(args.good_vm in x["vms"] for x in api("/v1/status")["groups"]), "the API shows the new VM's group")

    # Remove asks first, and is refused while the group runs, as the API refuses it; stopped, it goes.
    wizard_group = next(x["name"] for x in api("/v1/status")["groups"] if args.good_vm in x["vms"])
    eventually(lambda: next(x for x in api("/v1/status")["groups"] if x["name"] == wizard_group)["status"] == "online",
               "the wizard's group comes online")
    wizard_url = args.url + "/console/groups/" + wizard_group
    driver.get(wizard_url)
    driver.find_element(By.XPATH, "//button[normalize-space()='Remove…']").click()
    check("Remove group %s" % wizard_group in text(".question"), "remove asks for confirmation")
    driver.find_element(By.ID, "confirm").click()
    check("stop it first" in text("#outcome"), "remove of a running group refused: " + text("#outcome"))
    driver.get(wizard_url)
    driver.find_element(By.XPATH, "//button[normalize-space()='Stop…']").click()
    driver.find_element(By.ID, "confirm").click()
    eventually(lambda: next(x for x in api("/v1/status")["groups"] if x["name"] == wizard_group)["status"] == "stopped",
               "the wizard's group stopped")
    driver.get(wizard_url)
    driver.find_element(By.XPATH, "//button[normalize-space()='Remove…']").click()
    driver.find_element(By.ID, "confirm").click()
    check("removed" in text("#outcome"), "remove accepted: " + text("#outcome"))
    check(wizard_group not in [x["name"] for x in api("/v1/status")["groups"]], "the API no longer shows the removed group")

    # A POST without the CSRF token is refused, even from the console's own page and session.
    driver.get(args.url + "/console/")
    code = driver.execute_async_script("""
        var done = arguments[arguments.length - 1];
        fetch('/console/groups/%s/stop', {method: 'POST', body: 'confirmed=yes',
              headers: {'Content-Type': 'application/x-www-form-urlencoded'}}).then(function (r) { done(r.status); });
    """ % args.group)
    check(code == 403, "a POST without CSRF token gets 403 (got %s)" % code)
    check(group()["status"] == "online", "and the group was not stopped")

    # The live feed: a decision made now arrives without a reload.
    driver.get(args.url + "/console/")
    shown = len(driver.find_elements(By.CSS_SELECTOR, "#feed li"))
    time.sleep(1)
    token = driver.find_element(By.NAME, "csrf").get_attribute("value")
    driver.execute_async_script("""
        var done = arguments[arguments.length - 1];
        fetch('/console/groups/%s/move', {method: 'POST', body: 'confirmed=yes&to=&csrf=%s',
              headers: {'Content-Type': 'application/x-www-form-urlencoded'}}).then(function (r) { done(r.status); });
    """ % (args.group, token))
    eventually(lambda: len(driver.find_elements(By.CSS_SELECTOR, "#feed li.live")) > 0, "the event feed shows a new decision live")
    check(len(driver.find_elements(By.CSS_SELECTOR, "#feed li")) > shown, "the feed grew")
    shoot("cluster-live")

    # Keyboard: the first Tab reaches the skip link, then the header in reading order, then the tree;
    # every focused element shows a visible outline; Enter follows a link.
    def outline():
        return driver.execute_script("var s = getComputedStyle(document.activeElement); return [s.outlineStyle, s.outlineWidth];")
    driver.find_element(By.TAG_NAME, "body").send_keys("\ue004")
    check(driver.switch_to.active_element.text == "Skip to content", "Tab reaches the skip link first")
    order = []
    for _ in range(5):
        style, width = outline()
        check(style != "none" and width != "0px", "focus on %r is visible (%s %s)" % (driver.switch_to.active_element.text, style, width))
        driver.switch_to.active_element.send_keys("\ue004")
        order.append(driver.switch_to.active_element.text)
    check(order == ["Vigil", "Cluster", "HA wizard", "Sign out", order[4]] and order[4] in [x["name"] for x in api("/v1/status")["groups"]],
          "focus order: header, then the tree: %s" % order)
    driver.switch_to.active_element.send_keys("\ue007")
    eventually(lambda: "/console/groups/" in driver.current_url, "Enter on the focused group opens its pane")
    driver.get(args.url + "/console/")

    # With JavaScript off the pages still work, times in UTC, and destructive actions still ask first.
    quiet = webdriver.ChromeOptions()
    for a in options.arguments:
        quiet.add_argument(a)
    quiet.binary_location = options.binary_location
    quiet.add_experimental_option("prefs", {"profile.managed_default_content_settings.javascript": 2})
    plain = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=quiet)
    try:
        plain.implicitly_wait(5)
        plain.get(args.url + "/console/login")
        plain.find_element(By.ID, "secret").send_keys(args.secret)
        plain.find_element(By.CSS_SELECTOR, "form button").click()
        plain.find_element(By.ID, "leader")
        check("UTC" in plain.find_element(By.CSS_SELECTOR, "footer time").text, "without JavaScript the read-at time is in UTC")
        check(args.group in plain.find_element(By.CSS_SELECTOR, "nav.tree").text, "without JavaScript the tree shows the group")
        for page, button, question in ((group_url, "Stop…", "Stop group"), (group_url, "Remove…", "Remove group"),
                                       (args.url + "/console/nodes/" + target, "Drain…", "Drain node")):
            plain.get(page)
            plain.find_element(By.XPATH, "//button[normalize-space()='%s']" % button).click()
            check(question in plain.find_element(By.CSS_SELECTOR, ".question").text, "without JavaScript %s asks first" % button)
            plain.find_element(By.LINK_TEXT, "Cancel").click()
            check(plain.current_url == page, "and Cancel goes back")
        check(group()["status"] == "online" and node(target)["state"] == "up", "nothing was stopped, removed or drained")
        plain.save_screenshot(os.path.join(args.screenshots, "group-no-javascript-1280x800.png"))
    finally:
        plain.quit()

    # Signing out ends the session on the server.
    driver.find_element(By.XPATH, "//button[normalize-space()='Sign out']").click()
    driver.get(args.url + "/console/")
    eventually(lambda: driver.current_url.endswith("/console/login"), "signed out: back to the login page")
    print("screenshots in " + args.screenshots, flush=True)
finally:
    driver.quit()
