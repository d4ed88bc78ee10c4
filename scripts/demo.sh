#!/usr/bin/env bash
# A realistic synthetic day of AI traffic through ControlPlane, then the cost breakdown finance would see.
# Starts its own in-memory Azurite and app on free ports (PORT overrides the app's; or uses CONTROLPLANE_URL +
# CONTROLPLANE_ADMIN_KEY). Ctrl+C (or a TERM) stops everything it started.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
install_cleanup_traps

if [ -z "${CONTROLPLANE_URL:-}" ]; then
  ensure_azurite
  start_azurite "$(free_port)" "$(free_port)" "$(free_port)" --inMemoryPersistence
  echo "Starting the local fake of Azure OpenAI's Batch API..."
  start_fake_azure_openai
  MAILDEV_WEB_PORT="$(free_port)"
  start_maildev "$(free_port)" "$MAILDEV_WEB_PORT"
  export MAILDEV_URL="http://127.0.0.1:$MAILDEV_WEB_PORT"
  export ControlPlane__Batch__PollInterval="00:00:02"
  export ControlPlane__Batch__FileCheckInterval="00:00:01"
  export ControlPlane__Durable__MaxQueuePollingInterval="00:00:00.500"
  PORT="${PORT:-$(free_port)}"
  ControlPlane__AdminKey="demo-admin-key-$(date +%s)-local"
  export ControlPlane__Storage__ConnectionString="$STORAGE" ControlPlane__AdminKey
  echo "Building and starting ControlPlane on port $PORT..."
  start_app "$PORT" "$AZURITE_DIR/app.log"
  wait_for_port "$PORT" 90
  CONTROLPLANE_URL="http://127.0.0.1:$PORT"
  CONTROLPLANE_ADMIN_KEY="$ControlPlane__AdminKey"
fi
export CONTROLPLANE_URL CONTROLPLANE_ADMIN_KEY

# In the background and waited for, so Ctrl+C and TERM run the traps at once instead of after the demo.
node --input-type=module <<'JS' &
const url = process.env.CONTROLPLANE_URL, admin = process.env.CONTROLPLANE_ADMIN_KEY;
const call = async (method, path, body, key = admin) => {
  const res = await fetch(url + path, { method, headers: { 'x-api-key': key, 'content-type': 'application/json' }, body: body && JSON.stringify(body) });
  const json = res.status === 204 ? null : await res.json();
  if (!res.ok) throw new Error(`${method} ${path} -> ${res.status} ${JSON.stringify(json)}`);
  return json;
};
const usd = v => '$' + Number(v).toFixed(4).padStart(10);

// Each team gets its own ingest key, as an app team would.
const teams = {
  search:  { features: ['answers', 'query-rewrite'], model: 'gpt-4o-mini', cached: 0.8 },
  support: { features: ['ticket-triage', 'reply-draft'], model: 'claude-sonnet-4-5', provider: 'anthropic', cached: 0.6, cacheWrite: 0.1 },
  finance: { features: ['invoice-audit'], model: 'o4-mini', provider: 'openai', reasoning: 0.7 },
  labs:    { features: ['prototype'], model: 'my-finetune-v7' },
};
const keys = {};
for (const team of Object.keys(teams)) keys[team] = (await call('POST', '/api/keys', { name: `${team} app`, role: 'ingest', teams: [team] })).key;

