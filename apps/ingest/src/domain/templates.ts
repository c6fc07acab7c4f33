/**
 * Message templates, as the Cloud API defines them: the shape checks of a new template (name,
 * language, category, components with parameter examples), what a template expects when it is
 * sent (its parameters), and the check and rendering of a template send. Pure functions.
 */
type Json = Record<string, unknown>;

export const TEMPLATE_CATEGORIES = ['MARKETING', 'UTILITY', 'AUTHENTICATION'] as const;
export type TemplateCategory = (typeof TEMPLATE_CATEGORIES)[number];

/** The statuses a template has here (the Cloud API's node statuses Custody uses). */
export const TEMPLATE_STATUSES = ['PENDING', 'APPROVED', 'REJECTED', 'PAUSED', 'DISABLED'] as const;
export type TemplateStatus = (typeof TEMPLATE_STATUSES)[number];

/** The rejection reasons of the Cloud API (`rejected_reason`). */
export const REJECTION_REASONS = [
  'ABUSIVE_CONTENT',
  'INVALID_FORMAT',
  'PROMOTIONAL',
  'TAG_CONTENT_MISMATCH',
  'SCAM',
  'INCORRECT_CATEGORY',
  'NONE',
] as const;

export type ParameterFormat = 'POSITIONAL' | 'NAMED';

/** A template as it was created: normalized (component and button types upper case). */
export interface TemplateDefinition {
  name: string;
  language: string;
  category: TemplateCategory;
  parameterFormat: ParameterFormat;
  components: Json[];
}

const NAME = /^[a-z0-9_]{1,512}$/;
const LANGUAGE = /^[a-z]{2,3}(_[A-Z]{2,4})?$/;
const POSITIONAL_VAR = /\{\{\s*(\d+)\s*\}\}/g;
const NAMED_VAR = /\{\{\s*([a-z][a-z0-9_]*)\s*\}\}/g;
const ANY_VAR = /\{\{([^{}]*)\}\}/g;
const HEADER_FORMATS = ['TEXT', 'IMAGE', 'VIDEO', 'DOCUMENT', 'LOCATION'] as const;
const BUTTON_TYPES = ['QUICK_REPLY', 'URL', 'PHONE_NUMBER', 'COPY_CODE'] as const;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const isText = (v: unknown, min: number, max: number): v is string =>
  typeof v === 'string' && [...v].length >= min && [...v].length <= max;
const upper = (v: unknown): string => (typeof v === 'string' ? v.toUpperCase() : '');

function only(o: Json, path: string, allowed: string[]): string | undefined {
  const extra = Object.keys(o).find((k) => !allowed.includes(k));
  return extra === undefined ? undefined : `Unexpected key "${path}.${extra}"`;
}

/** The variables of a text, in order of appearance; a problem when they do not follow the format. */
function variablesOf(text: string, format: ParameterFormat, path: string): { vars: string[] } | { problem: string } {
  const all = [...text.matchAll(ANY_VAR)].map((m) => m[1].trim());
  if (format === 'POSITIONAL') {
    const numbers = [...text.matchAll(POSITIONAL_VAR)].map((m) => Number(m[1]));
    if (numbers.length !== all.length) {
      return { problem: `${path}: positional templates take variables {{1}}, {{2}}, …` };
    }
    const distinct = [...new Set(numbers)].sort((a, b) => a - b);
    if (distinct.some((n, i) => n !== i + 1)) {
      return { problem: `${path}: variables must be numbered {{1}} to {{${distinct.length}}} without gaps` };
    }
    return { vars: distinct.map(String) };
  }
  const names = [...text.matchAll(NAMED_VAR)].map((m) => m[1]);
  if (names.length !== all.length) {
    return { problem: `${path}: named templates take variables such as {{first_name}} (lowercase, digits and _)` };
  }
  return { vars: [...new Set(names)] };
}

