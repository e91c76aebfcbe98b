// Cockpit: deployed processes with their counts, a definition's diagram with tokens and
// incidents per element, its instances, and one instance followed live on its diagram
// with its variables, incidents, tasks and history, and the operator's actions.
//
// Reads come from Camunda's REST API where Cockpit itself reads them (definition and
// element statistics, the diagram XML, activity history) and from /v1/bpms for the
// instance (state, variables, incidents, case history). Every action is one API call
// behind its privilege, asked for confirmation first; the API audits it.

import { act, boot, confirmDialog, dialog, every, fmtDate, get, api, h, notify } from './app.js';
import { DiagramView } from './diagram.js';
import { TYPES, parseTyped, showValue, typeOf } from './values.js';

const POLL_MS = 1500;
const enc = encodeURIComponent;
let session;

const incidentTotal = (stat) => (stat.incidents || []).reduce((n, i) => n + i.incidentCount, 0);
const stateBadge = (state) => h('span', { class: `state ${state}`, dataset: { state } }, state);

function table(columns, rows, { onRow, rowAttrs } = {}) {
  return h(
    'table',
    {},
    h('thead', {}, h('tr', {}, columns.map((c) => h('th', { class: c.num ? 'num' : null }, c.label)))),
    h(
      'tbody',
      {},
      rows.length
        ? rows.map((row) =>
            h(
              'tr',
              { class: onRow ? 'clickable' : null, onclick: onRow ? () => onRow(row) : null, ...(rowAttrs ? rowAttrs(row) : {}) },
              columns.map((c) => h('td', { class: c.num ? 'num' : null }, c.cell(row))),
            ),
          )
        : h('tr', {}, h('td', { colspan: columns.length, class: 'empty' }, 'Nothing here.')),
    ),
  );
}

// ---- #/ : the deployed processes ----------------------------------------------------

async function definitionsPage(main) {
  const body = h('div', { id: 'definitions' });
  main.replaceChildren(h('h1', {}, 'Processes'), body);
  every(POLL_MS * 2, async () => {
    const stats = await get('/engine-rest/process-definition/statistics?incidents=true');
    stats.sort((a, b) => a.definition.key.localeCompare(b.definition.key) || b.definition.version - a.definition.version);
    body.replaceChildren(
      table(
        [
          { label: 'Process', cell: (s) => h('a', { href: `#/definition/${enc(s.id)}` }, s.definition.name || s.definition.key) },
          { label: 'Key', cell: (s) => h('code', {}, s.definition.key) },
          { label: 'Version', num: true, cell: (s) => s.definition.version },
          { label: 'Running', num: true, cell: (s) => h('span', { dataset: { running: s.instances } }, s.instances) },
          {
            label: 'Incidents',
            num: true,
            cell: (s) => h('span', { class: incidentTotal(s) ? 'count-incidents' : null }, incidentTotal(s)),
          },
        ],
        stats,
        {
          onRow: (s) => (location.hash = `#/definition/${enc(s.id)}`),
          rowAttrs: (s) => ({ dataset: { definition: s.id, key: s.definition.key, version: s.definition.version } }),
        },
      ),
    );
  });
}

// ---- #/definition/{id}: diagram with counts, and its instances ----------------------