// A deterministic pseudo-random day: more calls in working hours, a few users per feature.
let seed = 42; const rand = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
const start = new Date(Date.now() - 24 * 3600 * 1000);
let sent = 0, recorded = 0, cost = 0;
for (const [team, t] of Object.entries(teams)) {
  const events = [];
  for (let hour = 0; hour < 24; hour++) {
    const calls = Math.round((hour >= 8 && hour <= 18 ? 40 : 8) * (0.5 + rand()));
    for (let i = 0; i < calls; i++) {
      const input = Math.round(800 + rand() * 6000), output = Math.round(100 + rand() * 900);
      const cached = Math.floor(input * (t.cached ?? 0) * rand()), cacheWrite = Math.floor((input - cached) * (t.cacheWrite ?? 0));
      events.push({
        id: `demo-${team}-${hour}-${i}`, timestamp: new Date(start.getTime() + hour * 3600e3 + i * 1000).toISOString(),
        team, feature: t.features[i % t.features.length], user: `user-${Math.floor(rand() * 6)}`, provider: t.provider,
        model: t.model, inputTokens: input, cachedInputTokens: cached, cacheWriteTokens: cacheWrite,
        outputTokens: output, reasoningTokens: Math.floor(output * (t.reasoning ?? 0)),
      });
    }
  }
  for (let i = 0; i < events.length; i += 500) {
    const r = await call('POST', '/api/usage', { events: events.slice(i, i + 500) }, keys[team]);
    sent += Math.min(500, events.length - i); recorded += r.recorded; cost += r.costUsd;
  }
}
const retry = await call('POST', '/api/usage', { events: [{ id: 'demo-search-9-0', team: 'search', feature: 'answers', model: 'gpt-4o-mini', inputTokens: 1, outputTokens: 1 }] }, keys.search);
console.log(`\nSent ${sent} calls from 4 teams; recorded ${recorded}, total ${usd(cost)}. A retried call came back "${retry.events[0].status}" and cost nothing extra.`);

const from = start.toISOString(), to = new Date().toISOString();
for (const groupBy of ['team', 'feature', 'model']) {
  const c = await call('GET', `/api/costs?groupBy=${groupBy}&from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`);
  console.log(`\nCost by ${groupBy}  (total ${usd(c.totalCostUsd)}, ${c.requests} calls, ${c.unpricedRequests} unpriced)`);
  for (const g of c.groups) console.log(`  ${g.key.padEnd(22)} ${usd(g.costUsd)}  ${String(g.requests).padStart(5)} calls ${g.unpricedRequests ? ` <- ${g.unpricedRequests} unpriced: add a price with PUT /api/prices` : ''}`);
}
const quote = await call('POST', '/api/prices/quote', { provider: 'anthropic', model: 'claude-sonnet-4-5', inputTokens: 250000, outputTokens: 2000, callsPerMonth: 10000 });
console.log(`\nQuote: a 250K-token Claude Sonnet 4.5 call costs ${usd(quote.costUsd)} (long-context tier above ${quote.breakdown.tierAboveInputTokens} tokens); 10,000 a month: ${usd(quote.monthlyCostUsd)}.`);
// Budgets: a hard daily budget on the labs team warns, trips, denies a call, and comes back after a reset.
console.log('\nBudget "labs-daily": $0.02 a day, hard. Labs switches to gpt-4o...');
await call('PUT', '/api/budgets/labs-daily', { scope: { type: 'team', value: 'labs' }, period: 'daily', limitUsd: 0.02, mode: 'hard' });
const show = async () => { const b = await call('GET', '/api/budgets/labs-daily'); console.log(`  spent ${usd(b.spentUsd)}  reserved ${usd(b.reservedUsd)}  state ${b.state.padEnd(7)} kill switch ${b.killSwitch}`); };
const ask = async maxOutputTokens => call('POST', '/api/authorize', { team: 'labs', feature: 'prototype', provider: 'azure-openai', model: 'gpt-4o', inputTokens: 2000, maxOutputTokens }, keys.labs);
for (let i = 0; i < 4; i++) {
  const grant = await ask(500);
  if (!grant.allowed) { console.log(`  authorize -> denied: ${grant.reason} by ${grant.budgetId}, $${grant.remainingUsd} left, at most ${grant.maxAffordableOutputTokens} output tokens would fit`); break; }
  console.log(`  authorize -> reservation ${grant.reservationId.slice(0, 12)}... holds ${usd(grant.ceilingUsd)}`);
  await call('POST', '/api/usage', { id: `labs-gpt4o-${i}`, team: 'labs', feature: 'prototype', provider: 'azure-openai', model: 'gpt-4o', inputTokens: 2000, outputTokens: 450, reservationId: grant.reservationId }, keys.labs);
  await show();
}
await call('POST', '/api/usage', { id: 'labs-posthoc', team: 'labs', feature: 'prototype', provider: 'azure-openai', model: 'gpt-4o', inputTokens: 4000, outputTokens: 800 }, keys.labs);
console.log('  a post-hoc call without authorization lands:'); await show();
const denied = await ask(100);
console.log(`  authorize -> ${denied.allowed ? 'allowed' : 'denied: ' + denied.reason}`);
const check = await call('GET', '/api/killswitches/check?team=labs', undefined, keys.labs);
console.log(`  kill switch check for labs: blocked=${check.blocked}`);
const reset = await call('POST', '/api/killswitches/reset', { scope: { type: 'team', value: 'labs' } });
console.log(`  admin resets the kill switch (re-armed: ${reset.rearmed.join(', ')}); spend is still over the limit, so calls stay denied:`); await show();
await call('PUT', '/api/budgets/labs-daily', { scope: { type: 'team', value: 'labs' }, period: 'daily', limitUsd: 0.10, mode: 'hard' });
console.log('  admin raises the limit to $0.10:'); await show();
console.log(`  authorize -> ${(await ask(100)).allowed ? 'allowed' : 'denied'}`);
const events = await call('GET', '/api/events');
console.log('  events (outbox, sent to Event Grid when a topic is configured):');
for (const e of events.events.reverse()) console.log(`    ${e.type.padEnd(36)} ${e.threshold ?? ''}`);