function checkExamples(
  example: unknown,
  vars: string[],
  format: ParameterFormat,
  path: string,
  positionalKey: 'body_text' | 'header_text',
): string | undefined {
  if (vars.length === 0) {
    return example === undefined || isObject(example) ? undefined : `${path}.example must be an object`;
  }
  if (!isObject(example)) {
    return `${path}.example is required: the text has variables and each needs a sample value`;
  }
  if (format === 'NAMED') {
    const key = `${positionalKey}_named_params`;
    const params = example[key];
    if (
      !Array.isArray(params) ||
      !params.every((p) => isObject(p) && typeof p.param_name === 'string' && isText(p.example, 1, 1024))
    ) {
      return `${path}.example.${key} must list {param_name, example} for each variable`;
    }
    const given = new Set(params.map((p) => (p as Json).param_name as string));
    const missing = vars.find((v) => !given.has(v));
    return missing === undefined ? undefined : `${path}.example.${key} has no example for {{${missing}}}`;
  }
  const raw = example[positionalKey];
  const values: unknown = positionalKey === 'body_text' ? (Array.isArray(raw) ? (raw[0] as unknown) : undefined) : raw;
  if (!Array.isArray(values) || !values.every((v) => isText(v, 1, 1024))) {
    return positionalKey === 'body_text'
      ? `${path}.example.body_text must be [["sample 1", "sample 2", …]] (one value per variable)`
      : `${path}.example.header_text must be ["sample"]`;
  }
  return values.length === vars.length
    ? undefined
    : `${path}.example.${positionalKey} has ${values.length} sample values for ${vars.length} variables`;
}

function checkComponent(c: Json, index: number, format: ParameterFormat): string | undefined {
  const path = `components[${index}]`;
  const type = upper(c.type);
  if (type === 'BODY') {
    const extra = only(c, path, ['type', 'text', 'example']);
    if (extra) {
      return extra;
    }
    if (!isText(c.text, 1, 1024)) {
      return `${path}.text (the body) must be 1 to 1024 characters`;
    }
    const vars = variablesOf(c.text, format, `${path}.text`);
    return 'problem' in vars ? vars.problem : checkExamples(c.example, vars.vars, format, path, 'body_text');
  }
  if (type === 'HEADER') {
    const extra = only(c, path, ['type', 'format', 'text', 'example']);
    if (extra) {
      return extra;
    }
    const headerFormat = upper(c.format);
    if (!(HEADER_FORMATS as readonly string[]).includes(headerFormat)) {
      return `${path}.format must be one of ${HEADER_FORMATS.join(', ')}`;
    }
    if (headerFormat !== 'TEXT') {
      return c.text === undefined ? undefined : `${path}.text is only for a TEXT header`;
    }
    if (!isText(c.text, 1, 60)) {
      return `${path}.text (a TEXT header) must be 1 to 60 characters`;
    }
    const vars = variablesOf(c.text, format, `${path}.text`);
    if ('problem' in vars) {
      return vars.problem;
    }
    if (vars.vars.length > 1) {
      return `${path}.text: a header takes at most one variable`;
    }
    return checkExamples(c.example, vars.vars, format, path, 'header_text');
  }
  if (type === 'FOOTER') {
    const extra = only(c, path, ['type', 'text']);
    if (extra) {
      return extra;
    }
    if (!isText(c.text, 1, 60)) {
      return `${path}.text (the footer) must be 1 to 60 characters`;
    }
    return /\{\{[^{}]*\}\}/.test(c.text) ? `${path}.text: a footer takes no variables` : undefined;
  }
  if (type === 'BUTTONS') {
    const extra = only(c, path, ['type', 'buttons']);
    if (extra) {
      return extra;
    }
    if (!Array.isArray(c.buttons) || c.buttons.length < 1 || c.buttons.length > 10) {
      return `${path}.buttons must hold 1 to 10 buttons`;
    }
    const counts = new Map<string, number>();
    for (const [i, b] of c.buttons.entries()) {
      const bpath = `${path}.buttons[${i}]`;
      if (!isObject(b)) {
        return `${bpath} must be an object`;
      }
      const btype = upper(b.type);
      if (!(BUTTON_TYPES as readonly string[]).includes(btype)) {
        return `${bpath}.type must be one of ${BUTTON_TYPES.join(', ')}`;
      }
      counts.set(btype, (counts.get(btype) ?? 0) + 1);
      const problem =
        only(b, bpath, ['type', 'text', 'url', 'phone_number', 'example']) ??
        (isText(b.text, 1, 25) || btype === 'COPY_CODE' ? undefined : `${bpath}.text must be 1 to 25 characters`) ??
        (btype === 'URL' ? checkUrlButton(b, bpath) : undefined) ??
        (btype === 'PHONE_NUMBER' && !(typeof b.phone_number === 'string' && /^\+?\d{6,20}$/.test(b.phone_number))
          ? `${bpath}.phone_number must be a phone number`
          : undefined);
      if (problem) {
        return problem;
      }
    }
    if ((counts.get('URL') ?? 0) > 2 || (counts.get('PHONE_NUMBER') ?? 0) > 1 || (counts.get('COPY_CODE') ?? 0) > 1) {
      return `${path}.buttons: at most 2 URL buttons, 1 PHONE_NUMBER and 1 COPY_CODE`;
    }
    return undefined;
  }
  return `${path}.type must be one of HEADER, BODY, FOOTER, BUTTONS`;
}

