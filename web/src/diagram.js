// A BPMN diagram drawn by bpmn-js (its navigated viewer, loaded as the global BpmnJS from
// /web/vendor/bpmn-js), with Baton's state painted on it: markers for active, completed,
// incident and selected elements, and count badges as Cockpit draws them. A view keeps its
// viewer: state changes repaint markers and badges only, so a page that follows a running
// instance does not flicker or lose the user's zoom.

import { h } from './app.js';

const MARKERS = ['baton-active', 'baton-done', 'baton-incident', 'baton-selected'];

export class DiagramView {
  constructor(container) {
    this.container = container;
    this.viewer = new window.BpmnJS({ container });
    this.marked = [];
    this.xml = null;
  }

  async show(xml) {
    if (xml === this.xml) return;
    this.xml = xml;
    await this.viewer.importXML(xml);
    this.viewer.get('canvas').zoom('fit-viewport', 'auto');
    this.marked = [];
    const drawn = this.viewer.get('elementRegistry').filter((e) => e.type !== 'bpmn:Process').length;
    this.container.querySelector('.no-layout')?.remove();
    if (!drawn) {
      // a diagram written without BPMN DI (by hand or by a generator) has nothing to draw
      this.container.append(h('p', { class: 'no-layout empty' }, 'This diagram carries no layout (BPMN DI), so there is nothing to draw; the state is listed below.'));
    }
  }

  /** The elements of the diagram (bpmn-js's registry), e.g. to find timers. */
  element(id) {
    return this.viewer.get('elementRegistry').get(id);
  }

  /** Paint state: {active: [id], done: [id], incidents: [{activityId, message}],
   * counts: {id: {running, incidents}}, selected: id}. Unknown ids are skipped. */
  paint({ active = [], done = [], incidents = [], counts = {}, selected = null } = {}) {
    const canvas = this.viewer.get('canvas');
    const overlays = this.viewer.get('overlays');
    const registry = this.viewer.get('elementRegistry');
    for (const [id, marker] of this.marked) canvas.removeMarker(id, marker);
    this.marked = [];
    overlays.remove({ type: 'baton' });
    const mark = (id, marker) => {
      if (!registry.get(id)) return;
      canvas.addMarker(id, marker);
      this.marked.push([id, marker]);
    };
    for (const id of done) mark(id, 'baton-done');
    // the path taken: a flow from a completed element into one that ran or runs
    const reached = new Set([...done, ...active, ...incidents.map((i) => i.activityId)]);
    const finished = new Set(done);
    for (const flow of registry.filter((e) => e.type === 'bpmn:SequenceFlow')) {
      if (finished.has(flow.source?.id) && reached.has(flow.target?.id)) mark(flow.id, 'baton-done');
    }
    for (const id of active) mark(id, 'baton-active');
    if (selected) mark(selected, 'baton-selected');
    const byElement = new Map();
    for (const i of incidents) {
      if (!byElement.has(i.activityId)) byElement.set(i.activityId, []);
      byElement.get(i.activityId).push(i.message);
    }
    for (const [id, messages] of byElement) {
      if (!registry.get(id)) continue;
      mark(id, 'baton-incident');
      overlays.add(id, 'baton', {
        position: { top: -14, right: 14 },
        html: h(
          'div',
          { class: 'badge incident', title: messages.join('\n'), dataset: { element: id, kind: 'incident' } },
          `⚠ ${messages.length}`,
        ),
      });
      overlays.add(id, 'baton', {
        position: { bottom: -6, left: 0 },
        html: h('div', { class: 'incident-message', dataset: { element: id } }, messages[0]),
      });
    }
    for (const [id, count] of Object.entries(counts)) {
      if (!registry.get(id)) continue;
      if (count.running) {
        overlays.add(id, 'baton', {
          position: { bottom: 10, left: -8 },
          html: h('div', { class: 'badge running', title: 'active tokens', dataset: { element: id, kind: 'running' } }, String(count.running)),
        });
      }
      if (count.incidents) {
        overlays.add(id, 'baton', {
          position: { bottom: 10, right: 8 },
          html: h('div', { class: 'badge incident', title: 'open incidents', dataset: { element: id, kind: 'incidents' } }, String(count.incidents)),
        });
      }
    }
  }

  /** Timer events the user may fire: catch events with a timer and boundary timers. */
  isTimer(id) {
    const el = this.element(id);
    const defs = el?.businessObject?.eventDefinitions || [];
    return defs.some((d) => d.$type === 'bpmn:TimerEventDefinition');
  }
}

export { MARKERS };
