/**
 * /api/docs: a self-contained page (no CDN: Medic runs where the network is
 * closed) that reads /api/v1/openapi.json and lists every route by tag with
 * its role, parameters, body and answer schemas.
 */
export const DOCS_HTML = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Medic API</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{font:14px/1.45 system-ui,sans-serif;margin:0;color:#1d232a;background:#f6f7f9}
header{background:#14324a;color:#fff;padding:14px 24px}header h1{margin:0;font-size:20px}
main{max-width:1100px;margin:0 auto;padding:16px 24px}
h2{margin:28px 0 8px;border-bottom:1px solid #d5d9de;padding-bottom:4px}
details{background:#fff;border:1px solid #d5d9de;border-radius:6px;margin:6px 0}
summary{cursor:pointer;padding:8px 10px;display:flex;gap:10px;align-items:baseline}
.m{font:600 12px monospace;padding:2px 6px;border-radius:4px;color:#fff;min-width:52px;text-align:center}
.GET{background:#2b6cb0}.POST{background:#2f855a}.PUT{background:#b7791f}.PATCH{background:#6b46c1}.DELETE{background:#c53030}
.p{font-family:monospace}.role{margin-left:auto;font-size:12px;color:#555}
.body{padding:0 12px 12px}pre{background:#f0f2f5;padding:8px;overflow:auto;max-height:360px;font-size:12px}
table{border-collapse:collapse}td,th{border:1px solid #d5d9de;padding:3px 8px;text-align:left;font-size:13px}
</style></head>
<body><header><h1>Medic API</h1><div id="info"></div></header><main id="main">Loading /api/v1/openapi.json ...</main>
<script>
const esc = (s) => String(s ?? '').replace(/[&<>"]/g, (c) => ({'&':'&amp;','<':'&lt;','>':'&gt;','"':'&quot;'}[c]));
fetch('/api/v1/openapi.json').then((r) => r.json()).then((doc) => {
  document.getElementById('info').textContent = doc.info.description + ' Version ' + doc.info.version + '.';
  const byTag = {};
  for (const [path, ops] of Object.entries(doc.paths)) for (const [m, op] of Object.entries(ops)) (byTag[op.tags[0]] ??= []).push([m.toUpperCase(), path, op]);
  let html = '';
  for (const t of doc.tags) {
    html += '<h2>' + esc(t.name) + '</h2>';
    for (const [m, path, op] of byTag[t.name] ?? []) {
      html += '<details><summary><span class="m ' + m + '">' + m + '</span><span class="p">' + esc(path) + '</span><span>' + esc(op.summary)
        + '</span><span class="role">' + esc(op['x-medic-role'] ?? (op.security && op.security.length === 0 ? 'public' : 'custom')) + '</span></summary><div class="body">';
      html += '<p>' + esc(op.description).replace(/\\n/g, '<br>') + '</p>';
      if (op.parameters.length) html += '<table><tr><th>parameter</th><th>in</th><th>schema</th></tr>' + op.parameters.map((p) =>
        '<tr><td>' + esc(p.name) + (p.required ? ' *' : '') + '</td><td>' + esc(p.in) + '</td><td><code>' + esc(JSON.stringify(p.schema)) + '</code></td></tr>').join('') + '</table>';
      if (op.requestBody) for (const [type, c] of Object.entries(op.requestBody.content)) html += '<h4>Body (' + esc(type) + ')</h4><pre>' + esc(JSON.stringify(c.schema, null, 2)) + '</pre>';
      for (const [status, r] of Object.entries(op.responses)) {
        const c = r.content && Object.entries(r.content)[0];
        if (status.startsWith('2')) html += '<h4>' + status + ' ' + esc(c ? c[0] : '') + '</h4>' + (c ? '<pre>' + esc(JSON.stringify(c[1].schema, null, 2)) + '</pre>' : '');
      }
      html += '<p>Errors: ' + Object.entries(op.responses).filter(([s]) => !s.startsWith('2')).map(([s, r]) => esc(s + ' ' + r.description)).join('; ') + '</p></div></details>';
    }
  }
  document.getElementById('main').innerHTML = html;
}, (err) => { document.getElementById('main').textContent = 'Could not load the OpenAPI document: ' + err; });
</script></body></html>
`;