function checkUrlButton(b: Json, path: string): string | undefined {
  if (typeof b.url !== 'string' || !/^https?:\/\/[^\s]{1,2000}$/.test(b.url)) {
    return `${path}.url must be an http(s) URL`;
  }
  const vars = [...b.url.matchAll(ANY_VAR)];
  if (vars.length === 0) {
    return undefined;
  }
  if (vars.length > 1 || !b.url.endsWith('{{1}}')) {
    return `${path}.url may only end in one variable, {{1}}`;
  }
  return Array.isArray(b.example) && b.example.length === 1 && isText(b.example[0], 1, 2000)
    ? undefined
    : `${path}.example must be ["a sample URL suffix"]`;
}

const OTP_TYPES = ['COPY_CODE', 'ONE_TAP', 'ZERO_TAP'] as const;
const ANDROID_PACKAGE = /^[A-Za-z][A-Za-z0-9_]*(\.[A-Za-z][A-Za-z0-9_]*)+$/;
const SIGNATURE_HASH = /^[A-Za-z0-9+/]{11}$/;

/** The fixed texts of authentication templates (English, as Custody renders every language). */
export const AUTH_TEXTS = {
  body: '*{{1}}* is your verification code.',
  securityRecommendation: ' For your security, do not share this code.',
  footer: (minutes: number) => `This code expires in ${minutes} minutes.`,
  copyCode: 'Copy code',
  autofill: 'Autofill',
} as const;

function checkOtpButton(b: unknown, path: string): string | undefined {
  if (!isObject(b) || upper(b.type) !== 'OTP') {
    return `${path}: an authentication template takes one OTP button`;
  }
  const extra = only(b, path, [
    'type',
    'otp_type',
    'text',
    'autofill_text',
    'package_name',
    'signature_hash',
    'zero_tap_terms_accepted',
    'supported_apps',
  ]);
  if (extra) {
    return extra;
  }
  const otpType = upper(b.otp_type);
  if (!(OTP_TYPES as readonly string[]).includes(otpType)) {
    return `${path}.otp_type must be one of ${OTP_TYPES.join(', ')}`;
  }
  for (const key of ['text', 'autofill_text'] as const) {
    if (b[key] !== undefined && !isText(b[key], 1, 25)) {
      return `${path}.${key} must be 1 to 25 characters`;
    }
  }
  if (otpType === 'COPY_CODE') {
    return undefined;
  }
  // One-tap and zero-tap hand the code to an Android app: which one, and its signing key's hash.
  const apps = Array.isArray(b.supported_apps) ? (b.supported_apps as unknown[]) : [b];
  if (apps.length < 1 || apps.length > 5) {
    return `${path}.supported_apps must list 1 to 5 apps`;
  }
  for (const app of apps) {
    if (
      !isObject(app) ||
      typeof app.package_name !== 'string' ||
      !ANDROID_PACKAGE.test(app.package_name) ||
      typeof app.signature_hash !== 'string' ||
      !SIGNATURE_HASH.test(app.signature_hash)
    ) {
      return `${path}: ${otpType} needs package_name (an Android package) and signature_hash (11 characters) of the app`;
    }
  }
  if (otpType === 'ZERO_TAP' && b.zero_tap_terms_accepted !== true) {
    return `${path}.zero_tap_terms_accepted must be true for ZERO_TAP`;
  }
  return undefined;
}

