// Tasklist: the signed-in user's tasks and their groups' tasks, a task's details and
// commands (claim, unclaim, delegate), its form (form-js, from the diagram's form fields
// or embedded Camunda Form; a variables editor when it declares none) and its process
// diagram with the task highlighted. Everything comes from /v1/bpms; the API decides
// every command, the buttons only follow the privileges /web/session reports.

import { act, api, boot, dialog, every, fmtDate, get, h, notify } from './app.js';
import { DiagramView } from './diagram.js';
import { TYPES, parseTyped } from './values.js';

const TASKS = '/v1/bpms/tasks';
const POLL_MS = 3000;

const state = {
  me: null,
  filter: 'mine',
  sortBy: 'created',
  sortOrder: 'desc',
  tasks: [],
  listKey: '',
  selected: null, // task id
  form: null, // the form-js Form of the selected task
  formInfo: null, // GET /tasks/{id}/form
  diagram: null,
};

const el = {};

function filters(me) {
  const all = [
    { id: 'mine', label: 'My tasks' },
    { id: 'groups', label: 'My groups' },
  ];
  if (me.can('bpms:task:assign')) all.push({ id: 'all', label: 'All' });
  return all;
}

function listQuery() {
  const q = new URLSearchParams({ sortBy: state.sortBy, sortOrder: state.sortOrder, size: '200' });
  if (state.filter === 'mine') q.set('assignee', state.me.subject);
  if (state.filter === 'groups') {
    q.set('candidateUser', state.me.subject);
    for (const role of state.me.roles) q.append('candidateGroup', role);
  }
  return `${TASKS}?${q}`;
}

async function refreshList() {
  const page = await get(listQuery());
  const tasks = page.items;
  const key = JSON.stringify(tasks.map((t) => [t.id, t.assignee, t.state, t.due, t.priority, t.name]));
  if (key === state.listKey) return;
  state.listKey = key;
  state.tasks = tasks;
  renderList();
}

function renderList() {
  el.count.textContent = `${state.tasks.length} task${state.tasks.length === 1 ? '' : 's'}`;
  if (!state.tasks.length) {
    el.list.replaceChildren(h('p', { class: 'empty', dataset: { role: 'no-tasks' } }, 'No tasks here.'));
    return;
  }
  el.list.replaceChildren(
    ...state.tasks.map((t) =>
      h(
        'div',
        {
          class: `task-item${t.id === state.selected ? ' selected' : ''}`,
          dataset: { taskId: t.id, taskKey: t.taskDefinitionKey, processInstanceId: t.processInstanceId },
          tabindex: 0,
          onclick: () => select(t.id),
          onkeydown: (e) => e.key === 'Enter' && select(t.id),
        },
        h('div', { class: 'name' }, h('strong', {}, t.name || t.taskDefinitionKey)),
        h(
          'div',
          { class: 'meta' },
          [t.processDefinitionKey, t.businessKey].filter(Boolean).join(' · '),
        ),
        h(
          'div',
          { class: 'meta' },
          `created ${fmtDate(t.created)}`,
          t.due ? ` · due ${fmtDate(t.due)}` : '',
          ` · priority ${t.priority}`,
          t.assignee ? ` · ${t.assignee}` : ' · unassigned',
        ),
      ),
    ),
  );
}

// ---- the selected task ---------------------------------------------------------------

async function select(id) {
  state.selected = id;
  for (const item of el.list.querySelectorAll('.task-item')) {
    item.classList.toggle('selected', item.dataset.taskId === id);
  }
  await showTask(id);
}

function clearDetail(message = 'Select a task.') {
  state.selected = null;
  state.form?.destroy();
  state.form = null;
  el.detail.replaceChildren(h('p', { class: 'empty', dataset: { role: 'no-selection' } }, message));
}

