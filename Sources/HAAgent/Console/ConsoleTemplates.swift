/// The console's Mustache templates, one page each, inside `layout`. `{{x}}` escapes HTML; the only
/// unescaped value is the layout's `{{{body}}}`, itself a rendered (escaped) page.
enum ConsoleTemplates {
    static let all: [String: String] = [
        "layout": layout, "login": login, "cluster": cluster, "group": group, "node": node,
        "confirm": confirm, "result": result, "wizard": wizard, "time": time,
    ]

    /// A time in the viewer's zone once console.js has run; in UTC without JavaScript.
    static let time = #"<time datetime="{{iso}}">{{utc}}</time>"#

    static let layout = #"""
    <!doctype html>
    <html lang="en">
    <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>{{title}} · Vigil</title>
    <link rel="stylesheet" href="/console/console.css">
    </head>
    <body>
    <a class="skip" href="#main">Skip to content</a>
    <header>
    <a class="brand" href="/console/">Vigil</a>
    {{#signedIn}}
    <nav aria-label="Console">
    <a href="/console/">Cluster</a>
    <a href="/console/wizard">HA wizard</a>
    <form method="post" action="/console/logout" class="inline"><input type="hidden" name="csrf" value="{{csrf}}"><button type="submit">Sign out</button></form>
    </nav>
    {{/signedIn}}
    </header>
    <main id="main" tabindex="-1">
    {{{body}}}
    </main>
    <footer>Data read at {{#readAt}}{{>time}}{{/readAt}}</footer>
    {{#signedIn}}<script src="/console/console.js"></script>{{/signedIn}}
    </body>
    </html>
    """#

    static let login = #"""
    <h1>Sign in</h1>
    {{#problem}}<p class="error" role="alert">{{problem}}</p>{{/problem}}
    <form method="post" action="/console/login" class="card">
    <label for="secret">Cluster secret</label>
    <input id="secret" name="secret" type="password" autocomplete="current-password" required autofocus>
    <button type="submit">Sign in</button>
    </form>
    <p class="hint">The secret is the one in the file that <code>api.secret_file</code> names in vigild.yaml.</p>
    """#

    static let cluster = #"""
    <div class="split">
    <nav class="tree" aria-label="Groups">
    <h2>Groups</h2>
    <ul>
    {{#groups}}
    <li><a href="/console/groups/{{path}}">{{name}}</a> <span class="badge {{status}}">{{status}}</span>
    {{#hasVMs}}<ul>{{#vms}}<li>{{.}}</li>{{/vms}}</ul>{{/hasVMs}}
    </li>
    {{/groups}}
    {{^groups}}<li>No groups yet: <a href="/console/wizard">make a VM highly available</a>.</li>{{/groups}}
    </ul>
    </nav>
    <div class="pane">
    <h1>Cluster</h1>
    <p class="summary">Leader <strong id="leader">{{leader}}</strong> · Quorum <strong>{{quorum}}</strong></p>
    {{>alerts}}
    <h2>Nodes</h2>
    <div class="scroll"><table id="nodes">
    <thead><tr><th scope="col">Node</th><th scope="col">State</th><th scope="col">Memory used / free</th><th scope="col">vCPUs used / free</th><th scope="col">VMs</th></tr></thead>
    <tbody>
    {{#nodes}}
    <tr><th scope="row"><a href="/console/nodes/{{path}}">{{name}}</a>{{#leader}} <span class="badge leader">leader</span>{{/leader}}{{#reserved}} <span class="badge">reserve</span>{{/reserved}}</th>
    <td><span class="badge {{state}}">{{state}}</span></td><td>{{memory}}</td><td>{{vcpus}}</td><td>{{vmCount}}</td></tr>
    {{/nodes}}
    </tbody></table></div>
    {{>inflight}}
    <h2>Events</h2>
    <ol id="feed" class="events" data-stream="/console/events/stream{{#cursor}}?after={{cursor}}{{/cursor}}" aria-live="polite">
    {{#events}}{{>event}}{{/events}}
    </ol>
    </div>
    </div>
    """#

    static let group = #"""
    <p><a href="/console/">← Cluster</a></p>
    <h1>Group {{name}}</h1>
    <dl class="facts">
    <dt>Status</dt><dd><span class="badge {{status}}" id="status">{{status}}</span>{{#note}} {{note}}{{/note}}</dd>
    <dt>Current owner</dt><dd id="owner">{{owner}}</dd>
    <dt>Preferred owners</dt><dd>{{preferred}}</dd>
    <dt>Priority</dt><dd>{{priority}}</dd>
    {{#policy}}<dt>Policy</dt><dd>{{policy}}</dd>{{/policy}}
    {{#lastFailure}}<dt>Last failure</dt><dd>{{lastFailure}}</dd>{{/lastFailure}}
    {{#failoversLeft}}<dt>Failovers left</dt><dd>{{failoversLeft}}</dd>{{/failoversLeft}}
    </dl>
    {{>alerts}}
    <h2>Resources</h2>
    <p class="hint">In the order they come online: storage, then configuration, then the VM.</p>
    <div class="scroll"><table id="resources"><thead><tr><th scope="col">#</th><th scope="col">Kind</th><th scope="col">Resource</th><th scope="col">Detail</th></tr></thead>
    <tbody>{{#resources}}<tr><td>{{order}}</td><td>{{kind}}</td><td>{{name}}</td><td>{{detail}}</td></tr>{{/resources}}</tbody></table></div>
    {{>inflight}}
    {{#verification}}
    <section id="verification" aria-labelledby="verification-title"{{#underWay}} data-live="yes"{{/underWay}}>
    <h2 id="verification-title">Verification</h2>
    <p>Started at {{#startedAt}}{{>time}}{{/startedAt}} on {{origin}}: <span class="badge {{badge}}" id="verify-outcome">{{outcome}}</span>{{#failure}} — {{failure}}{{/failure}}</p>
    {{#hasSteps}}<div class="scroll"><table><thead><tr><th scope="col">From</th><th scope="col">To</th><th scope="col">Method</th><th scope="col">Result</th><th scope="col">Time</th><th scope="col">Why</th></tr></thead>
    <tbody>{{#steps}}<tr><td>{{from}}</td><td>{{to}}</td><td>{{method}}</td><td>{{result}}</td><td>{{seconds}}</td><td>{{reason}}</td></tr>{{/steps}}</tbody></table></div>{{/hasSteps}}
    {{#pending}}<p>Still to visit: {{pending}}</p>{{/pending}}
    </section>
    {{/verification}}
    <h2>Actions</h2>
    <div class="actions">
    <form method="post" action="/console/groups/{{path}}/move" class="card">
    <input type="hidden" name="csrf" value="{{csrf}}">
    <label for="move-to">Move to</label>
    <select id="move-to" name="to"><option value="">the best node</option>{{#nodes}}<option value="{{.}}">{{.}}</option>{{/nodes}}</select>
    <button type="submit">Move…</button>
    </form>
    <form method="post" action="/console/groups/{{path}}/start" class="card">
    <input type="hidden" name="csrf" value="{{csrf}}">
    <label for="start-on">Start on</label>
    <select id="start-on" name="node"><option value="">the best node</option>{{#nodes}}<option value="{{.}}">{{.}}</option>{{/nodes}}</select>
    <button type="submit">Start</button>
    </form>
    <form method="post" action="/console/groups/{{path}}/stop" class="card">
    <input type="hidden" name="csrf" value="{{csrf}}">
    <button type="submit" class="danger">Stop…</button>
    </form>
    <form method="post" action="/console/groups/{{path}}/verify" class="card"><input type="hidden" name="csrf" value="{{csrf}}"><button type="submit">Verify…</button></form>
    <form method="post" action="/console/groups/{{path}}/abort-verify" class="card"><input type="hidden" name="csrf" value="{{csrf}}"><button type="submit">Abort verify</button></form>
    <form method="post" action="/console/groups/{{path}}/remove" class="card"><input type="hidden" name="csrf" value="{{csrf}}"><button type="submit" class="danger">Remove…</button></form>
    </div>
    <h2>Last events</h2>
    <ol class="events">{{#events}}{{>event}}{{/events}}{{^events}}<li>No events for this group yet.</li>{{/events}}</ol>
    """#

    static let node = #"""
    <p><a href="/console/">← Cluster</a></p>
    <h1>Node {{name}}</h1>
    <dl class="facts">
    <dt>State</dt><dd><span class="badge {{state}}" id="state">{{state}}</span>{{#leader}} <span class="badge leader">leader</span>{{/leader}}</dd>
    <dt>Member</dt><dd>{{member}}</dd>
    <dt>Memory used / free</dt><dd>{{memory}}</dd>
    <dt>vCPUs used / free</dt><dd>{{vcpus}}</dd>
    <dt>Reserve host</dt><dd>{{reserved}}</dd>
    {{#quarantinedUntil}}<dt>Quarantined until</dt><dd>{{>time}}</dd>{{/quarantinedUntil}}
    {{#impairment}}<dt>Impairment</dt><dd>{{impairment}}</dd>{{/impairment}}
    <dt>Groups</dt><dd id="groups">{{#groups}}<a href="/console/groups/{{path}}">{{name}}</a> {{/groups}}{{^groups}}none{{/groups}}</dd>
    </dl>
    {{>alerts}}
    {{>inflight}}
    {{#drainSummary}}<p>Last drain: {{drainSummary}}</p>{{/drainSummary}}
    <h2>Actions</h2>
    <div class="actions">
    <form method="post" action="/console/nodes/{{path}}/drain" class="card"><input type="hidden" name="csrf" value="{{csrf}}"><button type="submit" class="danger">Drain…</button></form>
    <form method="post" action="/console/nodes/{{path}}/abort-drain" class="card"><input type="hidden" name="csrf" value="{{csrf}}"><button type="submit">Abort drain</button></form>
    <form method="post" action="/console/nodes/{{path}}/resume" class="card"><input type="hidden" name="csrf" value="{{csrf}}"><button type="submit">Resume</button></form>
    </div>
    <h2>Last events</h2>
    <ol class="events">{{#events}}{{>event}}{{/events}}{{^events}}<li>No events for this node yet.</li>{{/events}}</ol>
    """#

    static let confirm = #"""
    <h1>Confirm</h1>
    <p class="question" role="alert">{{question}}</p>
    <form method="post" action="{{action}}" class="card">
    <input type="hidden" name="csrf" value="{{csrf}}">
    {{#fields}}<input type="hidden" name="{{name}}" value="{{value}}">{{/fields}}
    <input type="hidden" name="confirmed" value="yes">
    <button type="submit" class="danger" id="confirm">{{verb}}</button>
    <a href="{{back}}">Cancel</a>
    </form>
    """#

    static let result = #"""
    <h1>{{heading}}</h1>
    <p class="{{kind}}" role="status" id="outcome">{{message}}</p>
    {{#hasItems}}<ul class="{{kind}}">{{#items}}<li>{{.}}</li>{{/items}}</ul>{{/hasItems}}
    <p><a href="{{back}}">Back</a></p>
    """#

    static let wizard = #"""
    <h1>High Availability Wizard</h1>
    <p class="hint">Give the path of the VM's domain XML on shared storage. The wizard checks it against every possible owner and reports; nothing is stored until you make it highly available.</p>
    <form method="post" action="/console/wizard" class="card">
    <input type="hidden" name="csrf" value="{{csrf}}">
    <label for="xml">Domain XML path</label>
    <input id="xml" name="xmlPath" value="{{xmlPath}}" required>
    <label for="wizard-group">Group (optional)</label>
    <input id="wizard-group" name="group" value="{{groupName}}">
    <button type="submit" name="step" value="check">Check</button>
    </form>
    {{#checked}}
    <section id="report" aria-labelledby="report-title">
    <h2 id="report-title">Report</h2>
    {{#passes}}<p class="ok">{{summary}}</p>{{/passes}}
    {{#hasVMErrors}}<h3>Errors of the VM itself</h3><ul class="error" id="vm-errors">{{#vmErrors}}<li>{{.}}</li>{{/vmErrors}}</ul>{{/hasVMErrors}}
    {{#hasVMWarnings}}<h3>Warnings on every owner</h3><ul class="warning" id="vm-warnings">{{#vmWarnings}}<li>{{.}}</li>{{/vmWarnings}}</ul>{{/hasVMWarnings}}
    {{#hasOwners}}
    <h3>Per possible owner</h3>
    <div class="scroll"><table id="owners"><thead><tr><th scope="col">Host</th><th scope="col">Verdict</th><th scope="col">Errors</th><th scope="col">Warnings</th></tr></thead>
    <tbody>{{#owners}}<tr><th scope="row">{{node}}</th><td class="{{kind}}">{{verdict}}</td>
    <td>{{#hasProblems}}<ul class="error">{{#problems}}<li>{{.}}</li>{{/problems}}</ul>{{/hasProblems}}{{^hasProblems}}none{{/hasProblems}}</td>
    <td>{{#hasWarnings}}<ul class="warning">{{#warnings}}<li>{{.}}</li>{{/warnings}}</ul>{{/hasWarnings}}{{^hasWarnings}}none{{/hasWarnings}}</td></tr>{{/owners}}</tbody></table></div>
    {{/hasOwners}}
    {{#passes}}
    <form method="post" action="/console/wizard" class="card">
    <input type="hidden" name="csrf" value="{{csrf}}">
    <input type="hidden" name="xmlPath" value="{{xmlPath}}">
    <input type="hidden" name="group" value="{{groupName}}">
    <button type="submit" name="step" value="make" id="make-ha">Make highly available</button>
    </form>
    {{/passes}}
    </section>
    {{/checked}}
    """#

    /// Partials shared by several pages.
    static let partials: [String: String] = [
        "alerts": #"""
        {{#hasAlerts}}<h2>Alerts</h2><ul class="alerts">{{#alerts}}<li class="{{severity}}"><strong>{{severity}}</strong>{{#subject}} {{subject}}{{/subject}}: {{message}}</li>{{/alerts}}</ul>{{/hasAlerts}}
        """#,
        "event": #"""
        <li><span class="when">{{#at}}{{>time}}{{/at}}</span> <strong>{{action}}</strong>{{#group}} {{group}}{{/group}}{{#nodes}} {{nodes}}{{/nodes}} — {{reason}} <span class="hint">({{trigger}})</span></li>
        """#,
        "inflight": #"""
        {{#hasInFlight}}
        <h2>In flight</h2>
        <ul class="inflight" id="inflight" data-live="yes">
        {{#moves}}<li><label>Move of <a href="/console/groups/{{groupPath}}">{{group}}</a> {{from}} → {{to}} ({{method}}, {{phase}})
        <progress value="{{done}}" max="{{total}}">{{percent}}%</progress> {{percent}}%</label></li>{{/moves}}
        {{#drains}}<li><label>Drain of <a href="/console/nodes/{{nodePath}}">{{node}}</a>: {{moved}} moved, {{left}} left
        <progress value="{{moved}}" max="{{total}}">{{percent}}%</progress> {{percent}}%</label></li>{{/drains}}
        </ul>
        {{/hasInFlight}}
        """#,
    ]
}