/**
 * The components of an AUTHENTICATION template, which WhatsApp words itself: a BODY with only
 * `add_security_recommendation`, an optional FOOTER with only `code_expiration_minutes` (1–90),
 * and BUTTONS with exactly one OTP button (copy code, one-tap or zero-tap). No header, no variables
 * of the business's own: the code is the one parameter of a send.
 */
function checkAuthComponent(c: Json, index: number): string | undefined {
  const path = `components[${index}]`;
  const type = upper(c.type);
  if (type === 'BODY') {
    if (c.text !== undefined) {
      return `${path}.text: an authentication template's body is fixed; give add_security_recommendation instead`;
    }
    return (
      only(c, path, ['type', 'add_security_recommendation']) ??
      (c.add_security_recommendation === undefined || typeof c.add_security_recommendation === 'boolean'
        ? undefined
        : `${path}.add_security_recommendation must be true or false`)
    );
  }
  if (type === 'FOOTER') {
    if (c.text !== undefined) {
      return `${path}.text: an authentication template's footer is fixed; give code_expiration_minutes instead`;
    }
    const minutes = c.code_expiration_minutes;
    return (
      only(c, path, ['type', 'code_expiration_minutes']) ??
      (Number.isInteger(minutes) && (minutes as number) >= 1 && (minutes as number) <= 90
        ? undefined
        : `${path}.code_expiration_minutes must be a whole number of minutes from 1 to 90`)
    );
  }
  if (type === 'BUTTONS') {
    const extra = only(c, path, ['type', 'buttons']);
    if (extra) {
      return extra;
    }
    if (!Array.isArray(c.buttons) || c.buttons.length !== 1) {
      return `${path}.buttons: an authentication template takes exactly one OTP button`;
    }
    return checkOtpButton(c.buttons[0], `${path}.buttons[0]`);
  }
  return `${path}.type must be one of BODY, FOOTER, BUTTONS (an authentication template has no header)`;
}