async function showTask(id) {
  let task, form;
  try {
    [task, form] = await Promise.all([get(`${TASKS}/${encodeURIComponent(id)}`), get(`${TASKS}/${encodeURIComponent(id)}/form`)]);
  } catch (err) {
    clearDetail(`Cannot show the task: ${err.message}`);
    return;
  }
  if (state.selected !== id) return; // another task was selected meanwhile
  state.formInfo = form;
  const me = state.me;
  const mine = task.assignee === me.subject;
  const admin = me.can('bpms:task:assign');
  const mayWork = me.can('bpms:task:complete');
  const open = ['CREATED', 'ASSIGNED'].includes(task.state);
  const command = (action, body) =>
    act(action[0].toUpperCase() + action.slice(1), async () => {
      await api('POST', `${TASKS}/${encodeURIComponent(id)}/${action}`, body);
      // a claimed task leaves the group's queue (Camunda's rule): follow it to "My tasks"
      if (action === 'claim' && state.filter === 'groups') setFilter('mine');
      state.listKey = '';
      await refreshList();
      await showTask(id);
    });

  const actions = h(
    'div',
    { class: 'actions', id: 'task-actions' },
    !task.assignee && open && mayWork
      ? h('button', { class: 'primary', dataset: { action: 'claim' }, onclick: () => command('claim') }, 'Claim')
      : null,
    task.assignee && open && mayWork && (mine || admin)
      ? h('button', { dataset: { action: 'unclaim' }, onclick: () => command('unclaim') }, 'Unclaim')
      : null,
    open && mayWork && (mine || admin)
      ? h(
          'button',
          {
            dataset: { action: 'delegate' },
            onclick: async () => {
              const answer = await dialog('Delegate task', {
                text: 'The delegate works on the task; it comes back to you when they resolve it.',
                fields: [{ name: 'userId', label: 'Delegate (user id)', required: true }],
                confirm: 'Delegate',
              });
              if (answer && answer.userId.trim()) await command('delegate', { userId: answer.userId.trim() });
            },
          },
          'Delegate',
        )
      : null,
  );

  const canSubmit = open && mayWork && (mine || admin);
  const formBox = h('div', { id: 'task-form', class: 'task-form', dataset: { source: form.source } });
  const errors = h('div', { class: 'form-errors', dataset: { role: 'form-errors' }, role: 'alert', hidden: true });
  const submit = h(
    'button',
    {
      class: 'primary',
      id: 'complete-task',
      dataset: { action: 'complete' },
      disabled: !canSubmit,
      title: canSubmit ? null : 'Claim the task to complete it',
    },
    task.delegationState === 'PENDING' ? 'Resolve' : 'Complete',
  );

  el.detail.replaceChildren(
    h(
      'div',
      { class: 'panel', id: 'task-detail', dataset: { taskId: task.id, state: task.state, assignee: task.assignee || '' } },
      h('div', { class: 'task-head' }, h('h2', {}, task.name || task.taskDefinitionKey), actions),
      h(
        'div',
        { class: 'facts' },
        fact('Process', `${task.processDefinitionKey} v${form.processDefinitionVersion}`),
        fact('Business key', task.businessKey),
        fact('State', h('span', { class: `state ${task.state}` }, task.state)),
        fact('Assignee', task.assignee || 'unassigned', { dataset: { role: 'assignee' } }),
        task.owner ? fact('Owner', `${task.owner} (${task.delegationState})`) : null,
        fact('Candidates', [...task.candidateGroups.map((g) => `group ${g}`), ...task.candidateUsers].join(', ')),
        fact('Created', fmtDate(task.created)),
        fact('Due', fmtDate(task.due)),
        fact('Priority', String(task.priority)),
        fact('Instance', h('code', {}, task.processInstanceId)),
      ),
    ),
    h(
      'div',
      { class: 'task-work' },
      h(
        'div',
        { class: 'panel' },
        h('h3', {}, form.source === 'none' ? 'Variables' : 'Form'),
        form.note ? h('p', { class: 'muted' }, `The diagram names ${form.note}; complete with variables instead.`) : null,
        formBox,
        errors,
        h('div', { class: 'actions' }, submit),
      ),
      h('div', { class: 'panel' }, h('h3', {}, 'Process'), h('div', { class: 'diagram', id: 'task-diagram' })),
    ),
  );

  state.form?.destroy();
  state.form = null;
  let collect;
  if (form.schema) {
    state.form = await renderForm(formBox, form);
    state.form.on('changed', () => {
      errors.hidden = true;
      const notice = document.getElementById('notice');
      if (notice?.classList.contains('error')) notice.hidden = true;
    });
    collect = () => {
      const { data, errors: invalid } = state.form.submit();
      const labels = Object.fromEntries((form.schema.components || []).map((c) => [c.id, c.label || c.key]));
      const names = Object.entries(invalid).map(([id, messages]) => `${labels[id] || id}: ${messages.join(' ')}`);
      if (names.length) return { invalid: names };
      for (const key of form.readonly) delete data[key];
      for (const [key, value] of Object.entries(data)) if (value === null || value === undefined) delete data[key];
      return { data };
    };
  } else {
    collect = variablesEditor(formBox, form.variables);
  }
  submit.addEventListener('click', async () => {
    errors.hidden = true;
    const { data, invalid } = collect();
    if (invalid) {
      showErrors(errors, invalid);
      notify('The form has errors: nothing was sent.', 'error');
      return;
    }
    submit.disabled = true;
    try {
      const done = await api('POST', `${TASKS}/${encodeURIComponent(id)}/submit-form`, { processData: data });
      notify(done.resolved ? 'Task resolved: it went back to its owner.' : 'Task completed.');
      clearDetail(done.resolved ? 'Task resolved.' : 'Task completed.');
      state.listKey = '';
      await refreshList();
    } catch (err) {
      const list = err.body?.errors?.map((e) => e.message) || [err.message];
      showErrors(errors, list);
      notify(`Complete: ${err.message}`, 'error');
      submit.disabled = false;
    }
  });
  showDiagram(task, form);
}

