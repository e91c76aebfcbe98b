// Variables as the pages show and edit them: JSON values with a type a person picks
// (String, Number, Boolean, JSON, Null), and the text typed in read back as that type.
// One module, so Cockpit's variable editor and Tasklist's form-less editor agree.

export const TYPES = ['String', 'Number', 'Boolean', 'JSON', 'Null'];

export function typeOf(value) {
  if (value === null) return 'Null';
  if (typeof value === 'string') return 'String';
  if (typeof value === 'number') return 'Number';
  if (typeof value === 'boolean') return 'Boolean';
  return 'JSON';
}

export function showValue(value) {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** The value typed in, as the chosen type; throws a readable error when it is not one. */
export function parseTyped(type, text) {
  switch (type) {
    case 'String':
      return text;
    case 'Number': {
      const n = Number(text);
      if (text.trim() === '' || !Number.isFinite(n)) throw new Error(`"${text}" is not a number`);
      return n;
    }
    case 'Boolean':
      if (!['true', 'false'].includes(text.trim())) throw new Error('a Boolean is true or false');
      return text.trim() === 'true';
    case 'Null':
      return null;
    default:
      try {
        return JSON.parse(text);
      } catch (err) {
        throw new Error(`not JSON: ${err.message}`);
      }
  }
}