/** Checks a create body (`POST /{waba-id}/message_templates`); the definition, or the problem. */
export function parseTemplateCreate(
  body: unknown,
): { ok: true; template: TemplateDefinition } | { ok: false; details: string } {
  if (!isObject(body)) {
    return { ok: false, details: 'The request body must be a JSON object' };
  }
  const extra = Object.keys(body).find(
    (k) =>
      ![
        'name',
        'language',
        'category',
        'components',
        'parameter_format',
        'allow_category_change',
        'message_send_ttl_seconds',
        'messaging_product',
      ].includes(k),
  );
  if (extra !== undefined) {
    return { ok: false, details: `Unexpected key "${extra}"` };
  }
  if (typeof body.name !== 'string' || !NAME.test(body.name)) {
    return { ok: false, details: 'name must be 1 to 512 lowercase letters, digits and _' };
  }
  if (typeof body.language !== 'string' || !LANGUAGE.test(body.language)) {
    return { ok: false, details: 'language must be a language code such as en_US or en' };
  }
  const category = upper(body.category);
  if (!(TEMPLATE_CATEGORIES as readonly string[]).includes(category)) {
    return { ok: false, details: `category must be one of ${TEMPLATE_CATEGORIES.join(', ')}` };
  }
  const parameterFormat = body.parameter_format === undefined ? 'POSITIONAL' : upper(body.parameter_format);
  if (parameterFormat !== 'POSITIONAL' && parameterFormat !== 'NAMED') {
    return { ok: false, details: 'parameter_format must be positional or named' };
  }
  if (!Array.isArray(body.components) || body.components.length < 1 || body.components.length > 4) {
    return { ok: false, details: 'components must hold 1 to 4 components, one of them the BODY' };
  }
  const authentication = category === 'AUTHENTICATION';
  if (authentication && parameterFormat !== 'POSITIONAL') {
    return { ok: false, details: 'parameter_format: an authentication template has one positional variable, the code' };
  }
  const seen = new Set<string>();
  for (const [index, c] of body.components.entries()) {
    if (!isObject(c)) {
      return { ok: false, details: `components[${index}] must be an object` };
    }
    const problem = authentication ? checkAuthComponent(c, index) : checkComponent(c, index, parameterFormat);
    if (problem) {
      return { ok: false, details: problem };
    }
    const type = upper(c.type);
    if (seen.has(type)) {
      return { ok: false, details: `components: only one ${type}` };
    }
    seen.add(type);
  }
  if (!seen.has('BODY')) {
    return { ok: false, details: 'components: a BODY is required' };
  }
  if (authentication && !seen.has('BUTTONS')) {
    return { ok: false, details: 'components: an authentication template needs BUTTONS with its OTP button' };
  }
  const components = (body.components as Json[]).map((c) => ({
    ...c,
    type: upper(c.type),
    ...(c.format !== undefined ? { format: upper(c.format) } : {}),
    ...(Array.isArray(c.buttons)
      ? {
          buttons: (c.buttons as Json[]).map((b) => ({
            ...b,
            type: upper(b.type),
            ...(b.otp_type !== undefined ? { otp_type: upper(b.otp_type) } : {}),
          })),
        }
      : {}),
  }));
  return {
    ok: true,
    template: {
      name: body.name,
      language: body.language,
      category: category as TemplateCategory,
      parameterFormat,
      components,
    },
  };
}

/** What a send of the template must give, worked out once per template (cached with it). */
export interface TemplateSpec {
  format: ParameterFormat;
  header?: { format: (typeof HEADER_FORMATS)[number]; text?: string; vars: string[] };
  body: { text: string; vars: string[] };
  footer?: string;
  /** OTP buttons (authentication templates) take the code as their one parameter, like a URL suffix. */
  buttons: Array<{ type: string; text: string; url?: string; urlVariable: boolean; otp?: boolean }>;
}

const asText = (v: unknown): string => (typeof v === 'string' ? v : '');

export function specOf(t: Pick<TemplateDefinition, 'parameterFormat' | 'components'>): TemplateSpec {
  const find = (type: string) => t.components.find((c) => c.type === type);
  const varsOf = (text: string): string[] => {
    const found = variablesOf(text, t.parameterFormat, '');
    return 'vars' in found ? found.vars : [];
  };
  const header = find('HEADER');
  const body = find('BODY');
  const footer = find('FOOTER');
  const buttons = (find('BUTTONS')?.buttons as Json[] | undefined) ?? [];
  // An authentication template's body and footer are WhatsApp's words (AUTH_TEXTS), not given.
  const bodyText =
    typeof body?.text === 'string'
      ? body.text
      : `${AUTH_TEXTS.body}${body?.add_security_recommendation === true ? AUTH_TEXTS.securityRecommendation : ''}`;
  const footerText =
    footer === undefined
      ? undefined
      : typeof footer.text === 'string'
        ? footer.text
        : AUTH_TEXTS.footer(Number(footer.code_expiration_minutes));
  return {
    format: t.parameterFormat,
    ...(header
      ? {
          header: {
            format: header.format as (typeof HEADER_FORMATS)[number],
            ...(typeof header.text === 'string' ? { text: header.text } : {}),
            vars: typeof header.text === 'string' ? varsOf(header.text) : [],
          },
        }
      : {}),
    body: { text: bodyText, vars: varsOf(bodyText) },
    ...(footerText !== undefined ? { footer: footerText } : {}),
    buttons: buttons.map((b) =>
      b.type === 'OTP'
        ? {
            type: 'OTP',
            text: asText(b.text) || (b.otp_type === 'COPY_CODE' ? AUTH_TEXTS.copyCode : AUTH_TEXTS.autofill),
            urlVariable: false,
            otp: true,
          }
        : {
            type: String(b.type),
            text: asText(b.text),
            ...(typeof b.url === 'string' ? { url: b.url } : {}),
            urlVariable: typeof b.url === 'string' && b.url.endsWith('{{1}}'),
          },
    ),
  };
}