function fact(label, value, attrs = {}) {
  if (value === null || value === undefined || value === '') value = '—';
  return h('span', { class: 'fact' }, h('small', {}, label), h('span', attrs, value));
}

function showErrors(box, messages) {
  box.replaceChildren(h('ul', {}, messages.map((m) => h('li', {}, m))));
  box.hidden = false;
}

async function renderForm(container, info) {
  const form = new window.FormViewer.Form({ container });
  // the instance's variables first, so a form opens on what the process knows
  await form.importSchema(info.schema, { ...info.variables });
  return form;
}

// ---- the variables editor (a task without a form) ------------------------------------

function variablesEditor(container, current) {
  const rows = h('tbody', {});
  const addRow = (name = '', type = 'String', value = '') => {
    const valueInput =
      type === 'Boolean'
        ? h('select', { name: 'value' }, h('option', { value: 'true' }, 'true'), h('option', { value: 'false' }, 'false'))
        : h('input', { name: 'value', value });
    const typeSelect = h('select', { name: 'type' }, TYPES.map((t) => h('option', { value: t, selected: t === type }, t)));
    typeSelect.addEventListener('change', () => {
      row.replaceWith(addRow(nameInput.value, typeSelect.value, valueInput.value));
      row.remove();
    });
    const nameInput = h('input', { name: 'name', value: name, placeholder: 'name' });
    const row = h(
      'tr',
      { class: 'variable-row' },
      h('td', {}, nameInput),
      h('td', {}, typeSelect),
      h('td', {}, valueInput),
      h('td', {}, h('button', { type: 'button', title: 'Remove', onclick: () => row.remove() }, '✕')),
    );
    if (valueInput.tagName === 'SELECT') valueInput.value = value === 'false' ? 'false' : 'true';
    rows.append(row);
    return row;
  };
  const known = Object.entries(current || {});
  container.replaceChildren(
    known.length
      ? h(
          'details',
          { class: 'current-variables' },
          h('summary', {}, `The instance's variables (${known.length})`),
          h('pre', { class: 'mono' }, JSON.stringify(current, null, 2)),
        )
      : null,
    h(
      'table',
      { class: 'variables-editor', id: 'variables-editor' },
      h('thead', {}, h('tr', {}, h('th', {}, 'Name'), h('th', {}, 'Type'), h('th', {}, 'Value'), h('th', {}, ''))),
      rows,
    ),
    h('button', { type: 'button', dataset: { action: 'add-variable' }, onclick: () => addRow() }, 'Add a variable'),
  );
  return () => {
    const data = {};
    const invalid = [];
    for (const row of rows.querySelectorAll('tr')) {
      const name = row.querySelector('[name=name]').value.trim();
      if (!name) continue;
      try {
        data[name] = parseTyped(row.querySelector('[name=type]').value, row.querySelector('[name=value]').value);
      } catch (err) {
        invalid.push(`${name} (${err.message})`);
      }
    }
    return invalid.length ? { invalid } : { data };
  };
}

