export type ChatCommand = 'stop' | 'start';

export interface DetectedCommand {
  command: ChatCommand;
  /** Language of the keyword, for the confirmation (falls back to English). */
  language: string;
  /** A typed keyword or a tapped button (quick reply / interactive reply). */
  via: 'keyword' | 'button';
}

/**
 * Opt-out and opt-in keywords, after normalization (upper case, accents and surrounding
 * punctuation removed, inner whitespace collapsed). A message counts only when it *is* the
 * keyword: "please don't stop" is not an opt-out.
 */
const KEYWORDS: ReadonlyArray<[string, ChatCommand, string]> = [
  ['STOP', 'stop', 'en'],
  ['UNSUBSCRIBE', 'stop', 'en'],
  ['OPT OUT', 'stop', 'en'],
  ['OPTOUT', 'stop', 'en'],
  ['ARRET', 'stop', 'fr'],
  ['DESABONNER', 'stop', 'fr'],
  ['ALTO', 'stop', 'es'],
  ['PARAR', 'stop', 'es'],
  ['BAJA', 'stop', 'es'],
  ['SAIR', 'stop', 'pt'],
  ['BASTA', 'stop', 'it'],
  ['DISISCRIVIMI', 'stop', 'it'],
  ['STOPP', 'stop', 'de'],
  ['ABMELDEN', 'stop', 'de'],
  ['AFMELDEN', 'stop', 'nl'],
  ['START', 'start', 'en'],
  ['SUBSCRIBE', 'start', 'en'],
  ['UNSTOP', 'start', 'en'],
  ['ALTA', 'start', 'es'],
  ['ISCRIVIMI', 'start', 'it'],
  ['ANMELDEN', 'start', 'de'],
  ['AANMELDEN', 'start', 'nl'],
];
const BY_WORD = new Map(KEYWORDS.map(([word, command, language]) => [word, { command, language }]));

export function normalizeKeyword(text: string): string {
  return text
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .replace(/^[\s\p{P}]+|[\s\p{P}]+$/gu, '')
    .replace(/\s+/g, ' ')
    .toUpperCase();
}

function match(text: unknown, via: DetectedCommand['via']): DetectedCommand | null {
  if (typeof text !== 'string' || text.length > 40) {
    return null;
  }
  const hit = BY_WORD.get(normalizeKeyword(text));
  return hit ? { ...hit, via } : null;
}

/**
 * Reads an inbound customer message (`content` is the Cloud API object of its type) and returns
 * the opt-out/opt-in command it carries, if any: a text that is a keyword, or a button whose
 * payload, id or title is one.
 */
export function detectChatCommand(messageType: string, content: Record<string, unknown>): DetectedCommand | null {
  switch (messageType) {
    case 'text':
      return match(content.body, 'keyword');
    case 'button':
      return match(content.payload, 'button') ?? match(content.text, 'button');
    case 'interactive': {
      const reply = (content.button_reply ?? content.list_reply) as { id?: unknown; title?: unknown } | undefined;
      return reply ? (match(reply.id, 'button') ?? match(reply.title, 'button')) : null;
    }
    default:
      return null;
  }
}
