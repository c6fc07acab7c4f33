import { detectChatCommand, normalizeKeyword } from './keywords';

describe('in-chat opt-out and opt-in keywords', () => {
  it.each([
    ['STOP', 'stop', 'en'],
    ['  stop ', 'stop', 'en'],
    ['Stop.', 'stop', 'en'],
    ['unsubscribe', 'stop', 'en'],
    ['opt   out', 'stop', 'en'],
    ['ARRÊT', 'stop', 'fr'],
    ['arret', 'stop', 'fr'],
    ['Alto', 'stop', 'es'],
    ['PARAR!', 'stop', 'es'],
    ['basta', 'stop', 'it'],
    ['Abmelden', 'stop', 'de'],
    ['STOPP', 'stop', 'de'],
    ['start', 'start', 'en'],
    ['\tSTART\n', 'start', 'en'],
  ])('%j is %s (%s)', (body, command, language) => {
    expect(detectChatCommand('text', { body })).toEqual({ command, language, via: 'keyword' });
  });

  it.each([['please stop'], ['stop it'], ['STOPPED'], ['where is my order?'], [''], ['s t o p']])(
    '%j is not a command',
    (body) => {
      expect(detectChatCommand('text', { body })).toBeNull();
    },
  );

  it('reads button and interactive replies, and ignores other message types', () => {
    expect(detectChatCommand('button', { text: 'Stop promotions', payload: 'STOP' })).toMatchObject({
      command: 'stop',
      via: 'button',
    });
    expect(
      detectChatCommand('interactive', { type: 'button_reply', button_reply: { id: 'x1', title: 'Unsubscribe' } }),
    ).toMatchObject({
      command: 'stop',
      via: 'button',
    });
    expect(detectChatCommand('image', { caption: 'STOP' })).toBeNull();
    expect(detectChatCommand('text', { body: 42 })).toBeNull();
  });

  it('normalizes case, accents, punctuation and whitespace', () => {
    expect(normalizeKeyword(' Arrêt ! ')).toBe('ARRET');
    expect(normalizeKeyword('opt\u00a0 out')).toBe('OPT OUT');
  });
});