// ---- the diagram -------------------------------------------------------------------

async function showDiagram(task, form) {
  const box = document.getElementById('task-diagram');
  if (!box) return;
  try {
    const xml = await get(
      `/v1/bpms/process-definitions/${encodeURIComponent(form.processDefinitionKey)}/xml?version=${form.processDefinitionVersion}`,
    );
    if (state.selected !== task.id) return;
    const view = new DiagramView(box);
    await view.show(xml);
    view.paint({ active: [task.taskDefinitionKey], selected: task.taskDefinitionKey });
    box.dataset.ready = 'true';
  } catch (err) {
    box.replaceChildren(h('p', { class: 'muted' }, `The diagram cannot be shown: ${err.message}`));
  }
}

function setFilter(id) {
  state.filter = id;
  for (const b of document.querySelectorAll('.tabs [data-filter]')) b.classList.toggle('current', b.dataset.filter === id);
}

// ---- the page ----------------------------------------------------------------------

function toolbar(me) {
  const tabs = h(
    'div',
    { class: 'tabs', role: 'tablist' },
    filters(me).map((f) =>
      h(
        'button',
        {
          role: 'tab',
          class: f.id === state.filter ? 'current' : null,
          dataset: { filter: f.id },
          onclick: () => {
            setFilter(f.id);
            state.listKey = '';
            refreshList().catch((err) => notify(err.message, 'error'));
          },
        },
        f.label,
      ),
    ),
  );
  const sortBy = h(
    'select',
    { id: 'sort-by' },
    [['created', 'Created'], ['due', 'Due'], ['priority', 'Priority'], ['name', 'Name']].map(([v, l]) =>
      h('option', { value: v, selected: v === state.sortBy }, l),
    ),
  );
  const sortOrder = h(
    'select',
    { id: 'sort-order' },
    [['desc', 'newest / highest first'], ['asc', 'oldest / lowest first']].map(([v, l]) =>
      h('option', { value: v, selected: v === state.sortOrder }, l),
    ),
  );
  const changed = () => {
    state.sortBy = sortBy.value;
    state.sortOrder = sortOrder.value;
    state.listKey = '';
    refreshList().catch((err) => notify(err.message, 'error'));
  };
  sortBy.addEventListener('change', changed);
  sortOrder.addEventListener('change', changed);
  return h(
    'div',
    { class: 'filters' },
    tabs,
    h('label', {}, 'Sort by', sortBy),
    h('label', {}, 'Order', sortOrder),
  );
}

async function main() {
  const { me, main } = await boot('Tasklist');
  state.me = me;
  el.count = h('span', { class: 'muted', id: 'task-count' });
  el.list = h('div', { id: 'task-list', class: 'task-list' });
  el.detail = h('section', { id: 'task-view' });
  main.replaceChildren(
    h('h1', {}, 'Tasklist ', el.count),
    h('div', { class: 'tasklist' }, h('aside', { class: 'panel' }, toolbar(me), el.list), el.detail),
  );
  clearDetail();
  // a link from elsewhere (Cockpit's open tasks) names one task: show it, then drop the
  // hash so the list's polling (which stops when the hash changes) runs on
  const linked = location.hash.match(/^#\/task\/(.+)$/);
  if (linked) {
    history.replaceState(null, '', location.pathname);
    select(decodeURIComponent(linked[1]));
  }
  every(POLL_MS, refreshList);
}

main();