try { await call('POST', '/api/usage', { id: 'sneaky', team: 'finance', feature: 'x', model: 'gpt-4o', inputTokens: 1, outputTokens: 1 }, keys.search); }
catch (e) { console.log(`\nThe search team's key cannot record for finance: ${e.message.split(' -> ')[1].slice(0, 3)} ${JSON.parse(e.message.split(/ -> \d+ /)[1]).code}`); }
// Deferrable work: tonight's batch at half the price, with the saving on the report.
console.log('\nDeferrable requests: the search team sends three summaries that can wait until tonight...');
const deferred = [], usd6 = v => '$' + Number(v).toFixed(6);
for (const ticket of [101, 102, 103]) {
  const r = await call('POST', '/api/batch/requests', {
    team: 'search', feature: 'ticket-summaries', model: 'gpt-4o', maxOutputTokens: 300,
    body: { messages: [{ role: 'system', content: 'Summarise support tickets in one line.' }, { role: 'user', content: `Ticket ${ticket}: the VPN drops every hour since the update.` }] },
  }, keys.search);
  deferred.push(r.id);
  console.log(`  ${r.id}  ~${r.estimatedInputTokens} prompt tokens; worst case ${usd6(r.estimatedRealtimeCostUsd)} real time, ${usd6(r.estimatedBatchCostUsd)} in batch (reserved now)`);
}
const dropped = await call('DELETE', `/api/batch/requests/${deferred.pop()}`, undefined, keys.search);
console.log(`  one is cancelled before the run: ${dropped.status}, its reservation released`);
const started = await call('POST', '/admin/functions/StartNightlyBatch');
const runId = started.runId;
console.log(`  the nightly timer fires (by hand here; 02:00 UTC normally): run ${runId}, a Durable orchestration`);
let run, lastStep = '';
for (let i = 0; i < 120; i++) {
  run = await call('GET', `/api/orchestrations/${runId}`);
  const where = run.step ? `${run.status} at ${run.step}` : run.status;
  if (where !== lastStep) { console.log(`    ${where}`); lastStep = where; }
  if (['completed', 'failed', 'terminated'].includes(run.status)) break;
  await new Promise(r => setTimeout(r, 500));
}
for (const id of deferred) {
  const r = await call('GET', `/api/batch/requests/${id}`, undefined, keys.search);
  console.log(`  ${id}  ${r.status}: ${r.tokens.inputTokens} in / ${r.tokens.outputTokens} out, ${usd6(r.costUsd)} (real time ${usd6(r.realtimeCostUsd)}), "${r.result.choices[0].message.content.slice(0, 48)}..."`);
}
const o = run.output;
console.log(`  run ${run.status}: ${o.completed} completed, ${o.failed} failed, ${o.retrying} for tomorrow; cost ${usd6(o.costUsd)} vs ${usd6(o.realtimeCostUsd)} real time, saved ${usd6(o.savingUsd)} (${Math.round(100 * o.savingUsd / o.realtimeCostUsd)}%)`);
console.log('  (ControlPlane.Batch.Completed carries the same numbers to Event Grid.)');