/** The text a customer sees of a template send. */
export interface RenderedTemplate {
  header?: string;
  body: string;
  footer?: string;
  buttons?: Array<{ type: string; text: string; url?: string }>;
}

export type TemplateSendCheck =
  { ok: true; rendered: RenderedTemplate } | { ok: false; code: 132000 | 132005 | 132012; details: string };

const mismatch = (details: string): TemplateSendCheck => ({ ok: false, code: 132012, details });
const wrongCount = (where: string, given: number, expected: number): TemplateSendCheck => ({
  ok: false,
  code: 132000,
  details: `${where}: number of localizable_params (${given}) does not match the expected number of params (${expected})`,
});

/** The text a body or header parameter stands for; undefined when the type cannot fill text. */
function textOf(p: Json): string | undefined {
  const type = upper(p.type);
  if (type === 'TEXT') {
    return typeof p.text === 'string' && p.text.length > 0 ? p.text : undefined;
  }
  if (type === 'CURRENCY' || type === 'DATE_TIME') {
    const value = p[type.toLowerCase()];
    return isObject(value) && typeof value.fallback_value === 'string' ? value.fallback_value : undefined;
  }
  return undefined;
}

function substitute(text: string, format: ParameterFormat, values: Map<string, string>): string {
  return text.replace(format === 'POSITIONAL' ? POSITIONAL_VAR : NAMED_VAR, (_, v: string) => values.get(v) ?? '');
}

/** Text parameters in the template's format: positional in order, named by `parameter_name`. */
function fill(
  where: string,
  vars: string[],
  format: ParameterFormat,
  params: Json[],
): { values: Map<string, string> } | TemplateSendCheck {
  if (params.length !== vars.length) {
    return wrongCount(where, params.length, vars.length);
  }
  const values = new Map<string, string>();
  for (const [i, p] of params.entries()) {
    const text = textOf(p);
    if (text === undefined) {
      return mismatch(`${where}: parameter ${i + 1} must be text, currency or date_time with its value`);
    }
    if (format === 'NAMED') {
      if (typeof p.parameter_name !== 'string' || !vars.includes(p.parameter_name)) {
        return mismatch(`${where}: parameter ${i + 1} must name one of the template's variables (parameter_name)`);
      }
      values.set(p.parameter_name, text);
    } else {
      values.set(String(i + 1), text);
    }
  }
  return { values };
}

/**
 * Checks a send's `template.components` against what the approved template expects and renders
 * the text the customer receives. Count mismatches are 132000, a parameter of the wrong type 132012,
 * a rendered body over 1,024 characters 132005 (the Cloud API's codes).
 */
