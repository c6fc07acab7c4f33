/**
 * Shape checks of the Cloud API's richer message objects (interactive, location, contacts,
 * sticker), with the Cloud API's limits. Pure functions: they run after the DTO check, only for
 * sends of these types. Each returns the problem, or undefined.
 */
type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const isText = (v: unknown, min: number, max: number): v is string =>
  typeof v === 'string' && [...v].length >= min && [...v].length <= max;

function only(o: Json, path: string, allowed: string[]): string | undefined {
  const extra = Object.keys(o).find((k) => !allowed.includes(k));
  return extra === undefined ? undefined : `Unexpected key "${path}.${extra}"`;
}

function textObject(v: unknown, path: string, max: number, required: boolean): string | undefined {
  if (v === undefined) {
    return required ? `${path} is required` : undefined;
  }
  if (!isObject(v)) {
    return `${path} must be an object`;
  }
  return (
    only(v, path, ['text']) ?? (isText(v.text, 1, max) ? undefined : `${path}.text must be 1 to ${max} characters`)
  );
}

function header(v: unknown, path: string): string | undefined {
  if (v === undefined) {
    return undefined;
  }
  if (!isObject(v) || typeof v.type !== 'string') {
    return `${path} must be an object with a type`;
  }
  if (v.type === 'text') {
    return (
      only(v, path, ['type', 'text']) ?? (isText(v.text, 1, 60) ? undefined : `${path}.text must be 1 to 60 characters`)
    );
  }
  if (['image', 'video', 'document'].includes(v.type)) {
    const media = v[v.type];
    return only(v, path, ['type', v.type]) ?? mediaRef(media, `${path}.${v.type}`);
  }
  return `${path}.type must be text, image, video or document`;
}

/** A media reference: a `link`, or (where `allowId`) the `id` of an upload, checked when it is sent. */
function mediaRef(v: unknown, path: string, allowId = false): string | undefined {
  if (!isObject(v)) {
    return `${path} must be an object with a link${allowId ? ' or an id' : ''}`;
  }
  const problem = only(v, path, allowId ? ['link', 'id', 'caption', 'filename'] : ['link', 'caption', 'filename']);
  if (problem) {
    return problem;
  }
  if (allowId && v.id !== undefined) {
    if (v.link !== undefined) {
      return `${path}: give a link or an id, not both`;
    }
    return typeof v.id === 'string' && /^\d{1,32}$/.test(v.id) ? undefined : `${path}.id must be a media id (digits)`;
  }
  if (typeof v.link !== 'string' || !/^https?:\/\/\S{1,2000}$/.test(v.link)) {
    return `${path}.link must be an http(s) URL`;
  }
  return undefined;
}