async function definitionPage(main, id) {
  const [key, version] = id.split(':');
  const filters = {
    state: h('select', { name: 'state' }, ['', 'ACTIVE', 'COMPLETED', 'TERMINATED', 'FAILED'].map((s) => h('option', { value: s }, s || 'any'))),
    businessKey: h('input', { name: 'businessKey', placeholder: 'exact' }),
    incident: h('select', { name: 'incident' }, [['', 'any'], ['true', 'with incident'], ['false', 'without']].map(([v, l]) => h('option', { value: v }, l))),
    startedAfter: h('input', { name: 'startedAfter', type: 'datetime-local' }),
    startedBefore: h('input', { name: 'startedBefore', type: 'datetime-local' }),
  };
  const list = h('div', { id: 'instances' });
  const canvas = h('div', { class: 'diagram', id: 'diagram' });
  main.replaceChildren(
    h('div', { class: 'crumbs' }, h('a', { href: '#/' }, 'Processes'), ' / ', key, ` v${version}`),
    h('h1', { id: 'title' }, key),
    canvas,
    h('h2', {}, 'Instances'),
    h(
      'div',
      { class: 'filters' },
      Object.entries(filters).map(([name, input]) => h('label', {}, name.replace(/([A-Z])/g, ' $1').toLowerCase(), input)),
    ),
    list,
  );
  const view = new DiagramView(canvas);
  const xml = await get(`/engine-rest/process-definition/${enc(id)}/xml`);
  await view.show(xml.bpmn20Xml);
  const definition = await get(`/engine-rest/process-definition/${enc(id)}`);
  document.getElementById('title').textContent = `${definition.name || key} (version ${version})`;

  const query = () => {
    const q = new URLSearchParams({ processDefinitionKey: key, version, size: '100' });
    if (filters.state.value) q.set('state', filters.state.value);
    if (filters.businessKey.value) q.set('businessKey', filters.businessKey.value);
    if (filters.incident.value) q.set('hasIncident', filters.incident.value);
    for (const name of ['startedAfter', 'startedBefore']) {
      if (filters[name].value) q.set(name, new Date(filters[name].value).toISOString());
    }
    return q;
  };
  const refresh = async () => {
    const [stats, page, withIncident] = await Promise.all([
      get(`/engine-rest/process-definition/${enc(id)}/statistics?incidents=true`),
      get(`/v1/bpms/process-instances?${query()}`),
      get(`/v1/bpms/process-instances?${new URLSearchParams({ processDefinitionKey: key, version, hasIncident: 'true', size: '1000' })}`),
    ]);
    const counts = Object.fromEntries(stats.map((s) => [s.id, { running: s.instances, incidents: incidentTotal(s) }]));
    view.paint({ counts });
    const failing = new Set(withIncident.items.map((i) => i.id));
    list.replaceChildren(
      h('p', { class: 'muted' }, `${page.total} instance(s)`),
      table(
        [
          { label: 'Instance', cell: (i) => h('a', { href: `#/instance/${enc(i.id)}` }, h('code', {}, i.id)) },
          { label: 'Business key', cell: (i) => i.businessKey || '' },
          { label: 'State', cell: (i) => [stateBadge(i.state), failing.has(i.id) && i.state !== 'INCIDENT' ? h('span', { class: 'count-incidents' }, ' ⚠ incident') : null] },
          { label: 'Started', cell: (i) => fmtDate(i.startTime) },
          { label: 'Ended', cell: (i) => fmtDate(i.endTime) },
        ],
        page.items,
        { onRow: (i) => (location.hash = `#/instance/${enc(i.id)}`), rowAttrs: (i) => ({ dataset: { instance: i.id } }) },
      ),
    );
  };
  for (const input of Object.values(filters)) input.addEventListener('change', refresh);
  every(POLL_MS, refresh);
}

// ---- #/instance/{id}: the instance, live ----------------------------------------------

async function editVariable(instanceId, name, value) {
  const values = await dialog(name ? `Edit variable ${name}` : 'Add a variable', {
    fields: [
      ...(name ? [] : [{ name: 'name', label: 'Name', required: true }]),
      { name: 'type', label: 'Type', type: 'select', options: TYPES, value: name ? typeOf(value) : 'String' },
      { name: 'value', label: 'Value', type: 'textarea', value: name ? showValue(value) : '' },
    ],
    confirm: 'Save',
  });
  if (!values) return;
  const target = name || values.name.trim();
  await act(`Set ${target}`, async () => {
    const typed = parseTyped(values.type, values.value);
    await api('PUT', `/v1/bpms/process-instances/${enc(instanceId)}/variables/${enc(target)}`, { value: typed });
  });
}

async function instancePage(main, id) {
  const me = session.me;
  const canvas = h('div', { class: 'diagram', id: 'diagram' });
  const head = h('div', { id: 'instance-head' });
  const actions = h('div', { class: 'actions', id: 'actions' });
  const panels = {
    incidents: h('div', { class: 'panel', id: 'incidents' }),
    variables: h('div', { class: 'panel', id: 'variables' }),
    tasks: h('div', { class: 'panel', id: 'tasks' }),
    history: h('div', { class: 'panel', id: 'history' }),
  };
  main.replaceChildren(
    head,
    actions,
    h('div', { style: 'height:10px' }),
    canvas,
    h('div', { class: 'grid', style: 'margin-top:14px' }, h('div', {}, panels.incidents, panels.variables, panels.history), h('div', {}, panels.tasks)),
  );
  const view = new DiagramView(canvas);
  let shown = null;

  const refresh = async () => {
    const [detail, activities, history] = await Promise.all([
      get(`/v1/bpms/process-instances/${enc(id)}`),
      get(`/engine-rest/history/activity-instance?processInstanceId=${enc(id)}&maxResults=2000`),
      get(`/v1/bpms/process-instances/${enc(id)}/history?size=500`),
    ]);
    const definitionVersion = `${detail.processDefinitionKey}:${detail.version}`;
    if (shown !== definitionVersion) {
      const xml = await api('GET', `/v1/bpms/process-definitions/${enc(detail.processDefinitionKey)}/xml?version=${detail.version}`);
      await view.show(typeof xml === 'string' ? xml : xml.xml);
      shown = definitionVersion;
    }
    const active = detail.currentActivities.map((a) => a.activityId);
    const done = [...new Set(activities.filter((a) => a.endTime && !a.canceled).map((a) => a.activityId))];
    const open = detail.incidents.filter((i) => i.state !== 'RESOLVED');
    view.paint({ active, done, incidents: open.map((i) => ({ activityId: i.activityId, message: i.message })) });
    drawHead(head, detail);
    drawActions(actions, detail, me, refresh);
    drawIncidents(panels.incidents, open, me, refresh);
    drawVariables(panels.variables, detail, me, refresh);
    drawTasks(panels.tasks, detail);
    drawHistory(panels.history, history);
  };
  every(POLL_MS, refresh);
}

