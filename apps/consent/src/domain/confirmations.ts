/**
 * The system messages Custody sends a customer after STOP or START, in the keyword's language
 * (English when there is no translation).
 */
interface Texts {
  stopped: string;
  startAgain: (wording: string) => string;
  started: (wording: string) => string;
  confirmStart: (wording: string) => string;
  nothingToStart: string;
}

const TEXTS: Record<string, Texts> = {
  en: {
    stopped: 'You will no longer receive marketing messages from this business.',
    startAgain: (w) => `Reply START to subscribe again to: ${w}`,
    started: (w) => `You are subscribed to: ${w} Reply STOP at any time to unsubscribe.`,
    confirmStart: (w) => `To subscribe, please confirm: ${w} Reply START to confirm.`,
    nothingToStart: 'This business has no subscription to start.',
  },
  fr: {
    stopped: 'Vous ne recevrez plus de messages marketing de cette entreprise.',
    startAgain: (w) => `Répondez START pour vous réabonner à : ${w}`,
    started: (w) => `Vous êtes abonné à : ${w} Répondez ARRET à tout moment pour vous désabonner.`,
    confirmStart: (w) => `Pour vous abonner, veuillez confirmer : ${w} Répondez START pour confirmer.`,
    nothingToStart: "Cette entreprise ne propose pas d'abonnement.",
  },
  es: {
    stopped: 'Ya no recibirás mensajes de marketing de esta empresa.',
    startAgain: (w) => `Responde START para suscribirte de nuevo a: ${w}`,
    started: (w) => `Estás suscrito a: ${w} Responde ALTO en cualquier momento para darte de baja.`,
    confirmStart: (w) => `Para suscribirte, confirma: ${w} Responde START para confirmar.`,
    nothingToStart: 'Esta empresa no ofrece ninguna suscripción.',
  },
  pt: {
    stopped: 'Você não receberá mais mensagens de marketing desta empresa.',
    startAgain: (w) => `Responda START para se inscrever novamente em: ${w}`,
    started: (w) => `Você está inscrito em: ${w} Responda PARAR a qualquer momento para cancelar.`,
    confirmStart: (w) => `Para se inscrever, confirme: ${w} Responda START para confirmar.`,
    nothingToStart: 'Esta empresa não oferece nenhuma inscrição.',
  },
  it: {
    stopped: 'Non riceverai più messaggi di marketing da questa azienda.',
    startAgain: (w) => `Rispondi START per iscriverti di nuovo a: ${w}`,
    started: (w) => `Sei iscritto a: ${w} Rispondi BASTA in qualsiasi momento per annullare.`,
    confirmStart: (w) => `Per iscriverti, conferma: ${w} Rispondi START per confermare.`,
    nothingToStart: 'Questa azienda non offre alcuna iscrizione.',
  },
  de: {
    stopped: 'Sie erhalten keine Marketing-Nachrichten mehr von diesem Unternehmen.',
    startAgain: (w) => `Antworten Sie START, um sich erneut anzumelden für: ${w}`,
    started: (w) => `Sie sind angemeldet für: ${w} Antworten Sie jederzeit STOPP, um sich abzumelden.`,
    confirmStart: (w) => `Bitte bestätigen Sie die Anmeldung: ${w} Antworten Sie START zur Bestätigung.`,
    nothingToStart: 'Dieses Unternehmen bietet kein Abonnement an.',
  },
};

export function confirmationTexts(language: string): Texts {
  return TEXTS[language] ?? TEXTS.en;
}

export function joinWordings(texts: string[]): string {
  return texts.map((t) => t.trim()).join(' / ');
}