// Audits: the spend nobody is watching.
const post = async (events, key) => { for (let i = 0; i < events.length; i += 500) await call('POST', '/api/usage', { events: events.slice(i, i + 500) }, key); };
const runKind = async (kind, input) => {
  const started = await call('POST', `/api/orchestrations/${kind}/start`, input ? { input } : {});
  for (let i = 0; i < 240; i++) {
    const r = await call('GET', `/api/orchestrations/${started.id}`);
    if (['completed', 'failed', 'terminated'].includes(r.status)) { console.log(`  ${kind}: ${r.status}`); return r; }
    await new Promise(res => setTimeout(res, 500));
  }
  throw new Error(`${kind} did not finish`);
};
console.log('\nAudits. Four weeks of a summaries feature that lost its users but still pre-processes every upload...');
await call('PUT', '/api/teams/search', { costCenter: 'CC1042', owner: 'Dana Lee', contact: 'search-leads@contoso.example' });
await call('PUT', '/api/teams/support', { costCenter: 'CC2001', owner: 'Sam Ortiz' });
await call('PUT', '/api/features/summaries', { team: 'search', expectedTokensPerCall: 9000, callsPerSession: 2 });
await call('PUT', '/api/features/ticket-agent', { team: 'support', expectedTokensPerCall: 3000, callsPerSession: 4, valueUnit: 'resolved ticket', valuePerUnitUsd: 0.40 });
const zombie = [], now = Date.now();
for (let day = 30; day >= 1; day--) {
  const users = day > 21 ? 40 : day > 14 ? 20 : day > 7 ? 8 : 2;
  for (let i = 0; i < 100; i++) zombie.push({ id: `sum-${day}-${i}`, timestamp: new Date(now - day * 86400e3 + i * 60e3).toISOString(), team: 'search',
    feature: 'summaries', user: `reader-${i % users}`, provider: 'azure-openai', model: 'gpt-4o', inputTokens: 8000, outputTokens: 500 });
}
await post(zombie, keys.search);
console.log('...a support agent that validates its own output and retries the same call 47 times...');
const loop = Array.from({ length: 47 }, (_, i) => ({ id: `agent-${i}`, timestamp: new Date(now - (50 - i) * 60e3).toISOString(), team: 'support', feature: 'ticket-agent',
  user: 'agent-bot', session: 'run-8812', requestHash: 'sha256:9f2c4e7a1b', provider: 'azure-openai', model: 'gpt-4o', inputTokens: 3000, outputTokens: 400, units: i === 46 ? 1 : 0 }));