function drawHead(head, d) {
  head.replaceChildren(
    h(
      'div',
      { class: 'crumbs' },
      h('a', { href: '#/' }, 'Processes'),
      ' / ',
      h('span', { id: 'definition-link' }, `${d.processDefinitionKey} v${d.version}`),
      ' / instance',
    ),
    h('h1', {}, h('code', { id: 'instance-id' }, d.id), ' ', stateBadge(d.state)),
    h(
      'p',
      { class: 'muted' },
      d.businessKey ? ['Business key ', h('strong', {}, d.businessKey), ' · '] : null,
      `started ${fmtDate(d.startTime)}`,
      d.endTime ? ` · ended ${fmtDate(d.endTime)}` : null,
      ' · ',
      d.temporalUrl ? h('a', { href: d.temporalUrl, target: '_blank', rel: 'noopener', id: 'temporal-link' }, 'Open in Temporal Web UI') : null,
    ),
  );
}

function drawActions(box, d, me, refresh) {
  const running = !d.endTime;
  const buttons = [];
  if (running && me.can('bpms:process:modify')) {
    buttons.push(
      h(
        'button',
        {
          id: 'cancel-instance',
          class: 'danger',
          onclick: async () => {
            const values = await dialog('Cancel this instance?', {
              text: 'Every token stops and open tasks end. This cannot be undone.',
              fields: [{ name: 'reason', label: 'Reason (for the case history)' }],
              confirm: 'Cancel instance',
              danger: true,
            });
            if (values && (await act('Cancel', () => api('POST', `/v1/bpms/process-instances/${enc(d.id)}/cancel`, { reason: values.reason || null })))) await refresh();
          },
        },
        'Cancel instance',
      ),
    );
    for (const element of d.waitingTimers || []) {
      buttons.push(
        h(
          'button',
          {
            dataset: { fireTimer: element },
            onclick: async () => {
              if (!(await confirmDialog('Fire the timer now?', `The token waiting on the timer of ${element} moves on as if the time had come.`, 'Fire now'))) return;
              if (await act(`Fire ${element}`, () => api('POST', `/v1/bpms/process-instances/${enc(d.id)}/timers/${enc(element)}/fire`))) await refresh();
            },
          },
          `Fire timer ${element}`,
        ),
      );
    }
  }
  if (running && me.can('events:publish')) {
    buttons.push(
      h(
        'button',
        {
          id: 'correlate-message',
          onclick: async () => {
            const waiting = d.waitingMessages || [];
            const values = await dialog('Correlate a message with this instance', {
              fields: [
                waiting.length
                  ? { name: 'messageName', label: 'Message', type: 'select', options: waiting, value: waiting[0] }
                  : { name: 'messageName', label: 'Message name', required: true },
                { name: 'variables', label: 'Variables (JSON object)', type: 'textarea', value: '{}' },
              ],
              confirm: 'Correlate',
            });
            if (!values) return;
            const ok = await act(`Message ${values.messageName}`, async () => {
              const variables = parseTyped('JSON', values.variables || '{}');
              await api('POST', '/v1/bpms/messages/correlate', { messageName: values.messageName, processInstanceId: d.id, processData: variables });
            });
            if (ok) await refresh();
          },
        },
        'Correlate message',
      ),
    );
  }
  box.replaceChildren(...buttons);
}