export function checkTemplateSend(spec: TemplateSpec, components: unknown): TemplateSendCheck {
  const given = Array.isArray(components) ? (components as unknown[]).filter(isObject) : [];
  const of = (type: string) => given.filter((c) => upper(c.type) === type);
  const paramsOf = (c: Json | undefined): Json[] =>
    Array.isArray(c?.parameters) ? (c.parameters as unknown[]).filter(isObject) : [];
  const rendered: RenderedTemplate = { body: spec.body.text };

  const headers = of('HEADER');
  const headerParams = paramsOf(headers[0]);
  if (spec.header && spec.header.format !== 'TEXT') {
    if (headerParams.length !== 1) {
      return wrongCount('header', headerParams.length, 1);
    }
    const p = headerParams[0];
    const expected = spec.header.format.toLowerCase();
    if (upper(p.type) !== spec.header.format || !isObject(p[expected])) {
      return mismatch(
        `header: Format mismatch, expected ${spec.header.format}, received ${upper(p.type) || 'UNKNOWN'}`,
      );
    }
  } else {
    const vars = spec.header?.vars ?? [];
    const filled = fill('header', vars, spec.format, headerParams);
    if (!('values' in filled)) {
      return filled;
    }
    if (spec.header?.text !== undefined) {
      rendered.header = substitute(spec.header.text, spec.format, filled.values);
    }
  }

  const filled = fill('body', spec.body.vars, spec.format, paramsOf(of('BODY')[0]));
  if (!('values' in filled)) {
    return filled;
  }
  rendered.body = substitute(spec.body.text, spec.format, filled.values);
  if ([...rendered.body].length > 1024) {
    return {
      ok: false,
      code: 132005,
      details: 'The body is longer than 1,024 characters once the parameters are filled in',
    };
  }
  if (spec.footer !== undefined) {
    rendered.footer = spec.footer;
  }

  const buttonParams = new Map<number, Json>();
  for (const b of of('BUTTON')) {
    const index = Number(b.index);
    if (!Number.isInteger(index) || index < 0 || index >= spec.buttons.length) {
      return mismatch(`button: index ${String(b.index)} is not a button of the template`);
    }
    buttonParams.set(index, b);
  }
  if (spec.buttons.length > 0) {
    rendered.buttons = [];
    for (const [index, button] of spec.buttons.entries()) {
      const params = paramsOf(buttonParams.get(index));
      if (button.otp) {
        // The code again, as the Cloud API's send of an authentication template gives it.
        if (params.length !== 1) {
          return wrongCount(`button ${index}`, params.length, 1);
        }
        if (upper(params[0].type) !== 'TEXT' || typeof params[0].text !== 'string' || params[0].text.length === 0) {
          return mismatch(`button ${index}: the OTP button takes the code as a text parameter`);
        }
        rendered.buttons.push({ type: 'OTP', text: button.text });
        continue;
      }
      if (button.urlVariable) {
        if (params.length !== 1) {
          return wrongCount(`button ${index}`, params.length, 1);
        }
        if (upper(params[0].type) !== 'TEXT' || typeof params[0].text !== 'string') {
          return mismatch(`button ${index}: the URL suffix must be a text parameter`);
        }
        rendered.buttons.push({
          type: button.type,
          text: button.text,
          url: (button.url ?? '').replace('{{1}}', encodeURIComponent(params[0].text)),
        });
        continue;
      }
      if (button.type === 'QUICK_REPLY' && params.some((p) => upper(p.type) !== 'PAYLOAD')) {
        return mismatch(`button ${index}: a quick reply takes a payload parameter`);
      }
      rendered.buttons.push({ type: button.type, text: button.text, ...(button.url ? { url: button.url } : {}) });
    }
  }
  return { ok: true, rendered };
}

/** Statuses a template can be edited in (`POST /{template-id}`). */
export const EDITABLE_STATUSES = ['APPROVED', 'REJECTED', 'PAUSED'] as const;

/**
 * An edit of a template (`POST /{template-id}`): `category`, `components` (replacing them whole)
 * and `message_send_ttl_seconds`; the name, language and parameter format stay. The result is
 * checked as a new template of that name would be.
 */
export function parseTemplateEdit(
  body: unknown,
  current: TemplateDefinition,
): { ok: true; template: TemplateDefinition } | { ok: false; details: string } {
  if (!isObject(body)) {
    return { ok: false, details: 'The request body must be a JSON object' };
  }
  const extra = Object.keys(body).find(
    (k) => !['category', 'components', 'message_send_ttl_seconds', 'messaging_product'].includes(k),
  );
  if (extra !== undefined) {
    return {
      ok: false,
      details: `Unexpected key "${extra}" (an edit takes category, components and message_send_ttl_seconds)`,
    };
  }
  if (body.category === undefined && body.components === undefined) {
    return { ok: false, details: 'An edit needs category or components' };
  }
  return parseTemplateCreate({
    name: current.name,
    language: current.language,
    category: body.category ?? current.category,
    parameter_format: current.parameterFormat,
    components: body.components ?? current.components,
  });
}