await post(loop, keys.support);
console.log('...and an inventory a department exported with `az resource list`: an Azure OpenAI account nobody registered, with a provisioned deployment.');
const account = '/subscriptions/00000000-0000-0000-0000-00000000beef/resourceGroups/marketing-rg/providers/Microsoft.CognitiveServices/accounts/mkt-openai';
const upload = await call('POST', '/api/audits/shadow-ai/inventory', [
  { id: account, name: 'mkt-openai', type: 'Microsoft.CognitiveServices/accounts', kind: 'OpenAI', location: 'eastus', resourceGroup: 'marketing-rg', tags: { team: 'marketing' }, sku: { name: 'S0' } },
  { id: `${account}/deployments/gpt4o-ptu`, name: 'mkt-openai/gpt4o-ptu', type: 'Microsoft.CognitiveServices/accounts/deployments', resourceGroup: 'marketing-rg',
    sku: { name: 'ProvisionedManaged', capacity: 50 }, properties: { model: { name: 'gpt-4o', version: '2024-11-20', format: 'OpenAI' } } },
  { id: '/subscriptions/00000000-0000-0000-0000-00000000beef/resourceGroups/web/providers/Microsoft.Web/sites/shop', name: 'shop', type: 'Microsoft.Web/sites' },
]);
console.log(`  upload: ${upload.entriesInFile} entries, ${upload.aiResources} AI resources, ${upload.deployments} deployments`);
for (const kind of ['zombie-feature-audit', 'anomaly-scan', 'shadow-ai-audit']) await runKind(kind);
const findings = (await call('GET', '/api/findings?state=open')).findings;
console.log(`  ${findings.length} open findings:`);
for (const f of findings) console.log(`    ${f.severity.padEnd(8)} ${f.kind.padEnd(28)} ${f.subject.name.slice(-40).padEnd(40)} ${f.proposedAction ? '-> proposes ' + f.proposedAction.type : ''}`);
const zf = findings.find(f => f.kind === 'zombie-feature');
if (zf) {
  console.log(`  zombie-feature evidence: ${zf.evidence.series.map(w => `${w.values.users} users/${usd(w.values.costUsd).trim()}`).join(' → ')} a week`);
  const applied = await call('POST', `/api/findings/${zf.id}/apply`);
  const b = await call('GET', `/api/budgets/${zf.proposedAction.parameters.budgetId}`);
  console.log(`  the admin applies it: ${applied.applied.type} by ${applied.applied.by.name} -> budget ${b.id} (${b.mode}, ${usd(b.limitUsd).trim()} a ${b.period.replace('ly', '')}), finding now ${applied.state}`);
}

// Engineers: what the dashboard charts (scripts/dev.sh serves it at http://127.0.0.1:7071/), from the same API.
const day = new Date().toISOString().slice(0, 10);
const byTeamDay = await call('GET', `/api/costs?groupBy=team,day&from=${day}`);
console.log(`\nToday by team (GET /api/costs?groupBy=team,day, the dashboard's chart; ${byTeamDay.totalGroups} groups):`);
for (const g of byTeamDay.groups) console.log(`  ${g.keys.join(' · ').padEnd(28)} ${usd(g.costUsd)}  ${String(g.requests).padStart(4)} calls`);

// Finance: the month's report, stored and emailed.
const period = new Date().toISOString().slice(0, 7);
console.log(`\nFinance report for ${period} (to date):`);
const report = await call('POST', '/api/reports/run', { kind: 'monthly', period });
console.log(`  ${report.id}: ${report.status}, total ${usd(report.totals.costUsd)}, ${report.totals.focusRows} FOCUS rows, forecast ${usd(report.totals.forecastMonthEndUsd)} for the month`);
for (const f of report.files) console.log(`    ${`${report.folder}/${f.name}`.padEnd(40)} ${String(f.bytes).padStart(8)} bytes   GET /api/reports/${report.id}/files/${f.name}`);
for (const d of report.deliveries) console.log(`  email to ${d.audience} (${d.recipients.join(', ')}): ${d.state}`);
if (process.env.MAILDEV_URL) {
  const mails = await (await fetch(`${process.env.MAILDEV_URL}/api/email`)).json();
  for (const m of mails) console.log(`  in the mail catcher: "${m.subject}" to ${m.to.map(t => t.address).join(', ')}, attachments: ${m.attachments.filter(a => a.contentDisposition === 'attachment').map(a => a.filename).join(', ')}`);
  console.log(`  read them at ${process.env.MAILDEV_URL}`);
}
JS
wait $!