function drawIncidents(box, incidents, me, refresh) {
  box.replaceChildren(
    h('h3', {}, `Incidents (${incidents.length})`),
    incidents.length
      ? table(
          [
            { label: 'Element', cell: (i) => h('code', {}, i.activityId) },
            { label: 'Message', cell: (i) => h('span', { class: 'incident-text' }, i.message) },
            { label: 'Since', cell: (i) => fmtDate(i.createdAt) },
            {
              label: '',
              cell: (i) =>
                me.can('bpms:incident:retry')
                  ? h(
                      'div',
                      { class: 'actions' },
                      h(
                        'button',
                        {
                          class: 'primary',
                          dataset: { retry: i.id },
                          onclick: async () => {
                            if (!(await confirmDialog('Retry?', `${i.activityId} runs again.`, 'Retry'))) return;
                            if (await act('Retry', () => api('POST', `/v1/bpms/incidents/${enc(i.id)}/retry`, {}))) await refresh();
                          },
                        },
                        'Retry',
                      ),
                      h(
                        'button',
                        {
                          dataset: { resolve: i.id },
                          onclick: async () => {
                            if (!(await confirmDialog('Resolve by hand?', `The token leaves ${i.activityId} without its work being done.`, 'Resolve'))) return;
                            if (await act('Resolve', () => api('POST', `/v1/bpms/incidents/${enc(i.id)}/resolve`, {}))) await refresh();
                          },
                        },
                        'Resolve',
                      ),
                    )
                  : '',
            },
          ],
          incidents,
          { rowAttrs: (i) => ({ dataset: { incident: i.id, element: i.activityId } }) },
        )
      : h('p', { class: 'empty' }, 'No open incident.'),
  );
}

function drawVariables(box, d, me, refresh) {
  const writable = me.can('bpms:process:write') && !d.endTime;
  const rows = Object.entries(d.processData).sort(([a], [b]) => a.localeCompare(b));
  box.replaceChildren(
    h(
      'h3',
      {},
      'Variables ',
      writable ? h('button', { id: 'add-variable', onclick: async () => { await editVariable(d.id); await refresh(); } }, 'Add') : null,
    ),
    table(
      [
        { label: 'Name', cell: ([name]) => h('code', {}, name) },
        { label: 'Type', cell: ([, value]) => typeOf(value) },
        { label: 'Value', cell: ([, value]) => h('span', { class: 'mono' }, showValue(value)) },
        {
          label: '',
          cell: ([name, value]) =>
            writable ? h('button', { dataset: { edit: name }, onclick: async () => { await editVariable(d.id, name, value); await refresh(); } }, 'Edit') : '',
        },
      ],
      rows,
      { rowAttrs: ([name]) => ({ dataset: { variable: name } }) },
    ),
  );
}

function drawTasks(box, d) {
  box.replaceChildren(
    h('h3', {}, `Open tasks (${d.openTasks.length})`),
    d.openTasks.length
      ? h('div', {}, d.openTasks.map((t) =>
          h(
            'div',
            { class: 'task-item', dataset: { task: t.id } },
            h('a', { href: `/tasklist#/task/${enc(t.id)}` }, t.name || t.taskDefinitionKey),
            h('div', { class: 'meta' }, t.assignee ? `assigned to ${t.assignee}` : 'unassigned', ` · ${t.state}`),
          ),
        ))
      : h('p', { class: 'empty' }, 'None.'),
    h('h3', { style: 'margin-top:14px' }, 'Waiting for events'),
    h(
      'p',
      { class: 'muted' },
      [...(d.waitingMessages || []).map((m) => `message ${m}`), ...(d.waitingTimers || []).map((t) => `timer ${t}`)].join(', ') || 'nothing',
    ),
  );
}

function drawHistory(box, entries) {
  const items = (entries.items || entries).slice().reverse();
  box.replaceChildren(
    h('h3', {}, 'History'),
    table(
      [
        { label: 'When', cell: (e) => fmtDate(e.timestamp) },
        { label: 'What', cell: (e) => e.type },
        { label: 'Where', cell: (e) => (e.activityId ? h('code', {}, e.activityId) : '') },
        { label: 'Who', cell: (e) => e.userId || '' },
        { label: 'Detail', cell: (e) => e.details ? h('span', { class: 'mono' }, typeof e.details === 'string' ? e.details : JSON.stringify(e.details)) : '' },
      ],
      items.slice(0, 200),
    ),
  );
}

// ---- routing ------------------------------------------------------------------------

async function route() {
  const main = session.main;
  const [, page, arg] = location.hash.match(/^#\/([^/]+)\/(.+)$/) || [];
  try {
    if (page === 'definition') await definitionPage(main, decodeURIComponent(arg));
    else if (page === 'instance') await instancePage(main, decodeURIComponent(arg));
    else await definitionsPage(main);
  } catch (err) {
    notify(err.message, 'error');
    main.replaceChildren(h('p', { class: 'form-errors' }, err.message), h('a', { href: '#/' }, 'Back to the processes'));
  }
}

session = await boot('Cockpit');
window.addEventListener('hashchange', route);
await route();