export function checkInteractive(v: unknown): string | undefined {
  if (!isObject(v)) {
    return 'interactive must be an object';
  }
  const kind = v.type;
  if (kind === 'button') {
    const problem =
      only(v, 'interactive', ['type', 'header', 'body', 'footer', 'action']) ??
      header(v.header, 'interactive.header') ??
      textObject(v.body, 'interactive.body', 1024, true) ??
      textObject(v.footer, 'interactive.footer', 60, false);
    if (problem) {
      return problem;
    }
    const action = v.action;
    if (!isObject(action) || !Array.isArray(action.buttons)) {
      return 'interactive.action.buttons is required';
    }
    if (action.buttons.length < 1 || action.buttons.length > 3) {
      return 'interactive.action.buttons must hold 1 to 3 buttons';
    }
    const titles = new Set<string>();
    for (const [i, b] of action.buttons.entries()) {
      const path = `interactive.action.buttons[${i}]`;
      if (!isObject(b) || b.type !== 'reply' || !isObject(b.reply)) {
        return `${path} must be {"type":"reply","reply":{"id","title"}}`;
      }
      if (!isText(b.reply.id, 1, 256)) {
        return `${path}.reply.id must be 1 to 256 characters`;
      }
      if (!isText(b.reply.title, 1, 20)) {
        return `${path}.reply.title must be 1 to 20 characters`;
      }
      if (titles.has(b.reply.title)) {
        return `${path}.reply.title must be unique among the buttons`;
      }
      titles.add(b.reply.title);
    }
    return only(action, 'interactive.action', ['buttons']);
  }
  if (kind === 'list') {
    const problem =
      only(v, 'interactive', ['type', 'header', 'body', 'footer', 'action']) ??
      (v.header !== undefined && (!isObject(v.header) || v.header.type !== 'text')
        ? 'interactive.header of a list must be a text header'
        : header(v.header, 'interactive.header')) ??
      textObject(v.body, 'interactive.body', 4096, true) ??
      textObject(v.footer, 'interactive.footer', 60, false);
    if (problem) {
      return problem;
    }
    const action = v.action;
    if (!isObject(action) || !Array.isArray(action.sections)) {
      return 'interactive.action.sections is required';
    }
    if (!isText(action.button, 1, 20)) {
      return 'interactive.action.button must be 1 to 20 characters';
    }
    if (action.sections.length < 1 || action.sections.length > 10) {
      return 'interactive.action.sections must hold 1 to 10 sections';
    }
    let rows = 0;
    for (const [i, s] of action.sections.entries()) {
      const path = `interactive.action.sections[${i}]`;
      if (!isObject(s) || !Array.isArray(s.rows) || s.rows.length === 0) {
        return `${path}.rows must hold at least one row`;
      }
      if (s.title !== undefined && !isText(s.title, 1, 24)) {
        return `${path}.title must be 1 to 24 characters`;
      }
      for (const [j, r] of s.rows.entries()) {
        const rowPath = `${path}.rows[${j}]`;
        if (!isObject(r) || !isText(r.id, 1, 200) || !isText(r.title, 1, 24)) {
          return `${rowPath} needs an id (1 to 200 characters) and a title (1 to 24)`;
        }
        if (r.description !== undefined && !isText(r.description, 1, 72)) {
          return `${rowPath}.description must be 1 to 72 characters`;
        }
        rows += 1;
      }
    }
    return rows > 10
      ? 'interactive.action.sections must hold at most 10 rows in total'
      : only(action, 'interactive.action', ['button', 'sections']);
  }
  if (kind === 'cta_url') {
    const problem =
      only(v, 'interactive', ['type', 'header', 'body', 'footer', 'action']) ??
      header(v.header, 'interactive.header') ??
      textObject(v.body, 'interactive.body', 1024, true) ??
      textObject(v.footer, 'interactive.footer', 60, false);
    if (problem) {
      return problem;
    }
    const action = v.action;
    if (!isObject(action) || action.name !== 'cta_url' || !isObject(action.parameters)) {
      return 'interactive.action must be {"name":"cta_url","parameters":{"display_text","url"}}';
    }
    const parameters = action.parameters;
    return (
      only(action, 'interactive.action', ['name', 'parameters']) ??
      only(parameters, 'interactive.action.parameters', ['display_text', 'url']) ??
      (isText(parameters.display_text, 1, 20)
        ? undefined
        : 'interactive.action.parameters.display_text must be 1 to 20 characters') ??
      (typeof parameters.url === 'string' && /^https?:\/\/\S{1,2000}$/.test(parameters.url)
        ? undefined
        : 'interactive.action.parameters.url must be an http(s) URL')
    );
  }
  return 'interactive.type must be button, list or cta_url';
}

export function checkLocation(v: unknown): string | undefined {
  if (!isObject(v)) {
    return 'location must be an object';
  }
  const problem = only(v, 'location', ['latitude', 'longitude', 'name', 'address']);
  if (problem) {
    return problem;
  }
  const lat = Number(v.latitude);
  const lon = Number(v.longitude);
  if (v.latitude === undefined || v.latitude === '' || !Number.isFinite(lat) || lat < -90 || lat > 90) {
    return 'location.latitude must be a number between -90 and 90';
  }
  if (v.longitude === undefined || v.longitude === '' || !Number.isFinite(lon) || lon < -180 || lon > 180) {
    return 'location.longitude must be a number between -180 and 180';
  }
  if (v.name !== undefined && !isText(v.name, 1, 1000)) {
    return 'location.name must be 1 to 1000 characters';
  }
  if (v.address !== undefined && !isText(v.address, 1, 1000)) {
    return 'location.address must be 1 to 1000 characters';
  }
  return undefined;
}

export function checkContacts(v: unknown): string | undefined {
  if (!Array.isArray(v) || v.length === 0 || v.length > 20) {
    return 'contacts must be an array of 1 to 20 contacts';
  }
  for (const [i, c] of v.entries()) {
    const path = `contacts[${i}]`;
    if (!isObject(c) || !isObject(c.name) || !isText(c.name.formatted_name, 1, 500)) {
      return `${path}.name.formatted_name is required (1 to 500 characters)`;
    }
    const problem = only(c, path, ['name', 'phones', 'emails', 'addresses', 'org', 'urls', 'birthday']);
    if (problem) {
      return problem;
    }
    for (const key of ['phones', 'emails', 'addresses', 'urls'] as const) {
      const list = c[key];
      if (list !== undefined && (!Array.isArray(list) || list.length > 20 || !list.every(isObject))) {
        return `${path}.${key} must be an array of at most 20 objects`;
      }
    }
    if (c.birthday !== undefined && (typeof c.birthday !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(c.birthday))) {
      return `${path}.birthday must be YYYY-MM-DD`;
    }
    if (JSON.stringify(c).length > 16_384) {
      return `${path} is too large`;
    }
  }
  return undefined;
}

export function checkSticker(v: unknown): string | undefined {
  return (
    mediaRef(v, 'sticker', true) ??
    (isObject(v) && (v.caption !== undefined || v.filename !== undefined)
      ? 'sticker takes only a link or an id'
      : undefined)
  );
}
